// Requirement pages: SLA countdowns that tick, bulk selection, notes a trigger needs, and the
// escalation queue's live refresh. No dependencies; every page works without it.
(function () {
  "use strict";

  // The server's clock may differ from the browser's (or be moved ahead in tests): count from
  // the instant the server rendered the page.
  var serverNow = document.querySelector('meta[name="server-now"]');
  var skew = serverNow ? Date.parse(serverNow.content) - Date.now() : 0;
  function now() { return Date.now() + skew; }

  // The words in the page's language (web/i18n.py DURATION_WORDS, on <html data-durations>).
  var words = {
    s: "%(s)s s", m: "%(m)s min", h: "%(h)s h", hm: "%(h)s h %(m)s min", d: "%(d)s d",
    dh: "%(d)s d %(h)s h", breached: "breached %(duration)s ago", due: "due in %(duration)s",
    at_risk: "at risk: due in %(duration)s"
  };
  try { Object.assign(words, JSON.parse(document.documentElement.dataset.durations || "{}")); } catch (e) {}
  function say(key, values) {
    return words[key].replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  // The live escalation queue's status line, from the page (requirements/_macros.html).
  var pageWords = document.getElementById("countdown-words");
  words.updated = (pageWords && JSON.parse(pageWords.textContent).updated) ||
    "Escalations updated: {breached} breached, {at_risk} at risk, {acknowledged} acknowledged.";
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  // Mirrors web/i18n.duration: at most two units, rounded down.
  function duration(seconds) {
    seconds = Math.floor(Math.abs(seconds));
    if (seconds < 60) return say("s", { s: seconds });
    var minutes = Math.floor(seconds / 60), hours = Math.floor(minutes / 60), days = Math.floor(hours / 24);
    minutes %= 60; hours %= 24;
    var values = { d: days, h: hours, m: minutes };
    if (days) return say(hours ? "dh" : "d", values);
    if (hours) return say(minutes ? "hm" : "h", values);
    return say("m", values);
  }

  function tick() {
    var t = now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      if (el.dataset.status === "paused") return;
      var left = (Date.parse(el.dataset.due) - t) / 1000;
      var warning = el.dataset.warning ? Date.parse(el.dataset.warning) : null;
      var level, text;
      if (left <= 0 || el.dataset.status === "breached") {
        level = "breached"; text = say("breached", { duration: duration(left) });
      } else if (warning !== null && t >= warning) {
        level = "at_risk"; text = say("at_risk", { duration: duration(left) });
      } else {
        level = "ok"; text = say("due", { duration: duration(left) });
      }
      el.classList.remove("ok", "at_risk", "breached");
      el.classList.add(level);
      var span = el.querySelector(".left");
      if (span && span.textContent !== text) span.textContent = text;
    });
  }
  tick();
  setInterval(tick, 1000);

  // "Select all" ticks every enabled row box of its table.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.id !== "select-all") return;
    var table = box.closest("table");
    table.querySelectorAll('input[name="ids"]:not(:disabled)').forEach(function (b) { b.checked = box.checked; });
    offerCommonTriggers();
  });

  // The bulk action offers only what every selected row allows.
  var bulkForm = document.getElementById("bulk-form");
  function offerCommonTriggers() {
    if (!bulkForm) return;
    var common = null;
    bulkForm.querySelectorAll('input[name="ids"]:checked').forEach(function (box) {
      var row = box.closest("tr");
      var allowed = (row.dataset.triggers || "").split(" ").filter(Boolean);
      common = common === null ? allowed : common.filter(function (t) { return allowed.indexOf(t) !== -1; });
    });
    bulkForm.querySelectorAll("#bulk-trigger option[value]").forEach(function (option) {
      if (!option.value) return;
      option.disabled = common !== null && common.indexOf(option.value) === -1;
      if (option.disabled && option.selected) option.selected = false;
    });
  }
  if (bulkForm) bulkForm.addEventListener("change", offerCommonTriggers);

  // A trigger that needs a field (resolve: a note; merge: a target) asks for it before posting.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-needs]");
    if (!button) return;
    var field = document.getElementById(button.dataset.needs);
    if (!field || field.value.trim()) return;
    event.preventDefault();
    var id = field.id + "-error";
    var message = document.getElementById(id);
    if (!message) {
      message = document.createElement("small");
      message.className = "field-error";
      message.id = id;
      field.insertAdjacentElement("afterend", message);
    }
    message.textContent = button.dataset.needsMessage;
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", id);
    field.focus();
  });
  document.addEventListener("keydown", function (event) {
    // Ctrl/Cmd+Enter in the note posts the first trigger that needs it (resolve).
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (event.target.id !== "transition-note") return;
    var button = document.querySelector('button[data-needs="transition-note"]');
    if (button) { event.preventDefault(); button.click(); }
  });

  // The escalation queue: poll a small JSON endpoint; swap the rows only when they changed,
  // keeping what the supervisor ticked, opened and focused.
  var live = document.getElementById("escalations");
  if (!live) return;
  var pollMs = parseInt(live.dataset.pollMs, 10) || 2500;
  var busy = false;

  function keyOf(el) {
    if (!el || !live.contains(el)) return null;
    var row = el.closest("tr[data-clock]");
    return row ? [row.dataset.clock, el.tagName, el.name || "", el.textContent.trim()] : null;
  }

  function swap(html) {
    var ticked = {}, opened = {};
    live.querySelectorAll('input[name="ids"]:checked').forEach(function (b) { ticked[b.value] = true; });
    live.querySelectorAll("tr[data-clock] details[open]").forEach(function (d) { opened[d.closest("tr").dataset.clock] = true; });
    var focus = keyOf(document.activeElement);
    live.innerHTML = html;
    live.querySelectorAll('input[name="ids"]').forEach(function (b) { if (ticked[b.value] && !b.disabled) b.checked = true; });
    live.querySelectorAll("tr[data-clock]").forEach(function (row) {
      if (opened[row.dataset.clock]) { var d = row.querySelector("details"); if (d) d.open = true; }
    });
    if (focus) {
      var row = live.querySelector('tr[data-clock="' + focus[0] + '"]');
      var same = row && Array.prototype.find.call(row.querySelectorAll(focus[1]), function (el) {
        return (el.name || "") === focus[2] && el.textContent.trim() === focus[3];
      });
      if (same) same.focus();
    }
    tick();
  }

  function poll() {
    if (busy) return;
    busy = true;
    var base = live.dataset.liveUrl;  // carries the page's ?after= past the first page
    var url = base + (base.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(live.dataset.signature || "");
    fetch(url, { headers: { "X-Requested-With": "fetch", Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.redirected || !response.ok) throw new Error("not available: " + response.status);
        return response.json();
      })
      .then(function (body) {
        if (body.now) skew = Date.parse(body.now) - Date.now();
        if (body.html !== undefined && body.signature !== live.dataset.signature) {
          swap(body.html);
          // Announced once per change (the ticking countdowns are not).
          var status = document.getElementById("escalations-status");
          if (status) status.textContent = fill(words.updated, { breached: body.counts.breached, at_risk: body.counts.at_risk, acknowledged: body.counts.acknowledged || 0 });
        }
        live.dataset.signature = body.signature;
        document.dispatchEvent(new CustomEvent("rapport:escalation-counts", { detail: body.counts }));
      })
      .catch(function () { /* try again at the next poll */ })
      .then(function () { busy = false; });
  }
  setInterval(function () { if (!document.hidden) poll(); }, pollMs);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
})();
