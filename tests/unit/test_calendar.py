"""The working-day calendar: every announced day off and swap for 2024-2026, the data-over-package rule,
per-agency closed days, and missing years.

Expected days are written by hand from docs/domain.md §5.6 (and, for New Year 2026, from Công văn
12729/VPCP-KGVX, which the first published table predates); they are never read back from the data file.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from motcua.domain.calendar import WorkingCalendar, data_dir, default_calendar
from motcua.domain.clock import due_at
from motcua.domain.errors import CalendarError, CalendarYearMissing

VN = ZoneInfo("Asia/Ho_Chi_Minh")
D = date

# Weekdays off announced for state agencies (docs/domain.md §5.6; weekends around them omitted).
ANNOUNCED_DAYS_OFF = {
    2024: [
        D(2024, 1, 1),  # Mon, New Year
        D(2024, 2, 8), D(2024, 2, 9), D(2024, 2, 12), D(2024, 2, 13), D(2024, 2, 14),  # Tết Thu 8 - Wed 14
        D(2024, 4, 18),  # Thu, Hùng Kings
        D(2024, 4, 29), D(2024, 4, 30), D(2024, 5, 1),  # Mon 29 Apr (swapped) - Wed 1 May
        D(2024, 9, 2), D(2024, 9, 3),  # Mon 2 - Tue 3 Sep
    ],
    2025: [
        D(2025, 1, 1),  # Wed, New Year
        D(2025, 1, 27), D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30), D(2025, 1, 31),  # Tết Mon 27 - Fri 31
        D(2025, 4, 7),  # Mon, Hùng Kings
        D(2025, 4, 30), D(2025, 5, 1), D(2025, 5, 2),  # Wed 30 Apr - Fri 2 May (2 May swapped)
        D(2025, 9, 1), D(2025, 9, 2),  # Mon 1 - Tue 2 Sep
    ],
    2026: [
        D(2026, 1, 1),  # Thu, New Year
        D(2026, 1, 2),  # Fri, swapped (12729/VPCP-KGVX): not in the first published table, not in the holidays package
        D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 20),  # Tết Mon 16 - Fri 20
        D(2026, 4, 27),  # Mon, nghỉ bù for Hùng Kings on Sun 26 Apr
        D(2026, 4, 30), D(2026, 5, 1),  # Thu 30 Apr - Fri 1 May
        D(2026, 8, 31), D(2026, 9, 1), D(2026, 9, 2),  # Mon 31 Aug (swapped) - Wed 2 Sep
        D(2026, 11, 24),  # Tue, Vietnam Culture Day (new from 2026)
    ],
}
# Saturdays worked in exchange for a bridge day off.
ANNOUNCED_SWAPS = {
    2024: [(D(2024, 5, 4), D(2024, 4, 29))],
    2025: [(D(2025, 4, 26), D(2025, 5, 2))],
    2026: [(D(2026, 1, 10), D(2026, 1, 2)), (D(2026, 8, 22), D(2026, 8, 31))],
}
ALL_DAYS_OFF = [d for days in ANNOUNCED_DAYS_OFF.values() for d in days]
ALL_SWAPS = [s for swaps in ANNOUNCED_SWAPS.values() for s in swaps]


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return default_calendar()


@pytest.mark.parametrize("day", ALL_DAYS_OFF, ids=str)
def test_every_announced_day_off_is_off(cal: WorkingCalendar, day: date) -> None:
    assert day.weekday() < 5, "the table lists weekdays only"
    assert not cal.is_working_day(day)
    info = cal.day_info(day)
    assert info.source is not None and info.source.document, "each day off cites its source document"


@pytest.mark.parametrize(("saturday", "bridged"), ALL_SWAPS, ids=str)
def test_every_swapped_saturday_is_worked(cal: WorkingCalendar, saturday: date, bridged: date) -> None:
    assert saturday.weekday() == 5
    assert cal.is_working_day(saturday)
    assert not cal.is_working_day(bridged)
    assert cal.day_info(saturday).reason == "official_working_day"
    # The other Saturdays and Sundays of that month stay days off.
    for offset in (-7, 1, 7):
        assert not cal.is_working_day(saturday + timedelta(days=offset))


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_the_year_has_exactly_the_announced_days(cal: WorkingCalendar, year: int) -> None:
    """Every weekday not announced is a working day; every weekend day not swapped is off."""
    off = set(ANNOUNCED_DAYS_OFF[year])
    worked_saturdays = {s for s, _ in ANNOUNCED_SWAPS[year]}
    day = date(year, 1, 1)
    while day.year == year:
        expected = (day.weekday() < 5 and day not in off) or day in worked_saturdays
        assert cal.is_working_day(day) is expected, day
        day += timedelta(days=1)


@pytest.mark.parametrize(("year", "count"), [
    # 366 days in 2024: 262 weekdays - 12 days off + 1 worked Saturday = 251.
    (2024, 251),
    # 2025: 261 weekdays - 12 + 1 = 250.
    (2025, 250),
    # 2026: 261 weekdays - 14 (2 New Year, 5 Tết, 1 Hùng Kings, 2 for 30/4-1/5, 3 for 2/9, 24/11) + 2 = 249.
    (2026, 249),
])
def test_working_day_count_per_year(cal: WorkingCalendar, year: int, count: int) -> None:
    assert cal.year_schedule(year)["working_day_count"] == count


def test_data_file_lists_the_announced_days_with_sources() -> None:
    raw = json.loads((data_dir() / "vietnam_state_agencies.json").read_text(encoding="utf-8"))
    for year in (2024, 2025, 2026):
        yraw = raw["years"][str(year)]
        assert sorted(date.fromisoformat(e["date"]) for e in yraw["days_off"]) == sorted(ANNOUNCED_DAYS_OFF[year])
        assert sorted(date.fromisoformat(e["date"]) for e in yraw["working_days"]) == sorted(
            s for s, _ in ANNOUNCED_SWAPS[year])
        for e in yraw["days_off"] + yraw["working_days"]:
            source = yraw["sources"][e["source"]]
            assert source["document"]
            assert e.get("certainty", source["certainty"]) in {"CONFIRMED", "LIKELY", "UNSURE"}


def test_data_wins_over_the_holidays_package_new_year_2026(cal: WorkingCalendar) -> None:
    """The real disagreement: the package knows no New Year 2026 swap; the official data does."""
    package = holidays.Vietnam(years=2026)
    assert D(2026, 1, 2) not in package  # package: Fri 2 Jan is an ordinary working day
    assert D(2026, 1, 10) not in getattr(package, "weekend_workdays", set())  # and Sat 10 Jan a day off
    assert not cal.is_working_day(D(2026, 1, 2))
    assert cal.is_working_day(D(2026, 1, 10))
    assert {d["date"] for d in cal.statutory_disagreements(2026)} == {"2026-01-02", "2026-01-10"}
    # One working day from Wed 31 Dec 2025: Thu 1 Jan and Fri 2 Jan are off -> Mon 5 Jan 2026 17:00.
    # With the package alone it would have been Fri 2 Jan.
    assert due_at(datetime(2025, 12, 31, 9, tzinfo=VN), 1) == datetime(2026, 1, 5, 17, tzinfo=VN)
    # Six working days: Mon 5 .. Fri 9 are 1-5, Sat 10 Jan (worked) is the 6th.
    assert due_at(datetime(2025, 12, 31, 9, tzinfo=VN), 6) == datetime(2026, 1, 10, 17, tzinfo=VN)


def test_no_disagreement_in_2024_and_2025(cal: WorkingCalendar) -> None:
    assert cal.statutory_disagreements(2024) == []
    assert cal.statutory_disagreements(2025) == []


def _schedule(year: int, days_off: list[str] = (), working: list[str] = ()) -> dict:  # type: ignore[assignment]
    src = {"S": {"document": "test announcement", "certainty": "CONFIRMED"}}
    return {"data_version": "test", "years": {str(year): {
        "sources": src,
        "days_off": [{"date": d, "source": "S"} for d in days_off],
        "working_days": [{"date": d, "source": "S"} for d in working]}}}


def test_data_overrides_a_statutory_holiday_as_a_working_day() -> None:
    # Hùng Kings Thu 18 Apr 2024 is a holiday in the package; an (imaginary) announcement makes it worked.
    base_only = WorkingCalendar(_schedule(2024), {})
    assert not base_only.is_working_day(D(2024, 4, 18))  # the statutory base applies when data is silent
    overridden = WorkingCalendar(_schedule(2024, working=["2024-04-18"]), {})
    assert overridden.is_working_day(D(2024, 4, 18))
    assert overridden.statutory_disagreements(2024) == [
        {"date": "2024-04-18", "official": "working", "holidays_package": "off", "source": "S"}]


def test_without_the_statutory_base_only_data_and_weekends_count() -> None:
    cal = WorkingCalendar(_schedule(2024, days_off=["2024-01-01"]), {}, statutory_base=False)
    assert not cal.is_working_day(D(2024, 1, 1))
    assert cal.is_working_day(D(2024, 4, 18))  # Hùng Kings unknown without base or data
    assert not cal.is_working_day(D(2024, 1, 6))  # Saturday


def test_agency_closed_days_apply_to_that_agency_only() -> None:
    agencies = {"agencies": {"UBND-X": {
        "office_hours": {"sessions": [["08:00", "12:00"], ["13:00", "16:30"]], "same_day_cutoff": "14:30"},
        "closed_days": [{"date": "2025-03-05", "reason": "office move", "source": "Quyết định 1/QĐ-UBND"}]}}}
    cal = WorkingCalendar(None, agencies)
    assert not cal.is_working_day(D(2025, 3, 5), "UBND-X")
    assert cal.is_working_day(D(2025, 3, 5))
    assert cal.is_working_day(D(2025, 3, 5), "OTHER")
    r = datetime(2025, 3, 3, 9, tzinfo=VN)  # Mon
    # UBND-X: Tue 4 (1), [Wed 5 closed], Thu 6 (2), Fri 7 (3); its offices close at 16:30.
    assert due_at(r, 3, agency="UBND-X", calendar=cal) == datetime(2025, 3, 7, 16, 30, tzinfo=VN)
    # Everyone else: Tue 4, Wed 5, Thu 6 at 17:00.
    assert due_at(r, 3, calendar=cal) == datetime(2025, 3, 6, 17, tzinfo=VN)
    assert due_at(r, 3, agency="OTHER", calendar=cal) == datetime(2025, 3, 6, 17, tzinfo=VN)
    listed = cal.year_schedule(2025, agency="UBND-X")["days_off"]
    assert any(e["date"] == "2025-03-05" and e.get("agency") == "UBND-X" for e in listed)


def test_packaged_agency_file_loads(cal: WorkingCalendar) -> None:
    hours = cal.office_hours()
    assert hours.seconds_per_day == 7 * 3600 + 30 * 60  # 07:30-11:30 + 13:30-17:00
    assert hours.same_day_cutoff.hour == 15


def test_missing_year_raises_naming_it(cal: WorkingCalendar) -> None:
    for year in (2023, 2028):
        with pytest.raises(CalendarYearMissing) as info:
            cal.is_working_day(D(year, 3, 2))
        assert info.value.details == {"year": year}
        assert str(year) in info.value.message_en and str(year) in info.value.message_vi
    with pytest.raises(CalendarYearMissing):
        cal.year_schedule(2028)


def test_a_gap_year_is_missing_not_skipped() -> None:
    raw = _schedule(2024)
    raw["years"].update(_schedule(2026)["years"])
    cal = WorkingCalendar(raw, {})
    # 15 working days from mid-December 2024 run into 2025, which has no data.
    with pytest.raises(CalendarYearMissing) as info:
        due_at(datetime(2024, 12, 16, 9, tzinfo=VN), 15, calendar=cal)
    assert info.value.details == {"year": 2025}
    # Dossiers received in 2026 are unaffected: Mon 2 Mar 2026 + 1 -> Tue 3 Mar.
    assert due_at(datetime(2026, 3, 2, 9, tzinfo=VN), 1, calendar=cal) == datetime(2026, 3, 3, 17, tzinfo=VN)


def test_bad_data_is_rejected() -> None:
    with pytest.raises(ValueError, match="both off and working"):
        WorkingCalendar(_schedule(2024, days_off=["2024-05-04"], working=["2024-05-04"]), {})
    with pytest.raises(ValueError, match="not in 2024"):
        WorkingCalendar(_schedule(2024, days_off=["2025-01-01"]), {})
    bad_source = _schedule(2024, days_off=["2024-01-01"])
    bad_source["years"]["2024"]["days_off"][0]["source"] = "NOPE"
    with pytest.raises(ValueError, match="unknown source"):
        WorkingCalendar(bad_source, {})
    with pytest.raises(ValueError, match="ordered"):
        WorkingCalendar(_schedule(2024), {"defaults": {"office_hours": {"sessions": [["13:00", "12:00"]]}}})


def test_day_info_rejects_a_datetime(cal: WorkingCalendar) -> None:
    with pytest.raises(CalendarError):
        cal.day_info(datetime(2025, 1, 1, tzinfo=VN))  # type: ignore[arg-type]


def test_year_schedule_is_complete_from_the_data(cal: WorkingCalendar) -> None:
    """The data lists every weekday off itself: nothing is added silently from the package."""
    for year in (2024, 2025, 2026):
        view = cal.year_schedule(year)
        assert all(e["source"]["id"] != "holidays-package" for e in view["days_off"] + view["working_days"])
        assert [e["date"] for e in view["days_off"]] == [d.isoformat() for d in ANNOUNCED_DAYS_OFF[year]]


def test_2027_is_provisional_statutory_data_until_the_announcement(cal: WorkingCalendar) -> None:
    # Labor Code days, worked out by hand: Fri 1/1; Tết = Thu 4/2 (29 Chạp) to Wed 10/2 on weekdays;
    # Hùng Kings Fri 16/4; Fri 30/4; 1/5 falls on a Saturday -> nghỉ bù Mon 3/5; Thu 2/9 and Fri 3/9;
    # Wed 24/11. No swapped Saturday is known yet.
    off = {D(2027, 1, 1), D(2027, 2, 4), D(2027, 2, 5), D(2027, 2, 8), D(2027, 2, 9), D(2027, 2, 10),
           D(2027, 4, 16), D(2027, 4, 30), D(2027, 5, 3), D(2027, 9, 2), D(2027, 9, 3), D(2027, 11, 24)}
    for day in off:
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(D(2027, 2, 11)) and cal.is_working_day(D(2027, 5, 4))
    assert cal.year_schedule(2027)["certainty"] == "UNSURE"
