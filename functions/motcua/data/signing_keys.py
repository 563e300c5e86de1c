"""Where an agency's signing key and the verifiers' trust roots come from (``motcua.documents`` stays
free of AWS clients; this module is the only one that fetches keys).

* **Cloud**: ``SIGNING_SECRET_PREFIX`` (the declaration's ``Ref("secret", "signing")``, e.g.
  ``motcua/signing/``). One Secrets Manager secret per agency, ``<prefix><agency code>`` =
  ``{"certificate_pem", "private_key_pem", "chain_pem"}``, and ``<prefix>trust-roots`` =
  ``{"certificates_pem"}`` (the CA roots ``GET /documents/{id}/verify`` trusts). Read once per execution
  environment. A KMS-held key (the key never leaves KMS) is the better next step: docs/documents.md.
* **Local** (``make run``, tests): ``MOTCUA_PKI_DIR`` (``.local/pki`` for ``make run``, a temporary directory in
  tests): the local test CA of ``local_ca.create_local_ca``, one certificate per agency issued on first use.
  Local certificates are backdated (``LOCAL_BACKDATE``) so that tests driving the clock into the past still
  sign and verify. They have no legal value.
* Neither set: signing is not configured, and electronic results are decided without a signed document (a
  warning is logged). Configured but failing (a missing secret): ``SigningKeyUnavailable``, nothing is written.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from motcua.data.secrets import secret_string
from motcua.domain.errors import MotcuaError
from motcua.settings import environment

if TYPE_CHECKING:
    from motcua.documents.signing import AgencySigner

# ``motcua.documents.signing`` and ``local_ca`` (pyHanko, aiohttp, cryptography) are imported where a key is
# used, not here: the functions importing this module start without them (cold start, docs/benchmarks.md).

TRUST_ROOTS_SECRET = "trust-roots"  # noqa: S105 - a secret name, not its value
LOCAL_BACKDATE = timedelta(days=2 * 365)
LOCAL_AGENCY_VALID_DAYS = 5 * 365

_local_lock = threading.Lock()


class SigningKeyUnavailable(MotcuaError):
    code = "SIGNING_KEY_UNAVAILABLE"
    http_status = 503
    message_vi = "Chưa lấy được khóa ký số của cơ quan. Vui lòng thử lại sau."
    message_en = "The agency's signing key is unavailable. Please retry later."


def pki_directory() -> Path | None:
    value = environment().motcua_pki_dir
    return Path(value) if value else None


def secret_prefix() -> str | None:
    return environment().signing_secret_prefix


def signing_configured() -> bool:
    return pki_directory() is not None or secret_prefix() is not None


def ensure_local_pki(directory: Path, agencies: dict[str, str] | None = None) -> None:
    """The local CA in ``directory`` and a certificate for each ``{code: name}`` that has none yet."""
    from motcua.documents.local_ca import create_local_ca, issue_agency_certificate

    with _local_lock:
        backdated = datetime.now(UTC) - LOCAL_BACKDATE
        ca = create_local_ca(directory, now=backdated)
        for code, name in (agencies or {}).items():
            if not (directory / "agencies" / f"{code}.cert.pem").exists():
                issue_agency_certificate(ca, code, name, now=backdated, valid_days=LOCAL_AGENCY_VALID_DAYS)


@lru_cache(maxsize=256)
def _local_signer(directory: str, agency_code: str, agency_name: str) -> AgencySigner:
    from motcua.documents.local_ca import LocalFileAgencySigner

    ensure_local_pki(Path(directory), {agency_code: agency_name})
    return LocalFileAgencySigner(directory, agency_code)


def _secret_json(name: str) -> dict[str, Any]:
    try:
        value = json.loads(secret_string(name))
    except (ClientError, BotoCoreError, KeyError, ValueError) as error:
        raise SigningKeyUnavailable({"secret": name, "reason": type(error).__name__}) from error
    if not isinstance(value, dict):
        raise SigningKeyUnavailable({"secret": name, "reason": "not a JSON object"})
    return value


@lru_cache(maxsize=256)
def _secret_signer(prefix: str, agency_code: str) -> AgencySigner:
    from motcua.documents.signing import PemAgencySigner

    secret = _secret_json(f"{prefix}{agency_code}")
    try:
        return PemAgencySigner(str(secret["certificate_pem"]).encode(), str(secret["private_key_pem"]).encode(),
                               chain_pem=str(secret.get("chain_pem") or "").encode())
    except (KeyError, ValueError) as error:
        raise SigningKeyUnavailable({"agency_code": agency_code, "reason": type(error).__name__}) from error


def agency_signer(agency_code: str, agency_name: str) -> AgencySigner | None:
    """The agency's signer, or None when signing is not configured at all."""
    directory = pki_directory()
    if directory is not None:
        return _local_signer(str(directory), agency_code, agency_name)
    prefix = secret_prefix()
    if prefix is not None:
        return _secret_signer(prefix, agency_code)
    return None


@lru_cache(maxsize=8)
def _secret_roots(prefix: str) -> tuple[bytes, ...]:
    return (str(_secret_json(f"{prefix}{TRUST_ROOTS_SECRET}")["certificates_pem"]).encode(),)


def trust_roots() -> tuple[bytes, ...]:
    """The CA certificates (PEM) a signature must chain to; empty when signing is not configured."""
    directory = pki_directory()
    if directory is not None:
        from motcua.documents.local_ca import CA_CERT_FILE

        ensure_local_pki(directory)
        return ((directory / CA_CERT_FILE).read_bytes(),)
    prefix = secret_prefix()
    if prefix is not None:
        return _secret_roots(prefix)
    return ()
