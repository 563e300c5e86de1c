"""The citizen's document store (*kho quản lý dữ liệu điện tử của tổ chức, cá nhân*): pure rules. No I/O.

Every document a citizen submitted (an upload attached to their dossier) and every electronic result issued
to them is kept as a :class:`StoredDocument`: the S3 object where it lies plus its metadata (document type,
issuer, issued and valid-until dates, SHA-256 of the bytes). A new submission may reference one instead of
uploading the paper again (``AttachmentIn.document_id``); :func:`check_reusable` decides whether it may:
only the citizen's own document, and only while it is valid. The dossier then records the attachment as
``source="reused"`` and its events report how many documents were reused (the index's indicator 4.3 counts
exactly these records, never a number a client sent).
"""

import hashlib
import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from motcua.domain.access import AccessDenied
from motcua.domain.calendar import VN_TZ
from motcua.domain.errors import InvalidInput, NotFound

DocumentKind = Literal["submitted", "result"]
# Where the bytes came from: uploaded by the citizen, scanned by the one-stop desk, or issued by an agency.
DocumentOrigin = Literal["uploaded", "digitised_at_desk", "electronic_result"]
BucketName = Literal["uploads", "documents"]

_NAMESPACE = uuid.UUID("0b7d4f2a-61c3-4e8d-9a55-c2f1e7d30a64")


class StoredDocumentNotFound(NotFound):
    code = "STORED_DOCUMENT_NOT_FOUND"
    message_vi = "Không tìm thấy giấy tờ trong kho dữ liệu."
    message_en = "No such document in the document store."


class StoredDocumentForeign(AccessDenied):
    code = "STORED_DOCUMENT_FOREIGN"
    message_vi = "Giấy tờ này không thuộc kho dữ liệu của bạn."
    message_en = "This document belongs to someone else's document store."


class StoredDocumentExpired(InvalidInput):
    code = "STORED_DOCUMENT_EXPIRED"
    http_status = 422
    message_vi = "Giấy tờ trong kho dữ liệu đã hết hiệu lực; vui lòng nộp bản mới."
    message_en = "The stored document has expired; submit a current one."


class AttachmentNotUploaded(InvalidInput):
    code = "ATTACHMENT_NOT_UPLOADED"
    http_status = 422
    message_vi = "Chưa tải lên tệp đính kèm (khóa tải lên không có tệp)."
    message_en = "An attachment's upload key holds no uploaded file."


class UploadNotOwned(AccessDenied):
    code = "UPLOAD_NOT_OWNED"
    message_vi = "Tệp tải lên này không phải do bạn tải lên."
    message_en = "This upload was not made by you."


class UploadNotAsDeclared(InvalidInput):
    code = "UPLOAD_NOT_AS_DECLARED"
    http_status = 422
    message_vi = "Tệp đã tải lên không khớp kích thước hoặc loại tệp đã khai báo."
    message_en = "The uploaded file does not match its declared size or type."


class AttachmentSourceInvalid(InvalidInput):
    """Raised by the API schema (``AttachmentIn``) under this code: an attachment names both sources or none."""

    code = "ATTACHMENT_SOURCE_INVALID"
    http_status = 422
    message_vi = "Mỗi tệp đính kèm cần đúng một trong hai: khóa tải lên (key) hoặc mã giấy tờ trong kho (document_id)."
    message_en = "Each attachment needs exactly one of an upload key (key) or a stored document id (document_id)."


class StoredDocument(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    id: str
    owner: str  # the citizen's subject
    kind: DocumentKind
    origin: DocumentOrigin
    document_type: str  # "Giấy khai sinh", "Bản sao CCCD", ...
    issuer: str | None = None  # the issuing agency's code, when known
    issuer_name: str | None = None
    issued_on: date | None = None
    valid_until: date | None = None  # None: no expiry
    sha256: str
    size_bytes: int
    content_type: str = "application/pdf"
    bucket: BucketName
    key: str
    signed: bool = False  # carries an agency's PAdES signature (electronic results)
    dossier_id: str | None = None  # the dossier it came with or was issued for
    receipt_code: str | None = None
    stored_at: datetime

    @property
    def publicly_verifiable(self) -> bool:
        """A result an agency issued and signed: its id is the verification code printed on it, which its holder
        shows a bank or a school. A citizen's own papers are hers alone: never answered publicly."""
        return self.kind == "result" and self.signed

    def expired_on(self, day: date) -> bool:
        """Valid through its ``valid_until`` day (Vietnam's date), expired from the next day."""
        return self.valid_until is not None and day > self.valid_until


# --- uploads (POST /uploads) -----------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # what POST /uploads allows per file
UPLOAD_STATE_TAG = "motcua-upload"  # "unattached" until a dossier holds it: the bucket expires the others
# The first bytes of each accepted type: a declared PDF must be one.
_SIGNATURES = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


def uploader_id(subject: str) -> str:
    """Who asked for an upload, as kept on the object: a digest, so the object names no account."""
    return hashlib.sha256(f"motcua-uploader\n{subject}".encode()).hexdigest()[:32]


def check_upload(key: str, caller: str, *, uploader: str | None, declared_size: str | None,
                 declared_type: str | None, size: int, head: bytes) -> None:
    """An upload is attached only by whoever asked for it, and only as it was declared (size, type)."""
    if uploader != uploader_id(caller):
        raise UploadNotOwned({"key": key})
    signature = _SIGNATURES.get(declared_type or "")
    if not declared_size or not declared_size.isdigit() or size > min(int(declared_size), MAX_UPLOAD_BYTES):
        raise UploadNotAsDeclared({"key": key, "reason": "size", "declared_size": declared_size, "size": size})
    if signature is None or not head.startswith(signature):
        raise UploadNotAsDeclared({"key": key, "reason": "type", "declared_type": declared_type})


def submitted_document_id(dossier_id: str, key: str) -> str:
    """One record per (dossier, upload): a retried submission writes the same id."""
    return uuid.uuid5(_NAMESPACE, f"submitted:{dossier_id}:{key}").hex


def result_document_id(dossier_id: str) -> str:
    """A dossier's electronic result (decided once)."""
    return uuid.uuid5(_NAMESPACE, f"result:{dossier_id}").hex


def check_reusable(document: StoredDocument, owner: str, now: datetime) -> None:
    """May ``owner`` attach ``document`` to a new dossier at ``now``? Raises the reason it may not."""
    if document.owner != owner:
        # The id alone says nothing about another citizen: no type, no date in the error.
        raise StoredDocumentForeign({"document_id": document.id})
    today = now.astimezone(VN_TZ).date()
    if document.expired_on(today):
        raise StoredDocumentExpired({"document_id": document.id, "document_type": document.document_type,
                                     "valid_until": document.valid_until.isoformat() if document.valid_until else None})
