"""Electronic results with legal value: PDFs signed with the agency's certificate (PAdES), and verified.

- :func:`sign_pdf` adds one PAdES baseline signature (B-B; B-T when a time-stamping authority is passed):
  subfilter ``ETSI.CAdES.detached``, SHA-256, the agency as signer name, a visible field (with a Vietnamese
  appearance rendered by ``pdf.render_signature_stamp``) or an invisible one.
- :func:`verify` answers "is this exactly the file the agency signed, and is the agency's certificate one
  we trust?": any changed byte, any appended revision, an unknown CA make it fail (``.valid`` is False).
- A local test CA (:func:`create_local_ca`, :func:`issue_agency_certificate`) for development and tests;
  the local stack keeps it under ``.local/pki/``. Its certificates have no legal value.
- :class:`AgencySigner` is where the key comes from. :class:`LocalFileAgencySigner` reads the local PKI;
  :class:`PemAgencySigner` takes PEM bytes, which is how the cloud uses it: the handler reads the agency's
  secret from Secrets Manager and passes the bytes (no AWS client in this module). A KMS-held key would be
  a third implementation whose ``cms_signer()`` returns a pyHanko ``Signer`` calling ``kms:Sign``.

pyHanko 0.38 API (read from the installed package): ``PdfSigner`` + ``PdfSignatureMetadata`` +
``SigFieldSpec``, ``validate_pdf_signature(EmbeddedPdfSignature, ValidationContext)``.
"""

from __future__ import annotations

import binascii
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Protocol, runtime_checkable

from asn1crypto import cms, core
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from motcua.documents.layout import SignatureBox
from motcua.documents.pdf import render_signature_stamp

DEFAULT_FIELD_NAME = "ChuKyCoQuan"  # "agency signature"
DEFAULT_REASON = "Ký số kết quả giải quyết thủ tục hành chính"
LOCAL_CA_NAME = "Motcua Local Test CA (NOT FOR PRODUCTION)"

CA_KEY_FILE = "ca.key.pem"
CA_CERT_FILE = "ca.cert.pem"
AGENCY_DIR = "agencies"

# Agency electronic identifiers (docs/domain.md §3.3), e.g. 000.00.11.H36. Also guards the file names we build.
_AGENCY_CODE = re.compile(r"[0-9A-Z][0-9A-Z.\-]{2,39}")


# --------------------------------------------------------------------------------------------------------
# Local test certificate authority


@dataclass(frozen=True)
class LocalCA:
    directory: Path
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class AgencyCertificate:
    agency_code: str
    agency_name: str
    certificate: x509.Certificate
    certificate_path: Path
    private_key_path: Path

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _write_private(path: Path, data: bytes) -> None:
    # Private keys: owner-only from the first byte (no window where the file is world-readable), then an
    # atomic rename so a crash never leaves half a key.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(path)


def _write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    # Unencrypted on purpose: a local, throw-away test CA. Cloud keys never touch this code path.
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("naive datetime")
    return now


def load_local_ca(directory: str | Path) -> LocalCA:
    directory = Path(directory)
    key = serialization.load_pem_private_key((directory / CA_KEY_FILE).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{directory / CA_KEY_FILE}: expected an EC private key")
    certificate = x509.load_pem_x509_certificate((directory / CA_CERT_FILE).read_bytes())
    return LocalCA(directory=directory, certificate=certificate, private_key=key)


def create_local_ca(directory: str | Path, *, common_name: str = LOCAL_CA_NAME, now: datetime | None = None,
                    valid_days: int = 3650) -> LocalCA:
    """A self-signed root (EC P-256) in ``directory`` (``ca.key.pem``, ``ca.cert.pem``).

    Idempotent: when the directory already holds a CA it is loaded, not replaced, so restarting the local
    stack does not invalidate every agency certificate and every document signed so far.
    """
    directory = Path(directory)
    if (directory / CA_KEY_FILE).exists() and (directory / CA_CERT_FILE).exists():
        return load_local_ca(directory)
    start = _now(now)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Motcua (local development)"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))  # tolerate small clock skew between machines
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(directory / CA_KEY_FILE, _pem_key(key))
    _write_public(directory / CA_CERT_FILE, certificate.public_bytes(serialization.Encoding.PEM))
    return LocalCA(directory=directory, certificate=certificate, private_key=key)


def _agency_paths(directory: Path, agency_code: str) -> tuple[Path, Path]:
    if not _AGENCY_CODE.fullmatch(agency_code) or ".." in agency_code:
        raise ValueError(f"not an agency electronic identifier: {agency_code!r}")
    base = directory / AGENCY_DIR
    return base / f"{agency_code}.cert.pem", base / f"{agency_code}.key.pem"


def issue_agency_certificate(ca: LocalCA, agency_code: str, agency_name: str, *, now: datetime | None = None,
                             valid_days: int = 730) -> AgencyCertificate:
    """A signing certificate for one agency, written to ``<ca dir>/agencies/<code>.{cert,key}.pem``.

    Subject: C=VN, O and CN = the agency's name, UID = its electronic identifier. How the government CA
    (Ban Cơ yếu Chính phủ) names agencies in real certificates is UNSURE; verification reads O, then CN.
    Key usage: digitalSignature + nonRepudiation (pyHanko requires nonRepudiation by default).
    """
    if not agency_name.strip():
        raise ValueError("agency_name is empty")
    cert_path, key_path = _agency_paths(ca.directory, agency_code)
    start = _now(now)
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency_name),
        x509.NameAttribute(NameOID.USER_ID, agency_code),
        x509.NameAttribute(NameOID.COMMON_NAME, agency_name),
    ])
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    not_after = min(start + timedelta(days=valid_days), ca.certificate.not_valid_after_utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca.private_key, hashes.SHA256())
    )
    _write_private(key_path, _pem_key(key))
    _write_public(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    return AgencyCertificate(agency_code=agency_code, agency_name=agency_name, certificate=certificate,
                             certificate_path=cert_path, private_key_path=key_path)


# --------------------------------------------------------------------------------------------------------
# Where the key comes from


@runtime_checkable
class AgencySigner(Protocol):
    """An agency's signing identity. ``cms_signer()`` returns the pyHanko signer that produces the CMS
    signature; the key may be in memory (PEM), in a file, or behind KMS / an HSM (a pyHanko ``Signer``
    subclass whose ``async_sign_raw`` calls the key service)."""

    @property
    def agency_code(self) -> str | None: ...

    @property
    def agency_name(self) -> str: ...

    def cms_signer(self) -> signers.Signer: ...


def _subject_field(certificate: asn1_x509.Certificate, field: str) -> str | None:
    value = certificate.subject.native.get(field)
    if isinstance(value, list):  # a repeated attribute
        value = value[0] if value else None
    return str(value) if value else None


class PemAgencySigner:
    """An agency key and certificate given as PEM bytes.

    Cloud use: one Secrets Manager secret per agency holding ``certificate_pem``, ``private_key_pem`` (and
    the issuing chain); the handler fetches it (cached per cold start) and builds this object. The bytes
    stay in memory only.
    """

    def __init__(self, certificate_pem: bytes, private_key_pem: bytes, *, chain_pem: bytes = b"",
                 key_password: bytes | None = None) -> None:
        certs = list(load_certs_from_pemder_data(certificate_pem))
        if len(certs) != 1:
            raise ValueError(f"expected exactly one certificate, got {len(certs)}")
        self._certificate = certs[0]
        self._key = load_private_key_from_pemder_data(private_key_pem, passphrase=key_password)
        # A mismatched pair would sign "successfully" and fail every verification: refuse it up front.
        key_public = serialization.load_der_private_key(self._key.dump(), password=None).public_key()
        cert_public = x509.load_der_x509_certificate(self._certificate.dump()).public_key()
        spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if key_public.public_bytes(*spki) != cert_public.public_bytes(*spki):
            raise ValueError("the private key does not belong to the certificate")
        self._chain = list(load_certs_from_pemder_data(chain_pem)) if chain_pem else []
        name = _subject_field(self._certificate, "organization_name") or _subject_field(
            self._certificate, "common_name")
        if not name:
            raise ValueError("the certificate names no organisation or common name")
        self._agency_name = name
        self._agency_code = _subject_field(self._certificate, "user_id")

    @property
    def agency_code(self) -> str | None:
        return self._agency_code

    @property
    def agency_name(self) -> str:
        return self._agency_name

    def cms_signer(self) -> signers.Signer:
        # embed_roots=False: the verifier brings its own roots, and an embedded root copy is not covered by
        # the signature (a byte flipped in it would otherwise go unnoticed).
        return signers.SimpleSigner(
            signing_cert=self._certificate,
            signing_key=self._key,
            # The chain only: pyHanko adds the signing certificate itself, and a second copy of it would be
            # an unverified blob in the container.
            cert_registry=SimpleCertificateStore.from_certs(self._chain),
            embed_roots=False,
        )


class LocalFileAgencySigner(PemAgencySigner):
    """The local stack's signer: ``<pki dir>/agencies/<code>.{cert,key}.pem`` and ``<pki dir>/ca.cert.pem``."""

    def __init__(self, pki_directory: str | Path, agency_code: str) -> None:
        directory = Path(pki_directory)
        cert_path, key_path = _agency_paths(directory, agency_code)
        chain_path = directory / CA_CERT_FILE
        super().__init__(cert_path.read_bytes(), key_path.read_bytes(),
                         chain_pem=chain_path.read_bytes() if chain_path.exists() else b"")


# --------------------------------------------------------------------------------------------------------
# Signing


class _PdfSignerAt(signers.PdfSigner):
    # pyHanko takes the signing time (/M, the visible stamp) from the wall clock and offers no parameter;
    # the session object it creates exposes it, so we set it there. Callers inject time like everywhere else.
    def __init__(self, *args: object, signing_time: datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: object, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)  # type: ignore[arg-type]
        session.system_time = self._signing_time
        return session


def sign_pdf(
    pdf: bytes,
    signer: AgencySigner,
    *,
    signed_at: datetime | None = None,
    visible_box: SignatureBox | None = None,
    field_name: str = DEFAULT_FIELD_NAME,
    reason: str = DEFAULT_REASON,
    location: str | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """The PDF with one more revision carrying the agency's PAdES signature.

    ``visible_box`` (e.g. ``RenderedForm.signature_box``) makes the field visible with "Ký bởi: <agency>,
    Ngày ký: ..." in Vietnamese; without it the field is invisible. ``signed_at`` is the claimed signing
    time (/M); it is only *proven* with a ``timestamper`` (PAdES B-T), which production should configure.
    """
    when = _now(signed_at)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        name=signer.agency_name,
        reason=reason,
        location=location,
    )
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
    except Exception as exc:  # pyHanko raises several types for malformed input
        raise ValueError(f"not a readable PDF: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="motcua-stamp-") as tmp:
        if visible_box is None:
            field_spec = SigFieldSpec(sig_field_name=field_name)
            style = None
        else:
            x1, y1, x2, y2 = visible_box.as_tuple()
            field_spec = SigFieldSpec(sig_field_name=field_name, on_page=visible_box.page, box=(x1, y1, x2, y2))
            stamp_path = Path(tmp) / "stamp.pdf"
            stamp_path.write_bytes(render_signature_stamp(signer.agency_name, when, x2 - x1, y2 - y1))
            # pyHanko imports the page lazily while signing: the file must live until sign_pdf returns.
            style = StaticStampStyle.from_pdf_file(str(stamp_path), border_width=0)
        pdf_signer = _PdfSignerAt(meta, signer=signer.cms_signer(), timestamper=timestamper, stamp_style=style,
                                  new_field_spec=field_spec, signing_time=when)
        out = pdf_signer.sign_pdf(writer)
    return bytes(out.getvalue())


# --------------------------------------------------------------------------------------------------------
# Verification


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
    moment = _now(at)

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
        signer=_subject_field(signing_cert, "organization_name") or _subject_field(signing_cert, "common_name"),
        signer_agency_code=_subject_field(signing_cert, "user_id"),
        signed_at=tst.timestamp if timestamped and tst is not None else last.signer_reported_dt,
        timestamped=timestamped,
        signature_count=len(embedded_all),
        modification=level.name.lower() if level is not None else None,
        problems=tuple(problems),
    )
