"""Adapt the shared catalogue seed (``shared/data/procedures.json``) to Motcua's ``Procedure`` shape.

Run once when the shared seed changes (``python -m motcua.seed.convert <path of the seed's procedures.json>``);
the result is committed as ``procedures.json`` beside this file so the Lambda asset and ``make run``
never depend on a path outside the repo. A test checks the committed file against a fresh conversion.

Choices where the seed is unsure (each kept visible in ``provenance.marks``):
- time-limit units "OTHER (raw...)" with a number are read as working days (UNSURE, as the seed says);
- a same-day procedure without a number counts as 1 working day with the 15:00 cut-off;
- a procedure with no time limit at all gets 2 working days (the seed's note: the general rule for
  certification, "not verified") and the mark ``UNSURE-DEFAULTED``;
- submission channels listed include "bưu chính" -> results can also be returned by post (UNSURE:
  the seed lists submission channels only).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from motcua.domain.catalogue import (
    Channel,
    CompetentAgency,
    Fee,
    Level,
    OnlineService,
    Procedure,
    Provenance,
    TimeLimitView,
)
from motcua.domain.clock import TimeUnit

HERE = Path(__file__).parent
REFORM_DATE = date(2025, 7, 1)  # the seed is the post-reform (two-tier) catalogue

_LEVELS = {"Cấp Xã": Level.COMMUNE, "Cấp Tỉnh": Level.PROVINCE, "Cấp Bộ/Trung ương": Level.CENTRAL}
_CHANNELS = {"trực tiếp": Channel.COUNTER, "trực tuyến": Channel.ONLINE, "bưu chính": Channel.POST}
_ONLINE_LEVELS = {"toàn trình": "full", "một phần": "partial"}


def _time_limit(raw: dict[str, Any], marks: dict[str, str]) -> TimeLimitView:
    unit, value = raw["unit"], raw.get("value")
    status = raw.get("status", "UNSURE")
    if unit == "working_days" or unit.startswith("OTHER"):
        mapped = TimeUnit.WORKING_DAYS
    elif unit == "same_working_day_15h_cutoff":
        mapped, value = TimeUnit.SAME_DAY_15H_CUTOFF, value or 1
    elif unit == "days":
        mapped = TimeUnit.CALENDAR_DAYS
    else:  # "unknown": a configurable default, never a silent invention
        mapped, value, status = TimeUnit.WORKING_DAYS, 2, "UNSURE"
        marks["time_limit"] = "UNSURE-DEFAULTED"
    marks.setdefault("time_limit", status)
    return TimeLimitView(value=Decimal(str(value)), unit=mapped, text=raw.get("text"), status=status)


def _fee(raw: dict[str, Any] | None) -> Fee:
    raw = raw or {}
    amounts = raw.get("amounts_vnd")
    return Fee(amounts_vnd=amounts, set_by_province=amounts is None, text=raw.get("text"))


def convert_one(raw: dict[str, Any], sector_agency: dict[str, str]) -> Procedure:
    marks = {key.removesuffix("_status"): str(value) for key, value in raw.items()
             if key.endswith("_status") and isinstance(value, str)}
    level = _LEVELS.get(raw["level"])
    if level is None:
        # e.g. "Không có thông tin": province by default, the seed does not say (UNSURE).
        level, marks["level"] = Level.PROVINCE, "UNSURE-DEFAULTED"
    channels = sorted({_CHANNELS[c] for c in raw["online_submission"]["channels_listed"] if c in _CHANNELS},
                      key=list(Channel).index)
    if level is Level.COMMUNE:
        agency = CompetentAgency(kind="commune", as_listed=raw["agency"].get("as_listed"))
    else:
        agency = CompetentAgency(kind="department", agency_code=sector_agency[raw["sector_group"]],
                                 as_listed=raw["agency"].get("as_listed"))
    notes = raw.get("notes") or []
    return Procedure(
        code=raw["code"],
        name_vi=raw["name_vi"],
        sector=raw["sector"],
        sector_group=raw["sector_group"],
        level=level,
        competent_agency=agency,
        time_limit=_time_limit(raw["time_limit"], marks),
        fee=_fee(raw.get("fee")),
        documents=list(raw.get("documents") or []),
        online=OnlineService(
            allowed=Channel.ONLINE in channels,
            level=_ONLINE_LEVELS.get(raw["online_submission"].get("level") or ""),  # type: ignore[arg-type]
        ),
        channels=channels,
        returns_by_post=Channel.POST in channels,
        result=raw.get("result"),
        publishing_decision=raw.get("publishing_decision"),
        effective_from=REFORM_DATE,
        provenance=Provenance(
            marks=marks,
            sources=[{k: str(v) for k, v in s.items()} for s in raw.get("sources", [])],
            notes=[notes] if isinstance(notes, str) else list(notes),
            confidence=raw.get("confidence"),
        ),
    )


def load_agency_seed() -> dict[str, Any]:
    return json.loads((HERE / "agencies.json").read_text(encoding="utf-8"))


def convert(shared_seed: Path) -> list[dict[str, Any]]:
    sector_agency = load_agency_seed()["sector_agency"]
    raw = json.loads(shared_seed.read_text(encoding="utf-8"))
    return [convert_one(item, sector_agency).model_dump(mode="json") for item in raw]


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else HERE.parents[3].parent / "shared" / "data" / "procedures.json"
    out = HERE / "procedures.json"
    out.write_text(json.dumps(convert(source), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
