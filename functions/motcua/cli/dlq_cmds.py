"""`motcua dlq redrive`: move parked messages from a dead-letter queue back to its queue.

The queue's URL comes from ``--queue-url``, else ``$<QUEUE>_QUEUE_URL`` (the stack outputs each URL as
``<Queue>QueueUrl``), else its local name (``make run``'s queues). The DLQ is the one the queue's redrive
policy names. Prints one JSON line per message moved, with the reason it was parked.
"""

from __future__ import annotations

import argparse
import json

from motcua.settings import environment

# Declared queues an operator redrives (infra/declaration.py), with their local names (infra/local/env.py).
QUEUES: dict[str, str] = {
    "actions": "motcua-actions.fifo",
    "notifications": "motcua-notifications",
    "national-sync": "motcua-national-sync.fifo",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    dlq = subparsers.add_parser("dlq", help="dead-letter queues")
    commands = dlq.add_subparsers(dest="dlq_command", required=True, metavar="COMMAND")
    redrive = commands.add_parser("redrive", help="move messages from a DLQ back to its queue")
    redrive.add_argument("--queue", required=True, choices=sorted(QUEUES), help="the queue whose DLQ to empty")
    redrive.add_argument("--max", type=int, default=100, metavar="N", help="move at most N messages (default 100)")
    redrive.add_argument("--queue-url", help="the queue's URL (default: $<QUEUE>_QUEUE_URL or its local name)")
    redrive.set_defaults(func=run_redrive)


def queue_url(queue: str, explicit: str | None = None) -> str:
    from motcua.data import queues

    return explicit or environment().queue_url(queue) or queues.queue_url_by_name(QUEUES[queue])


def run_redrive(args: argparse.Namespace) -> int:
    return redrive_queue(args)


def redrive_queue(args: argparse.Namespace) -> int:
    """``args``: ``queue`` (a name of ``QUEUES``), ``max``, ``queue_url`` (``motcua sync redrive`` too)."""
    from motcua.data import queues

    if args.max < 1:
        print(json.dumps({"code": "MAX_INVALID", "message_en": "--max must be at least 1"}))
        return 2
    target = queue_url(args.queue, args.queue_url)
    dlq = queues.dead_letter_queue_of(target)
    moved = 0
    for line in queues.redrive(dlq, target, args.max):
        moved += 1
        print(json.dumps({"queue": args.queue, **line}, ensure_ascii=False), flush=True)
    # Queue names, not URLs: a URL carries the account id, which has no business in an operator's output.
    print(json.dumps({"queue": args.queue, "moved": moved, "from": dlq.rsplit("/", 1)[-1],
                      "to": target.rsplit("/", 1)[-1]}))
    return 0
