"""Seal a signed record as a PDF, and tell later whether a PDF is one of our sealed records.

A record is finalised once, after sign-off: the certificate page (who signed, when, from where)
is appended to the signed Word document, the whole is converted to PDF in one LibreOffice pass,
the signed Word document is embedded as an attachment, and the organisation's certificate
applies one PAdES signature over everything. Anyone holding the PDF can then show a court or a
tribunal both the readable record and the exact document that was agreed.

A record is kept for years after its organisation certificate expires. Without a time-stamping
authority the seal is PAdES B-B with its validation data embedded (not B-LT, which builds on a
signature timestamp), and nothing dates it before the certificate expires; B-LTA where
DOCGEN_TIMESTAMP_URL is set (a signature timestamp, then a document timestamp after it). The same
authority dates the audit chain's head (`timestamp_token`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import os
import re
import secrets
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Protocol, Sequence

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

# pyHanko 0.38 imports cryptography's DSAPrivateKey when it loads, and cryptography 51 deprecates DSA
# with a warning on that import. docgen seals with RSA and never reads a DSA key, so this one warning,
# from pyHanko's own modules, tells no user anything: it alone is ignored. tests/unit/
# test_dependency_lock.py fails once pyHanko no longer raises it, so the filter goes with the cause.
# It is installed as this module loads, before any function below imports pyHanko.
warnings.filterwarnings("ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning,
                        module=r"pyhanko\.")

from kernel import clock
from kernel.config import Config, ConfigError
from documents.certificate import certificate_page_docx
from documents.render import DEFAULT_TEMPLATE_DIR

if TYPE_CHECKING:  # pyHanko is imported by the functions that seal or verify: a process doing neither never loads it
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.timestamps import TimeStamper
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
    from pyhanko.sign.validation.status import PdfSignatureStatus
    from pyhanko_certvalidator import ValidationContext

RECORD_ID_KEY = "/DocgenRecordId"
"""Custom document-info key that marks a PDF as one of our records (and names which)."""

SEAL_FIELD = "DocgenSeal"
ARCHIVE_TIMESTAMP_FIELD = "DocgenArchiveTimestamp"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class SealError(ConfigError):
    """The organisation certificate cannot be created or used (wrong passphrase, missing file): its
    settings (DOCGEN_ORG_P12, DOCGEN_ORG_P12_PASSPHRASE) are wrong, so a command ends with one line."""


class PdfConverter(Protocol):
    """What finalise needs from documents.pdf: DOCX bytes in, PDF bytes out."""

    def convert(self, docx: bytes) -> bytes: ...


@dataclass(frozen=True)
class Verdict:
    """The answer /verify gives about an uploaded PDF.

    status is "genuine" (our seal, intact, nothing added since), "altered" (it claims to be one
    of our records but is not byte-for-byte what we sealed) or "not_ours".
    """

    status: str
    record_id: str | None = None
    signed_by: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


# --- organisation certificate -------------------------------------------------------------


def create_organisation_certificate(p12_path: Path, passphrase: bytes, organisation: str) -> None:
    """Create the self-signed sealing certificate that `docgen init` gives a new installation.

    KeyUsage carries content_commitment (non-repudiation) because pyHanko's default key-usage
    policy requires it for signing; the file is created 0600 and never overwritten, because
    losing the old key would leave every record sealed with it unverifiable.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = pkcs12.serialize_key_and_certificates(
        organisation.encode(), key, _self_signed(key, organisation), None,
        serialization.BestAvailableEncryption(passphrase)
    )
    p12_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(p12_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise SealError(f"{p12_path} already exists; refusing to replace the sealing key") from exc
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), 0o600)  # the umask may not narrow, but must never widen
        out.write(data)


def _self_signed(key: rsa.RSAPrivateKey, organisation: str) -> x509.Certificate:
    """The organisation's own certificate for `key`, valid ten years, for sealing only."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} record seal"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3653))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def load_signer(p12_path: Path, passphrase: bytes) -> signers.SimpleSigner:
    """Load the organisation's sealing key; fail loudly rather than seal with nothing.

    A process keeps the signer it last loaded from each path (its key derivation and key check cost
    more than a seal's signature, and a worker seals every PDF with the same key), and loads the
    file again once it is another file or has been written since (`_version`) or is asked with
    another passphrase. Only that last signer is kept, so a rotated key leaves no copy behind, and a
    load that fails forgets it too: a wrong passphrase is never answered from memory.
    """
    path = Path(p12_path).absolute()  # as configured: a symlink moved to another file is the same path
    kept = _LOADED.pop(path, None)
    try:
        with path.open("rb") as file:
            version = _version(os.fstat(file.fileno()))
            if kept is not None and kept[0] == version and hmac.compare_digest(kept[1], passphrase):
                _LOADED[path] = kept
                return kept[2]
            data = file.read()
    except OSError as exc:
        raise SealError(f"cannot read the organisation certificate {p12_path}: {exc}") from exc
    signer = _open_pkcs12(path, data, passphrase)
    _LOADED[path] = (version, passphrase, signer)
    return signer


_LOADED: dict[Path, tuple[tuple[int, ...], bytes, signers.SimpleSigner]] = {}
"""The signer last loaded from each PKCS#12 path, with the file version and passphrase it came from."""


def _version(found: os.stat_result) -> tuple[int, ...]:
    """Which file, as last written: a file put in its place (os.replace) has another inode, and any
    write, even one that sets the old modification time back, moves its change time (st_ctime_ns),
    which no program can set."""
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns


def _open_pkcs12(path: Path, data: bytes, passphrase: bytes) -> signers.SimpleSigner:
    """pyHanko's load_pkcs12 only logs and returns None on a wrong passphrase, so the data variant
    (which raises) is used and its error turned into a SealError."""
    from pyhanko.sign import signers

    from documents.seal_signer import OrganisationSigner

    try:
        return OrganisationSigner(signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=passphrase))
    except ValueError as exc:
        raise SealError(
            f"cannot open the organisation certificate {path}: wrong passphrase or damaged file"
        ) from exc


# --- sealing ------------------------------------------------------------------------------


def seal_pdf(
    pdf: bytes,
    *,
    signer: signers.Signer,
    attachment_name: str,
    attachment: bytes,
    metadata: Mapping[str, str],
    timestamper: TimeStamper | None = None,
    validation_context: ValidationContext | None = None,
) -> bytes:
    """Embed the signed DOCX and the record's metadata, then apply one PAdES signature.

    metadata keys are PDF document-info names ("/Title", RECORD_ID_KEY, ...); RECORD_ID_KEY is
    required because /verify uses it to recognise a damaged record as ours. Attachment and
    metadata are written before signing so that the signature covers them, in a revision of their
    own appended to the converted PDF (not the whole file written again). So a record whose seal
    revision is cut off still names itself ours, and /verify calls it altered; cut back to its first
    revision it is the converter's output again, which names no record, and /verify calls it not ours.

    With a validation_context (`long_term_context`) the seal is PAdES B-B with its validation data: the certificates,
    CRLs and OCSP responses that show the organisation certificate valid at sealing are embedded
    in the document security store, in the seal's own revision; without a timestamp, though, nothing
    shows the seal was made before that certificate expired. With a timestamper as well it is
    B-LTA: a signature timestamp, then one document timestamp over the whole file (with the
    timestamp authority's validation data in its revision), which dates everything before it.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    if RECORD_ID_KEY not in metadata:
        raise ValueError(f"metadata must carry {RECORD_ID_KEY}")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    _attach_source(writer, attachment_name, attachment)
    _describe(writer, metadata)
    prepared = io.BytesIO()
    writer.write(prepared)
    signature_meta = _seal_metadata(validation_context, lta=timestamper is not None)
    sealed = signers.sign_pdf(IncrementalPdfFileWriter(prepared), signature_meta, signer=signer, timestamper=timestamper)
    return sealed.getvalue()


def _seal_metadata(validation_context: ValidationContext | None, *, lta: bool) -> signers.PdfSignatureMetadata:
    """The seal's signature settings: B-B without a validation context, B-B with its validation data
    embedded with one, B-LTA with a timestamper as well."""
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference

    long_term = validation_context is not None
    return signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="Sealed record of professional supervision",
        embed_validation_info=long_term,
        validation_context=validation_context,
        use_pades_lta=long_term and lta,
        timestamp_field_name=ARCHIVE_TIMESTAMP_FIELD,
        # The DSS goes in the seal's revision (and the document timestamp's in its own, before it
        # is stamped): a record without a timestamp stays one revision, and a B-LTA record's last signature, the
        # document timestamp, covers the whole file, which is what `verify_pdf` asks of it.
        dss_settings=DSSContentSettings(placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
                                        include_vri=False),
    )


def _attach_source(writer: IncrementalPdfFileWriter, name: str, docx: bytes) -> None:
    """Embed the signed Word file as PDF/A-3 asks of an attachment: its MIME type, its date, both
    file names, and an /AF entry in the catalog saying it is the source of the PDF. Not pyHanko's
    `embed_file`, which declares PDF 2.0 for an /AF entry where PDF/A-3 is PDF 1.7 and cannot add to
    a name tree with /Kids. The Word file, a zip already, is stored as it is. Files the converted PDF
    holds already (LibreOffice can embed some) stay beside it, but for one of the same name: a record
    is never left unsealable, and its attachment of that name is the signed Word file."""
    from pyhanko.pdf_utils import embed, generic

    data = embed.EmbeddedFileObject.from_file_data(
        writer, docx, compress=False, mime_type=DOCX_MIME,
        params=embed.EmbeddedFileParams(embed_checksum=False, modification_date=dt.datetime.now(dt.timezone.utc)))
    spec = writer.add_object(embed.FileSpec(
        file_spec_string=name, file_name=name, embedded_data=data,
        description="The signed Word record this PDF was made from",
        af_relationship=generic.pdf_name("/Source")).as_pdf_object())
    root = writer.root
    if "/Names" not in root:
        root["/Names"] = writer.add_object(generic.DictionaryObject())
    names = root["/Names"]
    ours = generic.pdf_string(name)
    files = [(key, value) for key, value in _name_tree(names.get("/EmbeddedFiles")) if _text(key) != name]
    files = sorted([*files, (ours, spec)], key=lambda entry: _text(entry[0]))  # a name tree is sorted
    names["/EmbeddedFiles"] = generic.DictionaryObject(
        {generic.pdf_name("/Names"): generic.ArrayObject([item for entry in files for item in entry])})
    writer.update_container(names)
    associated = root.get("/AF", generic.ArrayObject())
    root["/AF"] = generic.ArrayObject([*(associated.raw_get(i) for i in range(len(associated))), spec])
    writer.update_root()


def _name_tree(node: Any) -> Iterator[tuple[Any, Any]]:
    """The (key, value) pairs of a PDF name tree, in its order, its values as stored (references
    stay references, so that the catalog's /AF still names the same file specifications)."""
    if node is None:
        return
    node = node.get_object()
    leaves = node.get("/Names", ())
    for index in range(0, len(leaves) - 1, 2):
        yield leaves[index], leaves.raw_get(index + 1)
    for kid in node.get("/Kids", ()):
        yield from _name_tree(kid)


def _text(key: str | bytes) -> str:
    """A name tree key as text, to compare and sort by: for the ASCII names a record's attachment
    has (`_attachment_name`), the byte order the PDF standard sorts a name tree by."""
    return key if isinstance(key, str) else bytes(key).decode("latin-1")


def _describe(writer: IncrementalPdfFileWriter, metadata: Mapping[str, str]) -> None:
    """The record's document info. Its producer is left to pyHanko, which then writes the same one
    in the info and the XMP metadata (PDF/A asks both to agree; pyHanko would otherwise append
    itself to LibreOffice's in one and replace it in the other)."""
    from pyhanko.pdf_utils import generic

    try:
        reference = writer.trailer.raw_get("/Info")
    except KeyError:
        reference = writer.set_info(generic.DictionaryObject())
    info = reference.get_object()
    info.update({generic.pdf_name(key): generic.pdf_string(value) for key, value in metadata.items()})
    info.pop("/Producer", None)
    writer.mark_update(reference)
    # pyHanko writes title and subject into the XMP metadata too, where the PDF/A export keeps them.
    writer.document_meta.title = metadata.get("/Title")
    writer.document_meta.subject = metadata.get("/Subject")


def finalise(
    record_docx: bytes,
    certificate: Mapping[str, Any],
    *,
    converter: PdfConverter,
    signer: signers.Signer,
    timestamper: TimeStamper | None = None,
    validation_context: ValidationContext | None = None,
    template_dirs: Sequence[Path] = (DEFAULT_TEMPLATE_DIR,),
) -> bytes:
    """Turn a signed-off record into its sealed PDF: certificate page, one conversion, seal.

    template_dirs are searched in order for the certificate page's template (a council's own
    DOCGEN_TEMPLATE_DIR first); the certificate's shape is documents.certificate's. The seal is
    B-B with its validation data with a validation_context, B-LTA with a timestamper too (see `seal_pdf`).
    """
    pdf = converter.convert(certificate_page_docx(record_docx, certificate, template_dirs))
    record_id = str(certificate["record_id"])
    metadata = {
        "/Title": certificate["title"],
        "/Subject": "Record of professional supervision",
        RECORD_ID_KEY: record_id,
        "/DocgenVersion": str(certificate["version"]),
        "/DocgenDocxSha256": sha256_hex(record_docx),
    }
    return seal_pdf(
        pdf,
        signer=signer,
        attachment_name=_attachment_name(record_id, certificate["version"]),
        attachment=record_docx,
        metadata=metadata,
        timestamper=timestamper,
        validation_context=validation_context,
    )


def _attachment_name(record_id: str, version: object) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", f"record-{record_id}-v{version}") + ".docx"


def sha256_hex(data: bytes) -> str:
    """The hash stored for documents and shown on the certificate page."""
    return hashlib.sha256(data).hexdigest()


# --- verification -------------------------------------------------------------------------


def verify_pdf(pdf: bytes, trust_cert: asn1_x509.Certificate, known_hash: Callable[[str], dict | None], *,
               tsa_certs: Iterable[asn1_x509.Certificate] = (), at: dt.datetime | None = None,
               issuers: Iterable[asn1_x509.Certificate] = (),
               filed_at: Callable[[str], dt.datetime | None] | None = None) -> Verdict:
    """Say whether an uploaded PDF is a genuine, unaltered record sealed by us.

    trust_cert is the organisation certificate (e.g. load_signer(...).signing_cert); tsa_certs
    are the trusted timestamp authorities, needed only if records were timestamped; `at` is when
    to judge it (now by default; later than now only to show a seal outlasting its certificate).
    issuers are the CA certificates above a CA-issued organisation certificate (its PKCS#12's, as
    `long_term_context` takes them); with them the organisation certificate must also be shown
    unrevoked when the seal was made, as far as a trusted time shows it (`_revocation_time`: a
    timestamp's, else when the caller filed these exact bytes, `filed_at(sha256)`, else `at`); one
    revoked by then is REVOKED, one that cannot be shown unrevoked REVOCATION_UNKNOWN. filed_at is
    asked only when no timestamp dates the seal, and only the caller's own tamper-evident record of
    filing may answer it (docgen's hash-chained audit log): an upload's own dates are its signer's word.
    Genuine needs our signature to validate with trust_cert as the only trust root and nothing
    but what long-term validation adds after it: either the seal covers the entire file (B-B,
    B-T, B-LT), or every later revision is validation data and document timestamps only (pyHanko's
    difference analysis), each timestamp validates against tsa_certs, and the last covers the
    entire file (B-LTA). So any other content appended after the seal or after the last
    timestamp, even something pyHanko's diff policy would tolerate, is "altered".
    A file that no longer parses, or whose signature cannot be read, is "altered" when it still
    carries our record marker. A seal by some other certificate is "not_ours", even with our
    metadata copied into it.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    digest = sha256_hex(pdf)
    details: dict[str, Any] = {"sha256": digest}
    known = known_hash(digest)
    if known is not None:
        details["record"] = known
    marked = RECORD_ID_KEY.encode() in pdf
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
        record_id = _record_id(reader)
    except Exception as exc:  # any parse failure of a hostile upload is an answer, not a crash
        return _unreadable(marked, details, f"the file cannot be read as a signed PDF: {exc}")
    marked = marked or record_id is not None
    claims = [(sig, _claims_ours(sig, trust_cert)) for sig in signatures]
    ours = [sig for sig, claim in claims if claim is True]
    if ours:
        filed = (lambda: filed_at(digest)) if filed_at is not None else None
        trust = _Trust(trust_cert, tuple(tsa_certs), at, tuple(issuers), filed)
        return _judge_our_seal(pdf, ours[0], signatures, trust, record_id, details)
    if marked and (not signatures or any(claim is None for _, claim in claims)):
        reason = "our seal is missing or unreadable"
        return Verdict("altered", record_id, None, details | {"reason": reason})
    return Verdict("not_ours", None, None, details | {"reason": "not sealed by this organisation"})


def _unreadable(marked: bool, details: dict[str, Any], reason: str) -> Verdict:
    return Verdict("altered" if marked else "not_ours", None, None, details | {"reason": reason})


def _record_id(reader: PdfFileReader) -> str | None:
    info = reader.trailer_view.get("/Info")
    if info is None:
        return None
    value = info.get_object().get(RECORD_ID_KEY)
    return None if value is None else str(value)


def _signed_record_id(sig: EmbeddedPdfSignature) -> str | None:
    """The record id in the revision our seal signed: what a later update writes into the document
    info is nobody's word but its writer's, so it never names the record."""
    try:
        info = _info(sig.reader.get_historical_resolver(sig.signed_revision))
        return None if info is None else info.get(RECORD_ID_KEY)
    except Exception:  # a damaged file names no record
        return None


_XMP_UPDATED_ON_SAVE = re.compile(
    rb"<(xmp:ModifyDate|xmp:MetadataDate|pdf:Producer)>.*?</\1>|<(xmp:ModifyDate|xmp:MetadataDate|pdf:Producer)/>"
    rb"|\s(?:xmp:ModifyDate|xmp:MetadataDate|pdf:Producer)=(?:\"[^\"]*\"|'[^']*')", re.S)
"""What a PDF writer may change in the XMP of an incremental update that only adds a timestamp."""


def _metadata_problems(sig: EmbeddedPdfSignature) -> list[str]:
    """pyHanko's LTA_UPDATES level lets a later revision rewrite the document info, the XMP metadata
    and /MarkInfo, and the configured authority stamps whatever it is sent. So after a B-LTA seal
    they must still be what the seal signed, but for the dates and producer a writer updates."""
    signed = sig.reader.get_historical_resolver(sig.signed_revision)
    latest = sig.reader
    if _info(signed) != _info(latest):
        return ["the document metadata was changed after sealing"]
    signed_root, latest_root = signed.get_object(signed.root_ref), latest.get_object(latest.root_ref)
    if _xmp(signed_root) != _xmp(latest_root) or _flat(signed_root.get("/MarkInfo")) != _flat(
            latest_root.get("/MarkInfo")):
        return ["the XMP metadata or /MarkInfo was changed after sealing"]
    return []


def _info(handler: Any) -> dict[str, str] | None:
    """The document info of one revision (its trailer's references resolved in that revision)."""
    entry = handler.trailer_view.raw_get("/Info") if "/Info" in handler.trailer_view else None
    info = handler.get_object(entry.reference) if hasattr(entry, "reference") else entry
    return _flat(info, {"/ModDate", "/Producer"})


def _flat(entry: Any, ignored: Iterable[str] = ()) -> dict[str, str] | None:
    """A dictionary of simple values (the document info, /MarkInfo) as text, for comparison."""
    if entry is None:
        return None
    return {str(key): str(value.get_object()) for key, value in entry.get_object().items() if key not in ignored}


def _xmp(root: Any) -> bytes | None:
    metadata = root.get("/Metadata")
    return None if metadata is None else _XMP_UPDATED_ON_SAVE.sub(b"", metadata.get_object().data)


def _claims_ours(sig: EmbeddedPdfSignature, trust_cert: asn1_x509.Certificate) -> bool | None:
    """Does this signature present itself as our seal? None when it is too damaged to say.

    Matching on name OR key OR issuer+serial means a flipped byte in any one of them still
    reads as a damaged seal of ours ("altered") rather than someone else's.
    """
    try:
        cert = sig.signer_cert
        return (
            cert.subject == trust_cert.subject
            or cert.public_key.dump() == trust_cert.public_key.dump()
            or (cert.issuer == trust_cert.issuer and cert.serial_number == trust_cert.serial_number)
        )
    except Exception:
        return None


@dataclass(frozen=True)
class _Trust:
    """Whom verify trusts and when it judges: our certificate, the timestamp authorities, a time, the
    CA certificates above ours when a CA issued it, and when its caller filed the file's exact bytes
    (asked only when needed: `_revocation_time`)."""

    org: asn1_x509.Certificate
    tsa: tuple[asn1_x509.Certificate, ...]
    at: dt.datetime | None
    issuers: tuple[asn1_x509.Certificate, ...] = ()
    filed: Callable[[], dt.datetime | None] | None = None

    def context(self, roots: Iterable[asn1_x509.Certificate], moment: dt.datetime | None = None) -> ValidationContext:
        """A context that never fetches: an uploaded file's certificates could name any address."""
        from pyhanko_certvalidator import ValidationContext

        return ValidationContext(trust_roots=list(roots), moment=moment or self.at, allow_fetching=False)


def _judge_our_seal(
    pdf: bytes,
    sig: EmbeddedPdfSignature,
    signatures: Sequence[EmbeddedPdfSignature],
    trust: _Trust,
    record_id: str | None,
    details: dict[str, Any],
) -> Verdict:
    signed_by = sig.signer_cert.subject.human_friendly
    archive = [other for other in signatures if other is not sig]
    record_id = _signed_record_id(sig)
    try:
        stamps_dated = _stamp_time(archive[0]) if archive else None
        status = _seal_status(sig, trust, stamps_dated)
        problems = [*_archive_problems(status, archive, trust), *_metadata_problems(sig)] if archive else []
    except Exception as exc:
        return _fails(record_id, signed_by, details, exc)
    # Outside the try: asking when these bytes were filed reads the caller's database, and its
    # failure is the service's, never evidence that the file was altered
    judged = _revocation_time(status, stamps_dated, trust) if status.bottom_line and trust.issuers else None
    try:
        unrevoked = _revocation_problems(sig, trust, judged) if judged else []
    except Exception as exc:
        return _fails(record_id, signed_by, details, exc)
    if judged:
        details["revocation_judged"] = judged.as_detail()
    if not status.bottom_line:
        problems.insert(0, "the seal does not validate")
    problems += _structure_problems(pdf, sig, signatures, archive, status)
    # Last, so a reason that starts with REVOCATION_UNKNOWN names no other problem: the verify page
    # says such a seal cannot be checked, a wording that must never hide an alteration found here.
    problems += unrevoked
    if problems:
        return Verdict("altered", record_id, signed_by, details | {"reason": "; ".join(problems)})
    return Verdict("genuine", record_id, signed_by, details | _genuine_details(status, archive, judged))


def _fails(record_id: str | None, signed_by: str, details: dict[str, Any], exc: Exception) -> Verdict:
    """A seal pyHanko cannot even evaluate: whatever broke it, the file is not as sealed."""
    return Verdict("altered", record_id, signed_by, details | {"reason": f"seal fails: {exc}"})


def _genuine_details(status: PdfSignatureStatus, archive: Sequence[EmbeddedPdfSignature],
                     judged: RevocationTime | None) -> dict[str, Any]:
    """What a genuine verdict adds: its reason, saying when a CA-issued certificate was shown
    unrevoked (a filed B-B copy's filing time reads differently from today's date), the time the
    seal states, and how many document timestamps follow it."""
    reason = "sealed by this organisation and unaltered"
    if judged:
        reason += f"; its certificate was unrevoked {judged_when(judged.as_detail())}"
    signed_at = status.signer_reported_dt
    added: dict[str, Any] = {"reason": reason, "signed_at": signed_at.isoformat() if signed_at else None}
    if archive:
        added["archive_timestamps"] = len(archive)
    return added


def _structure_problems(pdf: bytes, sig: EmbeddedPdfSignature, signatures: Sequence[EmbeddedPdfSignature],
                        archive: Sequence[EmbeddedPdfSignature], status: PdfSignatureStatus) -> list[str]:
    """What was added to or changed in the file around our seal: without document timestamps the
    seal must cover it all; with them, nothing but those timestamps may follow it."""
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    problems = []
    if not archive and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append("content was added after sealing")
    if signatures[0] is not sig or any(other.sig_object_type != "/DocTimeStamp" for other in archive):
        problems.append("the file carries another signature")
    if not all(_container_untouched(pdf, each) for each in signatures):
        problems.append("the signature container was modified")
    return problems


def _seal_status(sig: EmbeddedPdfSignature, trust: _Trust, stamps_dated: dt.datetime | None) -> PdfSignatureStatus:
    """pyHanko's judgement of our seal, with our certificate as the only trust root. A trusted
    signature timestamp proves the seal existed at its time, so where the certificate no longer
    validates (it has expired since) it is judged at that time instead: a record sealed while the
    certificate was valid stays genuine after it expires. The signature timestamp's authority is
    judged when the first document timestamp dates it (`stamps_dated`), else now."""
    from pyhanko.sign.validation import validate_pdf_signature

    status = validate_pdf_signature(sig, signer_validation_context=trust.context([trust.org]),
                                    ts_validation_context=trust.context(trust.tsa, stamps_dated))
    stamp = status.timestamp_validity
    if status.bottom_line or stamp is None or not (stamp.intact and stamp.valid and stamp.trusted):
        return status
    return validate_pdf_signature(sig, signer_validation_context=trust.context([trust.org], stamp.timestamp),
                                  ts_validation_context=trust.context(trust.tsa, stamps_dated))


REVOKED = "the organisation certificate had been revoked when the seal was made"
REVOCATION_UNKNOWN = "the organisation certificate cannot be shown unrevoked when the seal was made"
"""The start of the reason for a seal whose file lacks the revocation data (or holds only stale data)
that shows its CA-issued certificate unrevoked: it cannot be checked, which is not proof of an alteration."""


SIGNATURE_TIMESTAMP, DOCUMENT_TIMESTAMP, FILING, CHECKING = ("signature timestamp", "document timestamp",
                                                            "filing", "checking")
"""What vouches for the time revocation is judged at (`RevocationTime.by`), most trusted first."""

_JUDGED_WHEN = {
    SIGNATURE_TIMESTAMP: "when its signature timestamp dated the seal, on {day}",
    DOCUMENT_TIMESTAMP: "when its first document timestamp dated the file, on {day}",
    FILING: "when filed here on {day}",
    CHECKING: "when checked on {day} (nothing dates the seal earlier)",
}


@dataclass(frozen=True)
class RevocationTime:
    """When a CA-issued organisation certificate's revocation is judged, and what vouches for that
    time (SIGNATURE_TIMESTAMP, DOCUMENT_TIMESTAMP, FILING or CHECKING)."""

    at: dt.datetime
    by: str

    def as_detail(self) -> dict[str, str]:
        """As a verdict's details carry it (`revocation_judged`), for the API and `judged_when`."""
        return {"at": self.at.astimezone(dt.timezone.utc).isoformat(), "by": self.by}


def judged_when(judged: Mapping[str, str]) -> str:
    """The verdict's words for when the certificate's revocation was judged, from its
    `revocation_judged` detail, e.g. "when filed here on 3 March 2026": the reason and the verify page
    say it, so a reader knows what a filed B-B copy's "unrevoked" rests on."""
    day = f"{dt.datetime.fromisoformat(judged['at']).astimezone(clock.UK):%-d %B %Y}"
    return _JUDGED_WHEN[judged["by"]].format(day=day)


def _revocation_time(status: PdfSignatureStatus, stamps_dated: dt.datetime | None, trust: _Trust) -> RevocationTime:
    """The earliest time something other than the seal's signer shows the seal existed, when its
    revocation is judged: its trusted signature timestamp's time (B-LTA), else the first document
    timestamp's (`stamps_dated`; the seal is genuine only if `_archive_problems` finds it valid), else
    when the verifier filed these exact bytes (`trust.filed`: docgen's hash-chained audit log dates
    its filing of a B-B record, and the seal was made before it), else the time verify judges at
    (`trust.at`, else now). Never the time the seal states: that is its signer's word, and whoever
    holds a stolen, revoked key would back-date it to before the revocation and copy a "good" answer
    from a genuine record's DSS. Such a file was never filed here, so it is judged now, when that
    answer is stale once its window ends; so is a genuine B-B record that is not a copy filed here."""
    stamp = status.timestamp_validity
    if stamp is not None and stamp.intact and stamp.valid and stamp.trusted:
        return RevocationTime(stamp.timestamp, SIGNATURE_TIMESTAMP)
    if stamps_dated is not None:
        return RevocationTime(stamps_dated, DOCUMENT_TIMESTAMP)
    filed = trust.filed() if trust.filed is not None else None
    if filed is not None:
        return RevocationTime(filed, FILING)
    return RevocationTime(trust.at or clock.now().replace(tzinfo=dt.timezone.utc), CHECKING)


def _revocation_problems(sig: EmbeddedPdfSignature, trust: _Trust, judged: RevocationTime) -> list[str]:
    """Was the CA-issued organisation certificate unrevoked when the seal was made? Judged from the
    CRLs and OCSP responses the file's DSS holds (nothing is fetched: verify runs offline, and an
    upload's certificates could name any address), up to the CA's self-issued certificate among
    `trust.issuers`. Revocation data issued after the seal counts (it is what sealing gathers), and
    none at all for a certificate that names where its status is published fails ("hard-fail"), so
    a file cannot pass by leaving it out. It is judged at a trusted time only (`_revocation_time`)."""
    import asyncio

    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, RevokedError

    # The CA's own certificate where the PKCS#12 holds it; else those it holds, trusted as the
    # configuration that named them (as `long_term_context` falls back to the organisation certificate).
    roots = [cert for cert in trust.issuers if cert.self_issued] or list(trust.issuers)
    settings: dict[str, Any] = {
        "trust_roots": roots, "other_certs": list(trust.issuers),
        "moment": judged.at, "allow_fetching": False, "revocation_mode": "hard-fail", "retroactive_revinfo": True,
        "crls": [], "ocsps": []}
    try:
        context = DocumentSecurityStore.read_dss(sig.reader).as_validation_context(settings)
    except NoDSSFoundError:
        context = ValidationContext(**settings)
    try:
        asyncio.run(CertificateValidator(trust.org, validation_context=context).async_validate_path())
    except RevokedError:
        return [REVOKED]
    except (PathBuildingError, PathValidationError) as exc:
        return [f"{REVOCATION_UNKNOWN}: judged {judged_when(judged.as_detail())}: {exc}"]
    return []


def _stamp_time(stamp: EmbeddedPdfSignature) -> dt.datetime:
    """The time a document timestamp states (its TSTInfo's genTime), checked by validating it."""
    return stamp.signed_data["encap_content_info"]["content"].parsed["gen_time"].native


RENEWAL_NEEDED = "cannot be checked: the archive timestamp needs renewing (its authority's certificate has expired)"


def _archive_problems(status: PdfSignatureStatus, archive: Sequence[EmbeddedPdfSignature],
                      trust: _Trust) -> list[str]:
    """What is wrong with what follows a B-LTA seal: pyHanko's difference analysis must find only
    validation data and document timestamps after it, each timestamp must validate against the
    trusted authorities, and the last must cover the entire file. Each timestamp's authority is
    judged when the next one dates it, the last now; a last one that held at its own time but
    whose authority has expired since is RENEWAL_NEEDED, not proof of an alteration."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    problems = []
    level = status.modification_level
    if not status.docmdp_ok or level is None or level > ModificationLevel.LTA_UPDATES:
        problems.append("content other than validation data and timestamps was added after sealing")
    for stamp, dated in zip(archive, [*(_stamp_time(later) for later in archive[1:]), None]):
        if not _stamp_holds(stamp, trust.context(trust.tsa, dated)):
            renew = dated is None and _stamp_holds(stamp, trust.context(trust.tsa, _stamp_time(stamp)))
            problems.append(RENEWAL_NEEDED if renew else "a document timestamp does not validate")
    if archive[-1].coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append("content was added after the last document timestamp")
    return problems


def _stamp_holds(stamp: EmbeddedPdfSignature, context: ValidationContext) -> bool:
    from pyhanko.sign.validation import validate_pdf_timestamp

    stamped = validate_pdf_timestamp(stamp, validation_context=context)
    return stamped.intact and stamped.valid and stamped.trusted and stamped.docmdp_ok is not False


def _container_untouched(pdf: bytes, sig: EmbeddedPdfSignature) -> bool:
    """The /Contents hole is the one part of the file the signature cannot hash, and the CMS
    parser ignores both hex letter case and whatever follows the DER value. So the hole must be
    what a signer writes: the DER signature then zero padding, in hex of one letter case."""
    hole = pdf[sig.byte_range[1] : sig.byte_range[2]]
    content = sig.pkcs7_content
    hex_digits = content.hex().encode()
    return hole in (b"<" + hex_digits + b">", b"<" + hex_digits.upper() + b">") and not any(
        content[_der_length(content) :]
    )


def _der_length(data: bytes) -> int:
    """Total length of the DER value at the start of data (tag, length octets and contents)."""
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


# --- this deployment's seal, from its settings ----------------------------------------------


def certificate_paths(config: Config) -> tuple[Path, Path]:
    """The organisation's PKCS#12 and the file holding its passphrase (embedded default)."""
    p12 = Path(config.org_p12) if config.org_p12 else config.instance_path / "organisation.p12"
    return p12, config.instance_path / "organisation.pass"


def ensure_organisation_certificate(config: Config, organisation: str) -> Path:
    """Create the self-signed organisation certificate on first `docgen init` (never replaced)."""
    p12, pass_file = certificate_paths(config)
    if p12.exists():
        return p12
    passphrase = config.org_p12_passphrase or secrets.token_urlsafe(24)
    if not config.org_p12_passphrase:
        pass_file.touch(mode=0o600)
        pass_file.write_text(passphrase)
    create_organisation_certificate(p12, passphrase.encode(), organisation)
    return p12


def organisation_signer(config: Config) -> signers.SimpleSigner:
    """The organisation's signer from its PKCS#12 (configured, or made by `docgen init`)."""
    p12, pass_file = certificate_paths(config)
    passphrase = config.org_p12_passphrase or (pass_file.read_text().strip() if pass_file.exists() else "")
    return load_signer(p12, passphrase.encode())


def issuers_of(signer: signers.SimpleSigner) -> list[asn1_x509.Certificate]:
    """The CA certificates above the organisation certificate in its PKCS#12, which `verify_pdf`
    checks its revocation up to: none for a self-signed one (as `docgen init` makes), even when its
    PKCS#12 bundles unrelated CA certificates, which no path from it could reach."""
    if signer.signing_cert.self_issued:
        return []
    return [cert for cert in signer.cert_registry if cert != signer.signing_cert]


def timestamper_for(config: Config) -> RequestsHTTPTimeStamper | None:
    """An RFC 3161 time-stamping authority when configured (DOCGEN_TIMESTAMP_URL), else none."""
    if not config.timestamp_url:
        return None
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    return RequestsHTTPTimeStamper(config.timestamp_url, https=config.timestamp_url.startswith("https://"),
                                   timeout=10)


def long_term_context(config: Config, signer: signers.SimpleSigner) -> ValidationContext:
    """What a long-term seal checks and embeds at sealing: the organisation certificate's chain up to a
    self-signed root in its PKCS#12 (the certificate itself when `docgen init` made it), and the
    time-stamping authority's (DOCGEN_TIMESTAMP_CA). Revocation data is fetched from the addresses
    the certificates name and sealing fails if a source they name cannot be reached ("hard-fail"),
    rather than embed a seal whose validity could not later be shown."""
    from pyhanko_certvalidator import ValidationContext

    chain = [signer.signing_cert, *signer.cert_registry]
    roots = [cert for cert in chain if cert.self_issued] or [signer.signing_cert]
    return ValidationContext(trust_roots=[*roots, *timestamp_authorities(config)], other_certs=chain,
                             allow_fetching=True, revocation_mode="hard-fail")


def timestamp_authorities(config: Config) -> list[asn1_x509.Certificate]:
    """The configured TSA certificates: without them a timestamped seal cannot be judged genuine."""
    if not config.timestamp_ca:
        return []
    data = Path(config.timestamp_ca).read_bytes()
    if pem.detect(data):
        return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [asn1_x509.Certificate.load(data)]


# --- renewing the archive timestamp -------------------------------------------------------


def archive_expires(pdf: bytes) -> dt.datetime | None:
    """When the certificate of the authority that made a record's last document timestamp ends:
    after that `verify_pdf` can no longer check the record (RENEWAL_NEEDED), so it must be renewed
    before. None for a record without a document timestamp (sealed B-B, with no authority), which a
    timestamp made now could not date back to its seal."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    stamps = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_timestamp_signatures
    return stamps[-1].signer_cert.not_valid_after if stamps else None


def authority_expires(timestamper: TimeStamper) -> dt.datetime:
    """When the certificate the authority signs with today ends (asked with one token over a dummy
    digest, which pyHanko keeps for the timestamper's later size estimates): a record whose last
    timestamp ends no earlier gains nothing from a new one."""
    import asyncio

    from pyhanko.sign.general import extract_certificate_info

    token = asyncio.run(timestamper.async_dummy_response("sha256"))
    return extract_certificate_info(token["content"]).signer_cert.not_valid_after


def renew(pdf: bytes, timestamper: TimeStamper, validation_context: ValidationContext) -> bytes:
    """A B-LTA record with one more document timestamp, as an incremental update: the validation data
    of its last timestamp (the authority's chain, CRLs, OCSP responses, as `validation_context`
    gathers them) is added to the DSS, then the new timestamp covers it all. The new one then
    vouches that the old one held while its authority's certificate was valid, so the record stays
    checkable after that certificate ends (PAdES B-LTA, ETSI EN 319 142-1). The last timestamp
    must still validate now (`renewal_context`): a record is renewed before its authority expires.
    Raises ValueError for a record without a document timestamp (see `archive_expires`)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_signer import TimestampDSSContentSettings
    from pyhanko.sign.validation import validate_pdf_timestamp
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    stamps = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_timestamp_signatures
    if not stamps:
        raise ValueError("the record has no document timestamp to renew")
    last = validate_pdf_timestamp(stamps[-1], validation_context=validation_context)
    if not (last.intact and last.valid and last.trusted):
        raise ValueError(f"the record's last document timestamp does not validate now: {last.summary()}")
    # pyHanko's update_archival_timestamp_chain does these steps but adds the new timestamp's own
    # validation data after it, in a revision no timestamp covers, which verify_pdf calls altered; so
    # both go in the revision the new timestamp covers, as the seal's do (`_seal_metadata`).
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    DocumentSecurityStore.supply_dss_in_writer(writer, None, paths=(last.validation_path,),
                                               validation_context=validation_context)
    stamper = signers.PdfTimeStamper(timestamper, field_name=f"{ARCHIVE_TIMESTAMP_FIELD}{len(stamps) + 1}")
    renewed = stamper.timestamp_pdf(writer, last.md_algorithm, validation_context,
                                    dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False))
    return renewed.getvalue()


def renewal_context(config: Config) -> ValidationContext:
    """What a renewal checks the last timestamp against and embeds for it: the configured authorities
    (DOCGEN_TIMESTAMP_CA) as roots, with revocation data fetched from the addresses their
    certificates name, failing where a source they name cannot be reached, as `long_term_context`."""
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=timestamp_authorities(config), allow_fetching=True,
                             revocation_mode="hard-fail")


# --- trusted timestamps over other records (the audit chain's head) -----------------------


def timestamp_token(config: Config, message: bytes) -> bytes:
    """An RFC 3161 token from the configured authority (DOCGEN_TIMESTAMP_URL) over the SHA-256 of
    `message`, as DER: independent proof that `message` existed at the token's time."""
    import asyncio

    stamper = timestamper_for(config)
    if stamper is None:
        raise SealError("DOCGEN_TIMESTAMP_URL is not set: no authority to date anything with")
    token = asyncio.run(stamper.async_timestamp(hashlib.sha256(message).digest(), "sha256"))
    return token.dump()


def timestamp_time(token: bytes, message: bytes, tsa_certs: Iterable[asn1_x509.Certificate]) -> dt.datetime:
    """When a token from a trusted authority says `message` existed. Raises ValueError when the
    token is not one (damaged, over other bytes, or signed by an authority not in tsa_certs)."""
    import asyncio

    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus
    from pyhanko_certvalidator import ValidationContext

    try:
        signed_data = cms.ContentInfo.load(token)["content"]
        status = TimestampSignatureStatus(**asyncio.run(validate_tst_signed_data(
            signed_data, ValidationContext(trust_roots=list(tsa_certs), allow_fetching=False),
            lambda algorithm: hashlib.new(algorithm, message).digest())))
    except Exception as exc:  # a damaged token is an answer, not a crash
        raise ValueError(f"the token cannot be read or checked: {exc}") from exc
    if not status.intact:
        raise ValueError("the token is over other data")
    if not (status.valid and status.trusted):
        raise ValueError("the token's signature does not validate against DOCGEN_TIMESTAMP_CA")
    return status.timestamp
