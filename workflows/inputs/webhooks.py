"""What an administrator gives to subscribe an address to docgen's events."""
from __future__ import annotations

from pydantic import Field

from workflows.inputs import Input
from workflows.webhooks import EVENTS


class Subscribe(Input):
    """A new subscription; the use case checks the address, the events and the secret's length."""

    url: str = Field(max_length=2000)
    events: list[str] = Field(min_length=1, description=f"some of: {', '.join(EVENTS)}")
    description: str = Field("", max_length=200)
    secret: str = Field("", max_length=200, description="leave out to have one made (shown once)")
