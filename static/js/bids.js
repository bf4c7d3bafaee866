// The bid list saves each bid as it is chosen, without reloading the page: a POST of the one bid (with the page's
// CSRF token) to /review/bids/<number>, and "Saved" (or why not) in the page's status line, which screen readers
// announce; it sits at the foot of the window while the table is in view. A bid that was not saved goes back to
// the one that is. Without JavaScript the page's own "Save the bids on this page" button saves the page's bids.
(function () {
  "use strict";
  var form = document.getElementById("bids");
  if (!form || !window.fetch || !window.FormData) return;
  var status = document.getElementById("bid-status");
  var token = form.querySelector("input[name=csrf_token]");
  var base = form.getAttribute("data-bid-url");
  var saved = {}; // paper number -> the bid the server holds ("" for none)
  var queue = {}; // paper number -> the save under way (the next waits for it, so they arrive in order)

  function checked(number) {
    var chosen = form.querySelector("input[name='bid-" + number + "']:checked");
    return chosen ? chosen.value : "";
  }
  function show(number, value) {
    var radio = form.querySelector("input[name='bid-" + number + "'][value='" + value + "']");
    if (radio) radio.checked = true;
  }
  function say(text, failed) {
    status.textContent = text;
    status.classList.toggle("error", !!failed);
  }
  function mark(number, cls) {
    var row = document.getElementById("paper-" + number);
    if (!row) return;
    row.classList.remove("saved", "unsaved");
    if (cls) row.classList.add(cls);
  }

  function save(number, value) {
    var body = new FormData();
    body.append("csrf_token", token.value);
    body.append("value", value);
    say("Saving #" + number + "…");
    return fetch(base + number, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (answer) {
          if (!r.ok || !answer.saved) {
            var why = answer.message || (r.status === 404 ? "You may not bid on #" + number + "." : "The server did not save it (error " + r.status + "); reload the page.");
            throw new Error(why);
          }
          saved[number] = value;
          mark(number, "saved");
          say(answer.message);
        });
      })
      .catch(function (error) {
        var message = error && error.message && error.message !== "Failed to fetch" ? error.message : "No connection: your bid on #" + number + " was not saved.";
        show(number, saved[number]);
        mark(number, "unsaved");
        say("Not saved: " + message, true);
      });
  }

  function enqueue(number, value) {
    queue[number] = (queue[number] || Promise.resolve()).then(function () {
      return checked(number) === value ? save(number, value) : null; // a later choice replaced it: that one goes
    });
  }

  // What the server holds is what the page was served with (each radio's checked attribute), not what is checked
  // now: a choice made before this script ran (a slow connection) had no one to save it, so it is saved now.
  var radios = form.querySelectorAll("input[type=radio][name^='bid-']");
  for (var i = 0; i < radios.length; i++) {
    var n = radios[i].name.slice(4);
    if (!(n in saved)) saved[n] = "";
    if (radios[i].defaultChecked) saved[n] = radios[i].value;
  }
  for (var number in saved) {
    if (checked(number) !== saved[number]) enqueue(number, checked(number));
  }
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "radio" || input.name.indexOf("bid-") !== 0) return;
    enqueue(input.name.slice(4), input.value);
  });
  // Every change is saved as it is made: the page's button is not needed.
  var hint = document.getElementById("bid-save");
  if (hint) hint.textContent = "Each choice is saved as you make it; bids on other pages stay as they are.";
})();
