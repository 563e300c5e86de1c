"""`motcua`: the one command line for officials and operators.

Each subcommand lives in its own module with a ``register(subparsers)`` function; this module only
assembles them, so adding a command never touches the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = [
    "motcua.cli.calendar_cmds",  # deadline, calendar
    "motcua.cli.catalogue_cmds",  # seed
    "motcua.cli.sla_cmds",  # sla status
    "motcua.cli.outbox_cmds",  # outbox
    "motcua.cli.dlq_cmds",  # dlq redrive
    "motcua.cli.sync_cmds",  # sync status, sync redrive (the national portal)
    "motcua.cli.index_cmds",  # index (the monthly index, --recompute)
    "motcua.cli.demo_cmds",  # demo-data
    "motcua.cli.process_cmds",  # process check (internal procedures)
    "motcua.cli.users_cmds",  # users add (officials' accounts in the user pool)
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="Motcua: one-stop shop back office")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `motcua ... | head` must not print a traceback
        return 0


if __name__ == "__main__":
    sys.exit(main())
