"""What every `motcua` subcommand shares: the table option and the error line."""

from __future__ import annotations

import argparse
import json
import sys

from motcua.settings import environment


def add_table_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", default=environment().table_name, help="table name (default: $TABLE_NAME)")


def fail(code: str, message_en: str) -> int:
    """A stable code and a message as one JSON line on stderr; exit status 2 (a usage or input error)."""
    print(json.dumps({"code": code, "message_en": message_en}, ensure_ascii=False), file=sys.stderr)
    return 2
