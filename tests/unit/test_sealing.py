"""Secrets sealed at rest with the storage keyring: they open only with a key of that keyring, only
for the row they were sealed for, and still after the keyring rotates."""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Callable

import pytest

from storage.backends.base import IntegrityError
from storage.backends.local import Keyring, KeyUnavailable
from storage.sealing import seal, unseal

LINK = b"https://docgen.knowsley.example.org/sign/q3VhQm9uZ0xpbmtUb2tlbkZvclRlc3RzT25seQ"
ROW = "outbox_message/7/alex.morgan@knowsley.example.org"


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    return Keyring.open(tmp_path / "storage-keyring.json")


def test_a_sealed_secret_opens_for_its_row_and_shows_nothing_of_itself(keyring: Keyring) -> None:
    sealed = seal(keyring, LINK, ROW)
    assert unseal(keyring, sealed, ROW) == LINK
    assert b"sign" not in sealed.encode() and LINK not in base64.urlsafe_b64decode(sealed.split(".")[2])
    assert seal(keyring, LINK, ROW) != sealed  # a fresh nonce each time


def test_a_sealed_secret_does_not_open_for_another_row(keyring: Keyring) -> None:
    sealed = seal(keyring, LINK, ROW)
    with pytest.raises(IntegrityError, match="sealed for another row"):
        unseal(keyring, sealed, "outbox_message/8/intruder@example.net")


@pytest.mark.parametrize("damage", [
    lambda v: v[:-4] + ("AAAA" if not v.endswith("AAAA") else "BBBB"),  # a changed byte
    lambda v: v[:30],                                                   # truncated
    lambda v: "v9" + v[2:],                                             # an unknown format
    lambda v: "not sealed at all",
])
def test_an_altered_sealed_secret_is_refused(keyring: Keyring, damage: Callable[[str], str]) -> None:
    with pytest.raises(IntegrityError):
        unseal(keyring, damage(seal(keyring, LINK, ROW)), ROW)


def test_a_secret_sealed_before_rotation_still_opens_and_another_keyring_cannot_open_it(
        keyring: Keyring, tmp_path: Path) -> None:
    sealed = seal(keyring, LINK, ROW)
    keyring.rotate()
    assert unseal(keyring, sealed, ROW) == LINK
    assert seal(keyring, LINK, ROW).split(".")[1] == keyring.current_id != sealed.split(".")[1]
    with pytest.raises(KeyUnavailable):
        unseal(Keyring.open(tmp_path / "another-instance" / "storage-keyring.json"), sealed, ROW)
