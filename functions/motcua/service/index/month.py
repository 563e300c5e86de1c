"""A computed month: its figures, as stored per unit and for the whole month, and the catalogue figures the
job and the API's reads both take (the payment platform's list of integrated procedures)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from motcua.data.index_store import IndexRepository
from motcua.domain.catalogue import Procedure
from motcua.domain.index import CatalogueCounters, LateDossier, Month, RankedUnit, Unit, UnitIndex, catalogue_counters

ONLINE_PAYMENT_SETTING = "ONLINE_PAYMENT"


def month_catalogue(store: IndexRepository, procedures: Sequence[Procedure], units: Sequence[Unit], month: Month
                    ) -> dict[str, CatalogueCounters]:
    """The units' catalogue figures for ``month``, with the payment platform's list of integrated procedures
    if anyone stored it (else 3b.1/3b.2 say "no data"): what the figures and the explain route both read."""
    raw = store.setting(ONLINE_PAYMENT_SETTING)
    return catalogue_counters(procedures, units, month,
                              online_payment_codes=None if raw is None else frozenset(json.loads(raw)))


class StoredUnit(BaseModel):
    """One unit's stored result (``INDEX#<month>`` / ``UNIT#<code>``)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    rank: int | None
    ranked_units: int
    computed_at: datetime
    source: Literal["incremental", "recompute"]
    result: UnitIndex


class StoredSummary(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    month: str
    computed_at: datetime
    source: Literal["incremental", "recompute"]
    provisional: bool
    config_version: str
    rankings: dict[str, list[RankedUnit]]
    late_dossiers: int
    dossiers_received: int
    reports: dict[str, str] | None = None


@dataclass
class Computation:
    month: Month
    counters: dict[str, dict[str, int]]  # per unit (ancestors included)
    results: list[UnitIndex]
    rankings: dict[str, list[RankedUnit]]
    late: list[LateDossier]
    source: Literal["incremental", "recompute"]
    computed_at: datetime
    dossiers: int | None = None  # recompute: dossiers touching the month
    feedback: int | None = None  # recompute: feedback about a procedure or an agency received in the month
