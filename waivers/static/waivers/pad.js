/* Waiver signing pad: our glue on top of signature_pad (static/vendor/signature_pad/).
 *
 * Finds every [data-signature-pad] inside a form, shows it (it stays hidden without JavaScript,
 * where the form falls back to its checkbox), and keeps the form's hidden inputs "signature"
 * (a PNG data URL) and "strokes" (how many strokes were drawn) in step with the drawing.
 * signature_pad listens to pointer events, so a finger, a pen and a mouse all draw.
 * The canvas is sized in device pixels (sharp on high-DPI screens) and redrawn from its strokes
 * when the page is resized or the tablet turned. An empty pad never submits: where a drawing is
 * required, or where the checkbox is not ticked either, the submit is stopped with a message.
 */
(function () {
  "use strict";

  function setUp(root) {
    var form = root.closest("form");
    var canvas = root.querySelector("[data-pad-canvas]");
    if (!form || !canvas || typeof window.SignaturePad !== "function") {
      return;
    }
    var dataInput = form.querySelector("input[name=signature]");
    var strokesInput = form.querySelector("input[name=strokes]");
    var message = root.querySelector("[data-pad-message]");
    var clearButton = root.querySelector("[data-pad-clear]");
    var accept = form.querySelector("input[name=accept]");
    var required = root.getAttribute("data-required") === "true";

    root.hidden = false;
    var pad = new window.SignaturePad(canvas, {
      minWidth: 0.8,
      maxWidth: 2.8,
      penColor: "#111827",
      backgroundColor: "rgba(0,0,0,0)" // transparent: the server can tell a blank pad
    });

    function strokeCount() {
      return pad.toData().length;
    }

    function write() {
      if (pad.isEmpty()) {
        dataInput.value = "";
        strokesInput.value = "0";
      } else {
        dataInput.value = pad.toDataURL("image/png");
        strokesInput.value = String(strokeCount());
      }
    }

    function showMessage(show) {
      if (message) {
        message.hidden = !show;
      }
      root.classList.toggle("pad-error", show);
    }

    function resize() {
      // Keep the strokes, resize the bitmap to the CSS size × the pixel ratio, draw them again.
      var strokes = pad.toData();
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var width = canvas.offsetWidth;
      var height = canvas.offsetHeight;
      if (!width || !height) {
        return;
      }
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (strokes.length) {
        pad.fromData(strokes);
      }
      write();
    }

    pad.addEventListener("endStroke", function () {
      write();
      showMessage(false);
    });

    if (clearButton) {
      clearButton.addEventListener("click", function () {
        pad.clear();
        write();
        canvas.focus();
      });
    }

    if (accept) {
      accept.addEventListener("change", function () {
        if (accept.checked) {
          showMessage(false);
        }
      });
    }

    form.addEventListener("submit", function (event) {
      write();
      var accepted = accept && accept.checked;
      if (pad.isEmpty() && (required || !accepted)) {
        event.preventDefault();
        showMessage(true);
        canvas.focus();
      }
    });

    var timer = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(resize, 100);
    });
    resize();
  }

  function start() {
    var pads = document.querySelectorAll("[data-signature-pad]");
    for (var i = 0; i < pads.length; i += 1) {
      setUp(pads[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
