// Customer pages: quick-log keyboard shortcuts and search as you type. No dependencies.
(function () {
  "use strict";

  var NOT_TEXT = ["radio", "checkbox", "button", "submit", "reset"];

  function typing(target) {
    var tag = target && target.tagName;
    if (tag === "INPUT") return NOT_TEXT.indexOf(target.type) === -1;
    return tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  // Quick log: a channel key ("c", "v", "n", …) picks the channel and focuses the body;
  // Ctrl/Cmd+Enter anywhere in the form saves.
  var logForm = document.getElementById("log-form");
  if (logForm) {
    var body = document.getElementById("log-body");
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      var radio = logForm.querySelector('input[name="channel"][data-key="' + event.key.toLowerCase() + '"]');
      if (!radio) return;
      event.preventDefault();
      radio.checked = true;
      body.focus();
    });
    logForm.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        logForm.requestSubmit();
      }
    });
  }

  // The list: fetch the results fragment as the person types (debounced), no full reload.
  var searchForm = document.getElementById("customer-search");
  var results = document.getElementById("results");
  if (searchForm && results) {
    var timer = null;
    var controller = null;
    var refresh = function () {
      var params = new URLSearchParams();
      new FormData(searchForm).forEach(function (value, name) { if (value !== "") params.append(name, value); });
      var url = searchForm.action + "?" + params.toString();
      if (controller) controller.abort();
      controller = new AbortController();
      results.setAttribute("aria-busy", "true");
      fetch(url, { headers: { "X-Requested-With": "fetch" }, signal: controller.signal })
        .then(function (response) {
          if (response.redirected) { window.location.href = response.url; throw new Error("signed out"); }
          return response.text();
        })
        .then(function (html) {
          results.innerHTML = html;
          results.setAttribute("aria-busy", "false");
          history.replaceState(null, "", url);
        })
        .catch(function (error) { if (error.name !== "AbortError") results.setAttribute("aria-busy", "false"); });
    };
    var later = function () { clearTimeout(timer); timer = setTimeout(refresh, 250); };
    searchForm.addEventListener("input", later);
    searchForm.addEventListener("change", later);
    searchForm.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); refresh(); });
  }

  // The filter panel's summary counts the filters in use, so a folded panel (on a phone) still
  // says that the list is filtered.
  var count = document.getElementById("filter-count");
  var panel = searchForm && searchForm.querySelector("details");
  if (count && panel) {
    var recount = function () {
      var active = 0;
      panel.querySelectorAll("select, input").forEach(function (control) {
        if (control.name !== "sort" && control.value !== "") active += 1;
      });
      count.firstChild.nodeValue = String(active);
      count.hidden = active === 0;
    };
    searchForm.addEventListener("change", recount);
    searchForm.addEventListener("input", recount);
  }

  // Saving a segment posts the filters the search form holds now: typing changes no action.
  var saveForm = document.querySelector("form.save-segment");
  if (saveForm && searchForm) {
    var saveBase = saveForm.action.split("?")[0];
    saveForm.addEventListener("submit", function () {
      var params = new URLSearchParams();
      new FormData(searchForm).forEach(function (value, name) { if (value !== "") params.append(name, value); });
      saveForm.action = saveBase + "?" + params.toString();
    });
  }
})();
