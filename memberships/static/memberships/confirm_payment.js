/* The client confirms a membership renewal on-session: our server creates and confirms the
   payment; when the bank asks for 3-D Secure, Stripe.js shows the bank's step and we then ask our
   server to read the payment back. No card detail passes through Atelier. */
(function () {
  "use strict";
  var root = document.getElementById("renewal-pay");
  var button = document.getElementById("renewal-confirm-button");
  if (!root || !button || typeof window.Stripe !== "function") return;
  var d = root.dataset;
  var errorBox = document.getElementById("renewal-pay-error");

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function post(url) {
    return fetch(url, {method: "POST", headers: {"X-CSRFToken": csrf()}, credentials: "same-origin"})
      .then(function (r) { return r.json(); });
  }
  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
    button.disabled = false;
  }
  function finish(answer) {
    // A refusal is said here, on the page; anything else (paid, processing) reloads the page's state.
    if (answer.message && answer.status !== "succeeded" && answer.status !== "pending") {
      showError(answer.message);
      return;
    }
    window.location.assign(answer.redirect);
  }

  button.addEventListener("click", function () {
    showError("");
    button.disabled = true;
    post(d.confirmUrl).then(function (answer) {
      if (answer.status !== "requires_action") { finish(answer); return; }
      var stripe = window.Stripe(d.publishableKey, {stripeAccount: answer.account, locale: d.locale || "auto"});
      return stripe.confirmCardPayment(answer.client_secret).then(function () {
        // Whatever Stripe.js says, the server reads the payment back and records it.
        return post(d.doneUrl).then(finish);
      });
    }).catch(function () { showError(""); });
  });
})();
