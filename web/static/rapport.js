// Behaviour every page shares. Inline handlers (onsubmit="…") are forbidden by the
// Content-Security-Policy, so forms ask for confirmation through a data attribute instead.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement ? form.dataset.confirm : null;
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
  // Remote images in messages wait for a click (templating.message_body holds them back).
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.show-images") : null;
    if (!button) return;
    button.parentElement.querySelectorAll("img[data-src]").forEach(function (img) {
      img.src = img.dataset.src;
      img.removeAttribute("data-src");
    });
    button.remove();
  });
})();
