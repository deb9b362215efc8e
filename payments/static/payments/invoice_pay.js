/* Invoices (PAY-11). The staff page's "Copy" button; and the payment link's card page: Stripe's own
   fields collect the card, Stripe.js confirms the part's payment with Stripe (3-D Secure when the
   bank asks), then our server reads the payment back and brings the invoice up to date. No card
   detail passes through Atelier. */
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.querySelector(button.dataset.copy);
      if (!input) return;
      input.select();
      if (navigator.clipboard) navigator.clipboard.writeText(input.value);
    });
  });

  var root = document.getElementById("invoice-card");
  if (!root || typeof window.Stripe !== "function") return;
  var d = root.dataset;
  var stripe = window.Stripe(d.publishableKey, {stripeAccount: d.account, locale: d.locale || "auto"});
  var card = stripe.elements({locale: d.locale}).create("card", {hidePostalCode: true});
  card.mount("#card-element");
  var form = document.getElementById("invoice-card-form");
  var errorBox = document.getElementById("invoice-card-error");
  var submit = form.querySelector("button[type=submit]");

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }
  card.on("change", function (event) { showError(event.error ? event.error.message : ""); });

  function csrf() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function done() {
    // Whatever Stripe.js said, the server reads the payment back: it alone updates the invoice.
    return fetch(d.doneUrl, {method: "POST", headers: {"X-CSRFToken": csrf(), "Accept": "application/json"},
                             credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (answer) { window.location.assign(answer.redirect); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    showError("");
    submit.disabled = true;
    stripe.confirmCardPayment(d.clientSecret, {payment_method: {card: card}}).then(function (result) {
      if (result.error) { showError(result.error.message); }
      return done();
    }).catch(function () { submit.disabled = false; });
  });
})();
