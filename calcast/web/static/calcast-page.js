/* calcast subscription pages: small enhancements; every page works without this script. */
(function () {
  "use strict";

  // One submission per form: the button turns into "Adding…" and cannot be pressed again.
  document.querySelectorAll("form.subscribe").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (!button) return;
      window.setTimeout(function () {
        button.dataset.label = button.textContent;
        button.disabled = true;
        if (form.dataset.submitting) button.textContent = form.dataset.submitting;
      }, 0);
    });
  });

  // Coming back with the browser's Back button shows the form ready again, not "Adding…".
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form.subscribe button[type=submit]").forEach(function (button) {
      button.disabled = false;
      if (button.dataset.label) button.textContent = button.dataset.label;
    });
  });

  // Copy the feed address.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.copy);
      if (!input) return;
      input.select();
      var done = function () { button.textContent = button.dataset.copied || button.textContent; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });

  // Tell the server which app was chosen (the subscription method), without holding up the click.
  var apps = document.querySelector(".apps[data-method-url]");
  if (apps && navigator.sendBeacon) {
    apps.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-app]") : null;
      if (!link) return;
      var body = new FormData();
      body.append("form_token", apps.dataset.formToken);
      body.append("app", link.dataset.app);
      navigator.sendBeacon(apps.dataset.methodUrl, body);
    });
  }
})();
