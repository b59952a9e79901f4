"""The organisation's signer as `documents.seal.load_signer` keeps it: loaded once per key file,
loaded again once that file is replaced or rewritten, never answering a wrong passphrase from
memory, and signing exactly as pyHanko's own signer does. Also what a converted PDF may already
hold: attachments of its own, beside which the signed Word file is still sealed."""

from __future__ import annotations

import gc
import io
import os
import weakref
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign import signers
from pyhanko.sign.signers import pdf_cms
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, create_string_object

from documents.seal import RECORD_ID_KEY, SealError, _self_signed, load_signer, seal_pdf, verify_pdf
from documents.seal_signer import OrganisationSigner
from tests.integration.test_pdf_seal import blank_pdf, nothing_known, organisation_p12, supervision_record

PASSPHRASE = b"correct horse"


def rewritten_in_place(path: Path, data: bytes) -> None:
    """Write over the same inode, then set its modification time back, as a careless restore might."""
    before = path.stat()
    with path.open("r+b") as file:
        file.write(data)
        file.truncate()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def reencrypted(path: Path, passphrase: bytes) -> bytes:
    """The same key and certificate under another passphrase (the same size: only salts differ)."""
    key, cert, others = pkcs12.load_key_and_certificates(path.read_bytes(), PASSPHRASE)
    return pkcs12.serialize_key_and_certificates(b"Northshire Council", key, cert, others,
                                                 serialization.BestAvailableEncryption(passphrase))


# --- loading and keeping the signer -------------------------------------------------------


def test_an_unchanged_key_file_is_loaded_once(tmp_path):
    path = organisation_p12(tmp_path, "Northshire Council")

    assert load_signer(path, PASSPHRASE) is load_signer(path, PASSPHRASE)


def test_a_key_file_replaced_since_it_was_loaded_is_loaded_again(tmp_path):
    path = organisation_p12(tmp_path, "Northshire Council")
    old = load_signer(path, PASSPHRASE).signing_cert
    os.replace(organisation_p12(tmp_path / "rotated", "Northshire Council"), path)

    new = load_signer(path, PASSPHRASE).signing_cert

    assert new != old and new.public_key.dump() != old.public_key.dump()


def test_a_key_file_rewritten_in_place_with_its_old_time_is_loaded_again(tmp_path):
    path = organisation_p12(tmp_path, "Northshire Council")
    load_signer(path, PASSPHRASE)
    data = reencrypted(path, b"new passphrase")
    assert len(data) == path.stat().st_size  # same inode, size and modification time: only ctime tells
    rewritten_in_place(path, data)

    with pytest.raises(SealError, match="passphrase"):
        load_signer(path, PASSPHRASE)
    assert load_signer(path, b"new passphrase").signing_cert is not None


def test_a_wrong_passphrase_after_a_good_load_is_still_a_seal_error(tmp_path):
    path = organisation_p12(tmp_path, "Northshire Council")
    load_signer(path, PASSPHRASE)

    with pytest.raises(SealError, match="passphrase"):
        load_signer(path, b"wrong")
    with pytest.raises(SealError, match="passphrase"):
        load_signer(path, PASSPHRASE[:-1])


def test_a_rotated_keys_signer_is_not_kept(tmp_path):
    path = organisation_p12(tmp_path, "Northshire Council")
    old = weakref.ref(load_signer(path, PASSPHRASE))
    os.replace(organisation_p12(tmp_path / "rotated", "Northshire Council"), path)

    load_signer(path, PASSPHRASE)
    gc.collect()

    assert old() is None


def test_a_missing_key_file_is_a_seal_error(tmp_path):
    with pytest.raises(SealError, match="cannot read"):
        load_signer(tmp_path / "absent.p12", PASSPHRASE)


# --- signing ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> signers.SimpleSigner:
    path = organisation_p12(tmp_path_factory.mktemp("org"), "Northshire Council")
    return signers.SimpleSigner.load_pkcs12_data(path.read_bytes(), other_certs=(), passphrase=PASSPHRASE)


@pytest.mark.parametrize("digest", ["sha256", "sha384", "sha512"])
def test_rsa_signatures_are_pyhankos_byte_for_byte_without_parsing_the_key_again(loaded, digest, monkeypatch):
    ours = OrganisationSigner(loaded)
    data = b"signed attributes of a sealed supervision record"
    expected = loaded.sign_raw(data, digest)  # PKCS#1 v1.5 is deterministic
    monkeypatch.setattr(pdf_cms.serialization, "load_der_private_key",
                        lambda *_args, **_kwargs: pytest.fail("the key was parsed again to sign"))

    assert ours.sign_raw(data, digest) == expected


def test_the_loaded_signers_settings_are_kept(loaded):
    configured = signers.SimpleSigner(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key,
                                      cert_registry=loaded.cert_registry, prefer_pss=True, embed_roots=False,
                                      attribute_certs=())
    ours = OrganisationSigner(configured)
    data = b"signed attributes"

    assert (ours.prefer_pss, ours.embed_roots, list(ours.attribute_certs)) == (True, False, [])
    assert ours.signature_mechanism is configured.signature_mechanism
    assert ours.get_signature_mechanism_for_digest("sha256").signature_algo == "rsassa_pss"
    public_key = serialization.load_der_public_key(loaded.signing_cert.public_key.dump())
    public_key.verify(ours.sign_raw(data, "sha256"), data,  # raises unless a PSS signature over data
                      padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO), hashes.SHA256())


def test_an_elliptic_curve_key_seals_a_record_that_verifies_as_genuine(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ec.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"org", key, _self_signed(key, "Northshire Council"), None,
        serialization.BestAvailableEncryption(PASSPHRASE)))
    signer = load_signer(path, PASSPHRASE)

    pdf = seal_pdf(blank_pdf(), signer=signer, attachment_name="record.docx", attachment=b"PK",
                   metadata={RECORD_ID_KEY: "REC-1"})

    assert verify_pdf(pdf, signer.signing_cert, nothing_known).status == "genuine"


# --- a converted PDF that holds attachments already --------------------------------------


def with_attachment(name: str, *, under_kids: bool) -> bytes:
    """A blank PDF holding one attachment, in a flat name tree or in one leaf under /Kids."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank_pdf())))
    writer.add_attachment(name, b"LibreOffice's own")
    if under_kids:
        tree = writer.root_object["/Names"]["/EmbeddedFiles"]
        leaf = DictionaryObject({NameObject("/Names"): tree.pop("/Names"),
                                 NameObject("/Limits"): ArrayObject([create_string_object(name)] * 2)})
        tree[NameObject("/Kids")] = ArrayObject([writer._add_object(leaf)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("under_kids", [False, True], ids=["flat", "kids"])
def test_a_converted_pdf_with_attachments_is_still_sealed_with_the_word_file_beside_them(tmp_path, under_kids):
    signer = load_signer(organisation_p12(tmp_path, "Northshire Council"), PASSPHRASE)
    record = supervision_record()

    pdf = seal_pdf(with_attachment("a-diagram.png", under_kids=under_kids), signer=signer,
                   attachment_name="record-REC-1-v1.docx", attachment=record, metadata={RECORD_ID_KEY: "REC-1"})

    attachments = PdfReader(io.BytesIO(pdf)).attachments
    assert attachments == {"a-diagram.png": [b"LibreOffice's own"], "record-REC-1-v1.docx": [record]}
    assert verify_pdf(pdf, signer.signing_cert, nothing_known).status == "genuine"


def test_an_attachment_of_the_records_name_gives_way_to_the_signed_word_file(tmp_path):
    signer = load_signer(organisation_p12(tmp_path, "Northshire Council"), PASSPHRASE)
    record = supervision_record()

    pdf = seal_pdf(with_attachment("record.docx", under_kids=False), signer=signer, attachment_name="record.docx",
                   attachment=record, metadata={RECORD_ID_KEY: "REC-1"})

    assert PdfReader(io.BytesIO(pdf)).attachments == {"record.docx": [record]}
