/* The waiver editor: each body textarea becomes a Trix editor when Trix is loaded (from
   static/vendor/trix/); without it the page keeps plain textareas, and the server sanitises
   whatever is posted either way. No attachments: a waiver's text is words only. */
(function () {
  "use strict";
  document.addEventListener("trix-file-accept", function (event) { event.preventDefault(); });
  document.addEventListener("trix-attachment-add", function (event) {
    if (event.attachment && event.attachment.remove) { event.attachment.remove(); }
  });
  function localise() {
    // The toolbar's labels in the page's language, before any editor builds its toolbar.
    var data = document.getElementById("trix-lang");
    if (!data || !window.Trix || !window.Trix.config || !window.Trix.config.lang) return;
    try {
      var labels = JSON.parse(data.textContent);
      Object.keys(labels).forEach(function (key) { window.Trix.config.lang[key] = labels[key]; });
    } catch (error) { /* keep Trix's own labels */ }
  }
  function upgrade() {
    localise();
    var areas = document.querySelectorAll("textarea[data-editor=trix]");
    Array.prototype.forEach.call(areas, function (area) {
      if (area.dataset.upgraded) return;
      area.dataset.upgraded = "1";
      // Trix reads and writes the value of the element its `input` attribute names.
      var editor = document.createElement("trix-editor");
      editor.setAttribute("input", area.id);
      editor.setAttribute("lang", area.getAttribute("lang") || "");
      var label = document.querySelector("label[for='" + area.id + "']");
      if (label) { editor.setAttribute("aria-label", label.textContent.replace("*", "").trim()); }
      area.hidden = true;
      area.parentNode.insertBefore(editor, area.nextSibling);
    });
  }
  // Trix defines its element once it has loaded (possibly after this script runs); without
  // Trix (its files absent) the promise never settles and the textareas stay as they are.
  if (window.customElements) {
    window.customElements.whenDefined("trix-editor").then(function () {
      if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", upgrade);
      } else {
        upgrade();
      }
    });
  }
})();
