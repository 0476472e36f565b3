// The report form's place fields, as progressive enhancement (the form works without this script):
// district/village selects that follow the regency (small cached JSON lists, never all villages in the
// page), and an optional map pin that fills the hidden latitude/longitude inputs, fills an empty region
// from the reference data and lists open reports nearby. Leaflet (LAPOR's trimmed build,
// static/vendor/leaflet) is loaded only when the map is opened.
(function () {
  "use strict";
  function loadLeaflet(box) {
    if (window.L) { return Promise.resolve(window.L); }
    return new Promise(function (resolve, reject) {
      ["data-leaflet-css", "data-map-css"].forEach(function (name) {  // Leaflet's rules, then the pin's
        var css = document.createElement("link");
        css.rel = "stylesheet";
        css.href = box.getAttribute(name);
        document.head.appendChild(css);
      });
      var script = document.createElement("script");
      script.src = box.getAttribute("data-leaflet-js");
      script.onload = function () { resolve(window.L); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  function fill(select, results) {
    var keep = select.value;
    while (select.options.length > 1) { select.remove(1); }
    results.forEach(function (item) {
      var option = new Option(item.name, item.code);
      option.selected = item.code === keep;
      select.add(option);
    });
  }
  document.querySelectorAll("fieldset.place-fields").forEach(function (fieldset) {
    var form = fieldset.form || fieldset.closest("form");
    var province = form.querySelector("select[name=province]");
    var regency = form.querySelector("select[name=regency]");
    var district = form.querySelector("select[name=kecamatan]");
    var village = form.querySelector("select[name=kelurahan]");
    var areasUrl = fieldset.getAttribute("data-areas-url");
    // A live region tells screen-reader users that the list below changed and how many choices it holds.
    var areasStatus = fieldset.querySelector("[data-areas-status]");
    function announce(select, count) {
      if (!areasStatus) { return; }
      var label = areasStatus.getAttribute(select === district ? "data-districts-label" : "data-villages-label");
      areasStatus.textContent = label.replace("{n}", String(count));
    }
    function children(code, select) {
      if (!code || !window.fetch) { fill(select, []); return Promise.resolve(); }
      return fetch(areasUrl.replace("KODE", encodeURIComponent(code)), { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { fill(select, data.results); announce(select, data.results.length); })
        .catch(function () { /* the search box still works */ });
    }
    if (regency && district && village) {
      regency.addEventListener("change", function () { district.value = ""; village.value = ""; children(regency.value, district); fill(village, []); });
      district.addEventListener("change", function () { village.value = ""; children(district.value, village); });
    }

    var box = fieldset.querySelector("[data-place-map]");
    var lat = form.querySelector("input[name=latitude]");
    var lng = form.querySelector("input[name=longitude]");
    if (!box || !lat || !lng) { return; }
    box.hidden = false;
    var open = box.querySelector("[data-open-map]");
    var canvas = box.querySelector("#place-map-canvas");
    var tools = box.querySelector("[data-map-tools]");
    var status = box.querySelector("#place-map-status");
    var nearby = fieldset.querySelector("[data-nearby]");
    var nearbyList = fieldset.querySelector("[data-nearby-list]");
    var map = null, marker = null;
    function say(text) { status.textContent = text; }
    // The pin (a DivIcon styled by css/map.css, as on the report maps: the trimmed Leaflet ships no marker images); not a
    // keyboard stop of its own — keyboard users move the map and press "Tandai di tengah peta".
    function pinAt(latlng) {
      var icon = window.L.divIcon({ className: "map-pin", iconSize: window.L.point(24, 24), iconAnchor: window.L.point(12, 24) });
      return window.L.marker(latlng, { icon: icon, keyboard: false, interactive: false }).addTo(map);
    }
    function showNearby(data) {
      nearbyList.textContent = "";
      data.results.forEach(function (r) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = r.url;
        a.textContent = r.title;
        li.appendChild(a);
        nearbyList.appendChild(li);
      });
      nearby.hidden = data.results.length === 0;
    }
    function pin(latlng) {
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
      if (marker) { marker.setLatLng(latlng); } else { marker = pinAt(latlng); }
      var text = status.getAttribute("data-pinned-label") + " (" + lat.value + ", " + lng.value + ")";
      say(text);
      if (!window.fetch) { return; }
      var url = fieldset.getAttribute("data-nearby-url") + "?lat=" + lat.value + "&lng=" + lng.value;
      fetch(url, { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          showNearby(data);
          // A pin inside a region fills the region fields that are still empty.
          if (data.region && regency && !regency.value && (!province.value || province.value === data.region.province)) {
            province.value = data.region.province;
            province.dispatchEvent(new Event("change"));
            if (data.region.regency) {
              regency.value = data.region.regency;
              regency.dispatchEvent(new Event("change"));
            }
            say(text + " " + status.getAttribute("data-filled-label") + " " + data.region.name + ".");
          }
        })
        .catch(function () { /* suggestions are a help, never required */ });
    }
    open.addEventListener("click", function () {
      open.setAttribute("aria-expanded", "true");
      open.hidden = true;
      canvas.hidden = false;
      tools.hidden = false;
      loadLeaflet(box).then(function (L) {
        var start = lat.value && lng.value ? [parseFloat(lat.value), parseFloat(lng.value)] : [-2.5, 118];
        map = L.map(canvas, { attributionControl: true }).setView(start, lat.value ? 15 : 5);
        canvas.leafletMap = map;  // for the browser tests
        map.attributionControl.setPrefix(false);
        L.tileLayer(box.getAttribute("data-tiles"), { maxZoom: 19, attribution: box.getAttribute("data-attribution") }).addTo(map);
        if (lat.value && lng.value) { marker = pinAt(start); }
        map.on("click", function (e) { pin(e.latlng); });
      }).catch(function () {
        canvas.hidden = true;
        tools.hidden = true;
        say(status.getAttribute("data-failed-label"));
      });
    });
    box.querySelector("[data-pin-centre]").addEventListener("click", function () { if (map) { pin(map.getCenter()); } });
    box.querySelector("[data-clear-pin]").addEventListener("click", function () {
      lat.value = "";
      lng.value = "";
      if (marker && map) { map.removeLayer(marker); marker = null; }
      nearby.hidden = true;
      say(status.getAttribute("data-cleared-label"));
    });
  });
})();
