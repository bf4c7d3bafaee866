// Progressive enhancement of the program: beside each slot in the workshop's zone (<span class="slot"
// data-start data-end>), the same clock times in the visitor's own zone, when that zone shows other times.
// Without JavaScript the page shows the workshop's zone, named.
(function () {
  "use strict";
  function enhance() {
    var box = document.getElementById("program-zone");
    var zone = box && box.getAttribute("data-zone");
    var clock, theirs, mine;
    try {
      clock = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
      theirs = new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: zone }, clock));
      mine = new Intl.DateTimeFormat(undefined, Object.assign({ timeZoneName: "short" }, clock));
    } catch (e) { return; }
    var local = new Intl.DateTimeFormat("en-GB", clock);
    var theirDay = new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
    var myDay = new Intl.DateTimeFormat("en-GB", { year: "numeric", month: "2-digit", day: "2-digit" });
    var weekday = new Intl.DateTimeFormat(undefined, { weekday: "short" });
    var differs = false;
    document.querySelectorAll(".slot[data-start]").forEach(function (el) {
      if (el.dataset.localDone) { return; }
      var start = new Date(el.getAttribute("data-start")), end = new Date(el.getAttribute("data-end"));
      if (isNaN(start.getTime()) || isNaN(end.getTime())) { return; }
      if (theirs.format(start) === local.format(start) && theirs.format(end) === local.format(end)) { return; }
      differs = true;
      var span = document.createElement("span");
      span.className = "local-time";
      // Another day where the visitor is: say which ("Tue 00:30–01:30"); an end past the visitor's midnight says
      // its day too ("23:00–Mon 01:00").
      var day = theirDay.format(start) === myDay.format(start) ? "" : weekday.format(start) + " ";
      var endDay = myDay.format(end) === myDay.format(start) ? "" : weekday.format(end) + " ";
      span.textContent = " (your time: " + day + local.format(start) + "\u2013" + endDay + mine.format(end) + ")";
      el.dataset.localDone = "1";
      el.insertAdjacentElement("afterend", span);
    });
    if (differs && box && !box.dataset.localDone) {
      box.dataset.localDone = "1";
      var note = document.createElement("span");
      note.className = "local-time";
      note.textContent = " Your own time is shown in brackets (" + Intl.DateTimeFormat().resolvedOptions().timeZone + "). ";
      box.insertBefore(note, box.querySelector("a"));
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", enhance); } else { enhance(); }
})();
