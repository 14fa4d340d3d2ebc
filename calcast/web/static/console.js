/* calcast console: small enhancements; every page works without this script (the ↑ ↓ buttons order tags). */
(function () {
  "use strict";

  // Tags ordered by drag and drop: the new order is sent as the ↑ ↓ buttons would, then the page reloads.
  var list = document.getElementById("tag-list");
  if (list && list.dataset.orderUrl) {
    var dragged = null;
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest ? event.target.closest("li[data-tag-id]") : null;
      if (!dragged) return;
      dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.tagId);
    });
    list.addEventListener("dragover", function (event) {
      var over = event.target.closest ? event.target.closest("li[data-tag-id]") : null;
      if (!dragged || !over || over === dragged) return;
      event.preventDefault();
      var box = over.getBoundingClientRect();
      list.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? over.nextSibling : over);
    });
    list.addEventListener("drop", function (event) { if (dragged) event.preventDefault(); });
    list.addEventListener("dragend", function () {
      if (!dragged) return;
      dragged.classList.remove("dragging");
      dragged = null;
      var body = new URLSearchParams();
      body.append("csrf_token", list.dataset.csrf);
      list.querySelectorAll("li[data-tag-id]").forEach(function (item) { body.append("tag_ids", item.dataset.tagId); });
      fetch(list.dataset.orderUrl, { method: "POST", body: body, credentials: "same-origin" }).then(function () {
        window.location.reload();
      });
    });
  }

  // The preview's times in the reader's own time zone (the page shows the event's zone without script).
  document.querySelectorAll("time[data-local]").forEach(function (time) {
    var start = new Date(time.getAttribute("datetime"));
    var end = new Date(time.dataset.end);
    if (isNaN(start) || isNaN(end)) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var day = { weekday: "short", year: "numeric", month: "short", day: "numeric" };
    var clock = { hour: "2-digit", minute: "2-digit" };
    var sameDay = start.toDateString() === end.toDateString();
    var text = start.toLocaleString(undefined, Object.assign({}, day, clock)) + " – " +
      (sameDay ? end.toLocaleTimeString(undefined, clock) : end.toLocaleString(undefined, Object.assign({}, day, clock)));
    time.textContent = text + " (" + zone + ")";
  });

  // A new event starts in the zone of the person writing it; they can change it.
  document.querySelectorAll("input[data-default-zone]").forEach(function (input) {
    if (!input.value && window.Intl) input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  });
})();
