// Keyboard shortcuts, listed by "?": navigation ("g" then a letter; "g n" a new requirement,
// for the customer whose page this is), j/k through lists (Enter
// opens: the row's link has the focus), the requirement page's allowed triggers (1–9, in the
// order of their buttons), the composer ("r" reply, "n" internal note, Ctrl+Enter sends).
// Shortcuts never fire while typing in a field. After a trigger or a message, the page that
// comes back puts the focus on the next action (the trigger buttons).
// Its words come from the page, in the reader's language (web/i18n.py SCRIPT_WORDS, on
// <html data-words>); the English here is only the fallback of a page without them.
(function () {
  "use strict";
  var words = {
    keys_title: "Keyboard shortcuts", keys_close: "Close", keys_help: "Show or hide this list",
    keys_then: "g then %(key)s", keys_team: "Team queue", keys_mine: "My requirements",
    keys_escalations: "Escalations", keys_customers: "Customers", keys_new: "New requirement",
    keys_new_here: "New requirement for this customer", keys_rows: "Next / previous row of a list",
    keys_open: "Open the row", keys_reply: "Reply to the customer", keys_note: "Internal note",
    keys_send: "Send what you are writing", keys_key: "Key %(n)s",
  };
  try { Object.assign(words, JSON.parse(document.documentElement.dataset.words || "{}")); } catch (e) {}
  var GO = {
    q: ["/requirements?queue=team", words.keys_team],
    m: ["/requirements?queue=mine", words.keys_mine],
    e: ["/escalations", words.keys_escalations],
    c: ["/customers/", words.keys_customers],
    n: ["/requirements/new", words.keys_new],
  };
  // On a customer's page "g n" opens the new requirement for that customer.
  var forCustomer = document.getElementById("new-requirement");
  if (forCustomer) GO.n = [forCustomer.getAttribute("href"), words.keys_new_here];
  var FOCUS_KEY = "rapport:focus-after-load";
  var pendingG = 0;

  function typing(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable], [contenteditable=''], [contenteditable='true']");
  }

  function triggerButtons() {
    return Array.prototype.slice.call(document.querySelectorAll("#transition-form .triggers button[name='trigger']"));
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr, #results tbody tr, #results li"))
      .filter(function (row) { return row.querySelector("a[href]"); });
  }

  function move(step) {
    var list = rows();
    if (!list.length) return;
    var current = list.findIndex(function (row) { return row.contains(document.activeElement); });
    var next = current === -1 ? (step > 0 ? 0 : list.length - 1) : Math.min(Math.max(current + step, 0), list.length - 1);
    list.forEach(function (row) { row.classList.remove("key-current"); });
    list[next].classList.add("key-current");
    list[next].querySelector("a[href]").focus();
    list[next].scrollIntoView({ block: "nearest" });
  }

  function composer(mode) {
    var button = document.querySelector('#composer button.mode[data-mode="' + mode + '"]');
    if (button) button.click();  // composer.js shows that form and focuses its text
    var body = document.querySelector('#composer form[data-mode="' + mode + '"] textarea[name="body"]');
    if (body) body.focus();
    return !!body;
  }

  // The overlay that lists what works here.
  var help = null;
  function showHelp() {
    if (!help) {
      help = document.createElement("dialog");
      help.id = "keyboard-help";
      help.setAttribute("aria-labelledby", "keyboard-help-title");
      document.body.appendChild(help);
    }
    var lines = [["?", words.keys_help]];
    Object.keys(GO).forEach(function (key) { lines.push([words.keys_then.replace("%(key)s", key), GO[key][1]]); });
    lines.push(["j / k", words.keys_rows], ["Enter", words.keys_open]);
    triggerButtons().slice(0, 9).forEach(function (button, i) { lines.push([String(i + 1), button.textContent.trim()]); });
    if (document.getElementById("composer")) {
      lines.push(["r", words.keys_reply], ["n", words.keys_note], ["Ctrl+Enter", words.keys_send]);
    }
    help.innerHTML = '<article><header><h2 id="keyboard-help-title"></h2></header><dl></dl>' +
      '<footer><button type="button" class="secondary" data-close></button></footer></article>';
    help.querySelector("h2").textContent = words.keys_title;
    help.querySelector("[data-close]").textContent = words.keys_close;
    var list = help.querySelector("dl");
    lines.forEach(function (line) {
      var dt = document.createElement("dt"), kbd = document.createElement("kbd"), dd = document.createElement("dd");
      kbd.textContent = line[0];
      dt.appendChild(kbd);
      dd.textContent = line[1];
      list.appendChild(dt);
      list.appendChild(dd);
    });
    help.querySelector("[data-close]").addEventListener("click", function () { help.close(); });
    help.showModal();
    help.querySelector("[data-close]").focus();
  }

  // Marks the trigger buttons with their keys, for assistive technology and a tooltip.
  triggerButtons().slice(0, 9).forEach(function (button, i) {
    button.setAttribute("aria-keyshortcuts", String(i + 1));
    button.title = words.keys_key.replace("%(n)s", String(i + 1));
  });

  // On the window, capturing: the second key of a "g" sequence must not also reach a page's own
  // single-key shortcuts (the customer page's "c" for a call).
  window.addEventListener("keydown", function (event) {
    // Ctrl/Cmd+Enter in the composer sends (the reply's plain "Send", or the note).
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.closest) {
      var form = event.target.closest("#composer form");
      if (form && event.target.tagName === "TEXTAREA") {
        var send = form.querySelector('button[type="submit"]:not([disabled])');
        event.preventDefault();
        if (send) form.requestSubmit(send);
      }
      return;
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    var key = event.key;
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      if (GO[key]) {
        event.preventDefault();
        event.stopImmediatePropagation();
        window.location.assign(GO[key][0]);
      }
      return;
    }
    pendingG = 0;
    if (key === "?") { event.preventDefault(); showHelp(); return; }
    if (key === "g") { pendingG = Date.now(); return; }
    if (key === "j" || key === "k") { event.preventDefault(); move(key === "j" ? 1 : -1); return; }
    if (key === "r" || key === "n") {
      if (composer(key === "r" ? "reply" : "note")) event.preventDefault();
      return;
    }
    if (/^[1-9]$/.test(key)) {
      var button = triggerButtons()[parseInt(key, 10) - 1];
      if (button) { event.preventDefault(); button.focus(); button.click(); }
    }
  }, true);

  // Where the focus goes after a trigger or a message: the next action.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && ["transition-form", "reply-form", "note-form", "confirm-form"].indexOf(form.id) !== -1) {
      try { sessionStorage.setItem(FOCUS_KEY, "actions"); } catch (e) { /* private mode */ }
    }
  });
  var after = null;
  try { after = sessionStorage.getItem(FOCUS_KEY); sessionStorage.removeItem(FOCUS_KEY); } catch (e) { /* private mode */ }
  if (after === "actions" && !document.querySelector(".field-error, [aria-invalid='true']")) {
    // After the load: scrolling to a URL fragment (#thread) would otherwise reset the focus.
    var focusNext = function () {
      var first = triggerButtons()[0] || document.querySelector('#composer button.mode[data-mode="reply"]');
      if (first) first.focus({ preventScroll: !!window.location.hash });
    };
    if (document.readyState === "complete") setTimeout(focusNext, 0);
    else window.addEventListener("load", function () { setTimeout(focusNext, 0); });
  }
})();
