"""`motcua outbox`: what was sent to citizens (delivery records), or what still waits in the outbox.

JSON lines, newest first. Recipients are masked in the records themselves; message texts are not stored.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from motcua.cli.common import add_table_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    outbox = subparsers.add_parser("outbox", help="list notifications sent to citizens (or --pending events)")
    outbox.add_argument("--dossier", metavar="ID", help="only this dossier's deliveries")
    outbox.add_argument("--limit", type=int, default=50, metavar="N", help="at most N lines (default 50)")
    outbox.add_argument("--pending", action="store_true",
                        help="list the events not yet relayed to the notifications queue, oldest first")
    outbox.add_argument("--days", type=int, default=7, metavar="D",
                        help="without --dossier: look back D days, today included (default 7)")
    add_table_argument(outbox)
    outbox.set_defaults(func=run_outbox)


def list_outbox(*, dossier: str | None = None, limit: int = 50, pending: bool = False, days: int = 7,
                today: datetime | None = None) -> list[dict[str, Any]]:
    from motcua.data import notifications
    from motcua.domain.calendar import VN_TZ

    if pending:
        return [{"event_id": e.id, "type": e.type, "occurred_at": e.occurred_at,
                 "claimed_by": e.claimed_by, "claim_expires": e.claim_expires}
                for e in notifications.pending_outbox(limit)]
    if dossier:
        return [r.as_dict() for r in notifications.deliveries_of_dossier(dossier, limit)]
    day = (today or datetime.now(VN_TZ)).astimezone(VN_TZ).date()
    found: list[dict[str, Any]] = []
    for back in range(max(days, 1)):
        if len(found) >= limit:
            break
        found += [r.as_dict() for r in notifications.deliveries_of_day(day - timedelta(days=back), limit - len(found))]
    return found


def _print(lines: Iterable[dict[str, Any]]) -> None:
    for line in lines:
        print(json.dumps(line, ensure_ascii=False))


def run_outbox(args: argparse.Namespace) -> int:
    if not args.table:
        print(json.dumps({"code": "TABLE_NAME_MISSING", "message_en": "pass --table or set TABLE_NAME"}))
        return 2
    if args.limit < 1:
        print(json.dumps({"code": "LIMIT_INVALID", "message_en": "--limit must be at least 1"}))
        return 2
    from motcua.data.models import bind

    bind(args.table)
    _print(list_outbox(dossier=args.dossier, limit=args.limit, pending=args.pending, days=args.days))
    return 0
