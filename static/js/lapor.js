// Behaviour every page shares, wired by data attributes: the Content-Security-Policy allows no
// inline script or event handler, so templates mark elements and this file acts on them.
(function () {
  "use strict";
  // <select data-autosubmit>: submit its form on change (the language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
  // <button data-print>: open the browser's print dialog (the Ombudsman case file).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
  // <button data-bs-toggle="collapse" data-bs-target="#id">: show or hide that element (the navigation
  // on a narrow screen). The only part of Bootstrap's script the pages used: its 80 KB are not sent.
  document.querySelectorAll('[data-bs-toggle="collapse"]').forEach(function (button) {
    var target = document.querySelector(button.getAttribute("data-bs-target"));
    if (!target) return;
    button.addEventListener("click", function () {
      var open = target.classList.toggle("show");
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.classList.toggle("collapsed", !open);
    });
  });
  // <div data-progress="42">: a progress bar's width (style attributes are refused by the CSP too).
  document.querySelectorAll("[data-progress]").forEach(function (bar) {
    var percent = Math.max(0, Math.min(100, parseInt(bar.getAttribute("data-progress"), 10) || 0));
    bar.style.width = percent + "%";
  });
})();
