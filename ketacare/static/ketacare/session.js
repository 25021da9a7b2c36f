/* The session page's device countdown: an element with data-countdown="<seconds>" counts
   down to the next intranasal device once a second, from the server's remaining time. The
   button stays usable: the server decides, and its refusal shows the remaining time. */
(function () {
  "use strict";
  /* A refused action answers the page itself (422) at the action's URL: put the page's
     own URL back, so a reload shows the page instead of posting the action again. */
  var home = document.querySelector("[data-page-url]");
  if (home && window.location.pathname !== home.getAttribute("data-page-url")) {
    window.history.replaceState(null, "", home.getAttribute("data-page-url"));
  }
  function tick(el, until) {
    var left = Math.max(0, Math.round((until - Date.now()) / 1000));
    if (left === 0) {
      el.textContent = "The next device may be given now.";
      el.setAttribute("data-ready", "true");
      return;
    }
    var seconds = String(left % 60).padStart(2, "0");
    el.textContent = "Next device in " + Math.floor(left / 60) + ":" + seconds;
    setTimeout(function () { tick(el, until); }, 1000);
  }
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    tick(el, Date.now() + 1000 * Number(el.getAttribute("data-countdown")));
  });
})();
