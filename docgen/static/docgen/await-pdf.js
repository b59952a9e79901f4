// A signed document's page while the worker seals its PDF: ask the sign-off status every few
// seconds and reload the page once the sealed PDF is filed, so its download appears. Without
// JavaScript the page offers "Check again" instead (an automatic meta refresh would take the page
// away from someone still reading it, WCAG 2.2.1).
const waiting = document.querySelector("[data-docgen-await-pdf]");
const every = 5000;

async function check() {
  try {
    const answer = await fetch(waiting.dataset.docgenAwaitPdf, {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    if (answer.ok && (await answer.json()).final_pdf_sha256) {
      window.location.reload();
      return;
    }
  } catch (error) {
    // offline for a moment: try again at the next tick
  }
  window.setTimeout(check, every);
}

if (waiting) {
  window.setTimeout(check, every);
}
