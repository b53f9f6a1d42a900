// The navigation's escalation counts for supervisors: refreshed every little while, and at once
// whenever the escalation queue's own poll brings new counts.
(function () {
  "use strict";
  var link = document.getElementById("nav-escalations");
  if (!link) return;

  function show(counts) {
    ["at_risk", "breached"].forEach(function (key) {
      var badge = link.querySelector('[data-count="' + key + '"]');
      if (!badge || counts[key] === undefined) return;
      // data-label is the translated "{n} at risk" / "{n} breached" (base.html)
      badge.textContent = badge.dataset.label.replace("{n}", counts[key]);
      badge.hidden = !counts[key];
    });
  }
  document.addEventListener("rapport:escalation-counts", function (event) { show(event.detail || {}); });

  if (document.getElementById("escalations")) return; // that page's poll keeps them fresh
  function poll() {
    if (document.hidden) return;
    fetch(link.dataset.countsUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { if (!response.ok || response.redirected) throw new Error(); return response.json(); })
      .then(show)
      .catch(function () {});
  }
  setInterval(poll, 15000);
})();
