"""Fixtures for the browser journeys that follow an e-mailed link: a test SMTP server of their
own, and a deployment whose links open the site under test and whose final PDFs are sealed.
A journey module takes them with `from tests.e2e.browser.mailing import config, mailbox`."""
from __future__ import annotations

from typing import Iterator

import pytest

from kernel.config import Config
from tests.mailbox import Mailbox, smtp_server_on
from tests.sealing import mailing_and_sealing


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server_on() as mailbox:
        yield mailbox


@pytest.fixture
def config(config: Config, mailbox: Mailbox, site_port: int) -> Config:
    """Mail goes to the test's SMTP server, and the links in it open the site under test."""
    return mailing_and_sealing(config, mailbox.port, f"http://127.0.0.1:{site_port}")
