"""Property tests of the deadline clock (hypothesis). Kept small: the whole file runs in a few seconds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.domain.calendar import default_calendar
from motcua.domain.clock import (
    Pause,
    TimeLimit,
    TimeUnit,
    deadline_for,
    due_at,
    effective_reception,
    working_days_between,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = default_calendar()
OPEN, CLOSE = time(7, 30), time(17, 0)

PROFILE = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(PROFILE, max_examples=200)

# Receptions from 2024 to late August 2026, so that 60 working days (+ pauses) stay inside the data.
_START = datetime(2024, 1, 1, tzinfo=VN)
_SPAN_SECONDS = int((datetime(2026, 8, 31, tzinfo=VN) - _START).total_seconds())
_ZONES = [VN, UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5))]


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    t = _START + timedelta(seconds=draw(st.integers(0, _SPAN_SECONDS)))
    return t.astimezone(draw(st.sampled_from(_ZONES)))


whole_days = st.integers(0, 60)
fraction_days = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(60), places=3)


@st.composite
def pause_lists(draw: st.DrawFn, around: datetime) -> list[Pause]:
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        start = around + timedelta(minutes=draw(st.integers(-3 * 1440, 40 * 1440)))
        length = timedelta(minutes=draw(st.integers(0, 10 * 1440)))
        pauses.append(Pause(start, start + length))
    return pauses


def naive_due(received: datetime, n: int) -> datetime:
    """Independent oracle: walk day by day with is_working_day (no index arrays)."""
    day = received.astimezone(VN).date()
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if CAL.is_working_day(day):
            counted += 1
    return datetime.combine(day, CLOSE, VN)


@THOROUGH
@given(r=instants(), n=st.integers(1, 60))
def test_matches_a_day_by_day_walk(r: datetime, n: int) -> None:
    assert due_at(r, n) == naive_due(r, n)


@PROFILE
@given(r=instants(), n=whole_days)
def test_round_trip_whole_days(r: datetime, n: int) -> None:
    assert working_days_between(r, due_at(r, n)) == n


@PROFILE
@given(r=instants(), n=fraction_days)
def test_round_trip_fractional_days(r: datetime, n: Decimal) -> None:
    assert working_days_between(r, due_at(r, n)) == n


@PROFILE
@given(data=st.data(), r=instants(), n=whole_days)
def test_round_trip_with_pauses(data: st.DataObject, r: datetime, n: int) -> None:
    pauses = data.draw(pause_lists(r))
    due = due_at(r, n, pauses)
    assert working_days_between(r, due, pauses) == n


@PROFILE
@given(r=instants(), n=st.one_of(st.integers(1, 60), fraction_days))
def test_due_dates_land_in_office_hours_of_a_working_day(r: datetime, n: int | Decimal) -> None:
    due = due_at(r, n)
    assert due.tzinfo is not None and due.utcoffset() == timedelta(hours=7)
    assert CAL.is_working_day(due.date())
    assert OPEN < due.timetz().replace(tzinfo=None) <= CLOSE
    assert due > r
    if isinstance(n, int):
        assert due.timetz().replace(tzinfo=None) == CLOSE


@PROFILE
@given(r=instants(), a=st.one_of(whole_days, fraction_days), b=st.one_of(whole_days, fraction_days))
def test_monotonic_in_n(r: datetime, a: int | Decimal, b: int | Decimal) -> None:
    lo, hi = sorted((Decimal(a), Decimal(b)))
    assert due_at(r, lo) <= due_at(r, hi)
    if hi - lo >= 1:
        assert due_at(r, lo) < due_at(r, hi)


@PROFILE
@given(data=st.data(), r=instants(), n=st.integers(1, 60))
def test_pauses_only_push_later(data: st.DataObject, r: datetime, n: int) -> None:
    pauses = data.draw(pause_lists(r))
    with_pauses = due_at(r, n, pauses)
    assert with_pauses >= due_at(r, n)
    # Adding one more pause never brings the due date earlier either.
    extra = data.draw(pause_lists(r))
    assert due_at(r, n, pauses + extra) >= with_pauses


@PROFILE
@given(r=instants(), a=instants())
def test_working_days_between_is_additive_and_non_negative(r: datetime, a: datetime) -> None:
    lo, hi = sorted((r, a))
    elapsed = working_days_between(lo, hi)
    assert elapsed >= 0
    # A later measurement never shows less elapsed time.
    assert working_days_between(lo, hi + timedelta(days=3)) >= elapsed


@PROFILE
@given(s=instants())
def test_effective_reception_is_inside_office_hours_and_not_earlier(s: datetime) -> None:
    e = effective_reception(s, online=True)
    assert e >= s
    assert CAL.is_working_day(e.date())
    t = e.timetz().replace(tzinfo=None)
    assert time(7, 30) <= t < time(11, 30) or time(13, 30) <= t < time(17, 0)


@PROFILE
@given(r=instants(), hours=st.decimals(min_value=Decimal("0.25"), max_value=Decimal(100), places=2))
def test_working_hours_deadlines_are_in_office_time(r: datetime, hours: Decimal) -> None:
    due = deadline_for(TimeLimit(hours, TimeUnit.WORKING_HOURS), r)
    assert due > r
    assert CAL.is_working_day(due.date())
    t = due.timetz().replace(tzinfo=None)
    assert time(7, 30) < t <= time(11, 30) or time(13, 30) < t <= time(17, 0)


@PROFILE
@given(r=instants(), n=st.integers(0, 60))
def test_calendar_day_deadlines(r: datetime, n: int) -> None:
    due = deadline_for(TimeLimit(Decimal(n), TimeUnit.CALENDAR_DAYS), r)
    nominal: date = r.astimezone(VN).date() + timedelta(days=n)
    assert due.date() >= nominal
    assert CAL.is_working_day(due.date())
    # Never rolled further than the first working day on or after the nominal end.
    for d in range((due.date() - nominal).days):
        assert not CAL.is_working_day(nominal + timedelta(days=d))
