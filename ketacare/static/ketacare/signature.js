/* KetaCare consent signature pad: progressive enhancement only. Without script (or for
   keyboard users) the typed name alone signs. With script, strokes drawn on the canvas
   (mouse, pen or finger) are kept as SVG path data ("M x y L x y ...", in a 600×200 box)
   in the hidden input; the server builds the SVG from that path data only. */
(function () {
  "use strict";

  function setup(pad) {
    var canvas = pad.querySelector("canvas");
    var input = pad.querySelector("input[type=hidden]");
    var clear = pad.querySelector("[data-signature-clear]");
    if (!canvas || !input || !canvas.getContext) { return; }
    pad.hidden = false;
    var ctx = canvas.getContext("2d");
    var strokes = [];
    var current = null;

    function point(event) {
      var box = canvas.getBoundingClientRect();
      var x = (event.clientX - box.left) * (600 / box.width);
      var y = (event.clientY - box.top) * (200 / box.height);
      return [Math.round(Math.max(0, Math.min(600, x))), Math.round(Math.max(0, Math.min(200, y)))];
    }

    function redraw() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.lineWidth = 3;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#000";
      strokes.forEach(function (stroke) {
        ctx.beginPath();
        stroke.forEach(function (p, i) {
          if (i === 0) { ctx.moveTo(p[0], p[1]); } else { ctx.lineTo(p[0], p[1]); }
        });
        if (stroke.length === 1) { ctx.lineTo(stroke[0][0] + 0.5, stroke[0][1]); }
        ctx.stroke();
      });
    }

    function save() {
      input.value = strokes.map(function (stroke) {
        return stroke.map(function (p, i) {
          return (i === 0 ? "M" : "L") + p[0] + " " + p[1];
        }).join(" ");
      }).join("|");
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      current = [point(event)];
      strokes.push(current);
      redraw();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!current) { return; }
      event.preventDefault();
      current.push(point(event));
      redraw();
    });
    function end() { if (current) { current = null; save(); } }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    if (clear) {
      clear.addEventListener("click", function () { strokes = []; save(); redraw(); });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-signature-pad]").forEach(setup);
  });
})();
