"""E-mail bodies: Jinja templates in `workflows/email_templates/`, one `<name>.txt` for the plain
part and, where the e-mail has one, `<name>.html` for its HTML part.

Why templates rather than f-strings: an e-mail carries names and comments people typed (a name, a
reason, a disagreement), and an HTML part built by interpolation would let a name such as
`<a href="https://evil.example">` become a live link in the recipient's mail client. The HTML
templates are autoescaped, so whatever a person typed reaches the mail client as text; the plain
part is text already and is left as typed. The wording lives beside the other wording a council
reads, not inside the rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Iterable

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, select_autoescape
from sqlalchemy.orm import Session

from documents.mailer import Attachment
from workflows import notifications


@dataclass(frozen=True)
class Body:
    """An e-mail's plain part and its HTML part ("" when it has none)."""

    text: str
    html: str


@cache
def _templates() -> Environment:
    """Built once on first use (never at import): HTML escaped, text as typed, and a template
    naming a value it was not given fails at once instead of mailing a blank."""
    return Environment(loader=PackageLoader("workflows", "email_templates"),
                       autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
                       undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def render(name: str, **context: Any) -> Body:
    """The e-mail `name` written out with `context`."""
    templates = _templates()
    try:
        html = templates.get_template(f"{name}.html").render(context)
    except TemplateNotFound:
        html = ""
    return Body(templates.get_template(f"{name}.txt").render(context), html)


def link(db: Session, path: str) -> str:
    """The address of the page at `path` on this deployment, for an e-mail written on `db`."""
    return notifications.base_url(db) + path


def queue(db: Session, name: str, *, to: str, subject: str, attachments: Iterable[Attachment] = (),
          redact: Iterable[str] = (), **context: Any) -> None:
    """Write the e-mail `name` to the outbox in the caller's transaction (`notifications.queue_email`),
    for `to`; `redact` names the secrets in it the database must not keep (a link's token, a code).

    Every e-mail ends with a link to the page where its reader acts (issue 27), so each template
    is also given `base_url`, this deployment's own address: one whose page is the same for every
    reader (My records, the group list) needs nothing more from its caller."""
    context.setdefault("base_url", notifications.base_url(db))
    body = render(name, **context)
    notifications.queue_email(db, to=to, subject=subject, text=body.text, html=body.html,
                              attachments=attachments, redact=redact)
