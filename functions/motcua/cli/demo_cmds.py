"""`motcua demo-data --months 12 --dossiers N`: a generated province in the table, and its monthly reports.

Generates ``N`` dossiers with their whole histories over ``--months`` months ending with ``--end-month``
(``motcua.domain.demo_data``: the seed's procedures and agencies, channels, lateness, supplements, fees,
electronic results, evaluations, feedback about dossiers; fake applicants) and feedback about procedures
and agencies (one for every 15 dossiers), loads them through the index's write path (dossiers in batches;
``--transactional``: one transaction per instant, exactly like live actions, slower; feedback one transaction
per step, as the live path writes it; neither gets SLA timers: it is the past), stores
the demo's list of procedures integrated with online payment, then runs the monthly job for every month,
oldest first, so the reports carry their 12-month trends. Re-running with the same arguments loads nothing
twice (dossiers already loaded are skipped). Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from motcua.cli.common import add_table_argument, fail
from motcua.settings import environment

CHUNK = 200
DEFAULT_SEED = 2026
FEEDBACK_EVERY = 15  # one feedback about a procedure or an agency for every 15 dossiers (UNSURE: a guess)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo-data", help="load a generated province and compute its monthly reports",
                                   description=__doc__.split("\n\n")[1] if __doc__ else None)
    parser.add_argument("--months", type=int, default=12, help="months of activity (default 12)")
    parser.add_argument("--dossiers", type=int, default=2000, help="dossiers over the whole period (default 2000)")
    parser.add_argument("--end-month", default="2026-10", metavar="YYYY-MM", help="last month (default 2026-10)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same province)")
    parser.add_argument("--transactional", action="store_true",
                        help="write through the live transaction path (one per instant) instead of batches")
    add_table_argument(parser)
    parser.add_argument("--reports-bucket", default=environment().reports_bucket,
                        help="bucket for the reports (default: $REPORTS_BUCKET; none: results stored only)")
    parser.set_defaults(func=run_demo)


def load_demo(table: str, *, months: int, dossiers: int, end_month: str, reports_bucket: str | None,
              seed: int = DEFAULT_SEED, transactional: bool = False) -> dict[str, Any]:
    from motcua.data.index_store import IndexRepository
    from motcua.data.models import bind
    from motcua.data.reports import ReportStore
    from motcua.domain.demo_data import generate, generate_feedback, online_payment_codes
    from motcua.domain.index import Month
    from motcua.service.index.job import IndexJob
    from motcua.service.index.loading import load_feedback_histories, load_histories
    from motcua.service.index.month import ONLINE_PAYMENT_SETTING

    bind(table)
    last = Month.parse(end_month)
    started = time.monotonic()
    province = generate(months=months, dossiers=dossiers, end_month=last, seed=seed)
    feedback = generate_feedback(months=months, count=dossiers // FEEDBACK_EVERY, end_month=last, seed=seed)
    generated_s = time.monotonic() - started
    store = IndexRepository()
    store.put_setting(ONLINE_PAYMENT_SETTING, json.dumps(sorted(online_payment_codes())))
    loaded = skipped = 0
    for start in range(0, len(province), CHUNK):
        chunk = province[start:start + CHUNK]
        present = store.facts_present([d.id for d, _ in chunk])
        fresh = [(d, e) for d, e in chunk if d.id not in present]
        skipped += len(chunk) - len(fresh)
        loaded += load_histories(fresh, bulk=not transactional, store=store)
    feedback_loaded = load_feedback_histories(feedback)
    loaded_s = time.monotonic() - started - generated_s
    job = IndexJob(store=store, reports=ReportStore(reports_bucket) if reports_bucket else None)
    reports = []
    for n in range(months - 1, -1, -1):
        report = job.run(last.back(n))
        reports.append({"month": report.month, "units": report.units, "received": report.dossiers_received,
                        "late": report.late_dossiers, "report": report.reports.get("html")})
    return {"table": table, "dossiers": len(province), "loaded": loaded, "already_loaded": skipped,
            "feedback": len(feedback), "feedback_loaded": feedback_loaded,
            "generate_s": round(generated_s, 1), "load_s": round(loaded_s, 1),
            "index_s": round(time.monotonic() - started - generated_s - loaded_s, 1), "months": reports}


def run_demo(args: argparse.Namespace) -> int:
    if not args.table:
        return fail("TABLE_NAME_MISSING", "pass --table or set TABLE_NAME")
    if args.months < 1 or args.dossiers < 0:
        return fail("DEMO_ARGUMENTS_INVALID", "--months must be >= 1 and --dossiers >= 0")
    summary = load_demo(args.table, months=args.months, dossiers=args.dossiers, end_month=args.end_month,
                        seed=args.seed, reports_bucket=args.reports_bucket, transactional=args.transactional)
    print(json.dumps(summary, ensure_ascii=False))
    return 0
