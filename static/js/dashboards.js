// Dashboard charts: the numbers come from json_script; each chart has a table with the same numbers.
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  if (!node || !window.Chart) { return; }
  var data = JSON.parse(node.textContent);
  var colors = ["#dc3545", "#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#0dcaf0", "#d63384", "#212529"];

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new window.Chart(canvas, config); }
  }
  // Counts of reports: whole numbers only on a value axis (Chart.js would print 0.5 steps).
  var countAxis = { beginAtZero: true, ticks: { precision: 0 } };
  function bars(id, labels, counts, horizontal) {
    var scales = horizontal ? { x: countAxis } : { y: countAxis };
    draw(id, {
      type: "bar",
      data: { labels: labels, datasets: [{ data: counts, backgroundColor: colors }] },
      options: { indexAxis: horizontal ? "y" : "x", plugins: { legend: { display: false } }, maintainAspectRatio: false, scales: scales }
    });
  }
  var t = data.trend;
  draw("chart-trend", {
    type: "line",
    data: {
      labels: t.labels,
      datasets: [
        { label: t.names[0], data: t.received, borderColor: colors[0], tension: 0.2 },
        { label: t.names[1], data: t.followed_up, borderColor: colors[1], tension: 0.2 },
        { label: t.names[2], data: t.completed, borderColor: colors[2], tension: 0.2 }
      ]
    },
    options: { maintainAspectRatio: false, scales: { y: countAxis } }
  });
  bars("chart-funnel", data.funnel.labels, data.funnel.counts, true);
  bars("chart-classification", data.classification.labels, data.classification.counts, false);
  bars("chart-channel", data.channel.labels, data.channel.counts, false);
})();
