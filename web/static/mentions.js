// `@name` suggestions in the internal-note box: typing @ and a few letters lists the colleagues
// who can see the requirement; arrows move, Enter or Tab inserts the handle, Escape closes.
(function () {
  "use strict";
  var box = document.querySelector("textarea[data-mention-url]");
  if (!box) return;
  var list = document.createElement("ul");
  list.className = "mention-list";
  list.id = "mention-suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", box.dataset.mentionLabel || "People to mention");
  list.hidden = true;
  box.insertAdjacentElement("afterend", list);
  box.setAttribute("aria-controls", list.id);
  box.setAttribute("aria-autocomplete", "list");
  var items = [];
  var active = -1;
  var pending = null;
  var asked = 0;

  function typedMention() {
    var before = box.value.slice(0, box.selectionStart);
    var match = /(^|[\s(\[>])@([\w.+-]*)$/.exec(before);
    return match ? { start: before.length - match[2].length - 1, text: match[2] } : null;
  }

  function close() {
    list.hidden = true;
    items = [];
    active = -1;
    box.removeAttribute("aria-activedescendant");
    box.setAttribute("aria-expanded", "false");
  }

  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(list.children, function (li, i) {
      li.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0) box.setAttribute("aria-activedescendant", "mention-option-" + index);
  }

  function render(found) {
    list.textContent = "";
    items = found;
    if (!found.length) { close(); return; }
    found.forEach(function (person, i) {
      var li = document.createElement("li");
      li.id = "mention-option-" + i;
      li.setAttribute("role", "option");
      li.textContent = person.name + " (@" + person.handle + ")";
      li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    highlight(0);
  }

  function choose(index) {
    var typed = typedMention();
    if (!typed || !items[index]) { close(); return; }
    var insert = "@" + items[index].handle + " ";
    var caret = box.selectionStart;
    box.value = box.value.slice(0, typed.start) + insert + box.value.slice(caret);
    var at = typed.start + insert.length;
    box.setSelectionRange(at, at);
    close();
    box.focus();
  }

  function lookup() {
    var typed = typedMention();
    if (!typed) { close(); return; }
    var ticket = ++asked;
    var url = box.dataset.mentionUrl + "?q=" + encodeURIComponent(typed.text);
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { if (!response.ok) throw new Error(); return response.json(); })
      .then(function (found) { if (ticket === asked) render(found); })
      .catch(close);
  }

  box.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(lookup, 120);
  });
  box.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % items.length); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + items.length) % items.length); }
    else if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); choose(active); }
    else if (event.key === "Escape") { event.preventDefault(); close(); }
  });
  box.addEventListener("blur", function () { setTimeout(close, 150); });
})();
