"""`motcua deadline` and `motcua calendar`, called in-process through motcua.cli.main."""

from __future__ import annotations

import json

import pytest

from motcua.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_deadline_across_tet_2025(capsys: pytest.CaptureFixture[str]) -> None:
    # Fri 24 Jan 2025 + 15 working days: Tết break to Sun 2 Feb, then Mon 3 .. Fri 21 Feb.
    code, out, _ = run(capsys, "deadline", "--received", "2025-01-24T09:00:00+07:00", "--working-days", "15")
    assert code == 0
    body = json.loads(out)
    assert body["due_at"] == "2025-02-21T17:00:00+07:00"
    assert body["working_days"] == 15
    assert body["working_days_counted"] == 15
    assert body["counted_dates"][0] == "2025-02-03"
    assert body["counted_dates"][-1] == "2025-02-21"
    assert len(body["counted_dates"]) == 15


def test_deadline_with_pauses_and_utc_input(capsys: pytest.CaptureFixture[str]) -> None:
    # Received Mon 3 Mar 2025 02:00 UTC (09:00 in Hanoi); 5 days -> Mon 10 Mar; paused Tue 4 and Wed 5
    # whole days -> Wed 12 Mar 17:00.
    code, out, _ = run(capsys, "deadline", "--received", "2025-03-03T02:00:00Z", "--working-days", "5",
                       "--pause", "2025-03-04T07:30+07:00/2025-03-05T17:00+07:00")
    assert code == 0
    body = json.loads(out)
    assert body["received_at"] == "2025-03-03T09:00:00+07:00"
    assert body["due_at"] == "2025-03-12T17:00:00+07:00"
    assert body["working_days_counted"] == 5
    assert "2025-03-04" not in body["counted_dates"] and "2025-03-05" not in body["counted_dates"]


def test_deadline_open_pause(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "deadline", "--received", "2025-03-03T09:00+07:00", "--working-days", "5",
                       "--pause", "2025-03-04T09:00+07:00/")
    assert code == 0
    body = json.loads(out)
    assert body["due_at"] is None and body["open_ended"] is True


def test_deadline_fractional(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "deadline", "--received", "2025-03-03T09:00+07:00", "--working-days", "0.5")
    assert code == 0
    body = json.loads(out)
    assert body["due_at"] == "2025-03-04T11:15:00+07:00"
    assert body["working_days_counted"] == "0.5"


@pytest.mark.parametrize(("argv", "code"), [
    (["--received", "2025-03-03T09:00", "--working-days", "5"], "CALENDAR_INVALID_INPUT"),  # naive
    (["--received", "not a date", "--working-days", "5"], "CALENDAR_INVALID_INPUT"),
    (["--received", "2025-03-03T09:00+07:00", "--working-days", "-1"], "CALENDAR_INVALID_INPUT"),
    (["--received", "2025-03-03T09:00+07:00", "--working-days", "99999"], "CALENDAR_INVALID_INPUT"),
    (["--received", "2025-03-03T09:00+07:00", "--working-days", "five"], "CALENDAR_INVALID_INPUT"),
    (["--received", "2025-03-03T09:00+07:00", "--working-days", "5",
      "--pause", "2025-03-05T09:00+07:00/2025-03-04T09:00+07:00"], "CALENDAR_INVALID_INPUT"),
    (["--received", "2025-03-03T09:00+07:00", "--working-days", "5", "--pause", "garbage"],
     "CALENDAR_INVALID_INPUT"),
    (["--received", "2027-12-14T09:00+07:00", "--working-days", "15"], "CALENDAR_YEAR_MISSING"),
])
def test_deadline_errors_exit_2_with_the_error_body(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                   code: str) -> None:
    status, out, err = run(capsys, "deadline", *argv)
    assert status == 2
    assert out == ""
    body = json.loads(err)
    assert body["code"] == code
    assert set(body) == {"code", "message_vi", "message_en", "details"}


def test_calendar_year(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calendar", "--year", "2025")
    assert code == 0
    body = json.loads(out)
    assert body["year"] == 2025
    days_off = {e["date"]: e for e in body["days_off"]}
    # Tết Mon 27 - Fri 31 Jan, 30/4 - 2/5, 1-2 Sep, New Year, Hùng Kings (docs/domain.md §5.6): 12 weekdays.
    assert len(days_off) == 12
    assert {"2025-01-27", "2025-01-31", "2025-04-07", "2025-05-02", "2025-09-02"} <= set(days_off)
    assert all(e["source"]["document"] for e in body["days_off"])
    assert [e["date"] for e in body["working_days"]] == ["2025-04-26"]
    assert body["working_days"][0]["in_exchange_for"] == "2025-05-02"
    assert body["working_day_count"] == 250


def test_calendar_2026_shows_the_disagreement_with_the_package(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calendar", "--year", "2026")
    assert code == 0
    body = json.loads(out)
    assert [e["date"] for e in body["working_days"]] == ["2026-01-10", "2026-08-22"]
    assert {d["date"] for d in body["statutory_disagreements"]} == {"2026-01-02", "2026-01-10"}


def test_calendar_missing_year(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "calendar", "--year", "2028")
    assert code == 2 and out == ""
    body = json.loads(err)
    assert body["code"] == "CALENDAR_YEAR_MISSING"
    assert body["details"] == {"year": 2028}


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["deadline", "--working-days", "5"])
    assert info.value.code == 2
