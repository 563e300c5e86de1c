"""Typed domain errors. Each carries a stable machine code, a Vietnamese and an English message.

The HTTP layer maps them to responses in one place (``motcua.handlers.api``); queue consumers record
them on the dossier's audit trail. Domain code never builds HTTP responses itself.
"""

from __future__ import annotations

from typing import Any, ClassVar


class MotcuaError(Exception):
    """Base of every error a client or a message can cause. Never a 500."""

    code: ClassVar[str] = "MOTCUA_ERROR"
    http_status: ClassVar[int] = 400
    message_vi: ClassVar[str] = "Yêu cầu không hợp lệ."
    message_en: ClassVar[str] = "Invalid request."

    def __init__(self, details: dict[str, Any] | None = None, *, message_vi: str | None = None,
                 message_en: str | None = None) -> None:
        self.details = details or {}
        if message_vi:
            self.message_vi = message_vi  # type: ignore[misc]
        if message_en:
            self.message_en = message_en  # type: ignore[misc]
        super().__init__(f"{self.code}: {self.message_en}")

    def to_body(self) -> dict[str, Any]:
        return {"code": self.code, "message_vi": self.message_vi, "message_en": self.message_en,
                "details": self.details}


class InvalidInput(MotcuaError):
    code = "INVALID_INPUT"
    http_status = 400
    message_vi = "Dữ liệu gửi lên không hợp lệ."
    message_en = "The request data is invalid."


class NotFound(MotcuaError):
    http_status = 404


class Conflict(MotcuaError):
    http_status = 409


class RouteNotFound(NotFound):
    """No route for this method and path (the function's resolver, or the gateway in front of it)."""

    code = "ROUTE_NOT_FOUND"
    message_vi = "Không có đường dẫn này."
    message_en = "No such route."


class RequestTooLarge(InvalidInput):
    """A body over the limit: the function's own, or API Gateway's payload quota."""

    code = "REQUEST_BODY_TOO_LARGE"
    http_status = 413
    message_vi = "Nội dung yêu cầu quá lớn."
    message_en = "The request body is too large."


class RequestUnreadable(InvalidInput):
    """A request the gateway cannot read (malformed framing, a bad chunk size)."""

    code = "REQUEST_UNREADABLE"
    message_vi = "Không đọc được yêu cầu."
    message_en = "The request could not be read."


class IdempotencyKeyRequired(InvalidInput):
    """Every write a client retries (a submission, an action, a feedback) names itself with a key of its own."""

    code = "IDEMPOTENCY_KEY_REQUIRED"
    message_vi = "Thiếu tiêu đề Idempotency-Key (mỗi lần nộp hồ sơ cần một khoá duy nhất)."
    message_en = "The Idempotency-Key header is required (one unique key per submission)."


def idempotency_key_given(key: str | None) -> str:
    """The caller's key, or :class:`IdempotencyKeyRequired` when there is none."""
    if not key:
        raise IdempotencyKeyRequired()
    return key


class IdempotencyKeyReused(Conflict):
    """A key names one request for good: another body under it is refused, even once its record has expired."""

    code = "IDEMPOTENCY_KEY_REUSED"
    message_vi = "Idempotency-Key này đã được dùng cho một yêu cầu khác."
    message_en = "This Idempotency-Key was already used for a different request."


class CalendarError(InvalidInput):
    """Bad input to the working-day clock (naive datetime, absurd number of days, bad pause)."""

    code = "CALENDAR_INVALID_INPUT"
    message_vi = "Dữ liệu ngày giờ không hợp lệ."
    message_en = "Invalid date/time input for the working-day calendar."


class CalendarYearMissing(MotcuaError):
    """The official schedule has no data for a year: never fall back silently to weekends only."""

    code = "CALENDAR_YEAR_MISSING"
    http_status = 422
    message_vi = "Chưa có lịch nghỉ lễ chính thức của năm này."
    message_en = "The official holiday schedule for this year is missing."


class DatetimeOutOfRange(InvalidInput):
    """A date a client sent lies outside the years the service answers for (the calendar's own data starts
    long after, and near datetime's limits a conversion to Vietnam's time would overflow)."""

    code = "DATETIME_OUT_OF_RANGE"
    http_status = 422
    message_vi = "Thời điểm phải nằm trong khoảng năm 2000 đến năm 2099."
    message_en = "The date and time must be between the years 2000 and 2099."
