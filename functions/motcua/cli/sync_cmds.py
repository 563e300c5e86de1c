"""`motcua sync`: the national portal sync (docs/integrations.md §1).

* ``motcua sync status``: the sync queue's and its DLQ's counts (waiting, in flight, delayed) and, with
  ``--dossier``, that dossier's acknowledgements, oldest first. One JSON line each; no personal data.
* ``motcua sync redrive``: the parked messages back to the sync queue, each in its dossier's group (the
  consumer answers a step already acknowledged without calling the portal again).

The queue's URL comes from ``--queue-url``, else ``$NATIONAL_SYNC_QUEUE_URL``, else its local name.
"""

from __future__ import annotations

import argparse
import json

from motcua.cli.common import add_table_argument
from motcua.cli.dlq_cmds import redrive_queue

QUEUE = "national-sync"


def register(subparsers: argparse._SubParsersAction) -> None:
    sync = subparsers.add_parser("sync", help="the national portal sync: status, redrive")
    commands = sync.add_subparsers(dest="sync_command", required=True, metavar="COMMAND")
    status = commands.add_parser("status", help="the sync queue, its DLQ and a dossier's acknowledgements")
    status.add_argument("--dossier", metavar="ID", help="this dossier's acknowledgements by the portal")
    status.add_argument("--queue-url", help="the sync queue's URL (default: $NATIONAL_SYNC_QUEUE_URL or local)")
    add_table_argument(status)
    status.set_defaults(func=run_status)
    redrive = commands.add_parser("redrive", help="move parked sync messages back to the sync queue")
    redrive.add_argument("--max", type=int, default=100, metavar="N", help="move at most N messages (default 100)")
    redrive.add_argument("--queue-url", help="the sync queue's URL (default: $NATIONAL_SYNC_QUEUE_URL or local)")
    redrive.set_defaults(func=redrive_queue, queue=QUEUE)


def run_status(args: argparse.Namespace) -> int:
    from motcua.cli.dlq_cmds import queue_url
    from motcua.data import queues

    target = queue_url(QUEUE, args.queue_url)
    dlq = queues.dead_letter_queue_of(target)
    print(json.dumps({"queue": target.rsplit("/", 1)[-1], **queues.queue_depth(target)}))
    print(json.dumps({"queue": dlq.rsplit("/", 1)[-1], **queues.queue_depth(dlq)}))
    if args.dossier:
        if not args.table:
            print(json.dumps({"code": "TABLE_NAME_MISSING", "message_en": "pass --table or set TABLE_NAME"}))
            return 2
        from motcua.data import national_portal
        from motcua.data.models import bind

        bind(args.table)
        for ack in national_portal.acks_of(args.dossier):
            print(json.dumps(ack.as_dict(), ensure_ascii=False))
    return 0
