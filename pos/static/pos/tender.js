/* A card typed by hand at the point of sale: Stripe's own fields collect it and Stripe.js confirms
   the tender's payment directly with Stripe; we then ask our server to read the payment back (it
   settles the tender). No card detail passes through Atelier. */
(function () {
  "use strict";
  var root = document.getElementById("pos-card");
  if (!root || typeof window.Stripe !== "function") return;
  var d = root.dataset;
  var stripe = window.Stripe(d.publishableKey, {stripeAccount: d.account, locale: d.locale || "auto"});
  var card = stripe.elements({locale: d.locale}).create("card", {hidePostalCode: true});
  card.mount("#card-element");
  var form = document.getElementById("pos-card-form");
  var errorBox = document.getElementById("pos-card-error");
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
    // Whatever Stripe.js said, the server reads the payment back: it alone settles the tender.
    return fetch(d.doneUrl, {method: "POST", headers: {"X-CSRFToken": csrf(), "Accept": "application/json"},
                             credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (answer.status === "failed" && answer.message) { showError(answer.message); }
        window.location.assign(answer.redirect);
      });
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
