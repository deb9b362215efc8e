/* Saving a card or bank account with Stripe's own fields. Nothing typed here is sent to Atelier:
   Stripe.js confirms the SetupIntent directly with Stripe; we then post only the consent. */
(function () {
  "use strict";
  var root = document.getElementById("save-method");
  if (!root || typeof window.Stripe !== "function") return;
  var d = root.dataset;
  // The page's language: Stripe.js labels its fields and words its errors in it.
  var stripe = window.Stripe(d.publishableKey, {stripeAccount: d.account, locale: d.locale || "auto"});
  var form = document.getElementById("save-method-form");
  var errorBox = document.getElementById("save-method-error");
  var submit = form.querySelector("button[type=submit]");
  var card = null;
  if (d.kind === "card") {
    card = stripe.elements({locale: d.locale}).create("card", {hidePostalCode: false});
    card.mount("#card-element");
    card.on("change", function (event) { showError(event.error ? event.error.message : ""); });
  }

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function csrf() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function complete() {
    var body = new URLSearchParams();
    body.set("consent", form.querySelector("input[name=consent]").checked ? "1" : "0");
    return fetch(d.completeUrl, {method: "POST", headers: {"X-CSRFToken": csrf()}, body: body,
                                 credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (result) {
        if (result.ok) { window.location.assign(result.redirect); return; }
        showError(result.error);
        submit.disabled = false;
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    showError("");
    var consent = form.querySelector("input[name=consent]");
    if (!consent.checked) { showError(d.consentMessage); consent.focus(); return; }
    submit.disabled = true;
    var billing = {name: d.holderName, email: d.holderEmail || undefined};
    var confirm;
    if (d.kind === "card") {
      confirm = stripe.confirmCardSetup(d.clientSecret, {payment_method: {card: card, billing_details: billing}});
    } else if (d.kind === "acss_debit") {
      confirm = stripe.confirmAcssDebitSetup(d.clientSecret, {payment_method: {billing_details: billing}});
    } else {
      confirm = stripe.collectBankAccountForSetup({clientSecret: d.clientSecret, params: {
        payment_method_type: "us_bank_account", payment_method_data: {billing_details: billing}}})
        .then(function (r) { return r.error ? r : stripe.confirmUsBankAccountSetup(d.clientSecret); });
    }
    confirm.then(function (result) {
      if (result.error) { showError(result.error.message); submit.disabled = false; return; }
      return complete();
    });
  });
})();
