"""Electronic results with legal value: PDFs signed with the agency's certificate (PAdES).

- :func:`sign_pdf` adds one PAdES baseline signature (B-B; B-T when a time-stamping authority is passed):
  subfilter ``ETSI.CAdES.detached``, SHA-256, the agency as signer name, a visible field (with a Vietnamese
  appearance rendered by ``pdf.render_signature_stamp``) or an invisible one.
- :class:`AgencySigner` is where the key comes from. :class:`PemAgencySigner` takes PEM bytes, which is how
  the cloud uses it: the handler reads the agency's secret from Secrets Manager and passes the bytes (no AWS
  client in this module). The local test CA's signer is ``local_ca.LocalFileAgencySigner``. A KMS-held key
  would be a third implementation whose ``cms_signer()`` returns a pyHanko ``Signer`` calling ``kms:Sign``.

Verification is ``motcua.documents.verification``; the local test CA, ``motcua.documents.local_ca``.

pyHanko 0.38 API (read from the installed package): ``PdfSigner`` + ``PdfSignatureMetadata`` +
``SigFieldSpec``.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Protocol, runtime_checkable

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from motcua.documents.layout import SignatureBox
from motcua.documents.pdf import render_signature_stamp

DEFAULT_FIELD_NAME = "ChuKyCoQuan"  # "agency signature"
DEFAULT_REASON = "Ký số kết quả giải quyết thủ tục hành chính"


def utc_now(now: datetime | None) -> datetime:
    """``now`` (which must be timezone-aware), or the current time in UTC."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("naive datetime")
    return now


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


def subject_field(certificate: asn1_x509.Certificate, field: str) -> str | None:
    """One attribute of a certificate's subject (the first, when repeated), or None."""
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
        name = subject_field(self._certificate, "organization_name") or subject_field(
            self._certificate, "common_name")
        if not name:
            raise ValueError("the certificate names no organisation or common name")
        self._agency_name = name
        self._agency_code = subject_field(self._certificate, "user_id")

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
    when = utc_now(signed_at)
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
