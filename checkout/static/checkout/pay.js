/* Paying an online order. No card detail passes through Atelier: Stripe's fields (or the bank's
   3-D Secure step) talk to Stripe directly, then the page goes to our return page, which reads
   the payment back from Stripe and settles the order. */
(function () {
  "use strict";

  function showError(box, message) {
    if (!box) return;
    box.textContent = message || "";
    box.hidden = !message;
  }

  // The review page: one press of Pay (the server answers a second one with the first's result).
  var payForm = document.getElementById("checkout-pay-form");
  if (payForm) {
    payForm.addEventListener("submit", function () {
      var button = payForm.querySelector("[data-testid=pay-button]");
      if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
    });
  }

  // A new card: Stripe's card field (studio/card_field.js); whatever Stripe.js said, the return
  // page reads the payment back and says what happened.
  if (window.atelierCardField) {
    window.atelierCardField("checkout-card", function (data) { window.location.assign(data.returnUrl); });
  }

  // 3-D Secure for a saved card: the bank's step, then the return page again.
  var confirmRoot = document.getElementById("checkout-confirm");
  var confirmButton = document.getElementById("checkout-confirm-button");
  if (confirmRoot && confirmButton && typeof window.Stripe === "function") {
    var d = confirmRoot.dataset;
    var confirmError = document.getElementById("checkout-confirm-error");
    confirmButton.addEventListener("click", function () {
      showError(confirmError, "");
      confirmButton.disabled = true;
      var s = window.Stripe(d.publishableKey, {stripeAccount: d.account, locale: d.locale || "auto"});
      s.confirmCardPayment(d.clientSecret).then(function () {
        window.location.assign(d.returnUrl);
      }).catch(function () { confirmButton.disabled = false; });
    });
  }

  // Waiting for Stripe's answer: ask our server every two seconds.
  var pending = document.getElementById("checkout-pending");
  if (pending) {
    var tries = 0;
    var poll = function () {
      tries += 1;
      fetch(pending.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          if (answer.status !== "pending" && answer.redirect) { window.location.assign(answer.redirect); return; }
          if (tries < 90) { window.setTimeout(poll, 2000); }
        })
        .catch(function () { if (tries < 90) { window.setTimeout(poll, 4000); } });
    };
    window.setTimeout(poll, 1500);
  }
})();
