"""What a signer gives: a decision through their link, or a countersignature signed in."""
from __future__ import annotations

from workflows.inputs import Input


class Countersign(Input):
    """The supervisor's countersignature; the comment is printed on the certificate page."""

    comment: str = ""


class Decide(Input):
    """Agree, agree with a comment, or disagree, through an e-mailed link; the full name typed to
    confirm, and the one-time code when the profile asks for one."""

    decision: str
    confirm_name: str
    comment: str = ""
    code: str = ""
