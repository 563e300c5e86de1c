"""`motcua sla status`: per agency, the open dossiers due today, at risk and overdue (JSON on stdout).

Reads each agency's work list (``gsi2``: the dossiers it *holds now*, in the open statuses 2, 4, 5, 6): a
dossier transferred to another agency (liên thông) is listed under that agency, the one whose delay it now
is and whose officials the SLA notices go to; ``agency_code`` in each entry names the receiving agency.
Standing is decided by ``motcua.domain.sla.standing`` (one clock):

* ``overdue``: past its legal due date (or flagged by the breach timer);
* ``due_today``: due later today; ``at_risk``: due by the close of the 2nd working day after today;
* ``paused``: an open pause holds the clock (supplement or fees awaited), so no due date yet.

No personal data is printed (no applicant names): codes, statuses and dates only.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import datetime
from typing import Any

from motcua.cli.common import add_table_argument, fail
from motcua.domain.calendar import VN_TZ

LISTED = ("overdue", "due_today", "at_risk", "paused")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("sla", help="SLA timers: status per agency")
    commands = parser.add_subparsers(dest="sla_command", required=True, metavar="SUBCOMMAND")
    status = commands.add_parser(
        "status", help="per agency: dossiers due today, at risk (next 2 working days) and overdue",
        description="Print, as JSON, each agency's open dossiers that are overdue, due today, at risk (due "
                    "within the next 2 working days) or paused, and how many are on track.")
    status.add_argument("--agency", metavar="CODE", help="one agency (default: every agency of the catalogue)")
    status.add_argument("--at", metavar="ISO", help="the instant to judge at, ISO 8601 with a timezone (default: now)")
    add_table_argument(status)
    status.set_defaults(func=run_status)


def _entry(dossier: Any, at: datetime) -> dict[str, Any]:
    from motcua.domain import sla

    timer = sla.next_timer(dossier, at)
    return {
        "id": dossier.id,
        "receipt_code": dossier.receipt_code,
        "procedure_code": dossier.procedure_code,
        "status": int(dossier.status),
        "agency_code": dossier.agency_code,  # the receiving agency
        "handling_agency_code": dossier.current_agency,
        "due_at": None if dossier.open_pause is not None else dossier.due_at.astimezone(VN_TZ).isoformat(),
        "appointment_at": dossier.appointment_at.astimezone(VN_TZ).isoformat(),
        "overdue_since": dossier.overdue_since.astimezone(VN_TZ).isoformat() if dossier.overdue_since else None,
        "apology_issued": dossier.apology is not None,
        "next_timer": None if timer is None else {"kind": timer.kind, "at": timer.at.astimezone(VN_TZ).isoformat()},
    }


def sla_status(at: datetime, agency: str | None = None) -> dict[str, Any]:
    """The report for every agency (or one), as JSON-ready data. The table must be bound."""
    from motcua.data.repositories import CatalogueRepository
    from motcua.data.timers import open_dossiers_of
    from motcua.domain import sla

    agencies = CatalogueRepository().agencies()
    codes = [agency] if agency else sorted(agencies)
    statuses = sorted(int(s) for s in sla.ACTIVE_STATUSES)
    out: list[dict[str, Any]] = []
    for code in codes:
        groups: dict[str, list[dict[str, Any]]] = {name: [] for name in LISTED}
        counts: Counter[str] = Counter()
        for dossier in open_dossiers_of(code, statuses):
            where = sla.standing(dossier, at)
            counts[where] += 1
            if where in groups:
                groups[where].append(_entry(dossier, at))
        for entries in groups.values():
            entries.sort(key=lambda e: (e["due_at"] or "9999", e["receipt_code"]))
        known = agencies.get(code)
        out.append({"agency_code": code, "agency_name": known.name_vi if known else None,
                    "open": sum(counts.values()), "on_track": counts["on_track"],
                    "counts": {name: counts[name] for name in LISTED}, **groups})
    return {"at": at.astimezone(VN_TZ).isoformat(), "agencies": out}


def run_status(args: argparse.Namespace) -> int:
    if not args.table:
        return fail("TABLE_NAME_MISSING", "pass --table or set TABLE_NAME")
    if args.at:
        try:
            at = datetime.fromisoformat(args.at.strip())
        except ValueError:
            return fail("AT_INVALID", f"--at {args.at!r} is not an ISO 8601 date-time")
        if at.tzinfo is None:
            return fail("AT_NAIVE", "--at needs a timezone, e.g. 2026-03-09T08:00+07:00")
    else:
        at = datetime.now(VN_TZ)
    from motcua.data.models import bind

    bind(args.table)
    print(json.dumps(sla_status(at, args.agency), ensure_ascii=False, indent=2))
    return 0
