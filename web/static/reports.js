// Report pages: every <figure class="report-chart"> draws one table of the report's JSON (the
// same JSON /api/v1/reports/… returns) with Apache ECharts, switches to a plain table view, and
// downloads exactly that table as CSV. No inline script: the page only carries data attributes.
(function () {
  "use strict";
  var holder = document.getElementById("report");
  if (!holder) return;

  // Okabe–Ito: distinguishable with the common colour-vision deficiencies.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"];
  var charts = [];

  function section(report, path) {
    return path.split(".").reduce(function (value, key) { return value ? value[key] : undefined; }, report);
  }

  function number(value) {
    if (value === null || value === undefined || value === "") return null;
    var parsed = typeof value === "number" ? value : parseFloat(value);
    return isNaN(parsed) ? null : parsed;
  }

  // A column's or a code's words (web/reports/words.py, on #report's data-columns): the data
  // and the CSV keep the codes.
  var codeWords = {};
  try { codeWords = JSON.parse(holder.dataset.columns || "{}"); } catch (e) {}
  function label(code) {
    var text = String(code);
    if (STAMP.test(text)) return moment(text);
    return Object.prototype.hasOwnProperty.call(codeWords, text) ? codeWords[text] : text.replace(/_/g, " ");
  }

  // A moment in the JSON (ISO 8601 with its offset, e.g. a split's computed_at) is shown in the
  // viewer's zone (#report's data-zone) and language; the CSV keeps the ISO text.
  var STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)$/;
  var stampFormat = null;
  function moment(text) {
    if (!stampFormat) {
      var options = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
      try {
        stampFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, Object.assign({ timeZone: holder.dataset.zone || "UTC" }, options));
      } catch (e) {
        stampFormat = new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: "UTC" }, options));
      }
    }
    var parsed = new Date(text);
    return isNaN(parsed) ? text : stampFormat.format(parsed);
  }

  function column(table, name) {
    var index = table.columns.indexOf(name);
    return table.rows.map(function (row) { return row[index]; });
  }

  function seriesOf(figure, table) {
    var x = figure.dataset.x;
    var names = figure.dataset.y === "*"
      ? table.columns.filter(function (name) { return name !== x; })
      : figure.dataset.y.split(",");
    var stack = figure.dataset.stack ? "total" : undefined;
    var type = figure.dataset.chart === "line" ? "line" : "bar";
    var categories = [];
    column(table, x).forEach(function (value) {
      if (categories.indexOf(String(value)) < 0) categories.push(String(value));
    });
    if (table.columns.indexOf("currency") >= 0 && x !== "currency") {
      // Money: one series per currency, never added together.
      var currencies = [];
      column(table, "currency").forEach(function (c) { if (currencies.indexOf(c) < 0) currencies.push(c); });
      var xi = table.columns.indexOf(x), ci = table.columns.indexOf("currency"), yi = table.columns.indexOf(names[0]);
      return {
        categories: categories,
        series: currencies.map(function (currency) {
          var data = categories.map(function () { return null; });
          table.rows.forEach(function (row) {
            if (row[ci] === currency) data[categories.indexOf(String(row[xi]))] = number(row[yi]);
          });
          return { name: label(names[0]) + " (" + currency + ")", type: type, data: data };
        }),
      };
    }
    return {
      categories: categories,
      series: names.map(function (name) {
        return { name: label(name), type: type, stack: stack, data: column(table, name).map(number) };
      }),
    };
  }

  function option(figure, table) {
    var base = {
      color: PALETTE,
      aria: { enabled: true },
      tooltip: { trigger: "axis", confine: true },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
    };
    if (figure.dataset.chart === "pareto") {
      // A bar's label is data (a name) or one of the data's English words ("(none)", a cause).
      var labels = column(table, "label").map(function (value) {
        var text = String(value);
        return Object.prototype.hasOwnProperty.call(codeWords, text) ? codeWords[text] : text;
      });
      base.xAxis = { type: "category", data: labels, axisLabel: { hideOverlap: true, rotate: labels.length > 6 ? 30 : 0 } };
      base.yAxis = [{ type: "value", name: label("value") }, { type: "value", name: "%", min: 0, max: 100 }];
      base.series = [
        { name: label("value"), type: "bar", data: column(table, "value").map(number) },
        {
          name: label("cumulative_share"), type: "line", yAxisIndex: 1, symbolSize: 6,
          data: column(table, "cumulative_share").map(function (v) { return v === null ? null : Math.round(v * 1000) / 10; }),
          markLine: { silent: true, symbol: "none", lineStyle: { type: "dashed" }, label: { formatter: "80 %" }, data: [{ yAxis: 80 }] },
        },
      ];
      return base;
    }
    var built = seriesOf(figure, table);
    var late = {};
    if (table.columns.indexOf("overdue") >= 0) {
      // The pipeline's months before the current one: their label says overdue.
      var mi = table.columns.indexOf(figure.dataset.x), oi = table.columns.indexOf("overdue");
      table.rows.forEach(function (row) { if (row[oi]) late[String(row[mi])] = true; });
    }
    var labels = built.categories.map(function (category) {
      var shown = label(category);
      return late[String(category)] ? words("overdue", "{month} (overdue)").replace("{month}", shown) : shown;
    });
    base.xAxis = { type: "category", data: labels, axisLabel: { hideOverlap: true } };
    base.yAxis = { type: "value" };
    base.series = built.series;
    return base;
  }

  // The page's words, translated by the template (data-words-* on #report).
  function words(key, english) {
    var name = "words" + key.charAt(0).toUpperCase() + key.slice(1);
    return holder.dataset[name] || english;
  }

  function renderTable(container, table) {
    container.textContent = "";
    var wrap = document.createElement("div");
    wrap.className = "overflow-auto";
    wrap.tabIndex = 0; // a keyboard user can scroll a wide table (WCAG 2.1.1, axe's scrollable-region-focusable)
    var element = document.createElement("table");
    var head = element.createTHead().insertRow();
    table.columns.forEach(function (name) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = label(name);
      head.appendChild(th);
    });
    var body = element.createTBody();
    table.rows.forEach(function (row) {
      var tr = body.insertRow();
      row.forEach(function (value) {
        var text = value === null ? "" : String(value);
        if (STAMP.test(text)) text = moment(text);
        tr.insertCell().textContent = Object.prototype.hasOwnProperty.call(codeWords, text) ? codeWords[text] : text;
      });
    });
    if (!table.rows.length) {
      var empty = body.insertRow().insertCell();
      empty.colSpan = table.columns.length;
      empty.textContent = words("noneInRange", "No data in this range.");
    }
    wrap.appendChild(element);
    container.appendChild(wrap);
  }

  function csv(table) {
    function cell(value) {
      var text = value === null || value === undefined ? "" : String(value);
      return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    }
    return [table.columns].concat(table.rows).map(function (row) { return row.map(cell).join(","); }).join("\r\n") + "\r\n";
  }

  function download(figure, table, report) {
    var blob = new Blob([csv(table)], { type: "text/csv;charset=utf-8" });
    var link = document.createElement("a");
    var range = report.range || {};
    link.href = URL.createObjectURL(blob);
    link.download = [holder.dataset.kind || "report", figure.dataset.section.replace(/\./g, "-"), range.start, range.end]
      .filter(Boolean).join("_") + ".csv";
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  function setUp(figure, report) {
    var table = section(report, figure.dataset.section);
    var canvas = figure.querySelector(".chart-canvas");
    var tableView = figure.querySelector(".chart-table");
    var toggle = figure.querySelector('[data-action="toggle"]');
    if (!table || !table.columns) { canvas.textContent = words("noData", "No data."); return; }
    if (!tableView.dataset.rendered) renderTable(tableView, table); // else the page drew it, with its links
    var tableOnly = figure.dataset.chart === "table" || !table.rows.length || !window.echarts;
    if (tableOnly) {
      canvas.hidden = true;
      tableView.hidden = false;
      toggle.hidden = true;
    } else {
      var chart = window.echarts.init(canvas, null, { renderer: "svg" });
      chart.setOption(option(figure, table));
      charts.push(chart);
      toggle.addEventListener("click", function () {
        var showTable = tableView.hidden;
        tableView.hidden = !showTable;
        canvas.hidden = showTable;
        toggle.setAttribute("aria-pressed", String(showTable));
        toggle.textContent = showTable ? words("showChart", "Show chart") : words("showTable", "Show table");
        if (!showTable) chart.resize();
      });
    }
    figure.querySelector('[data-action="csv"]').addEventListener("click", function () { download(figure, table, report); });
    figure.dataset.ready = "1";
  }

  // A list of sentences from the report (e.g. a strategy's verdicts), or its empty text.
  function fillList(list, report) {
    var items = section(report, list.dataset.list) || [];
    list.textContent = "";
    (items.length ? items : [list.dataset.empty || ""]).forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
  }

  fetch(holder.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
    .then(function (report) {
      document.querySelectorAll("figure.report-chart").forEach(function (figure) { setUp(figure, report); });
      document.querySelectorAll("[data-list]").forEach(function (list) { fillList(list, report); });
      document.body.dataset.reportReady = "1";
    })
    .catch(function () {
      document.querySelectorAll("figure.report-chart .chart-canvas").forEach(function (canvas) {
        canvas.textContent = words("failed", "The figures could not be loaded; reload the page.");
      });
    });

  var pending;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (chart) { chart.resize(); }); }, 150);
  });
})();
