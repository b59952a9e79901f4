// Warn before leaving the record page with typing that is not saved. Progressive enhancement
// only: without JavaScript nothing is lost either, since every button of the record form saves
// what was typed first. An external module, as the Content-Security-Policy allows no inline script.
const form = document.querySelector("form[data-unsaved-warning]");

if (form) {
  // A form shown again with errors, or beside someone else's change, holds typing not saved yet.
  const shownUnsaved = form.dataset.unsavedWarning === "shown-unsaved";
  const typed = () => new URLSearchParams(new FormData(form)).toString();
  const asOpened = typed();
  let saving = false;

  form.addEventListener("submit", () => {
    saving = true;
  });
  window.addEventListener("beforeunload", (event) => {
    if (!saving && (shownUnsaved || typed() !== asOpened)) {
      event.preventDefault();
      event.returnValue = ""; // older browsers show their own wording only when this is set
    }
  });
}
