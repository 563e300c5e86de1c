"""The citizen's document store (docs/documents.md §5): metadata items in the one table, bytes in S3.

==========================  ==========================  ==============================================
item                        pk                          sk
==========================  ==========================  ==============================================
stored document             ``CDOC#<id>``               ``CDOC`` (``StoredDocument`` JSON); in ``gsi3`` under
                                                        ``CDOCOWNER#<subject>`` / ``<stored_at>#<id>``
==========================  ==========================  ==============================================

The bytes stay where they are: a submitted paper in the ``uploads`` bucket (the key POST /uploads handed
out), an electronic result in the ``documents`` bucket (``results/<dossier id>/<document id>-<sha256 prefix>.pdf``,
content-addressed and written before the dossier change that links it, so a lost race leaves an unlinked
object, never a linked one overwritten). The SHA-256 is computed here from the object itself when the record is made.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from motcua.data.documents import documents_bucket
from motcua.data.models import Item, OwnerIndex
from motcua.domain.citizen_store import (
    MAX_UPLOAD_BYTES,
    UPLOAD_STATE_TAG,
    AttachmentNotUploaded,
    BucketName,
    StoredDocument,
    StoredDocumentNotFound,
)
from motcua.domain.errors import MotcuaError
from motcua.settings import aws_endpoint_url, environment

PRESIGNED_GET_TTL_S = 15 * 60


class UploadsNotConfigured(MotcuaError):
    code = "UPLOADS_NOT_CONFIGURED"
    http_status = 503
    message_vi = "Chưa cấu hình nơi lưu tệp tải lên (UPLOADS_BUCKET)."
    message_en = "The uploads bucket is not configured (UPLOADS_BUCKET)."


class StoredDocumentItem(Item):
    class Meta(Item.Meta):  # follows ``models.bind`` like the models in ``models``
        pass

    by_owner = OwnerIndex()
    gsi3pk = UnicodeAttribute()  # CDOCOWNER#<subject>
    gsi3sk = UnicodeAttribute()  # <stored_at>#<id>
    doc = UnicodeAttribute()


def _item(document: StoredDocument) -> StoredDocumentItem:
    return StoredDocumentItem(f"CDOC#{document.id}", "CDOC", gsi3pk=f"CDOCOWNER#{document.owner}",
                              gsi3sk=f"{document.stored_at.isoformat()}#{document.id}", doc=document.model_dump_json())


@dataclass(frozen=True)
class StoredDocumentWrite:
    """A record written in the transaction of the dossier change it comes with (``TransactionPart``)."""

    document: StoredDocument

    def add_to(self, transaction: TransactWrite) -> None:
        # A plain put: the id derives from the dossier (and the upload), so a retry writes the same record.
        transaction.save(_item(self.document))


class StoredDocumentRepository:
    def get(self, document_id: str) -> StoredDocument:
        try:
            item = StoredDocumentItem.get(f"CDOC#{document_id}", "CDOC", consistent_read=True)
        except DoesNotExist:
            raise StoredDocumentNotFound({"document_id": document_id}) from None
        return StoredDocument.model_validate_json(item.doc)

    def put(self, document: StoredDocument) -> None:
        _item(document).save()

    def owned_by(self, owner: str, *, limit: int = 50,
                 after: str | None = None) -> tuple[list[StoredDocument], str | None]:
        """The citizen's documents, newest first; ``after``: the previous page's token."""
        condition = StoredDocumentItem.gsi3sk < after if after else None
        page = StoredDocumentItem.by_owner.query(f"CDOCOWNER#{owner}", condition, scan_index_forward=False,
                                                 limit=limit)
        found = [StoredDocument.model_validate_json(item.doc) for item in page]
        more = page.last_evaluated_key is not None and len(found) == limit
        token = f"{found[-1].stored_at.isoformat()}#{found[-1].id}" if more else None
        return found, token

    def all_of(self, owner: str) -> list[StoredDocument]:
        out, after = [], None
        while True:
            page, after = self.owned_by(owner, limit=100, after=after)
            out += page
            if after is None:
                return out


# --- the bytes ------------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _s3(endpoint: str | None) -> Any:
    return boto3.client("s3", endpoint_url=endpoint,
                        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))


def _client() -> Any:
    return _s3(aws_endpoint_url("s3"))


def bucket_name(bucket: BucketName) -> str:
    if bucket == "documents":
        return documents_bucket()
    name = environment().uploads_bucket
    if not name:
        raise UploadsNotConfigured()
    return name


@dataclass(frozen=True)
class ObjectFacts:
    sha256: str
    size_bytes: int
    content_type: str
    head: bytes = b""  # the first bytes (the file type's signature)
    metadata: dict[str, str] = field(default_factory=dict)  # what the upload form set (uploader, declared size)


def upload_facts(key: str) -> ObjectFacts:
    """Hash an uploaded object (streamed); ``AttachmentNotUploaded`` when nothing was uploaded under ``key``."""
    try:
        response = _client().get_object(Bucket=bucket_name("uploads"), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            raise AttachmentNotUploaded({"key": key}) from None
        raise
    digest, size, head = hashlib.sha256(), 0, b""
    for chunk in response["Body"].iter_chunks(1024 * 1024):
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise AttachmentNotUploaded({"key": key, "reason": f"larger than {MAX_UPLOAD_BYTES // 2**20} MiB"})
        head = head or chunk[:16]
        digest.update(chunk)
    return ObjectFacts(digest.hexdigest(), size, str(response.get("ContentType") or "application/octet-stream"),
                       head=head, metadata=dict(response.get("Metadata") or {}))


def mark_attached(key: str) -> None:
    """Out of the lifecycle rule's reach (it expires ``unattached`` uploads): done before the dossier that
    holds the upload is written, so a failed write leaves a kept object, never a linked one expiring."""
    _client().put_object_tagging(Bucket=bucket_name("uploads"), Key=key,
                                 Tagging={"TagSet": [{"Key": UPLOAD_STATE_TAG, "Value": "attached"}]})


def result_key(dossier_id: str, document_id: str, pdf: bytes) -> str:
    """Content-addressed: two racing decisions never overwrite each other's object (the loser's stays unlinked)."""
    return f"results/{dossier_id}/{document_id}-{hashlib.sha256(pdf).hexdigest()[:16]}.pdf"


def put_result(key: str, pdf: bytes) -> None:
    _client().put_object(Bucket=bucket_name("documents"), Key=key, Body=pdf, ContentType="application/pdf",
                         Metadata={"kind": "electronic-result", "sha256": hashlib.sha256(pdf).hexdigest()})


def get_bytes(bucket: BucketName, key: str) -> bytes | None:
    """The object's bytes, or None when it is gone."""
    try:
        body: bytes = _client().get_object(Bucket=bucket_name(bucket), Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return body


def presign_get(bucket: BucketName, key: str, now: datetime) -> tuple[str, datetime]:
    url = _client().generate_presigned_url("get_object", Params={"Bucket": bucket_name(bucket), "Key": key},
                                           ExpiresIn=PRESIGNED_GET_TTL_S)
    return url, now + timedelta(seconds=PRESIGNED_GET_TTL_S)
