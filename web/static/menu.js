// The header's navigation folds into a menu on narrow screens (responsive.css). Loaded in <head>
// without `defer` so that the "js" class is on <html> before the first paint: the CSS hides the
// links only under that class, so without JavaScript every link stays listed (wrapped).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setUp() {
    var button = document.getElementById("nav-menu-button");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu || !menu.querySelector("li")) return; // signed out: nothing to fold
    button.hidden = false;
    var isOpen = function () { return button.getAttribute("aria-expanded") === "true"; };
    var setOpen = function (open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    };
    // A native <button>: Enter and Space toggle it as a click does. The links follow it in the
    // document, so Tab goes from the button into the open menu.
    button.addEventListener("click", function () { setOpen(!isOpen()); });
    // Escape closes it and gives the focus back to the button when it was inside the menu.
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !isOpen()) return;
      var inside = menu.contains(document.activeElement);
      setOpen(false);
      if (inside || document.activeElement === button) button.focus();
    });
    // A click anywhere else closes it, as any menu does.
    document.addEventListener("click", function (event) {
      if (isOpen() && !menu.contains(event.target) && !button.contains(event.target)) setOpen(false);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
