"""Shapes shared by every API model: errors, pages, status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from motcua.domain.errors import DatetimeOutOfRange

T = TypeVar("T")


class ApiModel(BaseModel):
    """Strict about unknown fields: a typo in a request is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _in_service_years(value: datetime) -> datetime:
    # Checked on the year as written: comparing with an aware bound would itself overflow at year 1 or 9999.
    if not 2000 <= value.year <= 2099:
        raise PydanticCustomError(DatetimeOutOfRange.code, DatetimeOutOfRange.message_en)
    return value


# Every date and time a client sends (query or body): with its offset, and within the years served.
ClientDatetime = Annotated[AwareDatetime, AfterValidator(_in_service_years),
                           Field(description="ISO 8601 with offset, years 2000-2099")]


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
