"""The deadline clock (motcua.domain.clock). Expected dates are worked by hand from DOMAIN.md §5."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from motcua.domain.clock import Pause, due_at, working_days_between
from motcua.domain.errors import CalendarError, CalendarYearMissing

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


def test_one_working_day_is_the_close_of_the_next_working_day() -> None:
    # Received Wed 2025-03-05 09:00; the reception day does not count -> Thu 2025-03-06 17:00.
    assert due_at(vn(2025, 3, 5), 1) == vn(2025, 3, 6, 17, 0)


def test_tet_2025_five_days() -> None:
    # Received Fri 24 Jan 2025. Tết break Sat 25 Jan - Sun 2 Feb. Working days after: Mon 3 (1), Tue 4 (2),
    # Wed 5 (3), Thu 6 (4), Fri 7 Feb (5).
    assert due_at(vn(2025, 1, 24), 5) == vn(2025, 2, 7, 17, 0)


def test_pause_pushes_by_covered_working_time() -> None:
    # Same as above, paused Tue 4 Feb 09:00 -> Thu 6 Feb 09:00: two whole working days -> Tue 11 Feb.
    pause = Pause(vn(2025, 2, 4), vn(2025, 2, 6))
    assert due_at(vn(2025, 1, 24), 5, [pause]) == vn(2025, 2, 11, 17, 0)
    assert working_days_between(vn(2025, 1, 24), vn(2025, 2, 11, 17, 0), [pause]) == 5


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(CalendarError):
        due_at(datetime(2025, 3, 5, 9, 0), 1)


def test_negative_and_absurd_days_are_rejected() -> None:
    for bad in (-1, 3651, Decimal("-0.5"), Decimal("NaN")):
        with pytest.raises(CalendarError):
            due_at(vn(2025, 3, 5), bad)


def test_missing_year_names_the_year() -> None:
    # Received Mon 14 Dec 2026: 15 working days run into January 2027, which has no official data.
    with pytest.raises(CalendarYearMissing) as info:
        due_at(vn(2026, 12, 14), 15)
    assert info.value.details == {"year": 2027}
    assert "2027" in info.value.message_en
