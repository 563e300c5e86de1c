"""`motcua deadline` and `motcua calendar`: the deadline clock and the official schedule for officials.

Both print JSON on stdout. A domain error prints its JSON body (``MotcuaError.to_body()``) on stderr and
exits with status 2, like argparse's own usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from decimal import Decimal
from typing import Any

from motcua.domain import clock
from motcua.domain.calendar import VN_TZ, default_calendar
from motcua.domain.errors import CalendarError, MotcuaError


def register(subparsers: Any) -> None:
    deadline = subparsers.add_parser(
        "deadline", help="due date of a limit in working days (the one clock)",
        description="Print, as JSON, the due date of N working days for a dossier received at --received, "
                    "pushed later by the pauses, and the working days counted.")
    deadline.add_argument("--received", required=True, metavar="ISO",
                          help="reception instant, ISO 8601 with a timezone, e.g. 2026-02-13T09:00+07:00")
    deadline.add_argument("--working-days", required=True, metavar="N",
                          help="the procedure's limit in working days (may be fractional, e.g. 0.5)")
    deadline.add_argument("--agency", metavar="CODE", help="agency code (its office hours and closed days)")
    deadline.add_argument("--pause", action="append", default=[], metavar="ISO/ISO",
                          help="a pause START/END (repeatable); START/ for a pause still running")
    deadline.set_defaults(func=_cmd_deadline)

    cal = subparsers.add_parser(
        "calendar", help="a year's official days off and swapped working days",
        description="Print, as JSON, the year's weekday days off and weekend working days with their "
                    "source documents (weekends are days off unless listed).")
    cal.add_argument("--year", required=True, type=int, metavar="YYYY")
    cal.add_argument("--agency", metavar="CODE", help="include this agency's own closed days and hours")
    cal.set_defaults(func=_cmd_calendar)


def _fail(err: MotcuaError) -> int:
    print(json.dumps(err.to_body(), ensure_ascii=False), file=sys.stderr)
    return 2


def _parse_instant(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CalendarError({"field": name, "value": text},
                            message_en=f"{name}: not an ISO 8601 date-time.") from exc
    return value  # naive values are rejected by the clock itself (one place for that rule)


def _parse_pause(text: str) -> clock.Pause:
    start, sep, end = text.partition("/")
    if not sep or not start.strip():
        raise CalendarError({"field": "pause", "value": text},
                            message_en="A pause is START/END (or START/ while still paused).")
    return clock.Pause(_parse_instant(start, "pause.start"),
                       _parse_instant(end, "pause.end") if end.strip() else None)


def _iso(dt: datetime) -> str | None:
    return None if clock.is_open_ended(dt) else dt.astimezone(VN_TZ).isoformat()


def _cmd_deadline(args: argparse.Namespace) -> int:
    try:
        received = _parse_instant(args.received, "received")
        try:
            days = Decimal(args.working_days)
        except ArithmeticError as exc:
            raise CalendarError({"field": "working_days", "value": args.working_days},
                                message_en="working days must be a number.") from exc
        pauses = [_parse_pause(p) for p in args.pause]
        due = clock.due_at(received, days, pauses, agency=args.agency)
        out: dict[str, Any] = {
            "received_at": received.astimezone(VN_TZ).isoformat(),
            "agency": args.agency,
            "working_days": _num(days),
            "pauses": [{"start": _iso(p.start), "end": None if p.end is None else _iso(p.end)}
                       for p in pauses],
            "due_at": _iso(due),
            "open_ended": clock.is_open_ended(due),
        }
        if not clock.is_open_ended(due):
            counted = clock.working_days_between(received, due, pauses, agency=args.agency)
            out["working_days_counted"] = _num(counted)
            out["counted_dates"] = [d.isoformat() for d in clock.counted_working_dates(
                received, due, pauses, agency=args.agency)]
        out["convention"] = ("reception day not counted; due at the close of office hours of the N-th "
                             "working day after it; pauses push it by the working time they cover")
        out["data_version"] = default_calendar().data_version
    except MotcuaError as err:
        return _fail(err)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _cmd_calendar(args: argparse.Namespace) -> int:
    try:
        out = default_calendar().year_schedule(args.year, agency=args.agency)
    except MotcuaError as err:
        return _fail(err)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _num(d: Decimal) -> int | str:
    """Whole numbers as JSON integers; fractions as strings (exact)."""
    return int(d) if d == d.to_integral_value() else str(d)
