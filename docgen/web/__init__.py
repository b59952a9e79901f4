"""Server-rendered GOV.UK pages (filled in by the web work)."""
from __future__ import annotations

from flask import Flask


def init_web(app: Flask) -> None:
    """Register the page blueprints, templates, CSRF and rate limits on the app."""
