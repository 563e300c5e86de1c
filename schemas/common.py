"""Shapes shared by every API model: errors, pages, status."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class ApiModel(BaseModel):
    """Strict about unknown fields: a typo in a request is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ErrorBody(ApiModel):
    """Every error response: a stable machine code and a message in Vietnamese and English."""

    code: str = Field(examples=["APPLICANT_NATIONAL_ID_INVALID"])
    message_vi: str
    message_en: str
    details: dict[str, Any] = Field(default_factory=dict)


class Page(ApiModel, Generic[T]):
    items: list[T]
    next_token: str | None = Field(
        default=None, description="Pass as `next_token` to get the next page; absent on the last page."
    )


class StatusView(ApiModel):
    code: int = Field(ge=1, le=10, description="National portal status code (TrangThaiHoSo)")
    name_vi: str
