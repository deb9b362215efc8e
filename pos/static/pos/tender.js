/* A card typed by hand at the point of sale (studio/card_field.js): once Stripe.js has answered,
   our server reads the tender's payment back and settles the tender. */
(function () {
  "use strict";
  if (window.atelierCardField) { window.atelierCardField("pos-card", window.atelierCardField.readBack); }
})();
