/* Behaviour for every page, in a file rather than inline handlers, so the
   Content-Security-Policy can forbid inline script (docs/security.md).
   - select[data-autosubmit]: choosing an option submits its form (the clinic switcher).
   - .tabs a: the clicked tab becomes the selected one (the chart tabs, loaded by htmx). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-autosubmit]");
    if (select && select.form) { select.form.submit(); }
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
