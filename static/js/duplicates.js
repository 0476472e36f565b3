// Likely duplicates while the citizen writes (progressive enhancement: without this script the form's
// "check" button shows the same list). Asks complaints:similar for an HTML fragment once the title,
// body or regency settle, and shows it above the form.
(function () {
  "use strict";
  var box = document.getElementById("duplicate-suggestions");
  var form = document.querySelector("form.report-form");
  if (!box || !form || !window.fetch || !window.URLSearchParams) { return; }
  var url = box.getAttribute("data-duplicates-url");
  var title = form.querySelector("[name=title]");
  var body = form.querySelector("[name=body]");
  var regency = form.querySelector("[name=regency]");
  if (!url || !title || !regency) { return; }
  var timer = null;
  var last = "";
  var ask = function () {
    var text = title.value.trim();
    if (text.length < 5 || !regency.value) { return; }
    var params = new URLSearchParams({
      regency: regency.value,
      title: text,
      body: body ? body.value.trim().slice(0, 1000) : ""
    }).toString();
    if (params === last) { return; }
    last = params;
    fetch(url + "?" + params, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (params === last) { box.innerHTML = html; } })
      .catch(function () { /* no suggestions: the form works as before */ });
  };
  var later = function () { clearTimeout(timer); timer = setTimeout(ask, 400); };
  title.addEventListener("input", later);
  if (body) { body.addEventListener("input", later); }
  regency.addEventListener("change", later);
})();
