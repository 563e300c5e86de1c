"""The local test certificate authority, for development and tests: a self-signed root and one certificate
per agency, as PEM files (the local stack keeps them under ``.local/pki/``), and the signer that reads them.
Its certificates have no legal value.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from motcua.documents.signing import PemAgencySigner, utc_now

LOCAL_CA_NAME = "Motcua Local Test CA (NOT FOR PRODUCTION)"

CA_KEY_FILE = "ca.key.pem"
CA_CERT_FILE = "ca.cert.pem"
AGENCY_DIR = "agencies"

# Agency electronic identifiers (docs/domain.md §3.3), e.g. 000.00.11.H36. Also guards the file names we build.
_AGENCY_CODE = re.compile(r"[0-9A-Z][0-9A-Z.\-]{2,39}")


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
    start = utc_now(now)
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


def agency_paths(directory: Path, agency_code: str) -> tuple[Path, Path]:
    """Where an agency's certificate and key live in the local PKI (the code checked: it names the files)."""
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
    cert_path, key_path = agency_paths(ca.directory, agency_code)
    start = utc_now(now)
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


class LocalFileAgencySigner(PemAgencySigner):
    """The local stack's signer: ``<pki dir>/agencies/<code>.{cert,key}.pem`` and ``<pki dir>/ca.cert.pem``."""

    def __init__(self, pki_directory: str | Path, agency_code: str) -> None:
        directory = Path(pki_directory)
        cert_path, key_path = agency_paths(directory, agency_code)
        chain_path = directory / CA_CERT_FILE
        super().__init__(cert_path.read_bytes(), key_path.read_bytes(),
                         chain_pem=chain_path.read_bytes() if chain_path.exists() else b"")
