// The header's global search and the new-requirement customer picker: type-ahead over
// /search/suggest, arrows to move, Enter to open, Escape to close; "/" focuses the header's box
// unless the user is typing somewhere. Without JavaScript both are plain GET forms.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function element(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) node.textContent = text;
    return node;
  }

  // An option holds no link: a focusable element inside role="option" is a nested interactive
  // control to a screen reader (axe's nested-interactive). A click or Enter follows data-href.
  function option(list, href, label, detail, snippet) {
    var li = element("li", { role: "option", id: list.id + "-" + list.children.length, "aria-selected": "false", "data-href": href });
    li.appendChild(element("span", { class: "option-label" }, label));
    li.addEventListener("click", function () { window.location.assign(href); });
    if (detail) { li.appendChild(document.createTextNode(" ")); li.appendChild(element("small", { class: "muted" }, detail)); }
    if (snippet) {
      var small = element("small", { class: "snippet" });
      small.innerHTML = snippet; // escaped by the server, only <mark> added
      li.appendChild(element("br"));
      li.appendChild(small);
    }
    list.appendChild(li);
  }

  function combobox(form, input, list, render, keepOpen) {
    var active = -1, seq = 0, timer = null;
    function options() { return list.querySelectorAll('[role="option"]'); }
    function setActive(index) {
      var opts = options();
      opts.forEach(function (opt, i) { opt.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && opts[index]) {
        input.setAttribute("aria-activedescendant", opts[index].id);
        opts[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function open() { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
    function close() {
      if (!keepOpen) list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }
    function load() {
      var q = input.value.trim();
      var mine = ++seq;
      if (!q) { list.textContent = ""; close(); return; }
      fetch(form.dataset.suggestUrl + "?q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin"
      })
        .then(function (response) { if (!response.ok || response.redirected) throw new Error(); return response.json(); })
        .then(function (body) {
          if (mine !== seq) return; // a newer query is on its way
          list.textContent = "";
          render(list, body);
          setActive(-1);
          open();
        })
        .catch(function () {});
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(load, 150); });
    input.addEventListener("keydown", function (event) {
      var opts = options();
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden || !opts.length) { load(); return; }
        setActive(Math.min(active + 1, opts.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        setActive(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && active >= 0 && opts[active] && !list.hidden) {
        event.preventDefault();
        window.location.assign(opts[active].dataset.href);
      } else if (event.key === "Escape") {
        close();
      }
    });
    document.addEventListener("click", function (event) { if (!form.contains(event.target) && !list.contains(event.target)) close(); });
  }

  var header = document.getElementById("global-search");
  if (header) {
    var headerInput = document.getElementById("global-search-input");
    combobox(header, headerInput, document.getElementById("global-search-list"), function (list, body) {
      var labels = header.dataset;
      var any = false;
      body.groups.forEach(function (group) {
        if (!group.hits.length) return;
        any = true;
        list.appendChild(element("li", { role: "presentation", class: "group" }, labels["label" + group.kind.charAt(0).toUpperCase() + group.kind.slice(1)]));
        group.hits.forEach(function (hit) { option(list, hit.url, hit.label, hit.detail, hit.snippet); });
      });
      if (!any) list.appendChild(element("li", { role: "presentation", class: "muted" }, labels.labelNone + " “" + body.q + "”"));
      option(list, body.all_url, labels.labelAll);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      event.preventDefault();
      headerInput.focus();
      headerInput.select();
    });
  }

  var picker = document.getElementById("customer-picker");
  if (picker) {
    var newUrl = picker.dataset.newUrl;
    combobox(picker, document.getElementById("customer-picker-input"), document.getElementById("customer-picker-list"), function (list, body) {
      body.groups.forEach(function (group) {
        if (group.kind !== "customers") return;
        group.hits.forEach(function (hit) {
          option(list, newUrl.replace("/0/", "/" + hit.id + "/"), hit.label, hit.detail);
        });
      });
    }, true);
  }
})();
