/*
 * calcast button: opens a calendar's landing page in a lightbox on the brand's own site.
 *
 *   <a href="https://calendar.example.com/brand/calendar" data-calcast-button>Add to my calendar</a>
 *   <script src="https://calendar.example.com/static/calcast-button.js" async></script>
 *
 * Without JavaScript (or with a modifier key) the link simply opens the landing page.
 * Links in Rokt Calendar's widget form (data-popup="lightbox") work too.
 *
 * The visitor's identity travels as a pair: `external_id` and the brand's signature of it, `sig`. The link's own
 * pair is kept as it is; a link without one takes the pair from the address of the page it is on (a signed link
 * from a Braze message to the brand's page), so the landing page can trust the id.
 */
(function () {
  "use strict";
  if (window.calcastButton) return;

  var SELECTOR = "a[data-calcast-button], a[data-popup='lightbox']";
  var IDENTITY = ["external_id", "sig"];
  var overlay = null;
  var opener = null;
  var frame = null;
  var frameOrigin = null;
  var lentViewport = null;

  function closeLabel() {
    var lang = (document.documentElement.lang || navigator.language || "en").toLowerCase();
    return lang.indexOf("de") === 0 ? "Schließen" : "Close";
  }

  function embedded(href) {
    var url = new URL(href, window.location.href);
    var page = new URL(window.location.href).searchParams;
    if (!url.searchParams.has("external_id") && page.get("external_id")) {
      IDENTITY.forEach(function (name) {
        if (page.has(name)) url.searchParams.set(name, page.get(name));
      });
    }
    url.searchParams.set("embed", "1");
    return url.toString();
  }

  // Escape pressed inside the framed page arrives as a message (calcast-embed.js), only from our frame.
  function onMessage(event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== frameOrigin) return;
    if (event.data && event.data.calcast === "escape") close();
  }

  function greetFrame() {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage({ calcast: "hello" }, frameOrigin);
  }

  // A page without a viewport tag is laid out 980px wide on phones, which shrinks the lightbox to a
  // fraction of the screen: lend one while the lightbox is open.
  function lendViewport() {
    if (document.querySelector("meta[name='viewport']")) return;
    lentViewport = document.createElement("meta");
    lentViewport.name = "viewport";
    lentViewport.content = "width=device-width, initial-scale=1";
    document.head.appendChild(lentViewport);
  }

  function close() {
    if (!overlay) return;
    document.removeEventListener("keydown", onKey, true);
    window.removeEventListener("message", onMessage);
    if (lentViewport) { lentViewport.parentNode.removeChild(lentViewport); lentViewport = null; }
    frame = null;
    overlay.parentNode.removeChild(overlay);
    overlay = null;
    document.documentElement.style.overflow = "";
    if (opener && opener.focus) opener.focus();
  }

  function onKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Tab" && overlay) {
      // Keep the keyboard inside the dialog: the close button and the page in the frame.
      var items = overlay.querySelectorAll("button, iframe");
      var first = items[0], last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    }
  }

  function open(link) {
    close();
    opener = link;
    lendViewport();
    var title = link.getAttribute("data-title") || link.textContent.trim() || "Calendar";

    overlay = document.createElement("div");
    overlay.className = "calcast-lightbox";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", title);
    var s = overlay.style;
    s.position = "fixed"; s.inset = "0"; s.zIndex = "2147483647";
    s.display = "flex"; s.alignItems = "center"; s.justifyContent = "center";
    s.background = "rgba(0, 0, 0, 0.6)"; s.padding = "0";

    var box = document.createElement("div");
    var b = box.style;
    b.position = "relative"; b.width = "100%"; b.maxWidth = "600px"; b.height = "100%"; b.maxHeight = "820px";
    b.background = "#fff"; b.borderRadius = window.innerWidth > 640 ? "12px" : "0"; b.overflow = "hidden";
    b.boxShadow = "0 10px 40px rgba(0, 0, 0, 0.35)";

    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "×";
    button.setAttribute("aria-label", closeLabel());
    var c = button.style;
    c.position = "absolute"; c.top = "8px"; c.right = "8px"; c.width = "44px"; c.height = "44px";
    c.border = "0"; c.borderRadius = "22px"; c.background = "#1b1f24"; c.color = "#fff";
    c.font = "bold 26px/44px system-ui, sans-serif"; c.cursor = "pointer"; c.zIndex = "1";
    button.addEventListener("click", close);

    frame = document.createElement("iframe");
    frame.src = embedded(link.href);
    frameOrigin = new URL(frame.src).origin;
    frame.addEventListener("load", greetFrame);
    frame.title = title;
    var f = frame.style;
    f.width = "100%"; f.height = "100%"; f.border = "0"; f.display = "block";

    box.appendChild(button);
    box.appendChild(frame);
    overlay.appendChild(box);
    overlay.addEventListener("click", function (event) { if (event.target === overlay) close(); });
    document.addEventListener("keydown", onKey, true);
    window.addEventListener("message", onMessage);
    document.documentElement.style.overflow = "hidden";
    document.body.appendChild(overlay);
    button.focus();
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var link = event.target.closest ? event.target.closest(SELECTOR) : null;
    if (!link || !link.href) return;
    event.preventDefault();
    open(link);
  });

  window.calcastButton = { open: open, close: close };
})();
