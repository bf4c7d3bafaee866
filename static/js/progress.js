// Follows a background job without reloading: polls its status once a second, updates the progress bar,
// and reloads the page when the job finishes, fails or stalls (to show its result or its error and retry button).
// Without JavaScript the page offers a plain Refresh link instead.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || !window.fetch) return;
  var state = box.getAttribute("data-state");
  if (state === "done" || state === "failed" || box.hasAttribute("data-stalled")) return;
  var bar = document.getElementById("job-progress");
  var count = document.getElementById("job-count");
  var phase = document.getElementById("job-phase");
  var refresh = document.getElementById("job-refresh");
  var heading = document.getElementById("job-state");
  var headings = { queued: "Waiting for a worker", running: "Running" };
  if (refresh) refresh.hidden = true;
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        bar.value = s.percent;
        bar.textContent = s.percent + " %";
        count.textContent = s.total ? s.done + " of " + s.total : "";
        if (phase.textContent !== s.phase) phase.textContent = s.phase;
        if (headings[s.state] && heading.textContent !== headings[s.state]) heading.textContent = headings[s.state];
        if (s.state === "done" || s.state === "failed" || s.stalled) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { if (refresh) refresh.hidden = false; });
  }
  window.setTimeout(poll, 1000);
})();
