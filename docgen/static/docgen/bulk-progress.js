// A bulk start's progress page: ask the API for the count every few seconds and reload the page
// when it has moved, so the figure and any failures shown are current. Without JavaScript the page
// offers "Check again" (an automatic meta refresh would take the page from its reader, WCAG 2.2.1).
const count = document.querySelector("[data-docgen-bulk-progress]");
const every = 3000;

async function check() {
  try {
    const answer = await fetch(count.dataset.docgenBulkProgress, {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    if (answer.ok) {
      const shown = await answer.json();
      if (shown.done + shown.failed !== Number(count.dataset.done)) {
        window.location.reload();
        return;
      }
    }
  } catch (error) {
    // offline for a moment: try again at the next tick
  }
  window.setTimeout(check, every);
}

if (count) {
  window.setTimeout(check, every);
}
