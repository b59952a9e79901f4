"""A client changing something the way the API asks (issue 13): read it, then send its ETag back in
If-Match, so the change is made from what it saw."""
from __future__ import annotations

from typing import Any


def read_then_change(client: Any, url: str, headers: dict[str, str]) -> dict[str, str]:
    """`headers` with If-Match set to the ETag a GET of `url` gives now."""
    read = client.get(url, headers=headers)
    assert read.status_code == 200 and read.headers.get("ETag"), (url, read.status_code, read.headers)
    return {**headers, "If-Match": read.headers["ETag"]}
