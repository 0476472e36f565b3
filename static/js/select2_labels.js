"use strict";
// The admin's agency search boxes (Django's select2 autocomplete) carry the name of their field's
// label, so a screen reader says what they are for (WCAG 4.1.2; axe "aria-input-field-name", "label").
// Runs on "load" (the media order puts this file before select2), then after the admin's own ready
// handler, which builds the boxes (jQuery runs ready handlers one after another, asynchronously).
window.addEventListener("load", function () {
  const $ = window.django && window.django.jQuery;
  if (!$ || !$.fn.select2) {
    return;
  }
  function name(root, label) {
    const text = label.textContent.replace(/:\s*$/, "").trim();
    root.querySelectorAll(".select2-selection").forEach(function (el) {
      const rendered = el.querySelector(".select2-selection__rendered[id]");
      el.setAttribute("aria-labelledby", label.id + (rendered ? " " + rendered.id : ""));
      el.setAttribute("aria-label", text);
    });
    root.querySelectorAll(".select2-selection__rendered, .select2-search__field").forEach(function (el) {
      el.setAttribute("aria-label", text);
    });
  }
  function label(select) {
    const label = document.querySelector('label[for="' + select.id + '"]');
    const box = select.nextElementSibling;
    if (!label || !box || !box.classList.contains("select2")) {
      return;
    }
    label.id = label.id || select.id + "-label";
    name(box, label);
    $(select).on("select2:open select2:select select2:unselect", function () {
      name(box, label);
      document.querySelectorAll(".select2-container--open").forEach(function (open) {
        name(open, label);
      });
    });
  }
  $(function () {
    window.setTimeout(function () {
      document.querySelectorAll("select.admin-autocomplete").forEach(label);
    }, 0);
  });
});
