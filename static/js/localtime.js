// Progressive enhancement: beside every <time data-local>, show the moment in the visitor's own time zone.
// Without JavaScript the page already shows the workshop's zone and UTC.
(function () {
  "use strict";
  function enhance() {
    var fmt;
    try {
      fmt = new Intl.DateTimeFormat(undefined, {
        weekday: "short", day: "numeric", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
    } catch (e) { return; }
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime()) || el.dataset.localDone) { return; }
      // Inline, after the UTC time, so that a sentence's closing punctuation stays on its line.
      var span = document.createElement("span");
      span.className = "local-time";
      span.textContent = "your time: " + fmt.format(when);
      el.dataset.localDone = "1";
      var after = el.nextElementSibling && el.nextElementSibling.classList.contains("utc") ? el.nextElementSibling : el;
      after.insertAdjacentElement("afterend", span);
      after.insertAdjacentText("afterend", ", ");
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", enhance); } else { enhance(); }
})();
