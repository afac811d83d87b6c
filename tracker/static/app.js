// Served by the app (no CDN); no inline handlers, so the Content-Security-Policy can forbid inline script.
document.addEventListener("submit", function (event) {
  var button = event.submitter;  // a button of a form with several actions may ask on its own
  var message = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) { event.preventDefault(); }
});
document.addEventListener("click", function (event) {
  var action = event.target.closest ? event.target.closest("[data-action]") : null;
  if (!action) { return; }
  if (action.getAttribute("data-action") === "print") { event.preventDefault(); window.print(); }
  if (action.getAttribute("data-action") === "back") { event.preventDefault(); window.history.back(); }
});
