// On a phone, list tables read as cards (responsive.css): each row a card, each cell with its
// column's name. The names are copied here from the <th> into each cell's data-label, so a label
// is written (and translated) once, in the template's header row. Rows that arrive later (the
// customer search, the live escalation queue) are labelled as they come.
(function () {
  "use strict";
  // Grids to read across — a form laid out in rows and columns, a chart's figures, two records
  // side by side — keep their columns on a phone and scroll inside their own box instead.
  var GRID = ".targets, .pauses, .opening-grid, .rows, .chart-table table, .conflict, [data-grid]";

  function columnNames(table) {
    var head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!head) return [];
    var names = [];
    Array.prototype.forEach.call(head.cells, function (cell) {
      var text = cell.textContent.replace(/\s+/g, " ").trim();
      for (var i = 0; i < (cell.colSpan || 1); i++) names.push(text);
    });
    return names;
  }

  function label(table) {
    if (table.matches(GRID)) return;
    var names = columnNames(table);
    if (!names.some(Boolean)) return;
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (names[column] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[column]);
          column += cell.colSpan || 1;
        });
      });
    });
    table.setAttribute("data-cards", "");
  }

  var main = document.getElementById("main") || document.body;
  main.querySelectorAll("table").forEach(label);
  new MutationObserver(function (mutations) {
    var tables = new Set();
    mutations.forEach(function (mutation) {
      mutation.addedNodes.forEach(function (node) {
        if (node.nodeType !== 1) return;
        var table = node.closest("table");
        if (table) tables.add(table);
        node.querySelectorAll("table").forEach(function (inner) { tables.add(inner); });
      });
    });
    tables.forEach(label);
  }).observe(main, { childList: true, subtree: true });
})();
