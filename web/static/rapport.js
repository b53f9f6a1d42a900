// Behaviour every page shares. Inline handlers (onsubmit="…") are forbidden by the
// Content-Security-Policy, so forms ask for confirmation through a data attribute instead, in a
// <dialog> (not window.confirm: it names both answers and keeps the page's focus order).
(function () {
  "use strict";
  // Irreversible actions ask first, naming what will happen: a form with data-confirm, or the
  // submit button that has it (data-confirm-from="<select id>": the chosen option's sentence).
  // The server asks too when this does not run (a confirmation page); a "yes" here posts
  // confirmed=yes so it does not ask twice. Focus starts on "No", and returns where it was.
  // The page's language (web/i18n.py SCRIPT_WORDS, on <html data-words>).
  var words = { no: "No, go back", yes: "Yes, go ahead" };
  try { Object.assign(words, JSON.parse(document.documentElement.dataset.words || "{}")); } catch (e) {}

  var dialog = null;
  function ask(question, yesLabel, onYes) {
    var returnTo = document.activeElement;
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.id = "confirm-dialog";
      dialog.setAttribute("aria-labelledby", "confirm-dialog-text");
      dialog.innerHTML = '<article><p id="confirm-dialog-text"></p><footer>' +
        '<button type="button" class="secondary" data-answer="no"></button> ' +
        '<button type="button" data-answer="yes"></button></footer></article>';
      document.body.appendChild(dialog);
    }
    dialog.querySelector("#confirm-dialog-text").textContent = question;
    dialog.querySelector('[data-answer="no"]').textContent = words.no;
    dialog.querySelector('[data-answer="yes"]').textContent = yesLabel || words.yes;
    dialog.onclick = function (event) {
      var answer = event.target.dataset ? event.target.dataset.answer : null;
      if (!answer) return;
      dialog.close();
      if (answer === "yes") onYes(); else if (returnTo && returnTo.focus) returnTo.focus();
    };
    dialog.oncancel = function () { if (returnTo && returnTo.focus) setTimeout(function () { returnTo.focus(); }); };
    dialog.showModal();
    dialog.querySelector('[data-answer="no"]').focus();
  }

  function questionFor(form, submitter) {
    if (submitter && submitter.dataset.confirm) {
      return { text: submitter.dataset.confirm, yes: submitter.dataset.confirmLabel };
    }
    if (submitter && submitter.dataset.confirmFrom) {
      var select = document.getElementById(submitter.dataset.confirmFrom);
      var option = select && select.selectedOptions[0];
      if (option && option.dataset.confirm) {
        // The button's whole sentence comes with the option (the workflow's words for it).
        return { text: option.dataset.confirm, yes: option.dataset.confirmLabel || words.yes };
      }
      return null;
    }
    return form.dataset.confirm ? { text: form.dataset.confirm, yes: form.dataset.confirmLabel } : null;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.dataset.confirmed === "1") { delete form.dataset.confirmed; return; }
    var submitter = event.submitter;
    var question = questionFor(form, submitter);
    if (!question) return;
    event.preventDefault();
    ask(question.text, question.yes, function () {
      var flag = form.querySelector('input[name="confirmed"]');
      if (!flag) {
        flag = document.createElement("input");
        flag.type = "hidden";
        flag.name = "confirmed";
        form.appendChild(flag);
      }
      flag.value = "yes";
      form.dataset.confirmed = "1";
      if (submitter) form.requestSubmit(submitter); else form.requestSubmit();
    });
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
  // Fields for one choice only (data-shown-when="workflow=sales" on a fieldset): hidden and
  // disabled (so not posted) while the form's select has another value. Without this script
  // they stay visible and the server refuses a value where it does not belong.
  document.querySelectorAll("[data-shown-when]").forEach(function (group) {
    var parts = group.dataset.shownWhen.split("=");
    var select = group.form ? group.form.elements[parts[0]] : null;
    if (!select) return;
    function sync() {
      var shown = select.value === parts[1];
      group.hidden = !shown;
      group.disabled = !shown;
    }
    select.addEventListener("change", sync);
    sync();
  });
})();
