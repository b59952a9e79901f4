"""Haringey's agreement settles cover for absences (issue 23, item 11). H §9: "Arrangements must be
made to cover planned and unplanned absences of supervisor or supervisee." The box is pre-filled
from H §9, printed in the Word file, and an edit made in Word is read back."""
from __future__ import annotations

import dataclasses
import io
from typing import Any

import docx
import pytest

from kernel.config import Config
from tests.e2e.test_records import _edit_like_word

COVER = "Cover for planned and unplanned absences of supervisor or supervisee"


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(config, profile="haringey")


def test_haringeys_agreement_has_the_cover_for_absences_and_it_survives_a_word_edit(client: Any, org: Any) -> None:
    agreement = client.post("/api/v1/agreements", json={"supervisee_id": org.ids["worker"], "started_on": "2026-09-01"},
                            headers=org.auth("manager")).json
    assert agreement["fields"]["absence_cover"].startswith("If the supervisor is unexpectedly absent")

    download = client.get(f"/api/v1/agreements/{agreement['id']}/docx", headers=org.auth("manager"))
    body = "\n".join(c.text for t in docx.Document(io.BytesIO(download.data)).tables for r in t.rows for c in r.cells)
    assert COVER in body and "If the supervisor is unexpectedly absent" in body

    edited = _edit_like_word(download.data, {COVER: "Dana Okafor covers; Priya's urgent work goes to the duty worker"})
    response = client.put(f"/api/v1/agreements/{agreement['id']}/docx", data=edited,
                          headers={**org.auth("manager"), "If-Match": download.headers["ETag"]},
                          content_type="application/octet-stream")
    assert response.status_code == 200, response.json
    assert response.json["fields"]["absence_cover"] == "Dana Okafor covers; Priya's urgent work goes to the duty worker"
