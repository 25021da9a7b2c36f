/* Behaviour for every page, in a file rather than inline handlers, so the
   Content-Security-Policy can forbid inline script (docs/security.md).
   - select[data-autosubmit]: choosing an option submits its form (the clinic switcher).
   - .tabs a: the clicked tab becomes the selected one (the chart tabs, loaded by htmx).
   - button[data-answer-unknown]: in its form, every three-way question still answered
     "Unknown" is answered with the button's value (the screening's "No to all still
     unknown"); each answer stays visible and can be changed before the form is sent. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-autosubmit]");
    if (select && select.form) { select.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-answer-unknown]");
    if (!button || !button.form) { return; }
    var answer = button.getAttribute("data-answer-unknown");
    var changed = 0;
    button.form.querySelectorAll("input[type=radio][value=unknown]:checked").forEach(function (unknown) {
      var choice = button.form.querySelector(
        "input[type=radio][name='" + unknown.name + "'][value='" + answer + "']");
      if (choice) { choice.checked = true; changed += 1; }
    });
    var status = button.form.querySelector("[data-answer-unknown-status]");
    if (status) {
      status.textContent = changed + " answer" + (changed === 1 ? "" : "s") +
        " set to \u201c" + answer.charAt(0).toUpperCase() + answer.slice(1) + "\u201d.";
    }
  });
  document.addEventListener("click", function (event) {
    var tab = event.target.closest && event.target.closest(".tabs a[role=tab]");
    if (!tab) { return; }
    tab.closest(".tabs").querySelectorAll("a[role=tab]").forEach(function (t) {
      t.classList.remove("active");
      t.removeAttribute("aria-selected");
    });
    tab.classList.add("active");
    tab.setAttribute("aria-selected", "true");
  });
})();
