/* Invoices (PAY-11): the staff page's "Copy" button, and the payment link's card page. */
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

  // The payment link's card page (studio/card_field.js): once Stripe.js has answered, our server
  // reads the part's payment back and brings the invoice up to date.
  if (window.atelierCardField) { window.atelierCardField("invoice-card", window.atelierCardField.readBack); }
})();
