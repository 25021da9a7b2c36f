/* KetaCare self-report form: progressive enhancement only; the form works without it.
   - Crisis resources show at once when an answer at or above an item's
     data-crisis-from value is chosen (the server shows them after saving otherwise).
   - The progress bar follows the answers as they are chosen.
   - An error summary takes the focus, so keyboard and screen-reader users hear it. */
(function () {
  "use strict";

  function revealCrisis(form, fieldset) {
    var box = document.getElementById("crisis");
    if (!box) { return; }
    // Right under the question just answered, so it is on screen now.
    if (fieldset && fieldset.nextElementSibling !== box) {
      fieldset.parentNode.insertBefore(box, fieldset.nextSibling);
    }
    if (box.hidden) {
      box.hidden = false;
      // Re-setting the text makes screen readers announce the alert.
      var text = box.querySelector(".sr-crisis-text");
      if (text) { text.innerHTML = text.innerHTML; }
    }
  }

  function updateProgress(form) {
    var fieldsets = form.querySelectorAll("fieldset.sr-item");
    var answered = 0;
    fieldsets.forEach(function (fs) {
      if (fs.querySelector("input[type=radio]:checked")) { answered += 1; }
    });
    var count = form.querySelector("[data-answered]");
    var bar = form.querySelector("progress");
    if (count) { count.textContent = String(answered); }
    if (bar) { bar.value = answered; bar.textContent = answered + " of " + bar.max; }
  }

  function onChange(form, event) {
    var input = event.target;
    if (!input || input.type !== "radio") { return; }
    var fieldset = input.closest("fieldset");
    updateProgress(form);
    if (!fieldset || !fieldset.hasAttribute("data-crisis-from")) { return; }
    var from = Number(fieldset.getAttribute("data-crisis-from"));
    var value = Number(input.value);
    if (!isNaN(from) && !isNaN(value) && value >= from) {
      revealCrisis(form, fieldset);
    }
  }

  function init() {
    var form = document.querySelector("form[data-selfreport]");
    if (!form) { return; }
    form.addEventListener("change", function (event) { onChange(form, event); });
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
