// Site-wide behaviour, kept out of inline scripts.
// A refusal shown in #live-alerts (studio/middleware.py) belongs to the request that caused it:
// the next request the person makes clears it.
document.addEventListener("htmx:beforeRequest", function () {
  var alerts = document.getElementById("live-alerts");
  if (alerts) { alerts.textContent = ""; }
});
