"""Sign-off of records and agreements: supervisee first, then supervisor (K; S 12.3; H).

States: DRAFT -> AWAITING_SUPERVISEE -> AWAITING_SUPERVISOR -> SIGNED, and CHANGES_REQUESTED when
the supervisee disagrees (back to the supervisor, who revises and re-sends a new version, or
countersigns with the disagreement recorded on the certificate). A disagreement is never sealed as
signed by both: where the policy has both agree (K §9, S 12.3, H §9) the supervisor countersigns
over it only once the disagreement route has recorded its outcome (`DisagreementUnsettled`), and
the document is then "finalised after a disagreement", with both views, the outcome and whose
signature is missing, on every page and the certificate (`FinalisedAfterDisagreement`). A profile
may need only the supervisor's signature (H records), which skips the supervisee step.

This is sign-off's one home, a module for each thing it does:
- `states`: the states (`workflows.status`'s words and its one table of moves) and the
  compare-and-set that makes every move;
- `links`: one single-use e-mailed link per signer per version, and the one-time code;
- `wording`: how it reads to people: number, title, whose turn it is, the tag;
- `evidence`: the trail of steps and filed versions, and what is read from it: each version's
  decision, who signed, what changed since a disagreement, the certificate's content;
- `commands`: what changes it (send, re-send, open a link, decide, countersign), recording
  domain events that the composition root's subscribers hear (the worker's PDFs, webhooks, the
  e-mailed notices of `workflows.notices`);
- `queries`: what the pages and the API read (status, PDFs, a link's page, whose turn, My records).

Callers import the package (`signoff.decide`, `signoff.SIGNED`), which re-exports what they use.
Sending starts in `workflows.pipeline.send_for_signoff`, because it first files the Word file
being signed: the pipeline sits above sign-off (it prints sign-off's evidence on the certificate
page, and files the final PDF under retention's protection, while retention freezes leavers
through `withdraw_links` here), so sign-off never calls into it.
"""
from __future__ import annotations

from workflows.signoff.commands import (DisagreementUnsettled, countersign, decide, for_supervisor, new_version,
                                        open_link, resend, resend_link, send, unsettled)
from workflows.signoff.evidence import (ChangesSince, FinalisedAfterDisagreement, certificate, events, filed_version,
                                        finalised_after_disagreement, signature_lines)
from workflows.signoff.links import AlreadyCountersigned, WrongCode, withdraw_links
from workflows.signoff.queries import (LinkView, Progress, as_sent, final_pdf, link_view, next_step, next_steps,
                                       own_documents, progress, review_pdf, status, tags)
from workflows.signoff.states import (AWAITING_SUPERVISEE, AWAITING_SUPERVISOR, CHANGES_REQUESTED, COUNTERSIGNABLE,
                                      DRAFT, SENDABLE, SIGNED, SUPERSEDED, WAITING, Document, get_document, kind_of)
from workflows.signoff.wording import NextStep, Viewer, ago, number, tag, title, turn

__all__ = [
    "AWAITING_SUPERVISEE", "AWAITING_SUPERVISOR", "CHANGES_REQUESTED", "COUNTERSIGNABLE", "DRAFT", "SENDABLE", "SIGNED",
    "SUPERSEDED", "WAITING", "AlreadyCountersigned", "ChangesSince", "DisagreementUnsettled", "Document",
    "FinalisedAfterDisagreement", "LinkView", "NextStep", "Progress", "Viewer", "WrongCode", "ago", "as_sent",
    "certificate", "countersign", "decide", "events", "filed_version", "final_pdf", "finalised_after_disagreement",
    "for_supervisor", "get_document", "kind_of", "link_view", "new_version", "next_step", "next_steps", "number",
    "open_link", "own_documents", "progress", "resend", "resend_link", "review_pdf", "send", "signature_lines",
    "status", "tag", "tags", "title", "turn", "unsettled", "withdraw_links",
]
