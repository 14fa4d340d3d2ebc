/*
 * calcast pages inside the button's lightbox (?embed=1): Escape pressed in the page closes the lightbox.
 * Once the visitor clicks into the form, keys go to this frame, not to the brand's page. The button script
 * greets the frame after each page load; the page relays Escape to that window only, at the origin that
 * greeted it, and the button script accepts the relay only from its own frame at calcast's origin.
 */
(function () {
  "use strict";
  if (window.parent === window) return;
  var host = null;

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data || event.data.calcast !== "hello") return;
    host = event.origin;
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !host) return;
    event.preventDefault();
    window.parent.postMessage({ calcast: "escape" }, host);
  });
})();
