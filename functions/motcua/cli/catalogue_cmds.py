"""`motcua seed`: load the procedure catalogue and the agency tree into the table (idempotent)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from motcua.cli.common import add_table_argument

SEED_DIR = Path(__file__).resolve().parents[1] / "seed"


def register(subparsers: argparse._SubParsersAction) -> None:
    seed = subparsers.add_parser("seed", help="load the procedure catalogue and agencies into the table")
    add_table_argument(seed)
    seed.set_defaults(func=run_seed)


def seed_catalogue(table_name: str) -> dict[str, int]:
    from motcua.data.models import bind
    from motcua.data.repositories import CatalogueRepository
    from motcua.domain.catalogue import Agency, Procedure

    bind(table_name)
    tree = json.loads((SEED_DIR / "agencies.json").read_text(encoding="utf-8"))
    agencies = [Agency(kind="province", **tree["province"])] + [Agency(**raw) for raw in tree["agencies"]]
    procedures = [Procedure.model_validate(raw)
                  for raw in json.loads((SEED_DIR / "procedures.json").read_text(encoding="utf-8"))]
    CatalogueRepository().put_all(procedures, agencies)
    return {"procedures": len(procedures), "agencies": len(agencies)}


def run_seed(args: argparse.Namespace) -> int:
    if not args.table:
        print(json.dumps({"code": "TABLE_NAME_MISSING", "message_en": "pass --table or set TABLE_NAME"}))
        return 2
    print(json.dumps({"table": args.table, **seed_catalogue(args.table)}))
    return 0
