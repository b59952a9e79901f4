"""The audit chain's head dated by a time-stamping authority once a day (issue 25), and `docgen audit
verify` checking each token and naming the last entry so dated. The authority is certomancer's,
served on 127.0.0.1 (tests/local_tsa.py); the heads and tokens are in the local store's files."""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from docgen.cli.storage import audit_group
from kernel.config import Config
from storage import audit_head
from storage.audit_head import TOKEN_FILE_NAME
from tests import local_tsa
from tests.integration.test_audit_chain import write_log
from tests.integration.test_backup import empty_database  # noqa: F401  (a fixture: a new database of the app's kind)
from tests.integration.test_pdf_seal import timestamp_authority


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_tsa.LocalPki]:
    yield from local_tsa.serve(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def config(config: Config, pki: local_tsa.LocalPki) -> Config:
    return replace(config, timestamp_url=pki.tsa_url, timestamp_ca=str(pki.root_pem))


def date_the_head(app: Any) -> None:
    """What the worker runs each night (docgen.tasks: date_audit_head)."""
    app.extensions["docgen.tasks"].tasks["date_audit_head"].call_local()


def verify(app: Any) -> Any:
    return app.test_cli_runner().invoke(audit_group, ["verify"])


def heads(app: Any) -> audit_head.HeadLog:
    return app.extensions["docgen"].audit_heads


def test_the_nightly_task_dates_the_latest_head_and_verify_names_it(app: Any, pki: local_tsa.LocalPki) -> None:
    write_log(app, entries=3)
    date_the_head(app)
    latest = write_log(app, entries=2)[-1]
    date_the_head(app)
    date_the_head(app)  # nothing new since: no second token for the same head

    result = verify(app)

    [first, second] = sorted(heads(app).tokens(), key=lambda dated: dated.head)
    assert second.head.entry_id == latest and first.head.entry_id < latest
    assert result.exit_code == 0, result.output
    dated = result.output.splitlines()[-1]
    assert dated.startswith(f"entry {latest} dated by the TSA at {dt.datetime.now(dt.timezone.utc):%Y-%m-%dT}")
    assert dated.endswith("Z")


def test_a_token_kept_beside_the_local_store_is_over_the_heads_id_and_hash(app: Any) -> None:
    write_log(app, entries=2)
    date_the_head(app)

    [line] = (heads(app).path.parent / TOKEN_FILE_NAME).read_text().splitlines()  # type: ignore[attr-defined]
    entry_id, digest, token = line.split(" ")

    latest = heads(app).latest()
    assert latest is not None and (int(entry_id), digest) == (latest.entry_id, latest.hash)
    assert base64.b64decode(token)[:1] == b"\x30"  # a DER TimeStampToken


def test_a_dated_head_no_longer_in_the_chain_is_reported(app: Any, config: Config) -> None:
    """A token that holds, over a head the chain no longer has as it was (its tail rewritten)."""
    from documents import seal

    [*_, last] = write_log(app, entries=3)
    rewritten = audit_head.Head(last, "f" * 64)
    heads(app).keep_token(audit_head.DatedHead(rewritten, seal.timestamp_token(config,
                                                                             audit_head.head_message(rewritten))))

    result = verify(app)

    assert result.exit_code == 1
    assert f"entry {last}, dated at " in result.output and "is no longer in the chain as it was" in result.output


def test_a_token_from_another_authority_does_not_hold(app: Any) -> None:
    write_log(app, entries=2)
    tsa_cert, tsa_key = timestamp_authority()
    stranger = DummyTimeStamper(tsa_cert=tsa_cert, tsa_key=tsa_key)
    audit_head.date_latest(heads(app), lambda message: asyncio.run(stranger.async_timestamp(
        hashlib.sha256(message).digest(), "sha256")).dump())

    result = verify(app)

    assert result.exit_code == 1
    assert "does not validate against DOCGEN_TIMESTAMP_CA" in result.output
    assert "no entry dated by the time-stamping authority" in result.output


def test_a_token_over_another_head_does_not_hold(app: Any, config: Config) -> None:
    from documents import seal

    write_log(app, entries=2)
    audit_head.date_latest(heads(app), lambda _message: seal.timestamp_token(config, b"some other head"))

    result = verify(app)

    assert result.exit_code == 1
    assert "over other data" in result.output


def test_a_restored_deployment_keeps_the_tokens_and_verify_still_names_the_dated_entry(
        app: Any, config: Config, empty_database: str, tmp_path: Any) -> None:
    """`docgen backup` carries the tokens with the heads, `docgen restore` puts them back (issue 25)."""
    import json

    from docgen.app import create_app
    from docgen.main import cli

    write_log(app, entries=3)
    date_the_head(app)
    [dated] = heads(app).tokens()
    made = app.test_cli_runner().invoke(cli, ["backup", str(tmp_path / "backup")])
    assert made.exit_code == 0, made.output
    keys = json.loads((config.instance_path / "storage-keyring.json").read_text())["keys"]
    restored_app = create_app(replace(config, instance_path=tmp_path / "restored", database_url=empty_database,
                                      storage_key=",".join(entry["key"] for entry in keys)))
    try:
        restored = restored_app.test_cli_runner().invoke(cli, ["restore", str(tmp_path / "backup")])

        assert restored.exit_code == 0, restored.output
        assert "1 timestamp tokens" in restored.output
        assert heads(restored_app).tokens() == [dated]
        result = verify(restored_app)
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1].startswith(f"entry {dated.head.entry_id} dated by the TSA at ")
    finally:
        restored_app.extensions["docgen"].engine.dispose()


class TestWithAnAuthorityNotTrusted:
    @pytest.fixture
    def config(self, config: Config, tmp_path: Any) -> Config:
        """The authority answers, but its certificate is not the one configured as trusted."""
        other = tmp_path / "other-tsa.der"
        other.write_bytes(timestamp_authority()[0].dump())
        return replace(config, timestamp_ca=str(other))

    def test_its_token_is_refused_and_nothing_is_kept(self, app: Any) -> None:
        write_log(app, entries=2)

        with pytest.raises(ValueError, match="does not validate against DOCGEN_TIMESTAMP_CA"):
            date_the_head(app)

        assert heads(app).tokens() == []


def test_an_authority_without_its_certificate_is_refused_in_one_line() -> None:
    from kernel.config import ConfigError, from_env

    with pytest.raises(ConfigError, match="^DOCGEN_TIMESTAMP_CA must be set with DOCGEN_TIMESTAMP_URL: [^\\n]*$"):
        from_env({"DOCGEN_TIMESTAMP_URL": "https://tsa.example.org"}).check()
    from_env({"DOCGEN_TIMESTAMP_URL": "https://tsa.example.org", "DOCGEN_TIMESTAMP_CA": "/etc/tsa.pem"}).check()


class TestWithoutAnAuthority:
    @pytest.fixture
    def config(self, config: Config) -> Config:
        return replace(config, timestamp_url="", timestamp_ca="")

    def test_nothing_is_dated_and_verify_says_nothing_of_dates(self, app: Any) -> None:
        write_log(app, entries=2)
        date_the_head(app)

        result = verify(app)

        assert heads(app).tokens() == []
        assert result.exit_code == 0
        assert "dated" not in result.output
