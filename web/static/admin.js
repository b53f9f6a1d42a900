// Admin pages' scripts, one block per page; each does nothing where its page is absent.
// (Files, not inline scripts: the Content-Security-Policy allows only these.)

// The SLA policy's apply progress (admin/sla_policy_progress.html).
(function () {
  "use strict";
  var box = document.getElementById("apply-progress");
  if (!box || !document.getElementById("bar") || document.getElementById("status").textContent === (box.dataset.statusFinished || "finished")) return;
  function render(p) {
    if (!p) return false;
    var bar = document.getElementById("bar");
    var done = p.status === "finished";
    bar.max = p.total || 1;
    bar.value = done ? bar.max : p.done;
    var status = document.getElementById("status");
    // The words come translated from the page (data-status-*, data-counts with {done}/{total}).
    status.textContent = box.dataset["status" + p.status.charAt(0).toUpperCase() + p.status.slice(1)] || p.status;
    status.className = "badge" + (done ? " ok" : "");
    document.getElementById("counts").textContent = (box.dataset.counts || "{done} of {total} requirements recomputed.")
      .replace("{done}", p.done).replace("{total}", p.total);
    return done;
  }
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (!(body && render(body.recompute))) setTimeout(poll, 700); })
      .catch(function () { setTimeout(poll, 1500); });
  }
  setTimeout(poll, 300);
})();

// The SLA policy form: pause defaults and ladder rungs (admin/sla_policy_edit.html).
(function () {
  "use strict";
  var form = document.getElementById("policy-form");
  if (!form) return;
  // "Workflow default" disables that metric's state boxes: the two cannot both hold.
  function sync(box) {
    form.querySelectorAll('input[name="pause-' + box.dataset.metric + '"]').forEach(function (state) {
      state.disabled = box.checked;
    });
  }
  form.querySelectorAll(".pause-default").forEach(function (box) {
    sync(box);
    box.addEventListener("change", function () { sync(box); });
  });
  // With a script, the blank rung waits for "Add a rung"; later clicks add copies of the template.
  var rungs = document.getElementById("rungs");
  var blank = rungs.querySelector("fieldset.rung.blank");
  if (blank) blank.hidden = true;
  document.getElementById("add-rung").addEventListener("click", function () {
    var added = blank && blank.hidden ? blank : null;
    if (added) {
      added.hidden = false;
    } else {
      var count = document.getElementById("rung-count");
      var index = Number(count.value);
      var html = document.getElementById("rung-template").innerHTML.split("__i__").join(String(index));
      rungs.insertAdjacentHTML("beforeend", html);
      added = rungs.lastElementChild;
      count.value = String(index + 1);
    }
    added.querySelector("legend").textContent = (rungs.dataset.rungLabel || "Rung {n}")
      .replace("{n}", rungs.querySelectorAll("fieldset.rung:not([hidden])").length);
    added.querySelector("select").focus();
  });
})();

// The calendar form: copy Monday, add a holiday row (admin/calendar_edit.html).
(function () {
  "use strict";
  var form = document.getElementById("calendar-form");
  if (!form) return;
  document.getElementById("copy-monday").addEventListener("click", function () {
    var slots = Number(form.elements.slots.value);
    for (var day = 1; day < 5; day++) {
      for (var i = 0; i < slots; i++) {
        ["start", "end"].forEach(function (edge) {
          form.elements["p-" + day + "-" + i + "-" + edge].value = form.elements["p-0-" + i + "-" + edge].value;
        });
      }
    }
  });
  document.getElementById("add-holiday").addEventListener("click", function () {
    var rows = document.getElementById("holiday-rows");
    var row = rows.lastElementChild.cloneNode(true);
    var n = rows.children.length + 1;
    row.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.removeAttribute("aria-invalid");
      var label = input.type === "date" ? rows.dataset.dateLabel || "Holiday {n} date" : rows.dataset.nameLabel || "Holiday {n} name";
      input.setAttribute("aria-label", label.replace("{n}", n));
    });
    row.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    rows.appendChild(row);
    row.querySelector("input").focus();
  });
})();

// Checkbox pickers (the `checklist` macro, e.g. a team's members): a filter box over the list.
// Without a script the plain checkboxes work; hidden names keep their ticks.
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll("fieldset.checklist").forEach(function (picker) {
    var filter = picker.querySelector(".checklist-filter");
    var items = Array.prototype.slice.call(picker.querySelectorAll(".checklist-options li"));
    var none = picker.querySelector(".checklist-none");
    var count = picker.querySelector(".checklist-count");
    function counted() {
      var ticked = picker.querySelectorAll('input[type="checkbox"]:checked').length;
      // The form may give the words, translated ({n} for the count).
      var form = picker.closest("form");
      var label = (form && form.dataset.chosenLabel) || "({n} chosen)";
      count.textContent = label.replace("{n}", ticked);
    }
    function apply() {
      var words = fold(filter.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item) {
        var text = fold(item.textContent);
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        item.hidden = !match;
        if (match) shown += 1;
      });
      none.hidden = shown > 0;
    }
    filter.hidden = false;
    filter.addEventListener("input", apply);
    filter.addEventListener("keydown", function (event) {
      // Enter picks the only match rather than submitting the form half done; Down moves
      // into the list.
      var visible = items.filter(function (item) { return !item.hidden; });
      if (event.key === "Enter") {
        event.preventDefault();
        if (visible.length === 1) {
          var box = visible[0].querySelector("input");
          box.click();
        }
      } else if (event.key === "ArrowDown" && visible.length) {
        event.preventDefault();
        visible[0].querySelector("input").focus();
      }
    });
    picker.addEventListener("change", counted);
    counted();
  });
})();
