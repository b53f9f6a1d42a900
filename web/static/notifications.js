// The header's notifications bell: polls the unread count while the page is visible, so a
// notification shows without a reload (the same kind of poll as the escalation queue's).
(function () {
  "use strict";
  var link = document.getElementById("nav-notifications");
  if (!link) return;
  var badge = document.getElementById("unread-count");
  var interval = parseInt(link.dataset.pollMs, 10) || 2500;
  // The page's language (web/i18n.py SCRIPT_WORDS, on <html data-words>).
  var words = { notifications: "Notifications", unread: "Notifications: %(n)s unread" };
  try { Object.assign(words, JSON.parse(document.documentElement.dataset.words || "{}")); } catch (e) {}

  function show(count) {
    badge.firstChild.nodeValue = String(count);
    badge.hidden = !count;
    link.title = count ? words.unread.replace("%(n)s", count) : words.notifications;
  }

  function poll() {
    if (document.hidden) return;
    fetch(link.dataset.unreadUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error("not signed in");
        return response.json();
      })
      .then(function (body) { show(body.unread || 0); })
      .catch(function () {});
  }
  setInterval(poll, interval);
  document.addEventListener("visibilitychange", poll);
})();
