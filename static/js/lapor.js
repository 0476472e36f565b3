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
  // <div data-progress="42">: a progress bar's width (style attributes are refused by the CSP too).
  document.querySelectorAll("[data-progress]").forEach(function (bar) {
    var percent = Math.max(0, Math.min(100, parseInt(bar.getAttribute("data-progress"), 10) || 0));
    bar.style.width = percent + "%";
  });
})();
