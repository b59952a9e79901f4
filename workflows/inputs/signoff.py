"""What a signer gives: a decision through their link, or a countersignature signed in."""
from __future__ import annotations

from workflows.inputs import Input


class Countersign(Input):
    """The supervisor's countersignature; the comment is printed on the certificate page."""

    comment: str = ""
    # Over the supervisee's disagreement the pages ask for the full name typed, as the e-mailed link
    # does (issue 27); left out (the API), it is not asked.
    confirm_name: str | None = None


class Decide(Input):
    """Agree, agree with a comment, or disagree, through an e-mailed link; the full name typed to
    confirm, and the one-time code when the profile asks for one."""

    decision: str
    confirm_name: str
    comment: str = ""
    code: str = ""
