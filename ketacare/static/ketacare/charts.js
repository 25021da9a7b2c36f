/* KetaCare trend charts: each element with data-figure names a <script type="application/json">
   (Django's json_script) holding a Plotly figure built on the server. Plotly itself is loaded
   once, from this server (data-plotly-src, the installed plotly package), when a chart needs
   it. Works for a full page load and for a tab swapped in by htmx. */
(function () {
  "use strict";
  if (window.KetaCareCharts) {
    window.KetaCareCharts.render(document);
    return;
  }
  var waiting = [];
  var loading = false;

  function withPlotly(src, callback) {
    if (window.Plotly) { callback(); return; }
    waiting.push(callback);
    if (loading) { return; }
    loading = true;
    var script = document.createElement("script");
    script.src = src;
    script.onload = function () {
      var queued = waiting; waiting = [];
      queued.forEach(function (fn) { fn(); });
    };
    document.head.appendChild(script);
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source || !window.Plotly) { return; }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(el, figure.data, figure.layout, {
      displaylogo: false, responsive: true,
      modeBarButtonsToRemove: ["select2d", "lasso2d"]
    });
    el.setAttribute("data-rendered", "true");
  }

  function render(root) {
    var charts = (root || document).querySelectorAll("[data-figure]:not([data-rendered])");
    charts.forEach(function (el) {
      el.setAttribute("data-rendered", "pending");
      withPlotly(el.getAttribute("data-plotly-src"), function () { draw(el); });
    });
  }

  window.KetaCareCharts = { render: render };
  document.addEventListener("htmx:afterSettle", function (event) { render(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { render(document); });
  } else {
    render(document);
  }
})();
