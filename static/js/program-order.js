// Progressive enhancement of the chair's program page: the items of a session can be dragged into a new order,
// which is then posted (the session's hidden order form) and saved at once. Without JavaScript, or from the
// keyboard, the Move up / Move down buttons do the same one step at a time.
(function () {
  "use strict";
  function enhance() {
    document.querySelectorAll("table.program-order").forEach(function (table) {
      var form = table.closest("section").querySelector("form.order-form");
      var body = table.tBodies[0];
      if (!form || !body || body.rows.length < 2) { return; }
      var dragged = null;
      Array.prototype.forEach.call(body.rows, function (row) {
        row.draggable = true;
        row.classList.add("draggable");
        row.title = "Drag to reorder (or use Move up / Move down)";
        row.addEventListener("dragstart", function (event) {
          dragged = row;
          row.classList.add("dragging");
          event.dataTransfer.effectAllowed = "move";
          event.dataTransfer.setData("text/plain", row.dataset.item);
        });
        row.addEventListener("dragend", function () {
          row.classList.remove("dragging");
          dragged = null;
        });
        row.addEventListener("dragover", function (event) {
          if (!dragged || dragged === row) { return; }
          event.preventDefault();
          var box = row.getBoundingClientRect();
          var after = event.clientY > box.top + box.height / 2;
          body.insertBefore(dragged, after ? row.nextSibling : row);
        });
        row.addEventListener("drop", function (event) {
          event.preventDefault();
          var order = Array.prototype.map.call(body.rows, function (r) { return r.dataset.item; }).join(",");
          if (order === form.elements.order.value) { return; }
          form.elements.order.value = order;
          form.submit();
        });
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", enhance); } else { enhance(); }
})();
