"""Finalising a signed record: warm DOCX to PDF, certificate page, seal, and verifying it."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import signal
import tempfile
import time
from pathlib import Path

import docx
import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader, PdfWriter

from documents.certificate import CERTIFICATE_TITLE
from tests import pdf_archival
from documents.pdf import ConversionError, Converter, cold_convert
from documents.seal import (
    RECORD_ID_KEY,
    SealError,
    create_organisation_certificate,
    finalise,
    load_signer,
    seal_pdf,
    sha256_hex,
    verify_pdf,
)

HEADING = "Supervision record: Priya Shah, 4 March 2025"
SIGNED_AT = dt.datetime(2025, 3, 11, 9, 42, 17, tzinfo=dt.timezone.utc)


def nothing_known(_sha256: str) -> None:
    return None


# --- fixtures -----------------------------------------------------------------------------


def supervision_record() -> bytes:
    """A realistic practitioner record: heading, areas discussed, actions table."""
    document = docx.Document()
    document.add_heading(HEADING, level=0)
    document.add_paragraph("Supervisee: Priya Shah, social worker, Children in Need team")
    document.add_paragraph("Supervisor: Tom Okafor, team manager")
    for area in ("Wellbeing", "Caseload", "Learning and development", "Reflective discussion"):
        document.add_heading(area, level=2)
        document.add_paragraph(
            "Discussed the family's progress against the child in need plan and the next "
            "statutory visit; agreed that the school's concerns are shared with the parents. " * 3
        )
    document.add_heading("Actions", level=2)
    actions = document.add_table(rows=1, cols=3)
    actions.rows[0].cells[0].text, actions.rows[0].cells[1].text = "Action", "Who"
    actions.rows[0].cells[2].text = "By"
    for number in range(1, 6):
        cells = actions.add_row().cells
        cells[0].text = f"Action {number}: update the chronology and case notes"
        cells[1].text = "Priya Shah"
        cells[2].text = "2025-03-25"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def audit_certificate() -> dict:
    return {
        "record_id": "REC-2025-0042",
        "title": "Practitioner supervision record, Priya Shah, 4 March 2025",
        "version": 3,
        "supervisee": {"name": "Priya Shah", "email": "priya.shah@council.example"},
        "supervisor": {"name": "Tom Okafor", "email": "tom.okafor@council.example"},
        "events": [
            {"event": "sent", "who": "Tom Okafor", "at": SIGNED_AT - dt.timedelta(days=2),
             "ip": "10.20.1.15", "user_agent": "Mozilla/5.0 (Windows NT 10.0) Edge/131.0",
             "comment": ""},
            {"event": "opened", "who": "Priya Shah", "at": SIGNED_AT - dt.timedelta(hours=3),
             "ip": "10.20.7.33", "user_agent": "Mozilla/5.0 (iPhone) Safari/604.1", "comment": ""},
            {"event": "disagreement", "who": "Priya Shah", "at": SIGNED_AT - dt.timedelta(hours=2),
             "ip": "10.20.7.33", "user_agent": "Mozilla/5.0 (iPhone) Safari/604.1",
             "comment": "The caseload figure should be 18, not 22."},
            {"event": "signed", "who": "Tom Okafor", "at": SIGNED_AT.isoformat(),
             "ip": "10.20.1.15", "user_agent": "Mozilla/5.0 (Windows NT 10.0) Edge/131.0",
             "comment": "Countersigned; disagreement recorded."},
        ],
    }


def organisation_p12(directory: Path, organisation: str) -> Path:
    path = directory / f"{organisation.replace(' ', '-')}.p12"
    create_organisation_certificate(path, b"correct horse", organisation)
    return path


@pytest.fixture(scope="module")
def converter():
    with Converter() as warm:
        yield warm


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    directory = tmp_path_factory.mktemp("org")
    return load_signer(organisation_p12(directory, "Northshire Council"), b"correct horse")


@pytest.fixture(scope="module")
def record() -> bytes:
    return supervision_record()


@pytest.fixture(scope="module")
def sealed(record, converter, signer) -> bytes:
    return finalise(record, audit_certificate(), converter=converter, signer=signer)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with every run of whitespace made one space: table cells wrap lines."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def flipped(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- conversion ---------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_converted_pdf_holds_the_records_heading(converter, record):
    pdf = converter.convert(record)

    assert pdf.startswith(b"%PDF")
    assert HEADING in pdf_text(pdf)


@pytest.mark.libreoffice
def test_cold_conversion_leaves_no_copy_of_the_record_behind(tmp_path, monkeypatch, record):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    pdf = cold_convert(record)

    assert HEADING in pdf_text(pdf)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.libreoffice
def test_converter_works_in_a_private_directory(converter):
    assert converter.workdir.stat().st_mode & 0o777 == 0o700


def test_missing_unoserver_is_a_conversion_error_not_a_hang(tmp_path):
    converter = Converter(tmp_path / "no-such-unoserver")

    with pytest.raises(ConversionError, match="cannot start"):
        converter.start()
    assert converter.workdir is None


@pytest.mark.libreoffice
def test_killed_unoserver_is_replaced_and_the_next_document_still_converts(converter, record):
    old_pid = converter.pid
    os.killpg(old_pid, signal.SIGKILL)  # unoserver, oosplash and soffice.bin together

    started = time.monotonic()
    pdf = converter.convert(record)

    assert time.monotonic() - started < 30  # well short of unoserver's own 40 s retry
    assert HEADING in pdf_text(pdf)
    assert converter.wait_ready(30)
    assert converter.pid != old_pid
    assert HEADING in pdf_text(converter.convert(record))


@pytest.mark.libreoffice
def test_killed_libreoffice_under_a_live_unoserver_still_converts(converter, record):
    assert converter.wait_ready(30)
    old_pid = converter.pid
    os.kill(libreoffice_pid(process_group=old_pid), signal.SIGKILL)

    started = time.monotonic()
    pdf = converter.convert(record)

    assert time.monotonic() - started < 30  # well short of unoserver's own 40 s retry
    assert HEADING in pdf_text(pdf)
    assert converter.wait_ready(30)
    assert converter.pid != old_pid


def libreoffice_pid(process_group: int) -> int:
    """The soffice.bin that unoserver launched, found in its process group via /proc."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" (", 1)
        except OSError:
            continue  # the process exited while we looked
        name, fields = rest.rsplit(") ", 1)
        if name == "soffice.bin" and int(fields.split()[2]) == process_group:
            return int(pid)
    raise LookupError(f"no soffice.bin in process group {process_group}")


# --- finalise -----------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_seal_validates_with_the_organisation_certificate_as_trust_root(sealed, signer):
    reader = PdfFileReader(io.BytesIO(sealed))
    [signature] = reader.embedded_signatures

    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=[signer.signing_cert])
    )

    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE


@pytest.mark.libreoffice
def test_sealed_pdf_ends_with_the_certificate_page(sealed, record):
    text = pdf_text(sealed)
    certificate_page = text[text.index(CERTIFICATE_TITLE):]
    squeezed = re.sub(r"\s+", "", certificate_page)

    assert HEADING in text[: text.index(CERTIFICATE_TITLE)]
    assert "DISAGREEMENT RECORDED" in certificate_page
    assert "The caseload figure should be 18, not 22." in certificate_page
    for expected in ("REC-2025-0042", "priya.shah@council.example", "10.20.7.33", "sent",
                     "opened", "signed", "2025-03-1109:42:17UTC", sha256_hex(record)):
        assert expected in squeezed


@pytest.mark.libreoffice
def test_attachment_is_the_signed_docx_byte_for_byte(sealed, record):
    attachments = PdfReader(io.BytesIO(sealed)).attachments

    assert attachments == {"record-REC-2025-0042-v3.docx": [record]}


@pytest.mark.libreoffice
def test_sealed_pdf_carries_title_and_record_id(sealed):
    metadata = PdfReader(io.BytesIO(sealed)).metadata

    assert metadata.title == "Practitioner supervision record, Priya Shah, 4 March 2025"
    assert metadata[RECORD_ID_KEY] == "REC-2025-0042"


@pytest.mark.libreoffice
def test_sealed_pdf_is_pdf_a_3b_with_its_word_file_as_source(sealed):
    """Issue 25: kept seven years, the record stays PDF/A-3b through the attachment and the seal
    (tests/pdf_archival.py says which rules are checked and why veraPDF is not run)."""
    assert pdf_archival.problems(sealed) == []
    [spec] = [ref.get_object() for ref in PdfReader(io.BytesIO(sealed)).trailer["/Root"]["/AF"]]
    assert spec["/AFRelationship"] == "/Source" and spec["/UF"] == "record-REC-2025-0042-v3.docx"


# --- verify -------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_sealed_record_is_genuine_and_reports_what_we_stored(sealed, signer):
    stored = {sha256_hex(sealed): {"record_id": "REC-2025-0042", "stored": "2025-03-11"}}

    verdict = verify_pdf(sealed, signer.signing_cert, stored.get)

    assert verdict.status == "genuine"
    assert verdict.record_id == "REC-2025-0042"
    assert "Northshire Council" in verdict.signed_by
    assert verdict.details["record"] == {"record_id": "REC-2025-0042", "stored": "2025-03-11"}


def named_positions(sealed: bytes, record: bytes) -> dict[str, int]:
    """Byte positions inside the parts of a sealed PDF that a forger would want to change."""
    contents_ref = re.search(rb"/Contents (\d+) 0 R", sealed).group(1)
    content_object = re.search(rb"\n" + contents_ref + rb" 0 obj", sealed).end()
    content_stream = sealed.index(b"stream", content_object) + 40
    hole = re.search(rb"/Contents <([0-9A-Fa-f]+)>", sealed)
    return {
        "page content stream": content_stream,
        "attached docx": sealed.index(record[1000:1040]) + 20,
        "record id metadata": sealed.index(RECORD_ID_KEY.encode()) + 5,
        "signature value": hole.start(1) + 1000,
        "signature zero padding": hole.end(1) - 20,
        "cross-reference table near the end": len(sealed) - 120,
        "last byte": len(sealed) - 1,
    }


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "part",
    ["page content stream", "attached docx", "record id metadata", "signature value",
     "signature zero padding", "cross-reference table near the end", "last byte"],
)
def test_one_flipped_byte_makes_a_sealed_record_altered(sealed, record, signer, part):
    position = named_positions(sealed, record)[part]

    verdict = verify_pdf(flipped(sealed, position), signer.signing_cert, nothing_known)

    assert verdict.status == "altered"


@pytest.mark.libreoffice
def test_no_flipped_byte_anywhere_passes_as_genuine(sealed, signer):
    step = len(sealed) // 97
    statuses = {
        position: verify_pdf(flipped(sealed, position), signer.signing_cert, nothing_known).status
        for position in range(0, len(sealed), step)
    }

    assert set(statuses.values()) == {"altered"}, statuses


@pytest.mark.libreoffice
def test_hex_case_changed_in_the_signature_is_altered(sealed, signer):
    hole = re.search(rb"/Contents <([0-9A-Fa-f]+)>", sealed)
    letter = re.search(rb"[A-F]", hole.group(1)).start() + hole.start(1)

    verdict = verify_pdf(
        sealed[:letter] + sealed[letter : letter + 1].lower() + sealed[letter + 1 :],
        signer.signing_cert,
        nothing_known,
    )

    assert verdict.status == "altered"


@pytest.mark.libreoffice
def test_update_appended_after_the_seal_makes_it_altered(sealed, signer):
    writer = PdfWriter(io.BytesIO(sealed), incremental=True)
    writer.add_metadata({"/Title": "Practitioner supervision record (amended)"})
    amended = io.BytesIO()
    writer.write(amended)

    verdict = verify_pdf(amended.getvalue(), signer.signing_cert, nothing_known)

    assert amended.getvalue().startswith(sealed)
    assert verdict.status == "altered"
    assert verdict.record_id == "REC-2025-0042"


@pytest.mark.libreoffice
def test_record_with_its_seal_cut_off_is_altered(sealed, signer):
    # The seal is the last revision; the one before it carries the record's attachment and metadata.
    unsigned_revision = sealed[: sealed.rindex(b"%%EOF", 0, len(sealed) - len(b"%%EOF\n")) + len(b"%%EOF\n")]

    verdict = verify_pdf(unsigned_revision, signer.signing_cert, nothing_known)

    assert verdict.status == "altered"


@pytest.mark.libreoffice
def test_record_cut_back_to_the_converters_output_is_not_ours(sealed, signer):
    # The first revision is LibreOffice's PDF as it came out: the record's marker, its attachment and
    # its seal all follow it, so what is left no longer says it is a record of ours.
    converted = sealed[: sealed.index(b"%%EOF") + len(b"%%EOF\n")]

    verdict = verify_pdf(converted, signer.signing_cert, nothing_known)

    assert RECORD_ID_KEY.encode() not in converted and converted.count(b"%%EOF") == 1
    assert HEADING in pdf_text(converted)  # it still reads as the record, certificate page and all
    assert verdict.status == "not_ours"
    assert verdict.record_id is None


def test_unrelated_pdf_is_not_ours(signer):
    verdict = verify_pdf(blank_pdf(), signer.signing_cert, nothing_known)

    assert verdict.status == "not_ours"
    assert verdict.record_id is None


def test_random_bytes_are_not_ours(signer):
    assert verify_pdf(os.urandom(2048), signer.signing_cert, nothing_known).status == "not_ours"


def test_record_sealed_by_another_organisation_is_not_ours(tmp_path, signer):
    other = load_signer(organisation_p12(tmp_path, "Elsewhere Borough Council"), b"correct horse")
    pdf = seal_pdf(blank_pdf(), signer=other, attachment_name="record.docx",
                   attachment=supervision_record(),
                   metadata={"/Title": "Supervision record", RECORD_ID_KEY: "REC-2025-0042"})

    assert verify_pdf(pdf, other.signing_cert, nothing_known).status == "genuine"
    assert verify_pdf(pdf, signer.signing_cert, nothing_known).status == "not_ours"


def test_seal_forged_in_our_organisations_name_is_never_genuine(tmp_path, signer):
    impostor = load_signer(organisation_p12(tmp_path, "Northshire Council"), b"correct horse")
    pdf = seal_pdf(blank_pdf(), signer=impostor, attachment_name="record.docx",
                   attachment=b"PK", metadata={RECORD_ID_KEY: "REC-2025-0042"})

    assert verify_pdf(pdf, signer.signing_cert, nothing_known).status == "altered"


def test_timestamped_seal_is_genuine_when_the_timestamp_authority_is_trusted(tmp_path, signer):
    tsa_cert, tsa_key = timestamp_authority()
    stamper = DummyTimeStamper(tsa_cert=tsa_cert, tsa_key=tsa_key)
    pdf = seal_pdf(blank_pdf(), signer=signer, attachment_name="record.docx", attachment=b"PK",
                   metadata={RECORD_ID_KEY: "REC-1"}, timestamper=stamper)

    trusting_tsa = verify_pdf(pdf, signer.signing_cert, nothing_known, tsa_certs=[tsa_cert])
    assert trusting_tsa.status == "genuine"
    assert verify_pdf(pdf, signer.signing_cert, nothing_known).status == "altered"


def timestamp_authority():
    """A throwaway RFC 3161 authority: pyHanko requires a critical timeStamping EKU."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            asn1_keys.PrivateKeyInfo.load(key_der))


# --- organisation certificate -------------------------------------------------------------


def test_wrong_passphrase_is_a_seal_error(tmp_path):
    path = organisation_p12(tmp_path, "Northshire Council")

    with pytest.raises(SealError, match="passphrase"):
        load_signer(path, b"wrong")


def test_certificate_file_is_readable_by_its_owner_only(tmp_path):
    path = organisation_p12(tmp_path, "Northshire Council")

    assert path.stat().st_mode & 0o777 == 0o600


def test_existing_certificate_is_never_overwritten(tmp_path):
    path = organisation_p12(tmp_path, "Northshire Council")
    before = path.read_bytes()

    with pytest.raises(SealError, match="already exists"):
        create_organisation_certificate(path, b"other", "Northshire Council")
    assert path.read_bytes() == before
