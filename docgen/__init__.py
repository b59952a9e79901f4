"""docgen: supervision agreements and records, sign-off, restricted storage and retention.

Kept import-free so `workflows/` and `storage/` can use `storage.models` without pulling in Flask.
"""
from __future__ import annotations

from typing import Any


def create_app(config: Any = None) -> Any:
    """Flask application factory (see docgen.app)."""
    from docgen.app import create_app as _create

    return _create(config)
