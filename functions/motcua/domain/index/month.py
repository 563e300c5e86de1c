"""A calendar month in Asia/Ho_Chi_Minh: the period of the monthly index."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from motcua.domain.calendar import VN_TZ
from motcua.domain.errors import InvalidInput

_MONTH = re.compile(r"(\d{4})-(\d{2})")


class InvalidMonth(InvalidInput):
    code = "INDEX_MONTH_INVALID"
    message_vi = "Tháng không hợp lệ (định dạng YYYY-MM)."
    message_en = "Invalid month (format YYYY-MM)."


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 2000 <= self.year <= 2100):
            raise InvalidMonth({"year": self.year, "month": self.month})

    @classmethod
    def parse(cls, text: str) -> Month:
        m = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
        if m is None:
            raise InvalidMonth({"month": repr(text)})
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, at: datetime) -> Month:
        """The month an aware instant falls in, in Vietnam's local time."""
        if at.tzinfo is None:
            raise InvalidMonth({"at": at.isoformat()}, message_en="A timezone-aware datetime is required.")
        local = at.astimezone(VN_TZ)
        return cls(local.year, local.month)

    @property
    def start(self) -> datetime:
        """First instant (00:00 on the 1st, Asia/Ho_Chi_Minh)."""
        return _bounds(self.year, self.month)[0]

    @property
    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    @property
    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @property
    def end(self) -> datetime:
        """The last instant of the month (one microsecond before the next month starts): open dossiers and
        feedback are measured as of this instant (docs/domain.md §4.6)."""
        return _bounds(self.year, self.month)[2]

    def contains(self, at: datetime | None) -> bool:
        if at is None:
            return False
        start, after, _ = _bounds(self.year, self.month)
        return start <= at < after

    def back(self, n: int) -> Month:
        """``n`` months earlier."""
        index = self.year * 12 + (self.month - 1) - n
        return Month(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@lru_cache(maxsize=1024)
def _bounds(year: int, month: int) -> tuple[datetime, datetime, datetime]:
    """(first instant, first instant of the next month, last instant), computed once per month."""
    start = datetime(year, month, 1, tzinfo=VN_TZ)
    after = datetime(year + 1, 1, 1, tzinfo=VN_TZ) if month == 12 else datetime(year, month + 1, 1, tzinfo=VN_TZ)
    return start, after, after - timedelta(microseconds=1)
