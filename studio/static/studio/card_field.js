/* Stripe's card field on one of our pages (an online order, a payment link, a card typed at the
   till): Stripe's own fields collect the card and Stripe.js confirms the payment with Stripe
   (3-D Secure when the bank asks); no card detail passes through Atelier. The page's markup is
   `#<prefix>` (its data: publishableKey, account, locale, clientSecret), `#<prefix>-form` and
   `#<prefix>-error`; `settle(data, showError)` runs once Stripe.js has answered, whatever it said
   (our server reads the payment back: it alone decides what happened). */
(function () {
  "use strict";

  function cardField(prefix, settle) {
    var root = document.getElementById(prefix);
    if (!root || typeof window.Stripe !== "function") return;
    var d = root.dataset;
    var stripe = window.Stripe(d.publishableKey, {stripeAccount: d.account, locale: d.locale || "auto"});
    var card = stripe.elements({locale: d.locale}).create("card", {hidePostalCode: true});
    card.mount("#card-element");
    var form = document.getElementById(prefix + "-form");
    var errorBox = document.getElementById(prefix + "-error");
    var submit = form.querySelector("button[type=submit]");

    function showError(message) {
      errorBox.textContent = message || "";
      errorBox.hidden = !message;
    }
    card.on("change", function (event) { showError(event.error ? event.error.message : ""); });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      showError("");
      submit.disabled = true;
      stripe.confirmCardPayment(d.clientSecret, {payment_method: {card: card}}).then(function (result) {
        if (result.error) { showError(result.error.message); }
        return settle(d, showError);
      }).catch(function () { submit.disabled = false; });
    });
  }

  // The server's read-back of the payment (`data.doneUrl`, POST with the form's CSRF token), then
  // where it sends the page; `showError` says a refusal first when the answer words one.
  function readBack(data, showError) {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    return fetch(data.doneUrl, {method: "POST", credentials: "same-origin",
                                headers: {"X-CSRFToken": token ? token.value : "", "Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (answer.status === "failed" && answer.message) { showError(answer.message); }
        window.location.assign(answer.redirect);
      });
  }

  window.atelierCardField = cardField;
  window.atelierCardField.readBack = readBack;
})();
