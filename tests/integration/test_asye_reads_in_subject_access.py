"""Reads of an ASYE's record of support in the audit log and in the ASYE's subject-access export.

The page, the CSV and the printable page are one kind of read (`asye_support.read`), told apart by
how the record was shown (`access.read`'s detail, as the supervision log's reads say it). The
export's "who read your records" lists them, so Priya learns that Sam read her record of support
and in which form. On SQLite and PostgreSQL.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from typing import Any

from sqlalchemy import select

from kernel import clock
from storage.models import AuditEvent, Person
from tests.e2e.test_web_pages import HTML, sign_in
from workflows.subject_access_export import export_zip


class NothingToConvert:
    """Priya has no records or agreements, so the export converts nothing."""

    def convert(self, docx: bytes) -> bytes:
        raise AssertionError("the export converted a document Priya does not have")


def test_each_view_of_the_record_of_support_is_one_read_with_how_it_was_shown(app: Any, client: Any,
                                                                               org: Any) -> None:
    asye = org.ids["asye"]
    sign_in(client, "manager")  # Sam, Priya's supervisor
    for url in (f"/supervision/{asye}/asye", f"/supervision/{asye}/asye.csv", f"/supervision/{asye}/asye/print"):
        assert client.get(url, headers=HTML).status_code == 200, url

    services = app.extensions["docgen"]
    with services.sessions() as db:
        reads = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "asye_support")
                           .order_by(AuditEvent.id)).all()
        assert [(r.action, r.actor_id, r.object_id, r.detail) for r in reads] == [
            ("asye_support.read", org.ids["manager"], str(asye), {"as": shown, "basis": "supervisor"})
            for shown in ("page", "csv", "print")]

        data, _manifest = export_zip(db, services.store, db.get_one(Person, asye), withheld={},
                                     received_on=clock.today(), deadline=clock.today() + dt.timedelta(days=30),
                                     converter=NothingToConvert())
    rows = list(csv.DictReader(io.StringIO(zipfile.ZipFile(io.BytesIO(data)).read(
        "who-read-your-records.csv").decode())))
    assert [(r["who"], r["what they did"], r["what"], r["on what basis"]) for r in rows] == [
        ("Sam Whitfield", f"asye_support.read (as {shown})", "your ASYE record of support", "supervisor")
        for shown in ("page", "csv", "print")]
