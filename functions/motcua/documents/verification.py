"""Verification of a signed electronic result: "is this exactly the file the agency signed, and is the agency's
certificate one we trust?". Any changed byte, any appended revision, an unknown CA make it fail (``.valid`` is
False); a damaged or hostile file is reported, never raised.

pyHanko 0.38 API (read from the installed package): ``validate_pdf_signature(EmbeddedPdfSignature,
ValidationContext)``.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import cms, core
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import ValidationContext

from motcua.documents.signing import subject_field, utc_now


@dataclass(frozen=True)
class VerificationResult:
    signed: bool
    # The signed bytes are unchanged and the signature over them is cryptographically valid.
    intact: bool
    # The signer's certificate chains to one of the trust roots, is valid at the validation time and
    # allows non-repudiation.
    trusted: bool
    # Nothing was added after the (last) signature: no incremental update, no gap in the byte range.
    covers_whole_document: bool
    signer: str | None = None
    signer_agency_code: str | None = None
    # Claimed by the signer (/M) unless ``timestamped``; then the time-stamping authority's time.
    signed_at: datetime | None = None
    timestamped: bool = False
    signature_count: int = 0
    # pyHanko's judgement of changes after the last signature: "none", "lta_updates", "form_filling",
    # "annotations", "other" (None when unknown).
    modification: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """The one answer callers need: this is the file a trusted agency signed, byte for byte."""
        return self.signed and self.intact and self.trusted and self.covers_whole_document and not self.problems


def _as_asn1(root: bytes | x509.Certificate | asn1_x509.Certificate) -> list[asn1_x509.Certificate]:
    if isinstance(root, asn1_x509.Certificate):
        return [root]
    if isinstance(root, x509.Certificate):
        return [asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))]
    return list(load_certs_from_pemder_data(root))


def _der_problem(der: bytes) -> str | None:
    """Strict DER over the whole tree: definite, minimal lengths, children exactly filling their parent.
    asn1crypto parses leniently and lazily, so an altered length byte could otherwise go unnoticed."""

    def walk(buf: bytes, depth: int) -> None:
        if depth > 32:
            raise ValueError("nesting too deep")
        pos = 0
        while pos < len(buf):
            class_, method, tag, header, contents, trailer = asn1_parser.parse(buf[pos:])
            if trailer:
                raise ValueError("indefinite length")
            if asn1_parser.emit(class_, method, tag, contents) != header + contents:
                raise ValueError("non-minimal length")
            if method == 1:  # constructed
                walk(contents, depth + 1)
            pos += len(header) + len(contents)

    try:
        walk(der, 0)
        # The envelope: ContentInfo SEQUENCE { OID, [0] EXPLICIT SignedData SEQUENCE }.
        _, _, _, _, body, _ = asn1_parser.parse(der)
        oid = asn1_parser.parse(body)
        wrapper = asn1_parser.parse(body[len(oid[3]) + len(oid[4]):])
        inner = asn1_parser.parse(wrapper[4])
        if [n[:3] for n in (oid, wrapper, inner)] != [(0, 0, 6), (2, 1, 0), (0, 1, 16)]:
            raise ValueError("not a ContentInfo with SignedData")
        # Tags inside SignedData: asn1crypto accepts e.g. a SEQUENCE where a SET is due. Re-encoding every
        # field but the certificates is cheap (certificates are compared byte for byte with the validation
        # path in _container_problems).
        signed_data = cms.ContentInfo.load(der)["content"]
        for name in ("version", "digest_algorithms", "encap_content_info", "crls", "signer_infos"):
            value = signed_data[name]
            if isinstance(value, core.Void):
                continue
            original = value.dump()
            if value.dump(force=True) != original:
                raise ValueError(f"{name} is not in canonical form")
    except Exception as exc:  # asn1crypto raises ValueError, IndexError... on hostile input
        return f"signature contents are not DER: {exc}"
    return None


def _contents_problem(pdf: bytes, embedded: EmbeddedPdfSignature) -> str | None:
    """The one region a PDF signature cannot hash is its own /Contents hex string. pyHanko decodes it
    leniently (trailing bytes after the CMS object, hex case, lengths), so we require a canonical form:
    ``<`` hex digits all in one case (pyHanko writes upper, other tools lower) of (strict DER CMS object +
    zero padding) ``>``. With this and :func:`_container_problems`, every byte of the file is either hashed
    by the signature or checked here."""
    byte_range = [int(v) for v in embedded.byte_range]
    if len(byte_range) != 4 or byte_range[0] != 0:
        return "signature byte range does not start at the beginning of the file"
    gap = pdf[byte_range[1]:byte_range[2]]
    if len(gap) < 2 or gap[:1] != b"<" or gap[-1:] != b">":
        return "signature contents are not a hex string"
    hex_digits = gap[1:-1]
    try:
        raw = binascii.unhexlify(hex_digits)
    except (binascii.Error, ValueError):
        return "signature contents are not valid hex"
    if hex_digits not in (binascii.hexlify(raw), binascii.hexlify(raw).upper()):  # one case throughout
        return "signature contents are not in canonical form"
    try:
        _, _, _, header, contents, trailer = asn1_parser.parse(raw)
    except Exception:
        return "signature contents are not a DER object"
    der_length = len(header) + len(contents) + len(trailer)
    if raw[der_length:].strip(b"\x00"):
        return "bytes after the signature object in /Contents"
    return _der_problem(raw[:der_length])


def _expected_signed_data_version(signed_data: cms.SignedData) -> str:
    """RFC 5652 §5.1: the version follows from the content (a field the signature does not cover)."""
    cert_kinds = {c.name for c in signed_data["certificates"]} if signed_data["certificates"].native else set()
    crl_kinds = {c.name for c in signed_data["crls"]} if signed_data["crls"].native else set()
    if "other" in cert_kinds or "other" in crl_kinds:
        return "v5"
    if "v2_attr_cert" in cert_kinds:
        return "v4"
    if ("v1_attr_cert" in cert_kinds or any(si["version"].native == "v3" for si in signed_data["signer_infos"])
            or signed_data["encap_content_info"]["content_type"].native != "data"):
        return "v3"
    return "v1"


def _container_problems(embedded: EmbeddedPdfSignature, path_certs: set[bytes] | None) -> list[str]:
    """Fields of the CMS container outside the signed attributes: nothing verifies them, so a changed
    byte there would leave the signature "valid". Each must be exactly what the signature implies."""
    signed_data = embedded.signed_data
    problems = []
    if signed_data["version"].native != _expected_signed_data_version(signed_data):
        problems.append("signature container version is inconsistent")
    for signer_info in signed_data["signer_infos"]:
        # RFC 5652 §5.3: v1 with issuer-and-serial-number, v3 with a subject key identifier.
        expected = "v1" if signer_info["sid"].name == "issuer_and_serial_number" else "v3"
        if signer_info["version"].native != expected:
            problems.append("signer info version is inconsistent")
    declared = {a.dump() for a in signed_data["digest_algorithms"]}
    used = {si["digest_algorithm"].dump() for si in signed_data["signer_infos"]}
    if declared != used:
        problems.append("signature container declares digest algorithms its signers do not use")
    if path_certs is not None:  # only meaningful once a path was built
        embedded_certs = [c.chosen.dump() for c in signed_data["certificates"]] if signed_data[
            "certificates"].native else []
        if any(cert not in path_certs for cert in embedded_certs):
            problems.append("signature container holds certificates outside its validation path")
    return problems


def verify(pdf: bytes, trust_roots: Iterable[bytes | x509.Certificate | asn1_x509.Certificate], *,
           at: datetime | None = None) -> VerificationResult:
    """Check every signature in ``pdf`` against ``trust_roots`` (PEM/DER bytes or certificates), at time
    ``at`` (default: now). Never raises on a damaged or hostile file: it reports it.

    Without a timestamp (PAdES B-B) the certificate must be valid at ``at``; long-term validity needs
    B-T/B-LTA (a timestamp plus embedded revocation data), see docs/documents.md.
    """
    roots: list[asn1_x509.Certificate] = []
    for root in trust_roots:
        roots.extend(_as_asn1(root))
    if not roots:
        raise ValueError("at least one trust root is required: never fall back to the system trust store")
    moment = utc_now(at)

    def broken(problem: str, count: int = 0) -> VerificationResult:
        return VerificationResult(signed=count > 0, intact=False, trusted=False, covers_whole_document=False,
                                  signature_count=count, problems=(problem,))

    try:
        reader = PdfFileReader(BytesIO(pdf))
        embedded_all: Sequence[EmbeddedPdfSignature] = reader.embedded_regular_signatures
    except Exception as exc:  # hostile input may fail anywhere in the parser
        return broken(f"unreadable PDF: {type(exc).__name__}: {exc}")
    if not embedded_all:
        return VerificationResult(signed=False, intact=False, trusted=False, covers_whole_document=False,
                                  problems=("no signature",))

    problems: list[str] = []
    intact = trusted = True
    last = None
    for embedded in embedded_all:
        problem = _contents_problem(pdf, embedded)
        if problem:
            problems.append(problem)
        context = ValidationContext(trust_roots=roots, moment=moment, allow_fetching=False)
        try:
            status = validate_pdf_signature(embedded, signer_validation_context=context)
            path = status.validation_path
            path_certs = {c.dump() for c in path.iter_certs(include_root=True)} if path is not None else None
            problems.extend(_container_problems(embedded, path_certs))
        except Exception as exc:
            return broken(f"signature could not be validated: {type(exc).__name__}: {exc}", len(embedded_all))
        intact = intact and status.intact and status.valid
        trusted = trusted and status.trusted
        if not status.trusted and status.trust_problem_indic is not None:
            problems.append(f"certificate not trusted: {status.trust_problem_indic.standard_name}")
        last = status
    assert last is not None
    covers = last.coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = last.modification_level
    tst = last.timestamp_validity
    timestamped = tst is not None and tst.intact and tst.valid and tst.trusted
    signing_cert = last.signing_cert
    return VerificationResult(
        signed=True,
        intact=intact,
        trusted=trusted,
        covers_whole_document=covers,
        signer=subject_field(signing_cert, "organization_name") or subject_field(signing_cert, "common_name"),
        signer_agency_code=subject_field(signing_cert, "user_id"),
        signed_at=tst.timestamp if timestamped and tst is not None else last.signer_reported_dt,
        timestamped=timestamped,
        signature_count=len(embedded_all),
        modification=level.name.lower() if level is not None else None,
        problems=tuple(problems),
    )
