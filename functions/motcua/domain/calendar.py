"""The working-day calendar of Vietnamese state agencies (pure domain: no I/O in any computation).

A day is decided in this order (first rule that applies wins):

1. the agency's own extra closed days (data per agency, applied only to that agency's dossiers);
2. the official annual schedule (``motcua/assets/calendar/vietnam_state_agencies.json``): an announced day off,
   or an announced working day (a swapped Saturday, or a statutory holiday the announcement overrides);
3. the statutory base from the ``holidays`` package (``holidays.Vietnam``: Labor Code holidays, *nghỉ bù*,
   the swaps it knows);
4. the weekly days off (Saturday, Sunday: docs/domain.md §5.1, LIKELY).

The official schedule is authoritative (rule 2 beats rule 3). A year the official schedule does not cover
raises :class:`~motcua.domain.errors.CalendarYearMissing` naming the year: we never fall back silently to
"weekends plus statutory days", because the announced swaps would then be wrong to the day.

The data files are read once (on first use) and turned into per-agency sorted arrays (:class:`DayIndex`) so
that the clock (``motcua.domain.clock``) answers with a few list look-ups.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from motcua.domain.errors import CalendarError, CalendarYearMissing

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

SCHEDULE_FILE = "vietnam_state_agencies.json"
AGENCY_FILE = "agency_calendars.json"

# Defaults used when the agency file gives none (docs/domain.md §5.4: 07:30–11:30, 13:30–17:00; varies by locality).
DEFAULT_SESSIONS: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
# Same-day procedures: received after this time -> returned the next working day (docs/domain.md §5.5, LIKELY).
DEFAULT_SAME_DAY_CUTOFF = time(15, 0)

_PACKAGE_SOURCE = {"id": "holidays-package", "document": "holidays.Vietnam (statutory base)"}
_WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def data_dir() -> Path:
    """Where the calendar data lives: data files shipped inside the package (``motcua/assets/calendar``)."""
    return Path(__file__).resolve().parent.parent / "assets" / "calendar"


def _read_json(name: str) -> dict[str, Any]:
    path = data_dir() / name
    with path.open(encoding="utf-8") as fh:
        loaded = json.load(fh)
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return loaded


@lru_cache(maxsize=1)
def load_official_schedule() -> dict[str, Any]:
    """The packaged official schedule (read once per process)."""
    return _read_json(SCHEDULE_FILE)


@lru_cache(maxsize=1)
def load_agency_calendars() -> dict[str, Any]:
    """The packaged per-agency data: office hours and extra closed days (read once per process)."""
    return _read_json(AGENCY_FILE)


def _parse_date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{where}: bad date {value!r}") from exc


def _parse_hhmm(value: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{where}: bad time {value!r}") from exc


# --------------------------------------------------------------------------------------------------------
# Office hours


@dataclass(frozen=True)
class OfficeHours:
    """Office sessions of one agency (local time, Asia/Ho_Chi_Minh), plus the same-day cut-off.

    Working time is measured in *office seconds*: a working day lasts ``seconds_per_day`` office seconds
    (27,000 s = 7 h 30 with the default sessions). A fraction of a working day is that fraction of the
    day's office seconds; a working hour is 3,600 office seconds.
    """

    sessions: tuple[tuple[time, time], ...] = DEFAULT_SESSIONS
    same_day_cutoff: time = DEFAULT_SAME_DAY_CUTOFF
    # Derived, in seconds after midnight: [(start, end), ...] and the total.
    spans: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    seconds_per_day: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.sessions:
            raise ValueError("office hours need at least one session")
        spans: list[tuple[int, int]] = []
        previous_end = -1
        for start, end in self.sessions:
            s = start.hour * 3600 + start.minute * 60 + start.second
            e = end.hour * 3600 + end.minute * 60 + end.second
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("office hours are local wall-clock times without a timezone")
            if not previous_end <= s < e:
                raise ValueError(f"office sessions must be ordered and non-overlapping: {self.sessions}")
            spans.append((s, e))
            previous_end = e
        object.__setattr__(self, "spans", tuple(spans))
        object.__setattr__(self, "seconds_per_day", sum(e - s for s, e in spans))

    @property
    def opening(self) -> int:
        return self.spans[0][0]

    @property
    def closing(self) -> int:
        return self.spans[-1][1]

    def elapsed(self, second_of_day: int) -> int:
        """Office seconds elapsed on a working day at ``second_of_day`` (0 before opening)."""
        total = 0
        for s, e in self.spans:
            if second_of_day <= s:
                break
            total += (e if second_of_day >= e else second_of_day) - s
        return total

    def second_at(self, office_seconds: int) -> int:
        """Inverse of :meth:`elapsed` for 0 < office_seconds <= seconds_per_day.

        A value that ends a session maps to that session's end (11:30, not 13:30): a deadline is met by
        the end of the session in which its time runs out.
        """
        remaining = office_seconds
        for s, e in self.spans:
            length = e - s
            if remaining <= length:
                return s + remaining
            remaining -= length
        return self.closing

    def to_json(self) -> dict[str, Any]:
        return {"sessions": [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in self.sessions],
                "same_day_cutoff": self.same_day_cutoff.strftime("%H:%M"),
                "hours_per_day": self.seconds_per_day / 3600}


def _parse_office_hours(raw: Mapping[str, Any] | None, default: OfficeHours, where: str) -> OfficeHours:
    if not raw:
        return default
    sessions = default.sessions
    if "sessions" in raw:
        sessions = tuple((_parse_hhmm(a, where), _parse_hhmm(b, where)) for a, b in raw["sessions"])
    cutoff = default.same_day_cutoff
    if "same_day_cutoff" in raw:
        cutoff = _parse_hhmm(raw["same_day_cutoff"], where)
    try:
        return OfficeHours(sessions=sessions, same_day_cutoff=cutoff)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc


# --------------------------------------------------------------------------------------------------------
# Schedule entries


@dataclass(frozen=True)
class Source:
    id: str
    document: str
    issued: str | None = None
    issuer: str | None = None
    certainty: str = "LIKELY"
    url: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "document": self.document, "issued": self.issued, "issuer": self.issuer,
               "certainty": self.certainty, "url": self.url, "note": self.note}
        return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True)
class DayEntry:
    """One announced day: a weekday off, or a working day (a swapped Saturday, or an overridden holiday)."""

    day: date
    working: bool
    name_vi: str
    name_en: str
    source: Source
    certainty: str
    in_exchange_for: date | None = None  # a swap: the day off this worked day pays for (or vice versa)
    agency: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "date": self.day.isoformat(), "weekday": self.day.strftime("%a"),
            "weekday_vi": _WEEKDAYS_VI[self.day.weekday()], "name_vi": self.name_vi, "name_en": self.name_en,
            "certainty": self.certainty, "source": self.source.to_json(),
        }
        if self.in_exchange_for is not None:
            out["in_exchange_for"] = self.in_exchange_for.isoformat()
        if self.agency is not None:
            out["agency"] = self.agency
        return out


@dataclass(frozen=True)
class YearSchedule:
    year: int
    certainty: str
    days_off: tuple[DayEntry, ...]
    working_days: tuple[DayEntry, ...]
    note: str | None = None


def _parse_schedule(raw: Mapping[str, Any]) -> tuple[str, dict[int, YearSchedule]]:
    version = str(raw.get("data_version", "unversioned"))
    years: dict[int, YearSchedule] = {}
    for key, yraw in (raw.get("years") or {}).items():
        year = int(key)
        where = f"{SCHEDULE_FILE} year {year}"
        sources: dict[str, Source] = {}
        for sid, sraw in (yraw.get("sources") or {}).items():
            sources[sid] = Source(id=sid, document=str(sraw["document"]), issued=sraw.get("issued"),
                                  issuer=sraw.get("issuer"), certainty=str(sraw.get("certainty", "LIKELY")),
                                  url=sraw.get("url"), note=sraw.get("note"))

        def entry(e: Mapping[str, Any], working: bool, year: int = year, where: str = where,
                  sources: dict[str, Source] = sources) -> DayEntry:
            d = _parse_date(e.get("date"), where)
            if d.year != year:
                raise ValueError(f"{where}: {d} is not in {year}")
            sid = str(e.get("source"))
            if sid not in sources:
                raise ValueError(f"{where}: {d} cites unknown source {sid!r}")
            src = sources[sid]
            exch = e.get("in_exchange_for")
            return DayEntry(day=d, working=working, name_vi=str(e.get("name_vi", "")),
                            name_en=str(e.get("name_en", "")), source=src,
                            certainty=str(e.get("certainty", src.certainty)),
                            in_exchange_for=_parse_date(exch, where) if exch else None)

        off = tuple(sorted((entry(e, False) for e in yraw.get("days_off", ())), key=lambda x: x.day))
        work = tuple(sorted((entry(e, True) for e in yraw.get("working_days", ())), key=lambda x: x.day))
        clash = {e.day for e in off} & {e.day for e in work}
        if clash:
            raise ValueError(f"{where}: dates both off and working: {sorted(clash)}")
        if len({e.day for e in off}) != len(off) or len({e.day for e in work}) != len(work):
            raise ValueError(f"{where}: a date is listed twice")
        years[year] = YearSchedule(year=year, certainty=str(yraw.get("certainty", "LIKELY")), days_off=off,
                                   working_days=work, note=yraw.get("note"))
    return version, years


@dataclass(frozen=True)
class AgencyCalendar:
    code: str
    name: str | None
    office_hours: OfficeHours
    closed_days: tuple[DayEntry, ...]


def _parse_agencies(raw: Mapping[str, Any]) -> tuple[OfficeHours, dict[str, AgencyCalendar]]:
    default = _parse_office_hours((raw.get("defaults") or {}).get("office_hours"), OfficeHours(),
                                  f"{AGENCY_FILE} defaults")
    agencies: dict[str, AgencyCalendar] = {}
    for code, araw in (raw.get("agencies") or {}).items():
        where = f"{AGENCY_FILE} agency {code}"
        hours = _parse_office_hours(araw.get("office_hours"), default, where)
        closed = []
        for e in araw.get("closed_days", ()):
            d = _parse_date(e.get("date"), where)
            src = Source(id=f"{code}:{d.isoformat()}", document=str(e.get("source", "agency decision")),
                         certainty=str(e.get("certainty", "CONFIRMED")))
            closed.append(DayEntry(day=d, working=False, name_vi=str(e.get("name_vi", e.get("reason", ""))),
                                   name_en=str(e.get("name_en", e.get("reason", ""))), source=src,
                                   certainty=src.certainty, agency=code))
        agencies[code] = AgencyCalendar(code=code, name=araw.get("name"), office_hours=hours,
                                        closed_days=tuple(sorted(closed, key=lambda x: x.day)))
    return default, agencies


# --------------------------------------------------------------------------------------------------------
# Fast index


class DayIndex:
    """Working days of one agency over one contiguous run of covered years, as sorted arrays.

    ``upto[i]`` is the number of working days on or before ``first_ord + i``; ``work_ords[k]`` the ordinal
    of the k-th working day; ``close_dt[k]`` its closing instant (aware). The clock only does look-ups.
    """

    __slots__ = ("close_dt", "first_ord", "hours", "is_work", "last_ord", "midnight_dt", "spd", "upto",
                 "work_ords")

    def __init__(self, first: date, last: date, working: Sequence[bool], hours: OfficeHours) -> None:
        self.first_ord = first.toordinal()
        self.last_ord = last.toordinal()
        self.hours = hours
        self.spd = hours.seconds_per_day
        self.is_work = bytes(1 if w else 0 for w in working)
        upto: list[int] = []
        work_ords: list[int] = []
        count = 0
        for i, w in enumerate(working):
            if w:
                count += 1
                work_ords.append(self.first_ord + i)
            upto.append(count)
        self.upto = upto
        self.work_ords = work_ords
        closing = hours.closing
        self.midnight_dt = [datetime.combine(date.fromordinal(o), time(0), VN_TZ) for o in work_ords]
        self.close_dt = [m + timedelta(seconds=closing) for m in self.midnight_dt]

    def contains(self, ordinal: int) -> bool:
        return self.first_ord <= ordinal <= self.last_ord

    def missing_after(self) -> CalendarYearMissing:
        return _missing(date.fromordinal(self.last_ord).year + 1)

    def missing_before(self) -> CalendarYearMissing:
        return _missing(date.fromordinal(self.first_ord).year - 1)


def _missing(year: int) -> CalendarYearMissing:
    return CalendarYearMissing(
        {"year": year},
        message_vi=f"Chưa có lịch nghỉ lễ chính thức của năm {year}: cần bổ sung dữ liệu lịch năm {year}.",
        message_en=f"The official holiday schedule for {year} is missing: add {year} to the calendar data.",
    )


class AgencyIndex:
    """All runs of one agency (usually a single run: the covered years are contiguous)."""

    __slots__ = ("hours", "runs", "single")

    def __init__(self, runs: list[DayIndex], hours: OfficeHours) -> None:
        self.runs = runs
        self.hours = hours
        self.single = runs[0] if len(runs) == 1 else None

    def run_for(self, ordinal: int) -> DayIndex:
        single = self.single
        if single is not None and single.first_ord <= ordinal <= single.last_ord:
            return single
        for run in self.runs:
            if run.first_ord <= ordinal <= run.last_ord:
                return run
        raise _missing(date.fromordinal(ordinal).year)


# --------------------------------------------------------------------------------------------------------
# The calendar


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    reason: str  # weekend | statutory | official_day_off | official_working_day | agency_closed | working
    name_vi: str | None = None
    name_en: str | None = None
    source: Source | None = None


class WorkingCalendar:
    """Statutory base (``holidays.Vietnam``) overlaid by the official schedule, plus per-agency data.

    Construct with no arguments to use the packaged data, or pass parsed JSON (same format as the files)
    to test or preview an announcement.
    """

    def __init__(self, schedule: Mapping[str, Any] | None = None,
                 agencies: Mapping[str, Any] | None = None, *, statutory_base: bool = True) -> None:
        self.data_version, self._years = _parse_schedule(
            load_official_schedule() if schedule is None else schedule)
        self.default_hours, self._agencies = _parse_agencies(
            load_agency_calendars() if agencies is None else agencies)
        self._official: dict[date, DayEntry] = {}
        for ys in self._years.values():
            for e in (*ys.days_off, *ys.working_days):
                self._official[e.day] = e
        self._statutory: dict[date, str] = {}
        self._statutory_workdays: set[date] = set()
        if statutory_base and self._years:
            import holidays  # imported lazily: only needed to build the calendar, never per computation

            base = holidays.Vietnam(years=sorted(self._years), language="en_US")
            self._statutory = {d: str(name) for d, name in base.items() if d.year in self._years}
            workdays = getattr(base, "weekend_workdays", ())
            self._statutory_workdays = {d for d in workdays if d.year in self._years}
        self._indexes: dict[str | None, AgencyIndex] = {}
        self._lock = threading.Lock()

    # -- coverage ---------------------------------------------------------------------------------------
    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    def require_year(self, year: int) -> YearSchedule:
        ys = self._years.get(year)
        if ys is None:
            raise _missing(year)
        return ys

    def agency(self, code: str | None) -> AgencyCalendar | None:
        return None if code is None else self._agencies.get(code)

    def office_hours(self, agency: str | None = None) -> OfficeHours:
        ag = self.agency(agency)
        return ag.office_hours if ag else self.default_hours

    # -- one day ----------------------------------------------------------------------------------------
    def _base_info(self, d: date) -> DayInfo:
        """Statutory base + weekly days off, ignoring the official overlay."""
        name = self._statutory.get(d)
        if name is not None:
            return DayInfo(d, False, "statutory", name_en=name)
        if d.weekday() >= 5 and d not in self._statutory_workdays:
            return DayInfo(d, False, "weekend")
        return DayInfo(d, True, "working")

    def day_info(self, d: date, agency: str | None = None) -> DayInfo:
        if isinstance(d, datetime):
            raise CalendarError({"value": d.isoformat()}, message_en="Expected a date, got a datetime.")
        self.require_year(d.year)
        ag = self.agency(agency)
        if ag is not None:
            for closed in ag.closed_days:
                if closed.day == d:
                    return DayInfo(d, False, "agency_closed", closed.name_vi, closed.name_en, closed.source)
        e = self._official.get(d)
        if e is not None:
            reason = "official_working_day" if e.working else "official_day_off"
            return DayInfo(d, e.working, reason, e.name_vi, e.name_en, e.source)
        return self._base_info(d)

    def is_working_day(self, d: date, agency: str | None = None) -> bool:
        return self.day_info(d, agency).working

    # -- year views (CLI, API) --------------------------------------------------------------------------
    def year_schedule(self, year: int, agency: str | None = None) -> dict[str, Any]:
        """The year's weekday days off and weekend working days, each with its source (JSON-ready)."""
        ys = self.require_year(year)
        days_off = [e.to_json() for e in ys.days_off]
        working = [e.to_json() for e in ys.working_days]
        listed = {e.day for e in (*ys.days_off, *ys.working_days)}
        # Statutory days the data does not list still apply (rule 3); show them so the view is complete.
        for d in _days_of(year):
            if d in listed:
                continue
            base = self._base_info(d)
            if not base.working and d.weekday() < 5:
                days_off.append({"date": d.isoformat(), "weekday": d.strftime("%a"),
                                 "weekday_vi": _WEEKDAYS_VI[d.weekday()], "name_vi": None,
                                 "name_en": base.name_en, "certainty": "LIKELY",
                                 "source": _PACKAGE_SOURCE})
            elif base.working and d.weekday() >= 5:
                working.append({"date": d.isoformat(), "weekday": d.strftime("%a"),
                                "weekday_vi": _WEEKDAYS_VI[d.weekday()], "name_en": "weekend working day",
                                "certainty": "LIKELY",
                                "source": _PACKAGE_SOURCE})
        ag = self.agency(agency)
        if ag is not None:
            days_off.extend(e.to_json() for e in ag.closed_days if e.day.year == year)
        days_off.sort(key=lambda x: x["date"])
        working.sort(key=lambda x: x["date"])
        return {
            "year": year, "data_version": self.data_version, "certainty": ys.certainty, "note": ys.note,
            "agency": agency, "office_hours": self.office_hours(agency).to_json(),
            "weekly_days_off": ["Sat", "Sun"], "days_off": days_off, "working_days": working,
            "working_day_count": sum(1 for d in _days_of(year) if self.is_working_day(d, agency)),
            "statutory_disagreements": self.statutory_disagreements(year),
        }

    def statutory_disagreements(self, year: int) -> list[dict[str, Any]]:
        """Days where the official data and the ``holidays`` package disagree (the data wins)."""
        self.require_year(year)
        out = []
        for d in _days_of(year):
            e = self._official.get(d)
            if e is None:
                continue
            base = self._base_info(d)
            if base.working != e.working:
                out.append({"date": d.isoformat(), "official": "working" if e.working else "off",
                            "holidays_package": "working" if base.working else "off",
                            "source": e.source.id})
        return out

    # -- fast index for the clock -----------------------------------------------------------------------
    def index(self, agency: str | None = None) -> AgencyIndex:
        key = agency if agency in self._agencies else None  # agencies without data share the default
        idx = self._indexes.get(key)
        if idx is None:
            with self._lock:
                idx = self._indexes.get(key)
                if idx is None:
                    idx = self._build_index(key)
                    self._indexes[key] = idx
        return idx

    def _build_index(self, agency: str | None) -> AgencyIndex:
        runs: list[DayIndex] = []
        hours = self.office_hours(agency)
        for first_year, last_year in _contiguous_runs(self._years):
            first, last = date(first_year, 1, 1), date(last_year, 12, 31)
            working = [self.is_working_day(d, agency) for d in _date_range(first, last)]
            runs.append(DayIndex(first, last, working, hours))
        return AgencyIndex(runs, hours)  # no runs at all: every look-up raises for its own year


def _days_of(year: int) -> Iterable[date]:
    return _date_range(date(year, 1, 1), date(year, 12, 31))


def _date_range(first: date, last: date) -> Iterable[date]:
    o = first.toordinal()
    while o <= last.toordinal():
        yield date.fromordinal(o)
        o += 1


def _contiguous_runs(years: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for y in sorted(years):
        if runs and runs[-1][1] == y - 1:
            runs[-1] = (runs[-1][0], y)
        else:
            runs.append((y, y))
    return runs


_default_lock = threading.Lock()
_default: WorkingCalendar | None = None


def default_calendar() -> WorkingCalendar:
    """The process-wide calendar built from the packaged data (built once, on first use)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = WorkingCalendar()
    return _default
