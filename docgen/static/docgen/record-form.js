// Warn before leaving the record page with typing that is not saved. Progressive enhancement
// only: without JavaScript nothing is lost either, since every button of the record form saves
// what was typed first. An external module, as the Content-Security-Policy allows no inline script.
const form = document.querySelector("form[data-unsaved-warning]");

if (form) {
  const typed = () => new URLSearchParams(new FormData(form)).toString();
  const asOpened = typed();
  let saving = false;

  form.addEventListener("submit", () => {
    saving = true;
  });
  window.addEventListener("beforeunload", (event) => {
    if (!saving && typed() !== asOpened) {
      event.preventDefault();
      event.returnValue = ""; // older browsers show their own wording only when this is set
    }
  });
}
