"""The deadline clock (motcua.domain.clock). Expected dates are worked by hand from docs/domain.md §5.

Convention under test: the reception day does not count; N working days end at 17:00 (close of office
hours) on the N-th working day after the reception day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.domain import clock
from motcua.domain.calendar import OfficeHours, WorkingCalendar
from motcua.domain.clock import (
    OPEN_ENDED,
    OPEN_ENDED_US,
    Pause,
    TimeLimit,
    Timeliness,
    TimeUnit,
    _second_tables,
    counted_working_dates,
    deadline_and_working_days,
    deadline_and_working_days_us,
    deadline_for,
    due_at,
    effective_reception,
    from_us,
    instant_us,
    is_open_ended,
    timeliness,
    timeliness_us,
    working_days_between,
)
from motcua.domain.errors import CalendarError, CalendarYearMissing

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(y: int, m: int, d: int, hh: int = 9, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=VN)


def close(y: int, m: int, d: int) -> datetime:
    return vn(y, m, d, 17, 0)


# (reception, {N: due date}) for the last working day before each break, worked by hand.
TRANSITIONS = {
    # Tết 2024: off Thu 8 - Wed 14 Feb. From Wed 7 Feb: Thu 15 (1), Fri 16, Mon 19, Tue 20, Wed 21 (5),
    # Thu 22, Fri 23, Mon 26, Tue 27, Wed 28 (10), Thu 29 Feb (leap year), Fri 1 Mar, Mon 4, Tue 5, Wed 6 (15).
    "tet-2024": (vn(2024, 2, 7), {1: close(2024, 2, 15), 5: close(2024, 2, 21), 10: close(2024, 2, 28),
                                  15: close(2024, 3, 6)}),
    # Tết 2025: break Sat 25 Jan - Sun 2 Feb. From Fri 24 Jan: Mon 3 Feb (1) .. Fri 7 (5), Mon 10 .. Fri 14
    # (10), Mon 17 .. Fri 21 Feb (15).
    "tet-2025": (vn(2025, 1, 24), {1: close(2025, 2, 3), 5: close(2025, 2, 7), 10: close(2025, 2, 14),
                                   15: close(2025, 2, 21)}),
    # Tết 2026: break Sat 14 - Sun 22 Feb. From Fri 13 Feb: Mon 23 (1) .. Fri 27 (5), Mon 2 Mar .. Fri 6
    # (10), Mon 9 .. Fri 13 Mar (15).
    "tet-2026": (vn(2026, 2, 13), {1: close(2026, 2, 23), 5: close(2026, 2, 27), 10: close(2026, 3, 6),
                                   15: close(2026, 3, 13)}),
    # 30/4 2024: off Mon 29 Apr - Wed 1 May, Sat 4 May worked. From Fri 26 Apr: Thu 2 May (1), Fri 3 (2),
    # Sat 4 (3), Mon 6 (4), Tue 7 (5), Wed 8, Thu 9, Fri 10, Mon 13, Tue 14 (10), Wed 15, Thu 16, Fri 17,
    # Mon 20, Tue 21 May (15).
    "30-4-2024": (vn(2024, 4, 26), {1: close(2024, 5, 2), 3: close(2024, 5, 4), 5: close(2024, 5, 7),
                                    10: close(2024, 5, 14), 15: close(2024, 5, 21)}),
    # 30/4 2025: off Wed 30 Apr - Fri 2 May. From Tue 29 Apr: Mon 5 May (1) .. Fri 9 (5), Mon 12 .. Fri 16
    # (10), Mon 19 .. Fri 23 May (15).
    "30-4-2025": (vn(2025, 4, 29), {1: close(2025, 5, 5), 5: close(2025, 5, 9), 10: close(2025, 5, 16),
                                    15: close(2025, 5, 23)}),
    # 30/4 2026: off Thu 30 Apr - Fri 1 May. From Wed 29 Apr: Mon 4 May (1) .. Fri 8 (5), Mon 11 .. Fri 15
    # (10), Mon 18 .. Fri 22 May (15).
    "30-4-2026": (vn(2026, 4, 29), {1: close(2026, 5, 4), 5: close(2026, 5, 8), 10: close(2026, 5, 15),
                                    15: close(2026, 5, 22)}),
    # 2/9 2024: off Mon 2 - Tue 3 Sep. From Fri 30 Aug: Wed 4 (1), Thu 5, Fri 6, Mon 9, Tue 10 (5), Wed 11,
    # Thu 12, Fri 13, Mon 16, Tue 17 (10), Wed 18, Thu 19, Fri 20, Mon 23, Tue 24 Sep (15).
    "2-9-2024": (vn(2024, 8, 30), {1: close(2024, 9, 4), 5: close(2024, 9, 10), 10: close(2024, 9, 17),
                                   15: close(2024, 9, 24)}),
    # 2/9 2025: off Mon 1 - Tue 2 Sep. From Fri 29 Aug: Wed 3 (1), Thu 4, Fri 5, Mon 8, Tue 9 (5), Wed 10,
    # Thu 11, Fri 12, Mon 15, Tue 16 (10), Wed 17, Thu 18, Fri 19, Mon 22, Tue 23 Sep (15).
    "2-9-2025": (vn(2025, 8, 29), {1: close(2025, 9, 3), 5: close(2025, 9, 9), 10: close(2025, 9, 16),
                                   15: close(2025, 9, 23)}),
    # 2/9 2026: off Mon 31 Aug - Wed 2 Sep (Sat 22 Aug worked). From Fri 28 Aug: Thu 3 Sep (1), Fri 4,
    # Mon 7, Tue 8, Wed 9 (5), Thu 10, Fri 11, Mon 14, Tue 15, Wed 16 (10), Thu 17, Fri 18, Mon 21, Tue 22,
    # Wed 23 Sep (15).
    "2-9-2026": (vn(2026, 8, 28), {1: close(2026, 9, 3), 5: close(2026, 9, 9), 10: close(2026, 9, 16),
                                   15: close(2026, 9, 23)}),
}
TRANSITION_CASES = [(name, r, n, due) for name, (r, dues) in TRANSITIONS.items() for n, due in dues.items()]


@pytest.mark.parametrize(("name", "received", "n", "expected"), TRANSITION_CASES,
                         ids=[f"{c[0]}-{c[2]}d" for c in TRANSITION_CASES])
def test_transitions_across_holidays(name: str, received: datetime, n: int, expected: datetime) -> None:
    due = due_at(received, n)
    assert due == expected
    assert due.tzinfo is not None and due.utcoffset() == timedelta(hours=7)
    assert working_days_between(received, due) == n
    # The hour of reception on the reception day never matters (the day does not count).
    assert due_at(received.replace(hour=7, minute=0), n) == expected
    assert due_at(received.replace(hour=16, minute=59), n) == expected
    assert due_at(received.replace(hour=20, minute=0), n) == expected


@pytest.mark.parametrize(("received", "n", "expected"), [
    # Worked Saturdays count: from Fri 25 Apr 2025, 1 day -> Sat 26 Apr 2025 (worked for Fri 2 May).
    (vn(2025, 4, 25), 1, close(2025, 4, 26)),
    # From Fri 21 Aug 2026, 1 day -> Sat 22 Aug 2026 (worked for Mon 31 Aug).
    (vn(2026, 8, 21), 1, close(2026, 8, 22)),
    # Hùng Kings 2026, nghỉ bù Mon 27 Apr: from Fri 24 Apr, Tue 28 (1), Wed 29 (2), Mon 4 May (3) .. Wed 6 (5).
    (vn(2026, 4, 24), 1, close(2026, 4, 28)),
    (vn(2026, 4, 24), 5, close(2026, 5, 6)),
    # Vietnam Culture Day Tue 24 Nov 2026: from Mon 23 Nov -> Wed 25 Nov.
    (vn(2026, 11, 23), 1, close(2026, 11, 25)),
    # Year end 2025/2026: from Wed 24 Dec 2025: Thu 25 (1), Fri 26, Mon 29, Tue 30, Wed 31 (5), [Thu 1 and
    # Fri 2 Jan off], Mon 5 Jan (6), Tue 6, Wed 7, Thu 8, Fri 9 (10), Sat 10 (11, worked), Mon 12, Tue 13,
    # Wed 14, Thu 15 Jan (15).
    (vn(2025, 12, 24), 5, close(2025, 12, 31)),
    (vn(2025, 12, 24), 10, close(2026, 1, 9)),
    (vn(2025, 12, 24), 15, close(2026, 1, 15)),
    # Received on a Sunday (a desk open at weekends): Monday is day 1.
    (vn(2025, 3, 2), 1, close(2025, 3, 3)),
    # Received on a public holiday (Wed 30 Apr 2025): Mon 5 May is day 1.
    (vn(2025, 4, 30), 1, close(2025, 5, 5)),
])
def test_other_hand_worked_due_dates(received: datetime, n: int, expected: datetime) -> None:
    assert due_at(received, n) == expected
    assert working_days_between(received, expected) == n


def test_inputs_in_other_timezones_are_converted() -> None:
    # Thu 6 Mar 2025 23:30 UTC is Fri 7 Mar 06:30 in Vietnam: the reception day is Friday.
    received = datetime(2025, 3, 6, 23, 30, tzinfo=UTC)
    due = due_at(received, 1)
    assert due == close(2025, 3, 10)  # Mon 10 Mar
    assert due.tzinfo == VN
    assert due_at(datetime(2025, 3, 7, 8, 0, tzinfo=timezone(timedelta(hours=9))), 1) == close(2025, 3, 10)


def test_zero_days_is_the_close_of_the_reception_day() -> None:
    assert due_at(vn(2025, 3, 5, 9), 0) == close(2025, 3, 5)
    assert due_at(vn(2025, 3, 5, 18), 0) == vn(2025, 3, 5, 18)  # never before the reception itself
    assert working_days_between(vn(2025, 3, 5, 9), vn(2025, 3, 5, 16)) == 0


def test_fractional_working_days() -> None:
    # 0.5 day from Mon 3 Mar 2025: half of the 7 h 30 office day of Tue 4 Mar -> 07:30 + 3 h 45 = 11:15.
    assert due_at(vn(2025, 3, 3), Decimal("0.5")) == vn(2025, 3, 4, 11, 15)
    # 1.5 days -> Wed 5 Mar 11:15.
    assert due_at(vn(2025, 3, 3), Decimal("1.5")) == vn(2025, 3, 5, 11, 15)
    # 0.6 day = 4 h 30 of office time: 07:30-11:30 (4 h) + 13:30-14:00 -> Tue 14:00.
    assert due_at(vn(2025, 3, 3), Decimal("0.6")) == vn(2025, 3, 4, 14, 0)
    assert working_days_between(vn(2025, 3, 3), vn(2025, 3, 4, 14, 0)) == Decimal("0.6")
    # A whole Decimal is the same as the int.
    assert due_at(vn(2025, 3, 3), Decimal("5.000")) == due_at(vn(2025, 3, 3), 5)


def test_working_days_between() -> None:
    r = vn(2025, 1, 24)  # Fri before Tết 2025
    assert working_days_between(r, vn(2025, 2, 3, 11, 15)) == Decimal("0.5")
    assert working_days_between(r, close(2025, 2, 3)) == 1
    # During the break, no working time passes.
    assert working_days_between(r, vn(2025, 1, 30, 12)) == 0
    # Lunch time of Tue 4 Feb: 1 day + the morning (4 h of 7 h 30 = 0.533333...).
    assert working_days_between(r, vn(2025, 2, 4, 12, 30)) == Decimal("1.533333")
    with pytest.raises(CalendarError):
        working_days_between(close(2025, 2, 3), r)


def test_pause_inside_office_hours_pushes_by_the_office_time_it_covers() -> None:
    r = vn(2025, 3, 3)  # Mon; 5 days -> Mon 10 Mar 17:00 without pauses
    assert due_at(r, 5) == close(2025, 3, 10)
    # Paused Wed 5 Mar 10:00-15:00: 10:00-11:30 + 13:30-15:00 = 3 h of office time.
    # Due moves from Mon 10 Mar 17:00 to Tue 11 Mar 07:30 + 3 h = 10:30.
    pause = Pause(vn(2025, 3, 5, 10), vn(2025, 3, 5, 15))
    assert due_at(r, 5, [pause]) == vn(2025, 3, 11, 10, 30)
    assert working_days_between(r, vn(2025, 3, 11, 10, 30), [pause]) == 5
    # Counted dates: Tue 4 .. Tue 11 except Sat/Sun 8-9 (Wed 5 still holds 1 h 30 of counted time).
    assert counted_working_dates(r, vn(2025, 3, 11, 10, 30), [pause]) == [
        date(2025, 3, 4), date(2025, 3, 5), date(2025, 3, 6), date(2025, 3, 7), date(2025, 3, 10),
        date(2025, 3, 11)]


def test_pauses_overlapping_count_once_and_weekend_pauses_cover_nothing() -> None:
    r = vn(2025, 3, 3)
    a = Pause(vn(2025, 3, 4, 7, 30), close(2025, 3, 5))  # Tue+Wed: 2 days
    b = Pause(vn(2025, 3, 5, 7, 30), close(2025, 3, 6))  # Wed+Thu, overlaps a on Wed: 1 more day
    # 5 days + 3 paused days: Mon 10 (5th) -> Thu 13 Mar.
    assert due_at(r, 5, [b, a]) == close(2025, 3, 13)
    weekend = Pause(vn(2025, 3, 8, 8), vn(2025, 3, 9, 20))
    assert due_at(r, 5, [weekend]) == close(2025, 3, 10)
    # A pause that ended before the reception does nothing; one starting before it counts from reception.
    before = Pause(vn(2025, 2, 3), vn(2025, 2, 28))
    assert due_at(r, 5, [before]) == close(2025, 3, 10)
    straddling = Pause(vn(2025, 2, 28), close(2025, 3, 4))  # covers Tue 4 (day 1) only
    assert due_at(r, 5, [straddling]) == close(2025, 3, 11)
    # A pause starting exactly at the due instant, or after it, does not move it.
    assert due_at(r, 5, [Pause(close(2025, 3, 10), close(2025, 3, 20))]) == close(2025, 3, 10)


def test_open_pause() -> None:
    r = vn(2025, 3, 3)
    still_paused = Pause(vn(2025, 3, 5, 10))
    due = due_at(r, 5, [still_paused])
    assert due == OPEN_ENDED and is_open_ended(due)
    # Open pause starting after the due date: irrelevant.
    assert due_at(r, 5, [Pause(vn(2025, 3, 11, 9))]) == close(2025, 3, 10)
    # Measured while paused, the elapsed time stops at the pause start: Tue 4 (1) + Wed 07:30-10:00
    # (2 h 30 of 7 h 30 = 1/3).
    assert working_days_between(r, vn(2025, 3, 20), [still_paused]) == Decimal("1.333333")


def test_working_hours() -> None:
    hours = TimeUnit.WORKING_HOURS
    # 4 h from Mon 3 Mar 2025 10:00: 10:00-11:30 (1 h 30) + 13:30-16:00 (2 h 30) -> 16:00 the same day.
    assert deadline_for(TimeLimit(Decimal(4), hours), vn(2025, 3, 3, 10)) == vn(2025, 3, 3, 16)
    # 8 h from the same instant: 5 h on Monday (to 17:00), 3 h on Tuesday from 07:30 -> 10:30.
    assert deadline_for(TimeLimit(Decimal(8), hours), vn(2025, 3, 3, 10)) == vn(2025, 3, 4, 10, 30)
    # Received at lunch: counts from 13:30; 4 h = 3 h 30 to 17:00 + 30 min on Tue -> 08:00.
    assert deadline_for(TimeLimit(Decimal(4), hours), vn(2025, 3, 3, 12)) == vn(2025, 3, 4, 8, 0)
    # Across 30/4-1/5 2025: 4 h from Tue 29 Apr 15:00: 2 h to 17:00, then Mon 5 May 07:30 + 2 h = 09:30.
    assert deadline_for(TimeLimit(Decimal(4), hours), vn(2025, 4, 29, 15)) == vn(2025, 5, 5, 9, 30)
    # A session boundary is the session's end, not the next opening: 1 h 30 from 10:00 -> 11:30.
    assert deadline_for(TimeLimit(Decimal("1.5"), hours), vn(2025, 3, 3, 10)) == vn(2025, 3, 3, 11, 30)
    # Pause 13:30-14:30 on Monday pushes 4 h from 10:00 to 17:00.
    pause = Pause(vn(2025, 3, 3, 13, 30), vn(2025, 3, 3, 14, 30))
    assert deadline_for(TimeLimit(Decimal(4), hours), vn(2025, 3, 3, 10), [pause]) == close(2025, 3, 3)


def test_same_day_with_15h_cutoff() -> None:
    same_day = TimeLimit(Decimal(0), TimeUnit.SAME_DAY_15H_CUTOFF)
    assert deadline_for(same_day, vn(2025, 3, 3, 7, 0)) == close(2025, 3, 3)  # before opening: same day
    assert deadline_for(same_day, vn(2025, 3, 3, 14, 59)) == close(2025, 3, 3)
    assert deadline_for(same_day, vn(2025, 3, 3, 15, 0)) == close(2025, 3, 3)  # at 15:00: still same day
    assert deadline_for(same_day, vn(2025, 3, 3, 15, 0, 1)) == close(2025, 3, 4)  # after: next working day
    # Tue 29 Apr 2025 16:00 -> next working day is Mon 5 May.
    assert deadline_for(same_day, vn(2025, 4, 29, 16)) == close(2025, 5, 5)
    # Worked Saturday 26 Apr 2025: same day; Sunday 27 Apr: Monday 28 Apr.
    assert deadline_for(same_day, vn(2025, 4, 26, 10)) == close(2025, 4, 26)
    assert deadline_for(same_day, vn(2025, 4, 27, 10)) == close(2025, 4, 28)


def test_same_day_cutoff_is_the_agencys_own() -> None:
    # An agency whose office hours set the cut-off at 14:30: a dossier received at 14:45 is due the next
    # working day there, the same day anywhere on the default 15:00.
    same_day = TimeLimit(Decimal(0), TimeUnit.SAME_DAY_15H_CUTOFF)
    cal = WorkingCalendar(None, {"agencies": {"UBND-X": {"office_hours": {"same_day_cutoff": "14:30"}}}})
    assert deadline_for(same_day, vn(2025, 3, 3, 14, 45), agency="UBND-X", calendar=cal) == close(2025, 3, 4)
    assert deadline_for(same_day, vn(2025, 3, 3, 14, 30), agency="UBND-X", calendar=cal) == close(2025, 3, 3)
    assert deadline_for(same_day, vn(2025, 3, 3, 14, 45), calendar=cal) == close(2025, 3, 3)


def test_calendar_days() -> None:
    cal_days = TimeUnit.CALENDAR_DAYS
    # 30 calendar days from Mon 3 Mar 2025 -> Wed 2 Apr 2025, close of office hours.
    assert deadline_for(TimeLimit(Decimal(30), cal_days), vn(2025, 3, 3)) == close(2025, 4, 2)
    # 10 calendar days from Mon 20 Jan 2025 -> Thu 30 Jan (Tết): rolls to the next working day, Mon 3 Feb.
    assert deadline_for(TimeLimit(Decimal(10), cal_days), vn(2025, 1, 20)) == close(2025, 2, 3)
    # A 36-hour pause adds 2 calendar days (rounded up): 30 + 2 -> Fri 4 Apr 2025.
    pause = Pause(vn(2025, 3, 10, 8), vn(2025, 3, 11, 20))
    assert deadline_for(TimeLimit(Decimal(30), cal_days), vn(2025, 3, 3), [pause]) == close(2025, 4, 4)
    assert deadline_for(TimeLimit(Decimal(30), cal_days), vn(2025, 3, 3), [Pause(vn(2025, 3, 10))]) == OPEN_ENDED
    with pytest.raises(CalendarError):
        deadline_for(TimeLimit(Decimal("1.5"), cal_days), vn(2025, 3, 3))


def test_deadline_for_working_days_is_due_at() -> None:
    limit = TimeLimit(Decimal(15), TimeUnit.WORKING_DAYS)
    assert deadline_for(limit, vn(2025, 1, 24)) == close(2025, 2, 21)
    assert TimeLimit(5, "working_days") == TimeLimit(Decimal(5), TimeUnit.WORKING_DAYS)  # type: ignore[arg-type]


def test_effective_reception_of_online_submissions() -> None:
    # Fri 24 Jan 2025 18:00 online: next opening is Mon 3 Feb 07:30 (after the Tết break).
    assert effective_reception(vn(2025, 1, 24, 18), online=True) == vn(2025, 2, 3, 7, 30)
    # Saturday -> Monday opening; early morning -> that morning's opening; lunch -> afternoon opening.
    assert effective_reception(vn(2025, 3, 8, 10), online=True) == vn(2025, 3, 10, 7, 30)
    assert effective_reception(vn(2025, 3, 10, 6, 0), online=True) == vn(2025, 3, 10, 7, 30)
    assert effective_reception(vn(2025, 3, 10, 12, 0), online=True) == vn(2025, 3, 10, 13, 30)
    assert effective_reception(vn(2025, 3, 10, 17, 0), online=True) == vn(2025, 3, 11, 7, 30)
    # Inside office hours, paper dossiers, or the rule switched off: unchanged.
    assert effective_reception(vn(2025, 3, 10, 10, 5), online=True) == vn(2025, 3, 10, 10, 5)
    assert effective_reception(vn(2025, 1, 24, 18), online=False) == vn(2025, 1, 24, 18)
    assert effective_reception(vn(2025, 1, 24, 18), online=True, count_off_hours_as_next_day=False) == vn(
        2025, 1, 24, 18)
    # Effect on the due date: 1 working day from Fri 18:00 online -> reception Mon 3 Feb -> Tue 4 Feb.
    online = effective_reception(vn(2025, 1, 24, 18), online=True)
    assert due_at(online, 1) == close(2025, 2, 4)
    assert due_at(vn(2025, 1, 24, 18), 1) == close(2025, 2, 3)  # paper, received late Friday


def test_timeliness() -> None:
    appointment = close(2025, 2, 7)  # Fri 7 Feb 2025 17:00
    assert timeliness(vn(2025, 2, 6, 16), appointment) is Timeliness.EARLY
    assert timeliness(vn(2025, 2, 7, 8), appointment) is Timeliness.ON_TIME
    assert timeliness(close(2025, 2, 7), appointment) is Timeliness.ON_TIME
    assert timeliness(vn(2025, 2, 7, 17, 1), appointment) is Timeliness.LATE
    # The day is the Vietnamese day: Thu 6 Feb 23:30 UTC is Fri 06:30 in Hanoi -> on time, not early.
    assert timeliness(datetime(2025, 2, 6, 23, 30, tzinfo=UTC), appointment) is Timeliness.ON_TIME
    # Open dossier measured as of an instant.
    assert timeliness(None, appointment, as_of=vn(2025, 2, 7, 16)) is Timeliness.ON_TIME
    assert timeliness(None, appointment, as_of=vn(2025, 2, 10, 8)) is Timeliness.LATE
    with pytest.raises(CalendarError):
        timeliness(None, appointment)
    # A second supplement request makes it late (index rule), unless switched off.
    assert timeliness(vn(2025, 2, 6), appointment, supplement_requests=2) is Timeliness.LATE
    assert timeliness(vn(2025, 2, 6), appointment, supplement_requests=2,
                      late_on_second_supplement=False) is Timeliness.EARLY


# --- bad input ------------------------------------------------------------------------------------------


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2025, 3, 5, 9, 0)
    with pytest.raises(CalendarError):
        due_at(naive, 1)
    with pytest.raises(CalendarError):
        working_days_between(vn(2025, 3, 5), naive)
    with pytest.raises(CalendarError):
        effective_reception(naive, online=True)
    with pytest.raises(CalendarError):
        timeliness(naive, close(2025, 3, 6))
    with pytest.raises(CalendarError):
        Pause(naive, vn(2025, 3, 6))
    with pytest.raises(CalendarError):
        deadline_for(TimeLimit(Decimal(1), TimeUnit.WORKING_HOURS), naive)
    with pytest.raises(CalendarError):
        due_at(date(2025, 3, 5), 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 3651, 10**9, Decimal("-0.5"), Decimal("NaN"), Decimal("Infinity"),
                                 True, "abc", None])
def test_negative_and_absurd_days_are_rejected(bad: object) -> None:
    with pytest.raises(CalendarError):
        due_at(vn(2025, 3, 5), bad)  # type: ignore[arg-type]


def test_time_limit_validation() -> None:
    with pytest.raises(CalendarError):
        TimeLimit(Decimal(-1), TimeUnit.WORKING_DAYS)
    with pytest.raises(CalendarError):
        TimeLimit(Decimal(1), "fortnights")  # type: ignore[arg-type]
    with pytest.raises(CalendarError):
        TimeLimit(Decimal(10**6), TimeUnit.WORKING_HOURS)


def test_pause_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(CalendarError) as info:
        Pause(vn(2025, 3, 6), vn(2025, 3, 5))
    assert info.value.code == "CALENDAR_INVALID_INPUT"
    with pytest.raises(CalendarError):
        due_at(vn(2025, 3, 3), 5, [("2025-03-05", "2025-03-06")])  # type: ignore[list-item]


def test_missing_year_names_the_year() -> None:
    # Received Tue 14 Dec 2027: 15 working days run into January 2028, which has no data at all.
    with pytest.raises(CalendarYearMissing) as info:
        due_at(vn(2027, 12, 14), 15)
    assert info.value.details == {"year": 2028}
    assert "2028" in info.value.message_en
    with pytest.raises(CalendarYearMissing) as info:
        due_at(vn(2023, 12, 29), 1)
    assert info.value.details == {"year": 2023}
    # 5 working days from Mon 14 Dec 2026 stay inside 2026: Tue 15 (1), Wed 16, Thu 17, Fri 18, Mon 21 Dec (5).
    assert due_at(vn(2026, 12, 14), 5) == close(2026, 12, 21)


def test_custom_calendar_is_honoured() -> None:
    src = {"S": {"document": "test"}}
    cal = WorkingCalendar({"years": {"2025": {"sources": src, "days_off": [{"date": "2025-03-04", "source": "S"}]}}},
                          {}, statutory_base=False)
    # Mon 3 Mar 2025 + 1 with Tue 4 off in this calendar -> Wed 5.
    assert due_at(vn(2025, 3, 3), 1, calendar=cal) == close(2025, 3, 5)


# ---------------------------------------------------------------------------------------------------------
# deadline_and_working_days: the two calls in one pass (the index's recompute), equal to them exactly

_INSTANTS = st.builds(lambda day, minute, second: vn(2026, 1, 2) + timedelta(days=day, minutes=minute,
                                                                             seconds=second),
                      st.integers(0, 300), st.integers(0, 24 * 60 - 1), st.sampled_from([0, 1, 59]))
_LIMITS = st.sampled_from([TimeLimit(value=Decimal(v), unit=u) for v, u in [
    ("3", TimeUnit.WORKING_DAYS), ("15", TimeUnit.WORKING_DAYS), ("0", TimeUnit.WORKING_DAYS),
    ("0.5", TimeUnit.WORKING_DAYS), ("1.25", TimeUnit.WORKING_DAYS), ("1", TimeUnit.SAME_DAY_15H_CUTOFF),
    ("10", TimeUnit.CALENDAR_DAYS), ("4", TimeUnit.WORKING_HOURS), ("0", TimeUnit.CALENDAR_DAYS)]])


@st.composite
def _pauses(draw: st.DrawFn, received: datetime) -> list[tuple[datetime, datetime | None]]:
    """Pauses around a reception: before it, overlapping, touching, zero-length, still open (Tết and the
    30/4 holidays fall inside the drawn range)."""
    out: list[tuple[datetime, datetime | None]] = []
    for _ in range(draw(st.integers(0, 4))):
        start = received + timedelta(minutes=draw(st.sampled_from([-600, 0, 1, 90, 600, 60 * 24 * 3, 60 * 24 * 9]))
                                     + draw(st.integers(0, 60 * 24 * 5)))
        end = None if draw(st.integers(0, 4)) == 0 else start + timedelta(minutes=draw(st.sampled_from(
            [0, 1, 45, 60 * 5, 60 * 24 * 2, 60 * 24 * 20])) + draw(st.integers(0, 60 * 24)))
        out.append((start, end))
    return out


@settings(max_examples=400, deadline=None)
@given(data=st.data(), received=_INSTANTS, limit=_LIMITS, finished_after=st.one_of(
    st.none(), st.integers(0, 60 * 24 * 40)), agency=st.sampled_from([None, "000.00.00.H36"]))
def test_deadline_and_working_days_equals_the_two_calls(data: st.DataObject, received: datetime,
                                                          limit: TimeLimit, finished_after: int | None,
                                                          agency: str | None) -> None:
    spans = data.draw(_pauses(received))
    pauses = [Pause(start=s, end=e) for s, e in spans]
    finished = None if finished_after is None else received + timedelta(minutes=finished_after)
    expected_due = deadline_for(limit, received, pauses, agency=agency)
    expected_days = None if finished is None else working_days_between(received, finished, pauses, agency=agency)
    assert deadline_and_working_days(limit, received, spans, finished, agency=agency) == (expected_due,
                                                                                          expected_days)


def test_deadline_and_working_days_checks_its_inputs() -> None:
    limit = TimeLimit(value=Decimal(3), unit=TimeUnit.WORKING_DAYS)
    with pytest.raises(CalendarError):
        deadline_and_working_days(limit, vn(2026, 3, 2), [(vn(2026, 3, 3), vn(2026, 3, 2))])
    with pytest.raises(CalendarError):
        deadline_and_working_days(limit, vn(2026, 3, 2), [], vn(2026, 3, 1))
    with pytest.raises(CalendarError):
        deadline_and_working_days(limit, datetime(2026, 3, 2, 9), [])
    # Worked by hand: received Monday 2 March 2026 09:00, 3 working days (due Thursday 17:00), paused Tuesday
    # 09:00 to Wednesday 09:00 (6 h on Tuesday + 1 h 30 on Wednesday: one office day), so due Friday 17:00;
    # finished Friday 09:00: Tuesday to Thursday (3 days) + Friday 07:30-09:00 (0.2) - the pause (1) = 2.2.
    due, days = deadline_and_working_days(limit, vn(2026, 3, 2), [(vn(2026, 3, 3), vn(2026, 3, 4))], vn(2026, 3, 6))
    assert (due, days) == (close(2026, 3, 6), Decimal("2.2"))


# ---------------------------------------------------------------------------------------------------------
# The same clock on integer instants (microseconds since the epoch), equal to the datetime functions

def _us(dt: datetime | None) -> int | None:
    return None if dt is None else instant_us(dt)


@settings(max_examples=600, deadline=None)
@given(data=st.data(), received=_INSTANTS, micro=st.sampled_from([0, 1, 999_999]), limit=_LIMITS,
       finished_after=st.one_of(st.none(), st.integers(0, 60 * 24 * 40)),
       agency=st.sampled_from([None, "000.00.00.H36"]), supplements=st.integers(0, 2),
       as_of_after=st.integers(-60 * 24, 60 * 24 * 40))
def test_the_integer_clock_equals_the_datetime_clock(data: st.DataObject, received: datetime, micro: int,
                                                     limit: TimeLimit, finished_after: int | None,
                                                     agency: str | None, supplements: int, as_of_after: int
                                                     ) -> None:
    received = received.replace(microsecond=micro)
    spans = data.draw(_pauses(received))
    finished = None if finished_after is None else received + timedelta(minutes=finished_after, microseconds=7)
    due, days = deadline_and_working_days(limit, received, spans, finished, agency=agency)
    assert deadline_and_working_days_us(limit, instant_us(received), [(instant_us(s), _us(e)) for s, e in spans],
                                        _us(finished), agency=agency) == (
        instant_us(due), None if days is None else int(days * 1_000_000))
    assert from_us(instant_us(received)) == received
    as_of = received + timedelta(minutes=as_of_after)
    for done in (finished, None):
        assert timeliness_us(_us(done), instant_us(due), as_of=instant_us(as_of), supplement_requests=supplements
                             ) == timeliness(done, due, as_of=as_of, supplement_requests=supplements)
    # the open-ended due date of a pause still open
    assert timeliness_us(instant_us(received), OPEN_ENDED_US) == timeliness(received, OPEN_ENDED)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), received=_INSTANTS, limit=_LIMITS.filter(lambda lim: lim.unit is not TimeUnit.WORKING_HOURS),
       finished_after=st.one_of(st.none(), st.integers(0, 60 * 24 * 40)),
       agency=st.sampled_from([None, "000.00.00.H36"]))
def test_the_integer_clock_needs_no_datetime_within_the_data(data: st.DataObject, received: datetime,
                                                             limit: TimeLimit, finished_after: int | None,
                                                             agency: str | None) -> None:
    """Working days, the same-day limit and calendar days, pauses open or closed, are computed on integers
    alone (the datetime function, their fallback, is never called), with the same answer."""
    spans = data.draw(_pauses(received))
    finished = None if finished_after is None else received + timedelta(minutes=finished_after)
    due, days = deadline_and_working_days(limit, received, spans, finished, agency=agency)
    with mock.patch.object(clock, "deadline_and_working_days", side_effect=AssertionError("fell back")):
        found = deadline_and_working_days_us(limit, instant_us(received),
                                             [(instant_us(s), _us(e)) for s, e in spans], _us(finished),
                                             agency=agency)
    assert found == (instant_us(due), None if days is None else int(days * 1_000_000))


def test_the_integer_clock_refuses_what_the_datetime_clock_refuses() -> None:
    limit = TimeLimit(value=Decimal(3), unit=TimeUnit.WORKING_DAYS)
    r = instant_us(vn(2026, 3, 2))
    with pytest.raises(CalendarError):  # a pause ending before it starts
        deadline_and_working_days_us(limit, r, [(r + 10, r)])
    with pytest.raises(CalendarYearMissing):  # a year the calendar does not cover
        deadline_and_working_days_us(limit, instant_us(vn(2026, 3, 2).replace(year=2090)))


@pytest.mark.parametrize("sessions", [
    ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0))),
    ((time(8, 0), time(12, 0)), (time(12, 0), time(16, 30))),
    ((time(0, 0), time(23, 59, 59)),),
])
def test_the_integer_clock_second_tables_equal_the_office_hours(sessions: tuple[tuple[time, time], ...]) -> None:
    hours = OfficeHours(sessions=sessions)
    elapsed, back = _second_tables(hours.spans)
    assert elapsed == [hours.elapsed(s) for s in range(86_400)]
    assert back[1:] == [hours.second_at(p) for p in range(1, hours.seconds_per_day + 1)]
