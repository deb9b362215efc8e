// The POS screen's small behaviours (no inline scripts):
// - a scanned barcode that was added clears the search box and keeps the focus there, ready for
//   the next scan (the server says so with the "posCodeAdded" event);
// - "New sale" cannot be sent twice by a double tap (the one-time token already makes a second
//   POST open the same sale; this only spares the round trip).
(function () {
  "use strict";
  document.addEventListener("posCodeAdded", function () {
    var search = document.getElementById("pos-search-q");
    if (search) {
      search.value = "";
      search.focus();
      // A filter request the scanner's keystrokes scheduled would show only the scanned product:
      // the emptied box schedules the whole catalogue again in its place (htmx's delay restarts).
      search.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) { return; }
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
  // After a cart change the focused button may have been replaced: htmx keeps the focus on an
  // element with the same id; when that element is gone (a line removed), focus the cart's heading
  // so the keyboard user stays in the cart.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "pos-cart" && document.activeElement === document.body) {
      var heading = document.getElementById("pos-cart-title");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    }
  });
})();
// The tender panel (helper tender's) swaps itself into #pos-tender. Its first tender freezes the
// cart: while the cart still shows its editing controls, read it again after each such swap.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.target || event.target.id !== "pos-tender" || !window.htmx) { return; }
    if (event.detail && event.detail.requestConfig && event.detail.requestConfig.path &&
        event.detail.requestConfig.path.indexOf("/add/") !== -1) { return; }
    var cart = document.querySelector("#pos-cart [data-cart-open='1']");
    var screen = document.querySelector(".pos-screen[data-sale-url]");
    if (cart && screen) {
      window.htmx.ajax("GET", screen.getAttribute("data-sale-url"), { target: "#pos-cart", swap: "innerHTML" });
    }
  });
})();
