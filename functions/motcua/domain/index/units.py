"""Units the index is computed for (the agency tree, effective-dated) and the catalogue figures per unit.

Levels: ``province`` (the province's People's Committee: the aggregate of every dossier), ``agency``
(departments and the provincial public administration service centre) and ``commune``. A dossier counts
for its agency and every ancestor of it on the day it was received (old dossiers keep their historical
units, docs/domain.md §8.2); the province root is always among them.

Pure: trees and catalogues are built from models or parsed JSON. :func:`load_default_tree` and
:func:`load_default_procedures` read the packaged seed files once (like the calendar's data files).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from motcua.domain.catalogue import Agency, Procedure
from motcua.domain.catalogue import Level as CatalogueLevel
from motcua.domain.index.config import Level
from motcua.domain.index.month import Month

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"

_LEVEL_OF_KIND: dict[str, Level] = {"province": "province", "department": "agency", "service_centre": "agency",
                                    "commune": "commune"}


class Unit(BaseModel):
    """One unit of one month's index."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    code: str
    name_vi: str
    level: Level
    parent: str | None = None


@dataclass(frozen=True)
class UnitTree:
    """The agency tree with effective dates; ``root`` is the province."""

    root: str
    agencies: Mapping[str, Agency]

    @classmethod
    def from_agencies(cls, agencies: Iterable[Agency]) -> UnitTree:
        by_code = {a.code: a for a in agencies}
        roots = [a.code for a in by_code.values() if a.kind == "province"]
        if len(roots) != 1:
            raise ValueError(f"the tree needs exactly one province, found {roots}")
        return cls(root=roots[0], agencies=by_code)

    @classmethod
    def from_seed(cls, raw: Mapping[str, Any]) -> UnitTree:
        """From the shape of ``motcua/seed/agencies.json``."""
        province = Agency(kind="province", **raw["province"])
        return cls.from_agencies([province, *(Agency(**a) for a in raw["agencies"])])

    def ancestry(self, code: str) -> tuple[str, ...]:
        """``code`` and its ancestors up to the province (always included, last). An unknown code still
        counts for itself and the province, so the province total is the aggregate of every dossier.

        Legacy units keep their own codes (closed with ``effective_to``), so a dossier of a pre-reform unit
        keeps counting for that unit: its ancestry never changes after the fact."""
        chain = [code]
        seen = {code}
        current = self.agencies.get(code)
        while current is not None and current.parent and current.parent not in seen:
            chain.append(current.parent)
            seen.add(current.parent)
            current = self.agencies.get(current.parent)
        if self.root not in seen:
            chain.append(self.root)
        return tuple(chain)

    def units_for(self, month: Month) -> list[Unit]:
        """Units in force at some point of ``month`` (rankings use the units that existed that month)."""
        first, last = month.start.date(), month.end.date()
        out = []
        for a in self.agencies.values():
            if (a.effective_from is None or a.effective_from <= last) and (a.effective_to is None
                                                                           or first <= a.effective_to):
                out.append(Unit(code=a.code, name_vi=a.name_vi, level=_LEVEL_OF_KIND[a.kind], parent=a.parent))
        level_order = {"province": 0, "agency": 1, "commune": 2}
        return sorted(out, key=lambda u: (level_order[u.level], u.code))


@dataclass(frozen=True)
class ProcedureTraits:
    """What the index needs to know about a dossier's procedure (from the catalogue)."""

    offers_online: bool
    has_fee: bool

    @classmethod
    def of(cls, procedure: Procedure) -> ProcedureTraits:
        return cls(offers_online=procedure.online.allowed, has_fee=procedure_has_fee(procedure))


def procedure_has_fee(procedure: Procedure) -> bool:
    """A fee or charge is payable: an amount above zero, or an amount the province sets."""
    fee = procedure.fee
    return fee.set_by_province or any(v > 0 for v in (fee.amounts_vnd or {}).values())


def procedure_is_complete(procedure: Procedure) -> bool:
    """Indicator 1.3 (UNSURE): the catalogue record has every content item the citizen needs."""
    return bool(procedure.name_vi and procedure.documents and procedure.time_limit and procedure.result
                and procedure.publishing_decision and (procedure.fee.text or procedure.fee.amounts_vnd is not None
                                                       or procedure.fee.set_by_province))


class CatalogueCounters(BaseModel):
    """Catalogue figures of one unit for one month. ``None`` means Motcua has no data for that figure."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    procedures: int = 0
    procedures_complete: int = 0
    procedures_online: int = 0
    online_codes: frozenset[str] = frozenset()
    fee_procedures: int = 0
    fee_procedures_online_payment: int | None = None
    online_payment_codes: frozenset[str] | None = None


def catalogue_counters(procedures: Iterable[Procedure], units: Iterable[Unit], month: Month, *,
                       online_payment_codes: Iterable[str] | None = None) -> dict[str, CatalogueCounters]:
    """Per unit: the procedures it handles in ``month`` and their traits.

    Commune-level procedures belong to every commune; department procedures to their competent agency;
    the province holds every procedure once. ``online_payment_codes``: procedures whose fees are integrated
    with the online payment platform (Motcua does not know it: ``None`` makes 3b.1 and 3b.2 "no data").
    """
    last_day = month.end.date()
    in_force = [p for p in procedures if p.effective_from <= last_day]
    unit_list = list(units)
    codes: dict[str, set[str]] = {u.code: set() for u in unit_list}
    communes = [u.code for u in unit_list if u.level == "commune"]
    provinces = [u.code for u in unit_list if u.level == "province"]
    for p in in_force:
        if p.competent_agency.kind == "commune" or p.level is CatalogueLevel.COMMUNE:
            holders = communes
        else:
            holders = [p.competent_agency.agency_code] if p.competent_agency.agency_code else []
        for code in (*holders, *provinces):
            if code in codes:
                codes[code].add(p.code)
    by_code = {p.code: p for p in in_force}
    integrated = None if online_payment_codes is None else frozenset(online_payment_codes)
    out: dict[str, CatalogueCounters] = {}
    for unit_code, held in codes.items():
        procs = [by_code[c] for c in sorted(held)]
        fee_codes = {p.code for p in procs if procedure_has_fee(p)}
        online = frozenset(p.code for p in procs if p.online.allowed)
        paid = None if integrated is None else frozenset(fee_codes & integrated)
        out[unit_code] = CatalogueCounters(
            procedures=len(procs),
            procedures_complete=sum(1 for p in procs if procedure_is_complete(p)),
            procedures_online=len(online),
            online_codes=online,
            fee_procedures=len(fee_codes),
            fee_procedures_online_payment=None if paid is None else len(paid),
            online_payment_codes=paid,
        )
    return out


@lru_cache(maxsize=1)
def load_default_tree() -> UnitTree:
    """The demo province's tree from the packaged seed (read once)."""
    return UnitTree.from_seed(json.loads((SEED_DIR / "agencies.json").read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def load_default_procedures() -> tuple[Procedure, ...]:
    """The 38 seed procedures (read once)."""
    raw = json.loads((SEED_DIR / "procedures.json").read_text(encoding="utf-8"))
    return tuple(Procedure.model_validate(p) for p in raw)


def traits_by_code(procedures: Iterable[Procedure]) -> dict[str, ProcedureTraits]:
    return {p.code: ProcedureTraits.of(p) for p in procedures}
