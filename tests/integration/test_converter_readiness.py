"""/health/ready and a hung LibreOffice: a warm soffice that stops answering (SIGSTOP, as a process
stuck in a loop or swapped out would) takes the process out of the load balancer, named, and it
is ready again once LibreOffice answers (SIGCONT)."""
from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from tests.integration.test_pdf_seal import libreoffice_pid

pytestmark = pytest.mark.libreoffice


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Readiness reads no rows: one database is enough."""
    return sqlite_url


def test_a_hung_libreoffice_makes_readiness_answer_503_naming_the_converter_until_it_answers_again(
        app: Any, client: Any, warm_converter: Any) -> None:
    converter = warm_converter()  # this process's warm LibreOffice, as `docgen run`'s consumers start it
    assert converter.wait_ready(60)
    assert client.get("/health/ready").status_code == 200

    soffice = libreoffice_pid(converter.pid)
    os.kill(soffice, signal.SIGSTOP)
    try:
        hung = client.get("/health/ready")
    finally:
        os.kill(soffice, signal.SIGCONT)

    assert hung.status_code == 503, hung.json
    assert hung.json["down"] == ["converter"]
    recovered = client.get("/health/ready")
    assert recovered.status_code == 200, recovered.json


def test_readiness_starts_no_libreoffice_of_its_own(app: Any, client: Any) -> None:
    """A web worker converts nothing: asking whether it is ready must not cost it a LibreOffice."""
    from documents.pdf import WarmConverter

    unstarted = WarmConverter()
    app.extensions["docgen"].converter = unstarted

    assert client.get("/health/ready").json["checks"]["converter"] == "ok"
    assert unstarted.running is None
