// Maps of reports, loaded only when opened (LAPOR's trimmed Leaflet build, static/vendor/leaflet,
// scripts/build_leaflet.sh; pins and cluster counts are DivIcons styled by css/lapor.css):
// - [data-report-map]: the public map of /laporan/ — the points of the visible area, with the list's
//   filters, fetched again when the map moves, or for a wide or crowded view the server's counts per
//   grid cell (complaints.places.map_clusters); the list below is the accessible equivalent.
// - [data-staff-map]: one report's pin (admin report page) or the points of a dashboard, given inline
//   as data attributes; no request of its own.
(function () {
  "use strict";
  function load(tag, attrs) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement(tag);
      Object.keys(attrs).forEach(function (k) { el[k] = attrs[k]; });
      el.onload = resolve;
      el.onerror = reject;
      document.head.appendChild(el);
    });
  }
  function loadLibraries(box) {
    load("link", { rel: "stylesheet", href: box.getAttribute("data-leaflet-css") }).catch(function () { /* unstyled, still usable */ });
    return (window.L ? Promise.resolve() : load("script", { src: box.getAttribute("data-leaflet-js") })).then(function () { return window.L; });
  }
  function baseMap(L, box, canvas) {
    var map = L.map(canvas);
    map.attributionControl.setPrefix(false);
    L.tileLayer(box.getAttribute("data-tiles"), { maxZoom: 19, attribution: box.getAttribute("data-attribution") }).addTo(map);
    return map;
  }
  // A marker that does something: a click, or Enter or Space while it has the keyboard focus (Leaflet
  // makes markers focusable buttons named by their title, but gives keys no meaning).
  function onChoose(marker, action) {
    marker.on("click", action);
    marker.on("keypress", function (e) {
      var key = e.originalEvent.key;
      if (key === "Enter" || key === " ") { e.originalEvent.preventDefault(); action(); }
    });
    return marker;
  }
  function pinMarker(L, p) {
    var marker = L.marker([p.lat, p.lng], { icon: L.divIcon({ className: "map-pin", iconSize: L.point(24, 24), iconAnchor: L.point(12, 24) }), title: p.title });
    return p.url ? onChoose(marker, function () { window.location.assign(p.url); }) : marker;
  }
  document.querySelectorAll("[data-report-map]").forEach(function (box) {
    box.hidden = false;
    var open = box.querySelector("[data-open-map]");
    var canvas = box.querySelector(".report-map-canvas");
    var status = box.querySelector("[data-map-status]");
    var url = box.getAttribute("data-points-url");
    open.addEventListener("click", function () {
      open.hidden = true;
      open.setAttribute("aria-expanded", "true");
      canvas.hidden = false;
      loadLibraries(box).then(function (L) {
        var map = baseMap(L, box, canvas).setView([-2.5, 118], 5);
        canvas.leafletMap = map;  // for the browser tests
        var layer = L.layerGroup();
        var clusters = L.layerGroup();
        var clusterLabel = status.getAttribute("data-cluster-label");
        layer.addTo(map);
        clusters.addTo(map);
        var pending = null;
        // Choosing a cluster shows its cell around its reports, and always closer than now (a cell that
        // already fits the view would otherwise answer the same cluster again).
        function zoomInto(c) {
          var cell = L.latLngBounds([c.cell[0], c.cell[1]], [c.cell[2], c.cell[3]]);
          map.setView([c.lat, c.lng], Math.max(map.getBoundsZoom(cell), map.getZoom() + 2));
        }
        function refresh() {
          if (pending) { pending.abort(); }
          pending = new AbortController();
          var sep = url.indexOf("?") >= 0 ? "&" : "?";
          fetch(url + sep + "bbox=" + map.getBounds().toBBoxString(), { signal: pending.signal, headers: { "Accept": "application/json" } })
            .then(function (r) { return r.json(); })
            .then(function (data) {
              layer.clearLayers();
              clusters.clearLayers();
              data.points.forEach(function (p) {
                layer.addLayer(pinMarker(L, { lat: p.lat, lng: p.lng, title: p.title, url: "/laporan/" + encodeURIComponent(p.id) + "/" }));
              });
              // Wide or crowded views: counts per grid cell from the server; choosing one zooms into its cell.
              data.clusters.forEach(function (c) {
                var label = clusterLabel.replace("{n}", c.count);
                var size = c.count < 10 ? "small" : (c.count < 100 ? "medium" : "large");
                var icon = L.divIcon({ html: "<span>" + Number(c.count) + "</span>", className: "map-cluster map-cluster-" + size, iconSize: L.point(40, 40) });
                var marker = L.marker([c.lat, c.lng], { icon: icon, title: label });
                clusters.addLayer(onChoose(marker, function () { zoomInto(c); }));
              });
              // A view too wide to count with these filters says so (the server's message, translated).
              status.textContent = data.message || (data.clusters.length ? status.getAttribute("data-clusters-label") : "");
            })
            .catch(function () { /* a moved map aborts the previous request */ });
        }
        map.on("moveend", refresh);
        refresh();
      }).catch(function () {
        canvas.hidden = true;
        status.textContent = status.getAttribute("data-failed-label");
      });
    });
  });

  document.querySelectorAll("[data-staff-map]").forEach(function (box) {
    var canvas = box.querySelector(".staff-map-canvas");
    var points = JSON.parse(box.getAttribute("data-points") || "[]");
    if (!points.length) { return; }
    box.hidden = false;
    loadLibraries(box).then(function (L) {
      var map = baseMap(L, box, canvas);
      var layer = L.featureGroup();
      points.forEach(function (p) { layer.addLayer(pinMarker(L, p)); });
      layer.addTo(map);
      if (points.length === 1) { map.setView([points[0].lat, points[0].lng], 16); } else { map.fitBounds(layer.getBounds(), { maxZoom: 15 }); }
    }).catch(function () { canvas.hidden = true; });
  });
})();
