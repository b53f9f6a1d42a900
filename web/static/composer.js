// The requirement page's composer: switch between a reply and an internal note, and insert a
// canned response from a list searched by typing (↓ ↑ to choose, Enter to insert, Esc to close).
// Without JavaScript both forms simply work as posted forms.
(function () {
  "use strict";
  var composer = document.getElementById("composer");
  if (!composer) return;

  function show(mode, focus) {
    composer.dataset.mode = mode;
    composer.querySelectorAll("form.composer-form").forEach(function (form) {
      form.hidden = form.dataset.mode !== mode;
    });
    composer.querySelectorAll("button.mode").forEach(function (button) {
      var on = button.dataset.mode === mode;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("outline", !on);
    });
    var body = composer.querySelector('form[data-mode="' + mode + '"] textarea[name="body"]');
    if (body && focus) body.focus();
  }
  composer.querySelectorAll("button.mode").forEach(function (button) {
    button.addEventListener("click", function () { show(button.dataset.mode, true); });
  });
  show(composer.dataset.mode || "reply", false);

  var search = document.getElementById("canned-search");
  var list = document.getElementById("canned-list");
  var data = document.getElementById("canned-data");
  var body = document.getElementById("reply-body");
  if (!search || !list || !data || !body) return;
  var choices = JSON.parse(data.textContent);
  var options = Array.prototype.slice.call(list.querySelectorAll('[role="option"]'));
  var active = -1;

  function visible() { return options.filter(function (o) { return !o.hidden; }); }

  function highlight(index) {
    var shown = visible();
    options.forEach(function (o) { o.setAttribute("aria-selected", "false"); o.classList.remove("active"); });
    active = shown.length ? (index + shown.length) % shown.length : -1;
    if (active >= 0) {
      shown[active].setAttribute("aria-selected", "true");
      shown[active].classList.add("active");
      search.setAttribute("aria-activedescendant", shown[active].id);
      shown[active].scrollIntoView({ block: "nearest" });
    } else {
      search.removeAttribute("aria-activedescendant");
    }
  }

  function open() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    options.forEach(function (o) {
      var choice = choices[parseInt(o.dataset.index, 10)];
      var haystack = (choice.name + " " + (choice.team || "") + " " + choice.text).toLowerCase();
      o.hidden = !words.every(function (w) { return haystack.indexOf(w) !== -1; });
    });
    list.hidden = false;
    search.setAttribute("aria-expanded", "true");
    highlight(0);
  }

  function close() {
    list.hidden = true;
    search.setAttribute("aria-expanded", "false");
    search.removeAttribute("aria-activedescendant");
  }

  function insert(option) {
    var text = choices[parseInt(option.dataset.index, 10)].text;
    var start = body.selectionStart, end = body.selectionEnd;
    body.value = body.value.slice(0, start) + text + body.value.slice(end);
    body.selectionStart = body.selectionEnd = start + text.length;
    search.value = "";
    close();
    body.focus();
  }

  search.addEventListener("input", open);
  search.addEventListener("focus", open);
  search.addEventListener("blur", function () { setTimeout(close, 150); });
  search.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); if (list.hidden) open(); else highlight(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter") {
      event.preventDefault();  // never submits the reply
      var shown = visible();
      if (!list.hidden && active >= 0 && shown[active]) insert(shown[active]);
    }
  });
  options.forEach(function (o) {
    o.addEventListener("mousedown", function (event) { event.preventDefault(); insert(o); });
  });
})();
