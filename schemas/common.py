"""Shapes shared by every API model: errors, pages."""

from typing import Any, Generic, TypeVar

from pydantic import Field

from motcua.domain.model import StrictModel

T = TypeVar("T")


class ApiModel(StrictModel):
    """Strict about unknown fields: a typo in a request is an error, not silently ignored."""


class ErrorBody(ApiModel):
    """Every error response: a stable machine code and a message in Vietnamese and English."""

    code: str = Field(examples=["APPLICANT_NATIONAL_ID_INVALID"])
    message_vi: str
    message_en: str
    details: dict[str, Any] = Field(default_factory=dict)


class Page(ApiModel, Generic[T]):
    """Every list the API answers: one page of ``items`` and the token of the next. Each list has its own named
    subclass (``DossierSummaryPage``), so the document and a generated client name it plainly."""

    items: list[T]
    next_token: str | None = Field(
        default=None, description="Pass as `next_token` to get the next page; absent on the last page."
    )
