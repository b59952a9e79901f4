// Progressive enhancement for GOV.UK Frontend, as an external module so the
// Content-Security-Policy needs no 'unsafe-inline'. Only browsers that run ES
// modules load this file, which is what `govuk-frontend-supported` means.
import { initAll } from "../govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
