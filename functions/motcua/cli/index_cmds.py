"""`motcua index --month YYYY-MM [--recompute [--repair]]`: compute, store and publish one month's index.

Without ``--recompute`` it runs exactly what the monthly job runs (the per-unit counters, O(units) items).
With ``--recompute`` it rebuilds the month from every dossier and its history (a table scan: for operators,
not for the schedule), stores and publishes that, and says whether the incremental counters agree
(``matches_incremental``, with the differences). ``--repair`` then overwrites the counters of an ended
month with the rebuilt ones. Prints a JSON report (no personal data).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from motcua.cli.common import add_table_argument, fail
from motcua.settings import environment


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "index", help="compute one month's index (scores, ranks, report, open data)",
        description="Compute, store and publish the monthly index of one month (Asia/Ho_Chi_Minh).")
    parser.add_argument("--month", required=True, metavar="YYYY-MM", help="the calendar month")
    parser.add_argument("--recompute", action="store_true",
                        help="rebuild from every dossier's history and compare with the incremental counters")
    parser.add_argument("--repair", action="store_true",
                        help="with --recompute: overwrite the month's counters when they differ (ended months)")
    add_table_argument(parser)
    parser.add_argument("--reports-bucket", default=environment().reports_bucket,
                        help="bucket for the report and open data (default: $REPORTS_BUCKET; none: not written)")
    parser.set_defaults(func=run_index)


def run_index(args: argparse.Namespace) -> int:
    from motcua.data.index_store import IndexRepository
    from motcua.data.models import bind
    from motcua.data.reports import ReportStore
    from motcua.domain.index import InvalidMonth, Month
    from motcua.service.index.job import IndexJob

    if not args.table:
        return fail("TABLE_NAME_MISSING", "pass --table or set TABLE_NAME")
    if args.repair and not args.recompute:
        return fail("REPAIR_NEEDS_RECOMPUTE", "--repair only makes sense with --recompute")
    try:
        month = Month.parse(args.month)
    except InvalidMonth as error:
        return fail(error.code, error.message_en)
    bind(args.table)
    job = IndexJob(store=IndexRepository(), reports=ReportStore(args.reports_bucket) if args.reports_bucket else None)
    report = job.run(month, recompute=args.recompute, repair=args.repair)
    print(json.dumps(report.as_dict(), ensure_ascii=False))
    return 0 if report.matches_incremental in (None, True) else 1
