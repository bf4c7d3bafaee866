// Progressive enhancement of the author list: add, remove and reorder rows in the page, without the round
// trip to the server the buttons make when JavaScript is off. Field names are renumbered after each change
// (authors-0-name, authors-1-name, ...) so the server reads the rows in their new order.
(function () {
  "use strict";
  var list = document.querySelector("#authors ol.authors");
  if (!list) { return; }
  var max = parseInt(list.closest("fieldset").getAttribute("data-max") || "50", 10);
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  list.parentNode.insertBefore(status, list.nextSibling);

  function rows() { return Array.prototype.slice.call(list.querySelectorAll("li.author-row")); }

  function renumber() {
    var moved = {};  // old row number -> new one, for the error summary's links
    rows().forEach(function (row, i) {
      var first = row.querySelector("input[id^=authors-]");
      var was = first && first.id.match(/^authors-(\d+)-/);
      if (was && !moved.hasOwnProperty(was[1])) { moved[was[1]] = i; }  // a new row copies the last one's ids
      row.querySelectorAll("input, label, .error").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(/authors-\d+-/g, "authors-" + i + "-")); }
        });
      });
      row.querySelectorAll("button[name=action]").forEach(function (button) {
        button.value = button.value.replace(/-\d+$/, "-" + i);
        var verb = button.value.split("-")[0];
        button.hidden = (verb === "up" && i === 0) || (verb === "down" && i === rows().length - 1) ||
          (verb === "remove" && rows().length === 1);
      });
    });
    // The error summary links each problem to its row's input: follow the row, drop the link of a removed one.
    document.querySelectorAll(".error-summary a[href^='#authors-']").forEach(function (link) {
      var at = link.getAttribute("href").match(/^#authors-(\d+)-/);
      if (!at) { return; }
      if (moved.hasOwnProperty(at[1])) {
        link.setAttribute("href", link.getAttribute("href").replace(/^#authors-\d+-/, "#authors-" + moved[at[1]] + "-"));
      } else {
        link.closest("li").remove();
      }
    });
    var add = document.querySelector("button[value=add-author]");
    if (add) { add.hidden = rows().length >= max; }
  }

  function ensureButtons(row) {
    var actions = row.querySelector(".author-actions");
    ["up", "down", "remove"].forEach(function (verb) {
      if (!actions.querySelector("button[value^=" + verb + "-]")) {
        var b = document.createElement("button");
        b.type = "submit"; b.name = "action"; b.value = verb + "-0"; b.className = "secondary";
        b.textContent = verb === "up" ? "Move up" : verb === "down" ? "Move down" : "Remove";
        actions.appendChild(b);
      }
    });
  }

  rows().forEach(ensureButtons);
  renumber();

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=action]");
    if (!button || button.value === "save" || !list.contains(button) && button.value !== "add-author") { return; }
    event.preventDefault();
    var verb = button.value.split("-")[0];
    var row = button.closest("li.author-row");
    if (verb === "add") {
      var fresh = rows()[rows().length - 1].cloneNode(true);
      // A new row starts clean: none of the copied row's values, error messages or invalid marks.
      fresh.querySelectorAll("input").forEach(function (input) {
        input.value = "";
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      });
      fresh.querySelectorAll(".error").forEach(function (message) { message.remove(); });
      fresh.classList.remove("row-error");
      fresh.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
      list.appendChild(fresh);
      ensureButtons(fresh);
      renumber();
      fresh.querySelector("input").focus();
      status.textContent = "Author " + rows().length + " added.";
      return;
    }
    if (verb === "remove") { row.remove(); status.textContent = "Author removed."; }
    if (verb === "up" && row.previousElementSibling) { list.insertBefore(row, row.previousElementSibling); }
    if (verb === "down" && row.nextElementSibling) { list.insertBefore(row.nextElementSibling, row); }
    if (verb === "up" || verb === "down") { status.textContent = "Author moved " + verb + "."; button.focus(); }
    renumber();
  });
})();
