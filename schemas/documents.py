"""Response models of the citizen's document store and of signature verification (docs/documents.md §5)."""


from datetime import date, datetime

from pydantic import Field

from schemas.common import ApiModel, Page


class StoredDocumentView(ApiModel):
    id: str
    kind: str = Field(description="submitted (a paper the citizen gave) or result (issued to them)")
    origin: str = Field(description="uploaded, digitised_at_desk or electronic_result")
    document_type: str
    issuer: str | None = None
    issuer_name: str | None = None
    issued_on: date | None = None
    valid_until: date | None = None
    expired: bool
    sha256: str
    size_bytes: int
    content_type: str
    signed: bool
    dossier_id: str | None = None
    receipt_code: str | None = None
    stored_at: datetime
    download_url: str | None = Field(default=None, description="Presigned GET, valid 15 minutes")


class VerificationView(ApiModel):
    """``GET /documents/{id}/verify``: is the stored file exactly what was stored, and for a signed result,
    exactly what a trusted agency signed? No personal data."""

    document_id: str
    document_type: str
    valid: bool = Field(description="Intact and, for a signed document, a valid trusted signature covering it all")
    integrity: bool = Field(description="The stored bytes hash to the SHA-256 recorded when it was stored")
    signed: bool
    signature_valid: bool | None = Field(default=None, description="null for an unsigned document")
    signature_intact: bool | None = None
    signer_trusted: bool | None = None
    covers_whole_document: bool | None = None
    signer: str | None = None
    signer_agency_code: str | None = None
    signed_at: datetime | None = None
    timestamped: bool = False
    checked_at: datetime
    problems: list[str] = Field(default_factory=list)


class StoredDocumentPage(Page[StoredDocumentView]):
    """A page of my document store, newest first."""
