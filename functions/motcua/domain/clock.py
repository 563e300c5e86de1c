"""The ONE deadline clock: every appointment, due date, SLA warning and timeliness verdict comes from here.

Conventions (docs/domain.md §4.5; the exact counting convention is UNSURE there, so it is stated once here and in
``docs/calendar.md``, and applied by every function of this module):

* **Time zone.** Every input datetime must be timezone-aware (a naive one raises ``CalendarError``); every
  output is aware in Asia/Ho_Chi_Minh.
* **Working time** is measured in office seconds of the agency's office hours (default 07:30–11:30 and
  13:30–17:00: a working day is 7 h 30 of office time). Nights, lunch breaks, weekends, holidays and the
  agency's own closed days hold no working time. Resolution: one second.
* **Working days (N).** The reception day itself does not count, whatever the hour of reception. The
  deadline is the close of office hours (17:00) on the N-th working day after the reception day. If the
  reception day is not a working day, the first working day after it is day 1. A fractional N counts the
  fraction in office time of the next working day: 0.5 day after a Monday reception ends on Tuesday at the
  middle of the office day (11:15 with the default hours), 1.5 days on Wednesday at that instant.
* **Working hours (H).** Counted from the reception instant itself (clamped into office time), across
  sessions and working days: 4 working hours from Monday 10:00 end at Monday 16:00 (10:00–11:30 plus
  13:30–16:00).
* **Calendar days (N).** Civil Code 2015 art. 148 style (LIKELY): the period ends at the close of office
  hours on the N-th calendar day after the reception day; when that day is not a working day, at the close
  of the next working day. Pauses add the whole calendar days they cover (rounded up).
* **Same working day with a cut-off.** Received on a working day at or before the agency's cut-off
  (``OfficeHours.same_day_cutoff``; ``calendar.DEFAULT_SAME_DAY_CUTOFF`` unless configured): due at that
  day's close. Received after the cut-off, after hours or on a day off: due at the close of the next
  working day. The limit's value is ignored.
* **Pauses** (supplement requested, financial obligation awaited) push the due date later by exactly the
  working time they cover after the clock started (overlapping pauses are counted once). A pause with no
  end (still paused) makes the due date unknowable: :data:`OPEN_ENDED` is returned unless the due date falls
  before the pause starts. To preview "due if the citizen completed the supplement now", close the pause at
  that instant.
* **Online submissions** outside office hours or on a day off count from the next opening
  (:func:`effective_reception`, docs/domain.md §4.3 UNSURE: configurable, default on). A lunch-break submission
  counts from the afternoon opening of the same day.
* Years the official schedule does not cover raise ``CalendarYearMissing`` naming the year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from motcua.domain.calendar import VN_TZ, DayIndex, WorkingCalendar, default_calendar
from motcua.domain.errors import CalendarError

__all__ = [
    "MAX_CALENDAR_DAYS",
    "MAX_WORKING_DAYS",
    "MAX_WORKING_HOURS",
    "OPEN_ENDED",
    "VN_TZ",
    "Pause",
    "TimeLimit",
    "TimeUnit",
    "Timeliness",
    "counted_working_dates",
    "deadline_and_working_days",
    "deadline_for",
    "due_at",
    "effective_reception",
    "is_open_ended",
    "timeliness",
    "working_days_between",
    "working_hours_between",
]

# Beyond these a value is a data error, not a procedure (10 years of working days).
MAX_WORKING_DAYS = 3650
MAX_CALENDAR_DAYS = 3650
MAX_WORKING_HOURS = MAX_WORKING_DAYS * 8

# Returned while an open pause holds the clock: later than any real due date, aware, comparable.
OPEN_ENDED = datetime.max.replace(tzinfo=VN_TZ)

_UNIT_SECONDS_HOUR = 3600
_MICRO = Decimal("0.000001")


class TimeUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WORKING_HOURS = "working_hours"
    SAME_DAY_15H_CUTOFF = "same_working_day_15h_cutoff"


@dataclass(frozen=True)
class TimeLimit:
    """A procedure's time limit. ``value`` may be fractional (0.5 working day)."""

    value: Decimal
    unit: TimeUnit
    _amount: int | Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unit = self.unit
        if not isinstance(unit, TimeUnit):
            try:
                unit = TimeUnit(unit)
            except ValueError as exc:
                raise CalendarError({"unit": str(unit)}, message_en=f"Unknown time unit {unit!r}.") from exc
            object.__setattr__(self, "unit", unit)
        limit = {TimeUnit.WORKING_DAYS: MAX_WORKING_DAYS, TimeUnit.CALENDAR_DAYS: MAX_CALENDAR_DAYS,
                 TimeUnit.WORKING_HOURS: MAX_WORKING_HOURS,
                 TimeUnit.SAME_DAY_15H_CUTOFF: MAX_WORKING_DAYS}[unit]
        value = _as_decimal(self.value, "value", limit)
        object.__setattr__(self, "value", value)
        # The amount as the clock's functions take it, checked once: an int when whole (their fast path).
        object.__setattr__(self, "_amount", int(value) if value == value.to_integral_value() else value)


@dataclass(frozen=True)
class Pause:
    """Time the clock stands still: ``end=None`` means still paused."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        start = _local(self.start, "pause.start")
        if self.end is not None and _local(self.end, "pause.end") < start:
            raise CalendarError({"start": self.start.isoformat(), "end": self.end.isoformat()},
                                message_vi="Thời điểm kết thúc tạm dừng trước thời điểm bắt đầu.",
                                message_en="A pause ends before it starts.")


class Timeliness(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


# --------------------------------------------------------------------------------------------------------
# Input checks


def _local(dt: Any, name: str) -> datetime:
    """``dt`` in Asia/Ho_Chi_Minh; raises CalendarError for anything but an aware datetime."""
    if type(dt) is not datetime and not isinstance(dt, datetime):
        raise CalendarError({"field": name, "value": repr(dt)},
                            message_en=f"{name} must be a timezone-aware datetime.")
    tz = dt.tzinfo
    if tz is VN_TZ:
        return dt
    if tz is None or tz.utcoffset(dt) is None:
        raise CalendarError({"field": name, "value": dt.isoformat()},
                            message_vi=f"{name}: thiếu múi giờ.",
                            message_en=f"{name} is a naive datetime: a timezone is required.")
    return dt.astimezone(VN_TZ)


def _as_decimal(value: Any, name: str, limit: int) -> Decimal:
    if isinstance(value, bool):
        raise CalendarError({"field": name, "value": value}, message_en=f"{name} must be a number.")
    try:
        if isinstance(value, Decimal):
            d = value
        elif isinstance(value, int):
            d = Decimal(value)
        elif isinstance(value, float | str):
            d = Decimal(repr(value) if isinstance(value, float) else value.strip())
        else:
            raise TypeError
    except (TypeError, InvalidOperation) as exc:
        raise CalendarError({"field": name, "value": repr(value)},
                            message_en=f"{name} must be a number.") from exc
    if not d.is_finite() or d < 0 or d > limit:
        raise CalendarError({"field": name, "value": str(value), "max": limit},
                            message_vi=f"{name}: số ngày/giờ không hợp lệ (âm hoặc quá lớn).",
                            message_en=f"{name} must be between 0 and {limit}.")
    return d


def _whole_days(working_days: Any) -> tuple[int | None, Decimal | None]:
    """(int, None) for a whole number of days, (None, Decimal) for a fraction; validated."""
    if type(working_days) is int:  # the hot path: no Decimal at all
        if 0 <= working_days <= MAX_WORKING_DAYS:
            return working_days, None
        _as_decimal(working_days, "working_days", MAX_WORKING_DAYS)  # raises
    d = _as_decimal(working_days, "working_days", MAX_WORKING_DAYS)
    if d == d.to_integral_value():
        return int(d), None
    return None, d


def _ceil_seconds(amount: Decimal, unit_seconds: int) -> int:
    return int((amount * unit_seconds).to_integral_value(rounding=ROUND_CEILING))


def _days(seconds: int, spd: int) -> Decimal:
    if seconds % spd == 0:
        return Decimal(seconds // spd)
    q = (Decimal(seconds) / Decimal(spd)).quantize(_MICRO)
    return Decimal(int(q)) if q == q.to_integral_value() else q.normalize()


def _cal(calendar: WorkingCalendar | None) -> WorkingCalendar:
    return calendar if calendar is not None else default_calendar()


# --------------------------------------------------------------------------------------------------------
# Positions: office seconds since the start of a run of covered years


def _run(calendar: WorkingCalendar, agency: str | None, t: datetime) -> DayIndex:
    return calendar.index(agency).run_for(t.toordinal())


def _pos(run: DayIndex, t: datetime) -> int:
    """Working time (office seconds) elapsed in ``run`` up to local instant ``t``."""
    o = t.toordinal()
    if o > run.last_ord:
        raise run.missing_after()
    if o < run.first_ord:
        raise run.missing_before()
    i = o - run.first_ord
    k = run.upto[i]
    if run.is_work[i]:
        return (k - 1) * run.spd + run.hours.elapsed(t.hour * 3600 + t.minute * 60 + t.second)
    return k * run.spd


def _at(run: DayIndex, position: int) -> datetime:
    """The instant at which working time ``position`` (> 0) is reached; a day boundary maps to the close
    of the earlier day (17:00), never to the next opening."""
    spd = run.spd
    k = -(-position // spd) - 1
    if k >= len(run.work_ords):
        raise run.missing_after()
    if k < 0:
        raise run.missing_before()
    offset = position - k * spd
    if offset == spd:
        return run.close_dt[k]
    return run.midnight_dt[k] + timedelta(seconds=run.hours.second_at(offset))


def _spans(pauses: Sequence[Pause]) -> list[tuple[datetime, datetime | None]]:
    """The pauses as checked local (start, end) pairs."""
    out: list[tuple[datetime, datetime | None]] = []
    for p in pauses:
        if not isinstance(p, Pause):
            raise CalendarError({"pause": repr(p)}, message_en="Pauses must be Pause(start, end) values.")
        out.append(_span(p.start, p.end))
    return out


def _span(start: Any, end: Any) -> tuple[datetime, datetime | None]:
    ps = _local(start, "pause.start")
    pe = None if end is None else _local(end, "pause.end")
    if pe is not None and pe < ps:  # Pause() checks too; frozen instances can be forged via replace
        raise CalendarError({"start": ps.isoformat(), "end": pe.isoformat()},
                            message_en="A pause ends before it starts.")
    return ps, pe


def _pause_positions(run: DayIndex, origin: datetime, pauses: Sequence[Pause],
                     until: datetime | None = None) -> list[tuple[int, int | None]]:
    """Pauses as merged, sorted [a, b) intervals of working time, clipped to start at ``origin``; an open
    pause has b=None (or ends at ``until`` when given)."""
    return _span_positions(run, origin, _spans(pauses), until)


def _span_positions(run: DayIndex, origin: datetime, spans: Sequence[tuple[datetime, datetime | None]],
                    until: datetime | None = None) -> list[tuple[int, int | None]]:
    """:func:`_pause_positions` of pauses already checked into local ``(start, end)`` pairs."""
    intervals: list[tuple[int, int | None]] = []
    beyond = (len(run.work_ords) + 1) * run.spd + 1
    for ps, pe in spans:
        if pe is None and until is not None:
            pe = max(until, ps)
        if pe is not None and pe <= origin:
            continue
        if until is not None and ps >= until:
            continue
        if ps.toordinal() > run.last_ord:
            continue  # starts after all the data: only matters if the due date does too, which raises
        a = _pos(run, ps if ps > origin else origin)
        if pe is not None and until is not None and pe > until:
            pe = until
        if pe is None:
            b = None
        elif pe.toordinal() > run.last_ord:
            b = beyond  # pushes any target past the data, which then raises CalendarYearMissing
        else:
            b = _pos(run, pe)
        if b is not None and b <= a:
            continue
        intervals.append((a, b))
    intervals.sort(key=lambda x: x[0])
    merged: list[tuple[int, int | None]] = []
    for a, b in intervals:
        if merged:
            pa, pb = merged[-1]
            if pb is None:
                break  # an open pause swallows everything after it
            if a <= pb:
                merged[-1] = (pa, None if b is None else max(pb, b))
                continue
        merged.append((a, b))
    return merged


def _push(run: DayIndex, origin: datetime, start: int, target: int, pauses: Sequence[Pause]) -> int | None:
    """Move ``target`` later by the working time the pauses cover after ``start``; None if an open pause
    holds the clock before the target is reached."""
    return _push_over(_pause_positions(run, origin, pauses), start, target)


def _push_over(intervals: list[tuple[int, int | None]], start: int, target: int) -> int | None:
    """:func:`_push` over the pauses' merged intervals (:func:`_pause_positions`)."""
    for a, b in intervals:
        if a >= target:
            break
        lo = a if a > start else start
        if b is None:
            return None
        if b > lo:
            target += b - lo
    return target


def _covered(intervals: list[tuple[int, int | None]], lo: int, hi: int) -> int:
    total = 0
    for a, b in intervals:
        a2 = a if a > lo else lo
        b2 = hi if b is None or b > hi else b
        if b2 > a2:
            total += b2 - a2
    return total


# --------------------------------------------------------------------------------------------------------
# Public API


def due_at(received_at: datetime, working_days: int | Decimal, pauses: Sequence[Pause] = (), *,
           agency: str | None = None, calendar: WorkingCalendar | None = None) -> datetime:
    """Due date of a limit of ``working_days`` working days for a dossier received at ``received_at``.

    The reception day does not count; the deadline is the close of office hours of the N-th working day
    after it, pushed later by the working time the pauses cover (see the module docstring). ``0`` days
    returns the close of the reception day (never earlier than ``received_at``).
    """
    whole, fraction = _whole_days(working_days)
    cal = calendar if calendar is not None else default_calendar()
    r = _local(received_at, "received_at")
    o = r.toordinal()
    run = cal.index(agency).run_for(o)
    days_through_reception = run.upto[o - run.first_ord]
    if whole is not None and whole > 0 and not pauses:  # hot path: two list look-ups
        k = days_through_reception + whole - 1
        if k < len(run.close_dt):
            return run.close_dt[k]
        raise run.missing_after()
    spd = run.spd
    start = days_through_reception * spd
    target = start + (whole * spd if whole is not None else _ceil_seconds(fraction, spd))  # type: ignore[arg-type]
    pushed = _push(run, r, start, target, pauses)
    if pushed is None:
        return OPEN_ENDED
    if pushed <= 0:
        return r
    due = _at(run, pushed)
    return due if due >= r else r


def working_days_between(a: datetime, b: datetime, pauses: Sequence[Pause] = (), *,
                         agency: str | None = None, calendar: WorkingCalendar | None = None) -> Decimal:
    """Working days elapsed on the clock of a dossier received at ``a``, measured at ``b``.

    Same convention as :func:`due_at` (the reception day does not count; pauses do not count; an open
    pause counts as paused until ``b``), so ``working_days_between(r, due_at(r, n)) == n``. Fractions are
    office time (resolution one second, rounded to 6 decimals). ``b`` before ``a`` raises CalendarError.
    """
    cal = _cal(calendar)
    ra = _local(a, "a")
    rb = _local(b, "b")
    if rb < ra:
        raise CalendarError({"a": ra.isoformat(), "b": rb.isoformat()},
                            message_en="The end of the interval is before its start.")
    o = ra.toordinal()
    run = cal.index(agency).run_for(o)
    start = run.upto[o - run.first_ord] * run.spd
    end = _pos(run, rb)
    if end <= start:
        return Decimal(0)
    elapsed = end - start
    if pauses:
        elapsed -= _covered(_pause_positions(run, ra, pauses, until=rb), start, end)
    return _days(max(elapsed, 0), run.spd)


def working_hours_between(a: datetime, b: datetime, *, agency: str | None = None,
                          calendar: WorkingCalendar | None = None) -> Decimal:
    """Office time from ``a`` to ``b`` in working hours, on the convention of limits in working hours (counted
    from the instant itself, clamped into office time): ``working_hours_between(t, deadline_for(H hours, t))
    == H``. Zero when ``b`` is not after ``a``. Internal-procedure steps measure what is left of a budget
    with it (docs/domain.md §11.4)."""
    cal = _cal(calendar)
    ra = _local(a, "a")
    rb = _local(b, "b")
    if rb <= ra:
        return Decimal(0)
    run = _run(cal, agency, ra)
    return Decimal(_pos(run, rb) - _pos(run, ra)) / _UNIT_SECONDS_HOUR


def effective_reception(submitted_at: datetime, *, online: bool, agency: str | None = None,
                        count_off_hours_as_next_day: bool = True,
                        calendar: WorkingCalendar | None = None) -> datetime:
    """When the clock considers a submission received.

    Paper dossiers are received when the desk receives them (returned unchanged). An online submission
    outside office hours or on a day off counts from the next opening (the next working day's 07:30; the
    afternoon opening for a lunch-break submission). docs/domain.md §4.3 marks this UNSURE (Decree 45/2020):
    ``count_off_hours_as_next_day=False`` turns it off.
    """
    t = _local(submitted_at, "submitted_at")
    if not online or not count_off_hours_as_next_day:
        return t
    cal = _cal(calendar)
    o = t.toordinal()
    run = cal.index(agency).run_for(o)
    i = o - run.first_ord
    hours = run.hours
    if run.is_work[i]:
        second = t.hour * 3600 + t.minute * 60 + t.second
        for s, e in hours.spans:
            if second < s:  # before a session opens (early morning, lunch break): that opening
                return datetime.combine(t.date(), datetime.min.time(), VN_TZ) + timedelta(seconds=s)
            if second < e:  # inside office hours: unchanged
                return t
    k = run.upto[i]  # index of the first working day after this date
    if k >= len(run.work_ords):
        raise run.missing_after()
    return run.midnight_dt[k] + timedelta(seconds=hours.opening)


def deadline_for(limit: TimeLimit, received_at: datetime, pauses: Sequence[Pause] = (), *,
                 agency: str | None = None, calendar: WorkingCalendar | None = None) -> datetime:
    """Due date for a procedure's time limit in any unit (conventions in the module docstring)."""
    if not isinstance(limit, TimeLimit):
        raise CalendarError({"limit": repr(limit)}, message_en="limit must be a TimeLimit.")
    r = _local(received_at, "received_at")
    return _deadline(limit, r, _run(_cal(calendar), agency, r), _spans(pauses) if pauses else [], None)


def deadline_and_working_days(limit: TimeLimit, received_at: datetime,
                              pauses: Sequence[tuple[datetime, datetime | None]] = (),
                              finished_at: datetime | None = None, *, agency: str | None = None,
                              calendar: WorkingCalendar | None = None) -> tuple[datetime, Decimal | None]:
    """``deadline_for(limit, received_at, ps)`` and, when ``finished_at`` is given,
    ``working_days_between(received_at, finished_at, ps)`` (else None), with ``ps`` the pauses given here as
    plain ``(start, end)`` pairs (``end`` None: still paused), in one pass: the pauses' working-time
    positions are computed once and serve both. The index's recompute asks both of every dossier it folds
    (docs/index.md §2); the two calls and this one agree exactly (tests/unit/test_clock.py)."""
    if not isinstance(limit, TimeLimit):
        raise CalendarError({"limit": repr(limit)}, message_en="limit must be a TimeLimit.")
    r = _local(received_at, "received_at")
    run = _run(_cal(calendar), agency, r)
    spans = [_span(ps, pe) for ps, pe in pauses] if pauses else []
    intervals = (_span_positions(run, r, spans)
                 if spans and (finished_at is not None or limit.unit is not TimeUnit.CALENDAR_DAYS) else None)
    due = _deadline(limit, r, run, spans, intervals)
    if finished_at is None:
        return due, None
    rb = _local(finished_at, "b")
    if rb < r:
        raise CalendarError({"a": r.isoformat(), "b": rb.isoformat()},
                            message_en="The end of the interval is before its start.")
    start = run.upto[r.toordinal() - run.first_ord] * run.spd
    end = _pos(run, rb)
    if end <= start:
        return due, Decimal(0)
    elapsed = end - start
    if intervals:
        elapsed -= _covered(intervals, start, end)
    return due, _days(max(elapsed, 0), run.spd)


def _deadline(limit: TimeLimit, r: datetime, run: DayIndex, spans: list[tuple[datetime, datetime | None]],
              intervals: list[tuple[int, int | None]] | None) -> datetime:
    """:func:`deadline_for`'s body: ``r`` local, ``run`` its run, ``spans`` the checked pauses, ``intervals``
    their positions from ``r`` when already computed (None: computed here when needed)."""
    unit = limit.unit
    spd = run.spd
    if unit is TimeUnit.WORKING_DAYS:  # due_at's rule
        whole, fraction = _whole_days(limit._amount)
        days_through_reception = run.upto[r.toordinal() - run.first_ord]
        if whole is not None and whole > 0 and not spans:  # hot path: two list look-ups
            k = days_through_reception + whole - 1
            if k < len(run.close_dt):
                return run.close_dt[k]
            raise run.missing_after()
        start = days_through_reception * spd
        target = start + (whole * spd if whole is not None else _ceil_seconds(fraction, spd))  # type: ignore[arg-type]
        pushed = _push_over(_intervals(run, r, spans, intervals), start, target)
        if pushed is None:
            return OPEN_ENDED
        if pushed <= 0:
            return r
        due = _at(run, pushed)
        return due if due >= r else r
    if unit is TimeUnit.WORKING_HOURS:
        start = _pos(run, r)
        target = start + _ceil_seconds(limit.value, _UNIT_SECONDS_HOUR)
        pushed = _push_over(_intervals(run, r, spans, intervals), start, target)
        if pushed is None:
            return OPEN_ENDED
        if pushed <= 0 or pushed == start:
            return r
        due = _at(run, pushed)
        return due if due >= r else r
    if unit is TimeUnit.SAME_DAY_15H_CUTOFF:
        i = r.toordinal() - run.first_ord
        cutoff = run.hours.same_day_cutoff
        on_time_today = run.is_work[i] and (r.hour, r.minute, r.second, r.microsecond) <= (
            cutoff.hour, cutoff.minute, cutoff.second, 0)
        k = run.upto[i] - 1 if on_time_today else run.upto[i]
        if k >= len(run.work_ords):
            raise run.missing_after()
        if not spans:  # hot path: what _at gives for the close of day k (a whole day's position)
            due = run.close_dt[k]
            return due if due >= r else r
        start = _pos(run, r)
        pushed = _push_over(_intervals(run, r, spans, intervals), start, (k + 1) * spd)
        if pushed is None:
            return OPEN_ENDED
        due = _at(run, pushed)
        return due if due >= r else r
    if unit is TimeUnit.CALENDAR_DAYS:
        if limit.value != limit.value.to_integral_value():
            raise CalendarError({"value": str(limit.value)},
                                message_en="A limit in calendar days must be a whole number of days.")
        days = int(limit.value)
        ordered = sorted(((ps if ps > r else r, pe) for ps, pe in spans), key=lambda span: span[0])
        paused = timedelta(0)
        cursor = r
        for ps, pe in ordered:  # merged in wall-clock time: each paused instant counts once
            if pe is None:
                if ps < _calendar_due(run, r, days, paused):
                    return OPEN_ENDED
                break
            lo = ps if ps > cursor else cursor
            if pe > lo:
                paused += pe - lo
                cursor = pe
        return _calendar_due(run, r, days, paused)
    raise CalendarError({"unit": str(unit)}, message_en=f"Unsupported time unit {unit!r}.")


def _intervals(run: DayIndex, r: datetime, spans: list[tuple[datetime, datetime | None]],
               known: list[tuple[int, int | None]] | None) -> list[tuple[int, int | None]]:
    return known if known is not None else _span_positions(run, r, spans) if spans else []


def _calendar_due(run: DayIndex, r: datetime, days: int, paused: timedelta) -> datetime:
    """Close of the (days + paused days, rounded up)-th calendar day after r's day, rolled forward to a
    working day."""
    extra = paused.days + (1 if paused.seconds or paused.microseconds else 0)
    end_ord = r.toordinal() + days + extra
    if end_ord > run.last_ord:
        raise run.missing_after()
    i = end_ord - run.first_ord
    k = run.upto[i] - 1 if run.is_work[i] else run.upto[i]
    if k >= len(run.close_dt):
        raise run.missing_after()
    due = run.close_dt[k]
    return due if due >= r else r


def timeliness(finished_at: datetime | None, appointment_at: datetime, *, as_of: datetime | None = None,
               supplement_requests: int = 0, late_on_second_supplement: bool = True) -> Timeliness:
    """Early / on time / late, decided here and nowhere else (docs/domain.md §4.6, index rule LIKELY).

    * finished before the appointment's (local) day: EARLY (*trước hạn*);
    * finished on that day, at or before the appointment: ON_TIME (*đúng hạn*);
    * finished after the appointment: LATE (*quá hạn*);
    * open dossier (``finished_at=None``): measured ``as_of``: ON_TIME while still inside its deadline,
      LATE after it (never EARLY: it is not finished);
    * a second supplement request makes the dossier LATE (index rule, LIKELY: switchable).
    """
    appointment = _local(appointment_at, "appointment_at")
    if late_on_second_supplement and supplement_requests >= 2:
        return Timeliness.LATE
    if finished_at is None:
        if as_of is None:
            raise CalendarError({"field": "as_of"},
                                message_en="An open dossier is measured as of an instant: as_of is required.")
        return Timeliness.ON_TIME if _local(as_of, "as_of") <= appointment else Timeliness.LATE
    finished = _local(finished_at, "finished_at")
    if finished > appointment:
        return Timeliness.LATE
    if finished.date() < appointment.date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def is_open_ended(due: datetime) -> bool:
    """True for the due date of a dossier held by an open pause."""
    return due == OPEN_ENDED


def counted_working_dates(received_at: datetime, until: datetime, pauses: Sequence[Pause] = (), *,
                          agency: str | None = None, calendar: WorkingCalendar | None = None) -> list[date]:
    """The working dates that hold counted (unpaused) working time between the clock start of a dossier
    received at ``received_at`` and ``until`` (for officials checking a due date by hand)."""
    cal = _cal(calendar)
    r = _local(received_at, "received_at")
    u = _local(until, "until")
    o = r.toordinal()
    run = cal.index(agency).run_for(o)
    spd = run.spd
    start = run.upto[o - run.first_ord] * spd
    end = _pos(run, u) if u >= r else start
    intervals = _pause_positions(run, r, pauses, until=u) if pauses else []
    out: list[date] = []
    for k in range(start // spd, -(-end // spd)):
        lo, hi = max(k * spd, start), min((k + 1) * spd, end)
        if hi > lo and hi - lo - _covered(intervals, lo, hi) > 0:
            out.append(date.fromordinal(run.work_ords[k]))
    return out


# --------------------------------------------------------------------------------------------------------
# The same clock on instants as integers: microseconds since the Unix epoch (``instant_us``). The index's full
# recompute folds a million dossiers a month; datetimes cost it more than the rule itself. Every function
# below equals its datetime counterpart exactly (tests/unit/test_clock.py draws random instants, pauses and
# limits, holidays included) and falls back to it for what it does not cover (working hours,
# years outside the calendar's data, which then raise as there).

_US = 1_000_000
_DAY_US = 86_400 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORD = _EPOCH.toordinal()
_ONE_US = timedelta(microseconds=1)


def instant_us(dt: datetime) -> int:
    """An aware datetime as microseconds since the Unix epoch (naive: CalendarError)."""
    return (_local(dt, "instant") - _EPOCH) // _ONE_US


def from_us(us: int) -> datetime:
    """The local (Asia/Ho_Chi_Minh) datetime of :func:`instant_us`'s ``us``."""
    return (_EPOCH + timedelta(microseconds=us)).astimezone(VN_TZ)


OPEN_ENDED_US = instant_us(OPEN_ENDED)


class _Outside(Exception):
    """An instant the integer tables do not cover: the datetime functions decide (and raise if they must)."""


class _IntRun:
    """A :class:`DayIndex` in integers: local day from an instant, office seconds elapsed at every second
    of a day, and back (``close_us``, ``midnight_us``, ``second_at``)."""

    __slots__ = (
        "close_us",
        "cutoff_us",
        "days",
        "el",
        "first_ord",
        "is_work",
        "last_ord",
        "midnight_us",
        "offset_us",
        "second_at",
        "spd",
        "upto",
    )

    def __init__(self, run: DayIndex) -> None:
        offsets = {m.utcoffset() for m in run.midnight_dt}
        if len(offsets) != 1:
            raise _Outside  # an offset change inside the run: not the fixed-offset arithmetic below
        offset = next(iter(offsets))
        assert offset is not None
        self.offset_us = offset // _ONE_US
        self.first_ord, self.last_ord = run.first_ord, run.last_ord
        self.upto, self.is_work, self.spd, self.days = run.upto, run.is_work, run.spd, len(run.work_ords)
        hours = run.hours
        self.el, self.second_at = _second_tables(hours.spans)
        self.close_us = [instant_us(d) for d in run.close_dt]
        self.midnight_us = [instant_us(d) for d in run.midnight_dt]
        cutoff = hours.same_day_cutoff
        self.cutoff_us = (cutoff.hour * 3600 + cutoff.minute * 60 + cutoff.second) * _US

    def pos(self, us: int) -> int:
        """:func:`_pos` of instant ``us``."""
        local = us + self.offset_us
        o = local // _DAY_US + _EPOCH_ORD
        if o > self.last_ord or o < self.first_ord:
            raise _Outside
        i = o - self.first_ord
        k = self.upto[i]
        if self.is_work[i]:
            return (k - 1) * self.spd + self.el[(local % _DAY_US) // _US]
        return k * self.spd

    def at(self, position: int) -> int:
        """:func:`_at` as an instant."""
        spd = self.spd
        k = -(-position // spd) - 1
        if k >= self.days or k < 0:
            raise _Outside
        offset = position - k * spd
        if offset == spd:
            return self.close_us[k]
        return self.midnight_us[k] + self.second_at[offset] * _US


def _second_tables(spans: tuple[tuple[int, int], ...]) -> tuple[list[int], list[int]]:
    """``OfficeHours.elapsed`` at every second of a day, and ``OfficeHours.second_at`` at every office second
    (index 0 unused), built piece by piece (equal to calling them: tests/unit/test_clock.py)."""
    el: list[int] = []
    back: list[int] = [0]
    done = 0
    for s, e in spans:
        el.extend([done] * (s + 1 - len(el)))  # up to and including the session's opening
        el.extend(range(done + 1, done + e - s + 1))  # s+1 .. e
        back.extend(range(s + 1, e + 1))
        done += e - s
    el.extend([done] * (86_400 - len(el)))
    return el[:86_400], back


_INT_RUNS: dict[int, tuple[DayIndex, _IntRun | None]] = {}


def _int_run(run: DayIndex) -> _IntRun | None:
    found = _INT_RUNS.get(id(run))
    if found is None or found[0] is not run:
        try:
            table: _IntRun | None = _IntRun(run)
        except _Outside:
            table = None
        found = _INT_RUNS[id(run)] = (run, table)
    return found[1]


_TABLES: dict[tuple[int, str | None], tuple[WorkingCalendar, _IntRun]] = {}  # the last run used, per agency


def _table_for(cal: WorkingCalendar, agency: str | None, o: int) -> _IntRun:
    """The integer tables of the run covering local day ``o`` for ``agency`` (the last one used, kept per
    calendar and agency: a calendar's runs never change once built)."""
    key = (id(cal), agency)
    found = _TABLES.get(key)
    if found is not None and found[0] is cal and found[1].first_ord <= o <= found[1].last_ord:
        return found[1]
    t = _int_run(cal.index(agency).run_for(o))
    if t is None:
        raise _Outside
    if t.first_ord <= o <= t.last_ord:
        _TABLES[key] = (cal, t)
    return t


def deadline_and_working_days_us(limit: TimeLimit, received: int, pauses: Sequence[tuple[int, int | None]] = (),
                                 finished: int | None = None, *, agency: str | None = None,
                                 calendar: WorkingCalendar | None = None) -> tuple[int, int | None]:
    """:func:`deadline_and_working_days` on instants in microseconds (:func:`instant_us`): the due instant
    (:data:`OPEN_ENDED_US` while a pause holds the clock) and the working days elapsed at ``finished`` in
    millionths of a day (``int(days * 1_000_000)``; None without ``finished``)."""
    unit = limit.unit
    if unit is TimeUnit.WORKING_HOURS:
        return _datetime_us(limit, received, pauses, finished, agency, calendar)
    try:
        r = received
        # The positions (office seconds, _pos) of r, the pauses' ends and the finish, each computed inline as
        # _IntRun.pos computes it: this runs for every dossier the recompute folds.
        cal = calendar if calendar is not None else default_calendar()
        offset = 7 * 3600 * _US  # a first guess for the day's run; checked against the run's own offset below
        local = r + offset
        o = local // _DAY_US + _EPOCH_ORD
        found = _TABLES.get((id(cal), agency))  # _table_for's first look, inline
        if found is not None and found[0] is cal and found[1].first_ord <= o <= found[1].last_ord:
            t = found[1]
        else:
            t = _table_for(cal, agency, o)
        first_ord, last_ord = t.first_ord, t.last_ord
        if t.offset_us != offset or o > last_ord or o < first_ord:
            raise _Outside
        i = o - first_ord
        spd, upto, is_work, el = t.spd, t.upto, t.is_work, t.el
        intervals: list[tuple[int, int | None]] = []
        if pauses:
            beyond = (t.days + 1) * spd + 1
            raw: list[tuple[int, int | None]] = []
            for ps, pe in pauses:
                if pe is not None:
                    if pe < ps:
                        raise _Outside  # the datetime function raises
                    if pe <= r:
                        continue
                lp = (ps if ps > r else r) + offset
                op = lp // _DAY_US + _EPOCH_ORD
                if (ps + offset) // _DAY_US + _EPOCH_ORD > last_ord:
                    continue
                if op < first_ord:
                    raise _Outside
                j = op - first_ord
                a = (upto[j] - 1) * spd + el[(lp % _DAY_US) // _US] if is_work[j] else upto[j] * spd
                if pe is None:
                    b = None
                else:
                    le = pe + offset
                    oe = le // _DAY_US + _EPOCH_ORD
                    if oe > last_ord:
                        b = beyond
                    else:
                        j = oe - first_ord
                        b = (upto[j] - 1) * spd + el[(le % _DAY_US) // _US] if is_work[j] else upto[j] * spd
                        if b <= a:
                            continue
                raw.append((a, b))
            if len(raw) == 1:
                intervals = raw
            elif raw:
                raw.sort(key=lambda x: x[0])
                for a, b in raw:  # merged as _span_positions merges
                    if intervals:
                        pa, pb = intervals[-1]
                        if pb is None:
                            break
                        if a <= pb:
                            intervals[-1] = (pa, None if b is None else max(pb, b))
                            continue
                    intervals.append((a, b))
        if unit is TimeUnit.WORKING_DAYS:
            amount = limit._amount
            whole: int | None
            fraction: Decimal | None
            if type(amount) is int and 0 <= amount <= MAX_WORKING_DAYS:  # _whole_days' hot path, inline
                whole, fraction = amount, None
            else:
                whole, fraction = _whole_days(amount)
            through = upto[i]
            if whole is not None and whole > 0 and not pauses:
                k = through + whole - 1
                if k >= t.days:
                    raise _Outside
                due = t.close_us[k]
            else:
                start = through * spd
                target = start + (whole * spd if whole is not None else _ceil_seconds(fraction, spd))  # type: ignore[arg-type]
                pushed = _push_over(intervals, start, target) if intervals else target
                if pushed is None:
                    due = OPEN_ENDED_US
                elif pushed <= 0:
                    due = r
                else:
                    due = t.at(pushed)
                    if due < r:
                        due = r
        elif unit is TimeUnit.CALENDAR_DAYS:  # _deadline's rule: the pauses merged in wall-clock time
            days = limit._amount
            if type(days) is not int:
                raise _Outside  # a fraction of a calendar day: the datetime function raises
            ordered = sorted(((ps if ps > r else r, pe) for ps, pe in pauses), key=lambda span: span[0])
            paused = 0
            cursor = r
            held = False  # an open pause begun before the due date holds the clock
            for ps, pe in ordered:
                if pe is None:
                    held = ps < _calendar_due_us(t, o, r, days, paused)
                    break
                lo = ps if ps > cursor else cursor
                if pe > lo:
                    paused += pe - lo
                    cursor = pe
            due = OPEN_ENDED_US if held else _calendar_due_us(t, o, r, days, paused)
        else:  # SAME_DAY_15H_CUTOFF
            on_time_today = is_work[i] and local % _DAY_US <= t.cutoff_us
            k = upto[i] - 1 if on_time_today else upto[i]
            if k >= t.days:
                raise _Outside
            if not pauses:
                due = t.close_us[k]
            else:
                pushed = _push_over(intervals, t.pos(r), (k + 1) * spd)
                due = OPEN_ENDED_US if pushed is None else t.at(pushed)
            if due < r:
                due = r
        if finished is None:
            return due, None
        if finished < r:
            raise _Outside
        start = upto[i] * spd
        lf = finished + offset
        of = lf // _DAY_US + _EPOCH_ORD
        if of > last_ord:
            raise _Outside
        j = of - first_ord
        end = (upto[j] - 1) * spd + el[(lf % _DAY_US) // _US] if is_work[j] else upto[j] * spd
        if end <= start:
            return due, 0
        elapsed = end - start
        if intervals:
            elapsed -= _covered(intervals, start, end)
        if elapsed <= 0:
            return due, 0
        q, rem = divmod(elapsed * _US, spd)  # _days: rounded half to even to the millionth
        if 2 * rem > spd or (2 * rem == spd and q % 2):
            q += 1
        return due, q
    except _Outside:
        return _datetime_us(limit, received, pauses, finished, agency, calendar)


def _datetime_us(limit: TimeLimit, received: int, pauses: Sequence[tuple[int, int | None]], finished: int | None,
                 agency: str | None, calendar: WorkingCalendar | None) -> tuple[int, int | None]:
    """What the integer tables do not cover: the datetime function decides (and raises if it must)."""
    due, days = deadline_and_working_days(limit, from_us(received),
                                          [(from_us(s), None if e is None else from_us(e)) for s, e in pauses],
                                          None if finished is None else from_us(finished), agency=agency,
                                          calendar=calendar)
    return instant_us(due), None if days is None else int(days * _US)


def _calendar_due_us(t: _IntRun, o: int, r: int, days: int, paused: int) -> int:
    """:func:`_calendar_due` on instants: ``o`` is ``r``'s local day, ``paused`` microseconds."""
    end_ord = o + days - (-paused // _DAY_US)  # the paused days, rounded up
    if end_ord > t.last_ord:
        raise _Outside
    i = end_ord - t.first_ord
    k = t.upto[i] - 1 if t.is_work[i] else t.upto[i]
    if k >= t.days:
        raise _Outside
    due = t.close_us[k]
    return due if due >= r else r


def timeliness_us(finished: int | None, due: int, *, as_of: int | None = None, supplement_requests: int = 0,
                  late_on_second_supplement: bool = True) -> Timeliness:
    """:func:`timeliness` on instants in microseconds (local days in Asia/Ho_Chi_Minh, UTC+7)."""
    if late_on_second_supplement and supplement_requests >= 2:
        return Timeliness.LATE
    if finished is None:
        if as_of is None:
            raise CalendarError({"field": "as_of"},
                                message_en="An open dossier is measured as of an instant: as_of is required.")
        return Timeliness.ON_TIME if as_of <= due else Timeliness.LATE
    if finished > due:
        return Timeliness.LATE
    offset = 7 * 3600 * _US
    if (finished + offset) // _DAY_US < (due + offset) // _DAY_US:
        return Timeliness.EARLY
    return Timeliness.ON_TIME
