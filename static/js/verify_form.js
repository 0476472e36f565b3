// The verification form: "Jenis pengaduan" is required while the classification is a complaint.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var classification = document.querySelector("select[data-requires-kind]");
    var kind = document.getElementById("id_complaint_kind");
    if (!classification || !kind) return;
    var label = document.querySelector("label[for='id_complaint_kind']");
    function sync() {
      var required = classification.value === classification.getAttribute("data-requires-kind");
      kind.required = required;
      if (label) label.classList.toggle("required", required);
    }
    classification.addEventListener("change", sync);
    sync();
  });
})();
