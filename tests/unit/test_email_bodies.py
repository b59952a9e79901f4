"""E-mail bodies come from templates: what people typed (a name, a comment) reaches an e-mail's
HTML part as text, never as markup, and its plain part as typed."""
from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from sqlalchemy import select

from storage.models import Account, OutboxMessage, Person
from workflows import emails, pipeline, records
from workflows.access import Caller
from workflows.deployment import Work

EVIL = '<a href="https://evil.example">x</a>'
ROOT = Path(__file__).resolve().parents[2]


def test_a_name_written_as_markup_is_escaped_in_the_sign_off_emails_html(uow: Work, team: dict[str, int]) -> None:
    uow.session.get_one(Person, team["worker"]).name = EVIL
    uow.commit()
    account = uow.session.scalars(select(Account).where(Account.person_id == team["manager"])).one()
    manager = Caller(account=account, ip="192.0.2.7")
    record = records.start_record(uow, manager, team["worker"], dt.date(2025, 3, 3))
    pipeline.send_for_signoff(uow, manager, "record", record.id)
    message = uow.session.scalars(select(OutboxMessage)
                                  .where(OutboxMessage.to_address == "worker@knowsley.example.org")).one()
    assert "evil.example" in message.html_body
    assert 'href="https://evil.example"' not in message.html_body
    assert "Dear &lt;a href=&#34;https://evil.example&#34;&gt;x&lt;/a&gt;," in message.html_body
    assert f"Dear {EVIL}," in message.text_body


def test_the_sign_off_link_email_asks_each_signer_for_their_own_step() -> None:
    url = "https://docgen.example/sign/t0ken"
    supervisee = emails.render("signoff_link", signer="Alex Morgan", what="Supervision record R-000001",
                               role="supervisee", url=url, expiry_days=14)
    supervisor = emails.render("signoff_link", signer="Sam Whitfield", what="Supervision record R-000001",
                               role="supervisor", url=url, expiry_days=14)
    assert "Please read it and agree, or disagree with a comment:" in supervisee.text
    assert "including any comment from the supervisee, and countersign:" in supervisor.html
    assert f'<a href="{url}">Open the document to sign</a>' in supervisee.html
    assert supervisee.text.endswith("expires in 14 days.\n")


def test_every_email_a_use_case_sends_is_written_by_a_template() -> None:
    writers = []
    for path in sorted((ROOT / "workflows").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "queue_email":
                writers.append(path.relative_to(ROOT).as_posix())
    assert writers == ["workflows/emails.py"]
