// Behaviour every page shares. Inline handlers (onsubmit="…") are forbidden by the
// Content-Security-Policy, so forms ask for confirmation through a data attribute instead.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement ? form.dataset.confirm : null;
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
})();
