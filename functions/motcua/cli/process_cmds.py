"""`motcua process check [FILE ...]`: check internal procedures against the law (docs/domain.md §11.2).

Each reason a definition cannot be used is printed in Vietnamese and in English; the exit status is 1 if
there is any. With no file, every seeded definition is checked.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    process = subparsers.add_parser("process", help="internal procedures (quy trình nội bộ)")
    commands = process.add_subparsers(dest="process_command", required=True, metavar="COMMAND")
    check = commands.add_parser("check", help="check process definitions against the law")
    check.add_argument("files", nargs="*", type=Path, help="definition files (default: every seeded one)")
    check.add_argument("--json", action="store_true", help="one JSON line per violation")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    from motcua.domain.process import library

    paths = args.files or sorted(library.PROCESS_DIR.glob("*.json"))
    procedures = library.catalogue()
    checked = failed = 0
    for path in paths:
        definitions, findings = library.check_file(path, procedures)
        checked += len(definitions)
        failed += len({f.definition for f in findings})
        for f in findings:
            if args.json:
                print(json.dumps(f.__dict__, ensure_ascii=False))
            else:
                print(f"{f.file} {f.definition} {f.code}\n  vi: {f.message_vi}\n  en: {f.message_en}")
    if not args.json:
        print(f"{checked} quy trình đã kiểm tra, {failed} không đạt / "
              f"{checked} definitions checked, {failed} refused")
    return 1 if failed else 0
