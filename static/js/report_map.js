// Maps of reports, drawn by LAPOR's own small slippy map (no library; styles in css/map.css): Web Mercator
// 256-pixel tiles from the settings' tile URL (LAPOR_MAP_TILE_URL, {s} {z} {x} {y}) with its attribution
// shown; dragged by mouse, finger or pen (pointer events), zoomed by the wheel, a double click, a pinch or
// the + and − buttons; from the keyboard the map itself takes the focus (arrows pan, + and - zoom). Marks
// are real elements in reading order: a cluster is a button that zooms in, a point a link to its report
// named by its title. A tile that cannot load is left out: the marks, buttons and the list keep working.
// - [data-report-map]: the public map of /laporan/ — on opening, the points of the visible area with the
//   list's filters (peta.json), fetched again when the map stops moving, or for a wide or crowded view
//   the server's counts per grid cell (complaints.places.map_clusters); the list below is the
//   accessible equivalent. The status line (aria-live) says each view's zoom level and what it holds, or
//   that its reports could not be loaded (a server error, no network, no answer within
//   SlippyMap.timeout): the list stays, and the next move asks again.
// - [data-staff-map]: one report's pin (admin report page) or the points of a dashboard, given inline
//   as data attributes; no request of its own.
(function () {
  "use strict";
  var SIZE = 256, MIN_ZOOM = 3, MAX_ZOOM = 18, STEP = 96;
  function make(tag, cls, parent) {
    var el = document.createElement(tag);
    el.className = cls;
    if (parent) { parent.appendChild(el); }
    return el;
  }
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  // Degrees ↔ pixels of the whole world at zoom z (Web Mercator).
  function project(lat, lng, z) {
    var s = SIZE * Math.pow(2, z), sin = Math.sin(clamp(lat, -85.05, 85.05) * Math.PI / 180);
    return { x: (lng + 180) / 360 * s, y: (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * s };
  }
  function unproject(x, y, z) {
    var s = SIZE * Math.pow(2, z);
    return { lat: 90 - 360 * Math.atan(Math.exp((2 * y / s - 1) * Math.PI)) / Math.PI, lng: x / s * 360 - 180 };
  }

  function SlippyMap(box, canvas, onMove) {
    var map = this, pointers = {}, dragging = false, pinch = 0, wheelAt = 0;
    map.box = box;
    map.canvas = canvas;
    map.onMove = onMove;
    map.z = 5;
    map.c = { x: 0, y: 0 };  // the centre, in pixels of the world at zoom z
    map.tiles = {};
    map.marks = [];
    canvas.classList.add("lmap");
    canvas.tabIndex = 0;
    var hint = box.querySelector("[data-map-keys]");
    if (hint) {
      hint.hidden = false;
      hint.id = hint.id || "lmap-keys-" + document.querySelectorAll(".lmap").length;
      canvas.setAttribute("aria-describedby", hint.id);
    }
    map.tileLayer = make("div", "lmap-tiles", canvas);
    map.tileLayer.setAttribute("aria-hidden", "true");
    var zoom = make("div", "lmap-zoom", canvas);
    [[1, "+", "data-zoom-in-label"], [-1, "\u2212", "data-zoom-out-label"]].forEach(function (z) {
      var button = make("button", "", zoom);
      button.type = "button";
      button.textContent = z[1];
      button.setAttribute("aria-label", box.getAttribute(z[2]));
      button.addEventListener("click", function () { map.zoomBy(z[0]); });
    });
    map.markLayer = make("div", "lmap-marks", canvas);
    make("div", "lmap-attribution", canvas).innerHTML = box.getAttribute("data-attribution");
    map.template = box.getAttribute("data-tiles");

    function at(e) {  // a point of the window as an offset from the map's centre
      var r = canvas.getBoundingClientRect();
      return [e.clientX - r.left - r.width / 2, e.clientY - r.top - r.height / 2];
    }
    function onMap(e) { return !e.target.closest("button, a, .lmap-attribution"); }
    canvas.addEventListener("pointerdown", function (e) {
      if (e.button) { return; }
      pointers[e.pointerId] = { x: e.clientX, y: e.clientY };
      pinch = 0;
    });
    canvas.addEventListener("pointermove", function (e) {
      var p = pointers[e.pointerId], ids = Object.keys(pointers);
      if (!p) { return; }
      if (ids.length > 1) {  // two fingers: the map follows their middle, a pinch zooms one step at a time
        var a = pointers[ids[0]], b = pointers[ids[1]], mid = function () {
          return { clientX: (a.x + b.x) / 2, clientY: (a.y + b.y) / 2, d: Math.hypot(a.x - b.x, a.y - b.y) };
        };
        pinch = pinch || mid();
        p.x = e.clientX;
        p.y = e.clientY;
        var m = mid();
        map.panBy(pinch.clientX - m.clientX, pinch.clientY - m.clientY);
        if (m.d > pinch.d * 1.5 || m.d < pinch.d / 1.5) { map.zoomBy(m.d > pinch.d ? 1 : -1, at(m)); } else { m.d = pinch.d; }
        pinch = m;
        return;
      }
      var dx = e.clientX - p.x, dy = e.clientY - p.y;
      if (!dragging) {
        if (Math.abs(dx) + Math.abs(dy) < 5) { return; }  // a click on a mark stays a click
        dragging = true;
        canvas.setPointerCapture(e.pointerId);
        canvas.classList.add("lmap-drag");
      }
      p.x = e.clientX;
      p.y = e.clientY;
      map.panBy(-dx, -dy);
    });
    function up(e) {
      delete pointers[e.pointerId];
      if ((dragging || pinch) && !Object.keys(pointers).length) {
        dragging = false;
        canvas.classList.remove("lmap-drag");
        map.moved();
      }
    }
    canvas.addEventListener("pointerup", up);
    canvas.addEventListener("pointercancel", up);
    canvas.addEventListener("wheel", function (e) {
      e.preventDefault();
      if (e.timeStamp - wheelAt < 300 || !e.deltaY) { return; }  // one step per turn of the wheel
      wheelAt = e.timeStamp;
      map.zoomBy(e.deltaY < 0 ? 1 : -1, at(e));
    }, { passive: false });
    canvas.addEventListener("dblclick", function (e) { if (onMap(e)) { map.zoomBy(1, at(e)); } });
    canvas.addEventListener("keydown", function (e) {
      var pan = { ArrowLeft: [-STEP, 0], ArrowRight: [STEP, 0], ArrowUp: [0, -STEP], ArrowDown: [0, STEP] }[e.key];
      if (e.target !== canvas || e.altKey || e.ctrlKey || e.metaKey) { return; }
      if (pan) {
        map.panBy(pan[0], pan[1]);
        map.moved();
      } else if (e.key === "+" || e.key === "=") {
        map.zoomBy(1);
      } else if (e.key === "-" || e.key === "_") {
        map.zoomBy(-1);
      } else {
        return;
      }
      e.preventDefault();
    });
    if (window.ResizeObserver) { new ResizeObserver(function () { map.render(); }).observe(canvas); }
  }
  SlippyMap.prototype = {
    size: function () { return [this.canvas.clientWidth, this.canvas.clientHeight]; },
    // Keeps the world's top and bottom edges out of the view (left and right repeat).
    clampCentre: function () {
      var s = SIZE * Math.pow(2, this.z), h = this.size()[1];
      this.c.x = clamp(this.c.x, 0, s);
      this.c.y = s > h ? clamp(this.c.y, h / 2, s - h / 2) : s / 2;
    },
    setView: function (lat, lng, z) {
      this.z = clamp(Math.round(z), MIN_ZOOM, MAX_ZOOM);
      this.c = project(lat, lng, this.z);
      this.clampCentre();
      this.render();
      this.moved();
    },
    panBy: function (dx, dy) {
      this.c.x += dx;
      this.c.y += dy;
      this.clampCentre();
      this.render();
    },
    // Zooms by `d` steps keeping the point at `offset` (from the centre, in pixels) where it is.
    zoomBy: function (d, offset) {
      var z = clamp(this.z + d, MIN_ZOOM, MAX_ZOOM), f = Math.pow(2, z - this.z), o = offset || [0, 0];
      if (z === this.z) { return; }
      this.c = { x: (this.c.x + o[0]) * f - o[0], y: (this.c.y + o[1]) * f - o[1] };
      this.z = z;
      this.clampCentre();
      this.render();
      this.moved();
    },
    // The view stopped moving: tell the owner once, after a short pause (held arrow keys, wheel turns).
    moved: function () {
      var map = this;
      clearTimeout(map.timer);
      map.timer = setTimeout(function () { map.onMove(map); }, 150);
    },
    // "west,south,east,north" of the view, inside the world's limits.
    bbox: function () {
      var size = this.size(), c = this.c;
      var nw = unproject(c.x - size[0] / 2, c.y - size[1] / 2, this.z), se = unproject(c.x + size[0] / 2, c.y + size[1] / 2, this.z);
      return [clamp(nw.lng, -180, 180), clamp(se.lat, -90, 90), clamp(se.lng, -180, 180), clamp(nw.lat, -90, 90)]
        .map(function (v) { return v.toFixed(5); }).join(",");
    },
    // The highest zoom (at most `most`) at which every point fits the view with `pad` pixels to spare.
    fitZoom: function (points, most, pad) {
      var size = this.size();
      for (var z = most; z > MIN_ZOOM; z--) {
        var xs = [], ys = [];
        points.forEach(function (p) { var q = project(+p.lat, +p.lng, z); xs.push(q.x); ys.push(q.y); });
        if (Math.max.apply(null, xs) - Math.min.apply(null, xs) <= size[0] - 2 * pad &&
            Math.max.apply(null, ys) - Math.min.apply(null, ys) <= size[1] - 2 * pad) { break; }
      }
      return z;
    },
    // The marks shown (each {lat, lng, node}), in reading order: top to bottom, then left to right.
    show: function (marks) {
      this.markLayer.textContent = "";
      this.marks = marks.sort(function (a, b) { return b.lat - a.lat || a.lng - b.lng; });
      this.marks.forEach(function (m) { this.markLayer.appendChild(m.node); }, this);
      this.render();
    },
    render: function () {
      var map = this, size = map.size(), z = map.z, n = Math.pow(2, z), keep = {};
      var left = map.c.x - size[0] / 2, top = map.c.y - size[1] / 2;
      function place(node, x, y) { node.style.transform = "translate(" + Math.round(x) + "px," + Math.round(y) + "px)"; }
      for (var ty = Math.max(0, Math.floor(top / SIZE)); ty <= Math.min(n - 1, Math.floor((top + size[1]) / SIZE)); ty++) {
        for (var tx = Math.floor(left / SIZE); tx <= Math.floor((left + size[0]) / SIZE); tx++) {
          var key = z + "/" + tx + "/" + ty, img = map.tiles[key], x = ((tx % n) + n) % n;
          if (!img) {
            img = map.tiles[key] = make("img", "", map.tileLayer);
            img.alt = "";
            img.draggable = false;
            img.onerror = function () { this.hidden = true; };
            img.src = map.template.replace("{s}", "abc"[(x + ty) % 3]).replace("{z}", z).replace("{x}", x)
              .replace("{y}", ty).replace("{r}", "");
          }
          place(img, tx * SIZE - left, ty * SIZE - top);
          keep[key] = true;
        }
      }
      Object.keys(map.tiles).forEach(function (key) {
        if (!keep[key]) { map.tiles[key].remove(); delete map.tiles[key]; }
      });
      map.marks.forEach(function (m) {
        var q = project(m.lat, m.lng, z), x = q.x - left, y = q.y - top;
        m.node.hidden = x < 0 || y < 0 || x > size[0] || y > size[1];  // out of sight: out of the tab order
        place(m.node, x, y);
      });
    }
  };
  SlippyMap.timeout = 10000;  // ms a view's reports may take to arrive
  window.LaporMap = SlippyMap;  // for the browser tests

  // A point: a link to its report named by its title (or, without a page, a labelled image).
  function pin(p) {
    var node = make(p.url ? "a" : "span", "map-pin");
    if (p.url) { node.href = p.url; } else { node.setAttribute("role", "img"); }
    node.setAttribute("aria-label", p.title);
    node.title = p.title;
    return { lat: +p.lat, lng: +p.lng, node: node };
  }

  document.querySelectorAll("[data-report-map]").forEach(function (box) {
    box.hidden = false;
    var open = box.querySelector("[data-open-map]");
    var canvas = box.querySelector(".report-map-canvas");
    var status = box.querySelector("[data-map-status]");
    var url = box.getAttribute("data-points-url");
    var pending = null;
    function label(name, n) { return status.getAttribute(name).replace("{n}", n); }
    // Each view's answer (or its failure) is said in the status line (aria-live); a failed one leaves the
    // marks of the last view, and the next move asks again.
    function refresh(map) {
      if (pending) { pending.abort(); }
      var request = pending = new AbortController();
      var late = setTimeout(function () { request.late = true; request.abort(); }, SlippyMap.timeout);
      fetch(url + (url.indexOf("?") >= 0 ? "&" : "?") + "bbox=" + map.bbox(), { signal: request.signal, headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          clearTimeout(late);
          var marks = data.points.map(function (p) {
            return pin({ lat: p.lat, lng: p.lng, title: p.title, url: "/laporan/" + encodeURIComponent(p.id) + "/" });
          });
          // Wide or crowded views: counts per grid cell from the server; choosing one zooms into its cell,
          // always closer than now (a cell that already fits the view would answer the same cluster again).
          data.clusters.forEach(function (c) {
            var size = c.count < 10 ? "small" : (c.count < 100 ? "medium" : "large");
            var button = make("button", "map-cluster map-cluster-" + size);
            button.type = "button";
            button.textContent = Number(c.count);
            button.title = status.getAttribute("data-cluster-label").replace("{n}", c.count);
            button.setAttribute("aria-label", button.title);
            button.addEventListener("click", function () {
              var z = map.fitZoom([{ lat: c.cell[0], lng: c.cell[1] }, { lat: c.cell[2], lng: c.cell[3] }], MAX_ZOOM, 0);
              if (document.activeElement === button) { canvas.focus(); }  // the button goes with the old view
              map.setView(c.lat, c.lng, Math.max(z, map.z + 2));
            });
            marks.push({ lat: +c.lat, lng: +c.lng, node: button });
          });
          map.show(marks);
          // A view too wide to count with these filters says so (the server's message, translated).
          status.textContent = label("data-zoom-label", map.z) + " " + (data.message ||
            (data.clusters.length ? label("data-clusters-label") : label(marks.length ? "data-points-label" : "data-empty-label", marks.length)));
        })
        .catch(function (e) {  // a server error, no network or no answer in time: the list still holds them
          clearTimeout(late);
          if (e.name !== "AbortError" || request.late) { status.textContent = label("data-failed-label"); }
        });
    }
    open.addEventListener("click", function () {
      open.hidden = true;
      open.setAttribute("aria-expanded", "true");
      canvas.hidden = false;
      canvas.reportMap = new SlippyMap(box, canvas, refresh);
      canvas.reportMap.setView(-2.5, 118, 5);
      canvas.focus();
    });
  });

  document.querySelectorAll("[data-staff-map]").forEach(function (box) {
    var points = JSON.parse(box.getAttribute("data-points") || "[]");
    if (!points.length) { return; }
    box.hidden = false;
    var map = new SlippyMap(box, box.querySelector(".staff-map-canvas"), function () {});
    var z = points.length === 1 ? 16 : map.fitZoom(points, 15, 24);
    var lats = points.map(function (p) { return +p.lat; }), lngs = points.map(function (p) { return +p.lng; });
    map.show(points.map(pin));
    // The middle of the points' extent (a Mercator midpoint is close enough at these zooms).
    map.setView((Math.max.apply(null, lats) + Math.min.apply(null, lats)) / 2, (Math.max.apply(null, lngs) + Math.min.apply(null, lngs)) / 2, z);
  });
})();
