"""Scoring: from a month's counters per unit to every indicator, group totals, the total and the band.

Interfaces (pure):

* :func:`compute_index` ``(counters_by_unit, units, catalogue_counters, config)`` -> ``list[UnitIndex]``,
  one per unit in ``units`` order. ``counters_by_unit[unit]`` are the month's summed contributions
  (:mod:`.contribution`); ``catalogue_counters[unit]`` the catalogue figures (:func:`.units.catalogue_counters`).
* :func:`rank` ``(results, level)`` -> ``list[RankedUnit]``: standard competition ranking (1, 2, 2, 4) on
  the rounded total within one level; units that received no dossier that month are listed unranked.

Formulas (docs/domain.md §7.2, LIKELY): a plain ratio scores ``max x ratio``; a thresholded one
``min(max, max x ratio / threshold)``; 5.4 scores ``sat = 1 - (late + complaints or dislikes) / received``
thresholded at 90 %. Points are exact fractions until the end: the total, group totals and displayed points
are each rounded to 2 decimals (half up) from exact values, never from rounded ones.

Statuses: ``scored``; ``not_applicable`` (zero denominator: full marks at the levels the configuration
lists, commune by default, else 0 and left out of ``max_with_data``); ``no_data`` (Motcua does not record
the source: 0 points, never full marks). Feedback indicators (5.2, 5.3) score full marks when the unit had
no feedback at all; ``full_marks_reason`` records every full mark that is not earned by a ratio.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict

from motcua.domain.index import contribution as k
from motcua.domain.index.config import IndexConfig, IndicatorSpec, Level
from motcua.domain.index.month import Month
from motcua.domain.index.units import CatalogueCounters, Unit

Status = Literal["scored", "not_applicable", "no_data"]
FullMarksReason = Literal["no_feedback", "not_applicable_at_level"]


class IndicatorResult(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    id: str
    group: str
    name_vi: str
    name_en: str
    kind: str
    max_points: Decimal
    threshold: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    ratio: Decimal | None = None  # numerator / denominator, 4 decimals (display)
    value: Decimal | None = None  # 2.2: average working days, 2 decimals
    points: Decimal  # 2 decimals, rounded from the exact value
    status: Status
    full_marks_reason: FullMarksReason | None = None
    certainty: str
    details: dict[str, int] = {}
    # 2.1: late dossiers by the unit of the internal-procedure step that made them late (docs/domain.md §11.4);
    # dossiers without steps are not in it.
    late_by_step_unit: dict[str, int] = {}


class GroupResult(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    id: str
    name_vi: str
    max_points: Decimal
    points: Decimal
    in_total: bool


class UnitIndex(BaseModel):
    """One unit's index for one month: what ``GET /indexes/{month}/{unit}`` returns."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    month: str
    unit_code: str
    unit_name_vi: str
    level: Level
    config_version: str
    indicators: tuple[IndicatorResult, ...]
    groups: tuple[GroupResult, ...]
    total: Decimal  # out of 100, 2 decimals
    max_points: Decimal = Decimal(100)
    max_with_data: Decimal  # the points the unit could score from indicators that had data or applied
    normalised_total: Decimal | None = None  # 100 x total / max_with_data (informational)
    band_code: str | None = None
    band_label_vi: str | None = None
    dossiers_received: int

    def indicator(self, indicator_id: str) -> IndicatorResult:
        for r in self.indicators:
            if r.id == indicator_id:
                return r
        raise KeyError(indicator_id)

    @property
    def rankable(self) -> bool:
        return self.dossiers_received > 0


class RankedUnit(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    rank: int | None = None
    unit_code: str
    unit_name_vi: str
    level: Level
    total: Decimal
    band_label_vi: str | None = None


def round2(value: Fraction) -> Decimal:
    """Half-up to 2 decimals from an exact fraction (the one rounding step)."""
    return _round(value, 2)


def _round(value: Fraction, places: int) -> Decimal:
    scaled = value * 10**places
    sign = -1 if scaled < 0 else 1
    n = abs(scaled)
    q = int(n.numerator * 2 + n.denominator) // (2 * n.denominator)  # floor(n + 1/2)
    return Decimal(sign * q).scaleb(-places).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


_NO_DATA = None


def _measure(spec: IndicatorSpec, c: Mapping[str, int], cc: CatalogueCounters
             ) -> tuple[Fraction, int, dict[str, int]] | None:
    """(numerator, denominator, details) of an indicator; None when Motcua has no data for it. Every
    dossier-based figure is :func:`.contribution.tally` of the unit's counters: the same computation the
    explain route applies to each dossier it lists."""
    g = c.get
    i = spec.id
    if i == "1.1" or i == "1.2" or i == "4.2b":
        return _NO_DATA  # publication timeliness and certified copies are not recorded
    if i == "1.3":
        return Fraction(cc.procedures_complete), cc.procedures, {}
    if i == "3.1":
        return Fraction(cc.procedures_online), cc.procedures, {}
    if i == "3b.1":
        if cc.fee_procedures_online_payment is None:
            return _NO_DATA
        return Fraction(cc.fee_procedures_online_payment), cc.fee_procedures, {}
    if i in k.PROCEDURE_COUNTERS:
        if i == "3b.2" and cc.online_payment_codes is None:
            return _NO_DATA
        denominator = {"3.2": cc.procedures_online, "3b.2": len(cc.online_payment_codes or ()),
                       "4.5b": cc.procedures}[i]
        return Fraction(k.tally(c, i, cc)[0]), denominator, {}
    if i not in k.INDICATOR_COUNTERS:
        raise ValueError(f"no formula for indicator {i}")
    numerator, denominator = k.tally(c, i, cc)
    if i == "1.4" and not denominator:
        # Only the national portal's sync record says whether a dossier was synchronised: a dossier without
        # one is no data (until the national connectors write it), never 0 and never full marks.
        return _NO_DATA
    if i == "2.1":
        return Fraction(numerator), denominator, {
            "early": g(k.EARLY, 0), "on_time": g(k.ON_TIME, 0), "late": g(k.LATE, 0),
            "open_at_month_end": g(k.OPEN, 0), "late_second_supplement": g(k.LATE_SECOND_SUPPLEMENT, 0)}
    if i == "2.2":  # the average over the finished dossiers
        return Fraction(g(k.PROCESSING_MICRODAYS, 0), 1_000_000), denominator, {}
    if i == "3.3":
        return Fraction(numerator), denominator, {"received_online": g(k.RECEIVED_ONLINE, 0)}
    if i == "5.4":
        # sat = 100% - (late share + complaint/dislike share), never below zero: the tally counts against.
        return Fraction(max(0, denominator - numerator)), denominator, {
            "late": g(k.LATE, 0), "complaint_or_dislike": g(k.COMPLAINT_OR_DISLIKE, 0)}
    if i == "S.1":
        return Fraction(numerator), denominator, {
            "very_satisfied": g(k.EVALUATION_VERY_SATISFIED, 0), "satisfied": g(k.EVALUATION_SATISFIED, 0),
            "dissatisfied": g(k.EVALUATION_DISSATISFIED, 0), "evaluation_points": g(k.EVALUATION_POINTS, 0)}
    return Fraction(numerator), denominator, {}


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) if value.denominator == 1 else _round(value, 6).normalize()


def _score(spec: IndicatorSpec, level: Level, c: Mapping[str, int], cc: CatalogueCounters,
           config: IndexConfig) -> tuple[IndicatorResult, Fraction, bool]:
    """The result, its exact points, and whether it counts in ``max_with_data``."""
    maximum = Fraction(spec.max_points)
    base = {"id": spec.id, "group": spec.group, "name_vi": spec.name_vi, "name_en": spec.name_en,
            "kind": spec.kind, "max_points": spec.max_points, "threshold": spec.threshold,
            "certainty": spec.certainty}
    if spec.id == "2.1":  # which unit's step made the late dossiers late: the same counters the route reads
        base["late_by_step_unit"] = k.late_step_units(c)
    measured = None if spec.source in config.unavailable_sources else _measure(spec, c, cc)
    if measured is None:
        return IndicatorResult(**base, points=Decimal("0.00"), status="no_data"), Fraction(0), False
    num, den, details = measured
    if spec.full_marks_without_feedback and c.get(k.FEEDBACK_RECEIVED, 0) == 0:
        return (IndicatorResult(**base, numerator=Decimal(0), denominator=Decimal(0), points=round2(maximum),
                                status="scored", full_marks_reason="no_feedback", details=details),
                maximum, True)
    if den == 0:
        full = level in config.not_applicable_full_marks_levels
        points = maximum if full else Fraction(0)
        return (IndicatorResult(**base, numerator=_decimal(num), denominator=Decimal(0), points=round2(points),
                                status="not_applicable",
                                full_marks_reason="not_applicable_at_level" if full and maximum else None,
                                details=details), points, full)
    ratio = num / den
    if spec.kind == "ratio":
        points = maximum * ratio
    elif spec.kind in ("threshold", "satisfaction"):
        assert spec.threshold is not None
        points = min(maximum, maximum * ratio / Fraction(spec.threshold))
    else:  # info
        points = Fraction(0)
    value = round2(ratio) if spec.id == "2.2" else None
    return (IndicatorResult(**base, numerator=_decimal(num), denominator=Decimal(den),
                            ratio=None if spec.id == "2.2" else _round(ratio, 4), value=value,
                            points=round2(points), status="scored", details=details), points, True)


def compute_index(counters_by_unit: Mapping[str, Mapping[str, int]], units: Sequence[Unit],
                  catalogue_counters: Mapping[str, CatalogueCounters], config: IndexConfig, *,
                  month: Month | str = "") -> list[UnitIndex]:
    """Every indicator, group total, total out of 100 and band, for each unit (see the module docstring)."""
    in_total = {g.id for g in config.groups if g.in_total}
    results = []
    for unit in units:
        c = counters_by_unit.get(unit.code, {})
        cc = catalogue_counters.get(unit.code, CatalogueCounters())
        indicator_results = []
        exact: dict[str, Fraction] = {}
        max_with_data = Fraction(0)
        for spec in config.indicators:
            result, points, counts = _score(spec, unit.level, c, cc, config)
            indicator_results.append(result)
            exact[spec.group] = exact.get(spec.group, Fraction(0)) + points
            if counts and spec.group in in_total:
                max_with_data += Fraction(spec.max_points)
        total = sum((exact.get(g, Fraction(0)) for g in in_total), Fraction(0))
        normalised = total * 100 / max_with_data if max_with_data else None
        basis = total if config.band_basis == "total" else normalised
        band = config.band_for(round2(basis)) if basis is not None else None
        results.append(UnitIndex(
            month=str(month), unit_code=unit.code, unit_name_vi=unit.name_vi, level=unit.level,
            config_version=config.version, indicators=tuple(indicator_results),
            groups=tuple(GroupResult(id=g.id, name_vi=g.name_vi, max_points=g.max_points,
                                     points=round2(exact.get(g.id, Fraction(0))), in_total=g.in_total)
                         for g in config.groups),
            total=round2(total), max_with_data=round2(max_with_data),
            normalised_total=None if normalised is None else round2(normalised),
            band_code=band.code if band else None, band_label_vi=band.label_vi if band else None,
            dossiers_received=c.get(k.RECEIVED, 0)))
    return results


def rank(results: Iterable[UnitIndex], level: Level) -> list[RankedUnit]:
    """Standard competition ranking within ``level`` on the displayed (rounded) total: equal totals share a
    rank and the next rank skips (1, 2, 2, 4). Units with no dossier received that month are unranked."""
    at_level = [r for r in results if r.level == level]
    ranked = sorted((r for r in at_level if r.rankable), key=lambda r: (-r.total, r.unit_code))
    out: list[RankedUnit] = []
    position = 0
    for n, r in enumerate(ranked, start=1):
        if n == 1 or r.total != ranked[n - 2].total:
            position = n  # a new total takes its place in the list; equal totals keep the shared rank
        out.append(RankedUnit(rank=position, unit_code=r.unit_code, unit_name_vi=r.unit_name_vi, level=r.level,
                              total=r.total, band_label_vi=r.band_label_vi))
    for r in sorted((r for r in at_level if not r.rankable), key=lambda r: r.unit_code):
        out.append(RankedUnit(rank=None, unit_code=r.unit_code, unit_name_vi=r.unit_name_vi, level=r.level,
                              total=r.total, band_label_vi=r.band_label_vi))
    return out
