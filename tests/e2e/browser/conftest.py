"""Browser tests: Debian's Chromium driven by Playwright against the app served on 127.0.0.1.

Only SQLite here (each test module parametrizes `database_url` to "sqlite"): the server thread
and the test share one database file, and the journeys are about pages, not the database. Every page a journey visits is checked with axe (WCAG 2.2 AA and
axe's best practices).
"""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.site_server import listening_socket, serving

SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
# WCAG 2.2 AA, and axe's best practices too: `region` (content outside every landmark) is one, and
# issue 27 asks for no violation of any impact on any page the journeys visit.
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium"}


@pytest.fixture
def site_socket() -> Iterator[socket.socket]:
    """The socket the site will listen on, bound (port 0) and listening before the app is built."""
    with listening_socket() as sock:
        yield sock


@pytest.fixture
def site_port(site_socket: socket.socket) -> int:
    """The port the site listens on, known before the app is built, so that a test can put it in
    `config.base_url` and the links the app e-mails open the site under test."""
    return int(site_socket.getsockname()[1])


@pytest.fixture
def site(app: Any, org: Any, site_socket: socket.socket) -> Iterator[str]:
    """The app (with its organisation) served in a thread for one test (tests/site_server.py: on
    the socket bound before the app, closing every response even when Chromium drops a download)."""
    with serving(app, site_socket) as url:
        yield url


class Checker:
    """Runs axe on a page (no violations allowed) and keeps a screenshot of the main ones."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.checked: list[str] = []

    def __call__(self, page: Any, screenshot: str | None = None) -> None:
        # After a form's redirect the heading a test waits for can be there before the stylesheet
        # has loaded; axe would then measure unstyled links (target-size).
        page.wait_for_load_state("load")
        # Only violations are asked for and carried back: axe's passes, with every node they
        # matched, were most of what a check cost (serialised through Playwright on every page).
        result = self.axe.run(page, options={"runOnly": {"type": "tag", "values": RULES},
                                             "resultTypes": ["violations"]})
        assert result.violations_count == 0, f"{page.url}: {result.generate_snapshot()}\n{result.response['violations']}"
        self.checked.append(page.url)
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{screenshot}.png"), full_page=True)


@pytest.fixture
def accessible() -> Checker:
    return Checker()
