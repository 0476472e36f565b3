// Progressive enhancement for the report form: it works without this script.
(function () {
  "use strict";
  document.querySelectorAll("form.report-form").forEach(function (form) {
    var summary = form.querySelector("#report-form-errors");
    if (summary) { summary.focus(); }
    // One report per click: a second submit while the first is on its way is ignored (the server also
    // files one report per form token).
    form.addEventListener("submit", function (e) {
      if (form.getAttribute("data-sending")) { e.preventDefault(); return; }
      form.setAttribute("data-sending", "1");
    });
    window.addEventListener("pageshow", function () { form.removeAttribute("data-sending"); });  // back button
    var province = form.querySelector("select[name=province]");
    var regency = form.querySelector("select[name=regency]");
    if (province && regency) {
      var filterRegencies = function () {
        var prefix = province.value ? province.value + "." : "";
        regency.querySelectorAll("optgroup").forEach(function (group) {
          var show = !prefix || Array.prototype.some.call(group.children, function (o) { return o.value.indexOf(prefix) === 0; });
          group.hidden = !show;
          group.disabled = !show;
        });
        var chosen = regency.options[regency.selectedIndex];
        if (chosen && chosen.value && prefix && chosen.value.indexOf(prefix) !== 0) { regency.value = ""; }
      };
      province.addEventListener("change", filterRegencies);
      filterRegencies();
    }
    var query = form.querySelector("input[name=agency_q]");
    var agency = form.querySelector("select[name=agency]");
    var url = form.getAttribute("data-agency-search");
    if (query && agency && url && window.fetch) {
      var timer = null;
      query.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          if (query.value.trim().length < 2) { return; }
          fetch(url + "?q=" + encodeURIComponent(query.value.trim()), { headers: { "Accept": "application/json" } })
            .then(function (r) { return r.json(); })
            .then(function (data) {
              var keep = agency.value;
              while (agency.options.length > 1) { agency.remove(1); }
              data.results.forEach(function (a) {
                var option = new Option(a.name, a.id);
                option.selected = String(a.id) === keep;
                agency.add(option);
              });
              var status = form.querySelector("#agency-search-status");
              if (status) { status.textContent = data.results.length + " " + (agency.getAttribute("data-found-label") || ""); }
            });
        }, 250);
      });
      // Enter in the search box searches instead of sending the report.
      query.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); } });
    }
  });
})();
