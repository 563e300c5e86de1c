"""The committed catalogue, for unit tests that need real procedures."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from motcua.domain.catalogue import Procedure
from motcua.seed import convert


@lru_cache(maxsize=1)
def _all() -> dict[str, Procedure]:
    raw = json.loads((Path(convert.__file__).parent / "procedures.json").read_text(encoding="utf-8"))
    return {p["code"]: Procedure.model_validate(p) for p in raw}


def procedure(code: str) -> Procedure:
    return _all()[code]
