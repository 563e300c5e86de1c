"""The month's open data: every unit's figures as JSON and CSV (aggregates only: no dossier, no person)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping

from motcua.domain.index import config_for
from motcua.service.index.month import Computation, StoredUnit


def open_data_json(c: Computation, stored: Mapping[str, StoredUnit]) -> str:
    """Every unit's figures (aggregates only: no dossier, no person)."""
    return json.dumps({
        "month": str(c.month), "computed_at": c.computed_at.isoformat(), "source": c.source,
        "config_version": config_for(c.month).version,
        "units": [{"rank": stored[r.unit_code].rank, **r.model_dump(mode="json")} for r in c.results],
    }, ensure_ascii=False, indent=1)


CSV_COLUMNS = ("month", "unit_code", "unit_name_vi", "level", "rank", "total", "band", "indicator_id",
               "indicator_name_vi", "numerator", "denominator", "ratio", "value", "points", "max_points", "status",
               "full_marks_reason")


def open_data_csv(c: Computation, stored: Mapping[str, StoredUnit]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in c.results:
        for i in r.indicators:
            writer.writerow([str(c.month), r.unit_code, r.unit_name_vi, r.level, stored[r.unit_code].rank, r.total,
                             r.band_label_vi or "", i.id, i.name_vi, text(i.numerator), text(i.denominator),
                             text(i.ratio), text(i.value), i.points, i.max_points, i.status,
                             i.full_marks_reason or ""])
    return out.getvalue()


def text(value: object) -> str:
    """A figure as a cell: empty when there is none."""
    return "" if value is None else str(value)
