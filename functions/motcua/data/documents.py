"""Official documents the agencies issue (Form 04 apology letters): PDFs in the ``documents`` bucket.

Keys are content-addressed per dossier (``dossiers/<id>/<form>-<sha256 prefix>.pdf``): the object is written
before the dossier change that links it, so a change that loses a race leaves an unlinked object behind, never
a linked object overwritten by another version of the letter.

The SLA sweep's automatic Form 04 is the exception: its key is derived from the draft itself
(``draft_key``: dossier, issue instant and new appointment), recorded in the firing's transaction, and the PDF
is rendered under it after the write (docs/sla.md, "Breach"). One draft has one key; another draft (a later
apology) has another, so nothing linked is overwritten either. Form 01 is drafted the same way (dossier and
reception instant), and written only if its key is free (``put_pdf_once``): a redelivered announcement stores
nothing twice.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from motcua.domain.errors import MotcuaError
from motcua.settings import aws_endpoint_url, environment


class DocumentsNotConfigured(MotcuaError):
    code = "DOCUMENTS_NOT_CONFIGURED"
    http_status = 503
    message_vi = "Chưa cấu hình nơi lưu văn bản (DOCUMENTS_BUCKET)."
    message_en = "The documents bucket is not configured (DOCUMENTS_BUCKET)."


@lru_cache(maxsize=4)
def _s3(endpoint: str | None) -> Any:
    # Path-style addressing works on local endpoints (127.0.0.1) and in AWS alike.
    return boto3.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))


def _client() -> Any:
    return _s3(aws_endpoint_url("s3"))


def documents_bucket() -> str:
    bucket = environment().documents_bucket
    if not bucket:
        raise DocumentsNotConfigured()
    return bucket


def document_key(dossier_id: str, form: str, pdf: bytes) -> str:
    return f"dossiers/{dossier_id}/{form}-{hashlib.sha256(pdf).hexdigest()[:16]}.pdf"


def draft_key(dossier_id: str, form: str, identity: str) -> str:
    """The key of a form recorded before it is rendered: named by what identifies the draft, not its bytes."""
    return f"dossiers/{dossier_id}/{form}-d{hashlib.sha256(identity.encode()).hexdigest()[:16]}.pdf"


def pdf_exists(key: str) -> bool:
    client = _client()
    try:
        client.head_object(Bucket=documents_bucket(), Key=key)
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def put_pdf(key: str, pdf: bytes, *, form: str) -> None:
    _client().put_object(Bucket=documents_bucket(), Key=key, Body=pdf, ContentType="application/pdf",
                         Metadata={"form": form, "sha256": hashlib.sha256(pdf).hexdigest()})


def put_pdf_once(key: str, pdf: bytes, *, form: str) -> bool:
    """``put_pdf`` unless an object is stored under ``key`` already (S3's conditional write, ``If-None-Match:
    *``): of two writers racing for one key exactly one stores. True if this call stored it."""
    client = _client()
    try:
        client.put_object(Bucket=documents_bucket(), Key=key, Body=pdf, ContentType="application/pdf",
                          Metadata={"form": form, "sha256": hashlib.sha256(pdf).hexdigest()}, IfNoneMatch="*")
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
            return False
        raise
    return True


def find_pdf(key: str) -> bytes | None:
    """The stored PDF, or None when nothing is stored under ``key`` (yet: a drafted form)."""
    client = _client()
    try:
        return get_pdf(key)
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def get_pdf(key: str) -> bytes:
    body: bytes = _client().get_object(Bucket=documents_bucket(), Key=key)["Body"].read()
    return body
