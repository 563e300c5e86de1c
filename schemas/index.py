"""API shapes of the monthly index (docs/index.md): rankings, one unit's figures, the dossiers behind a figure.

The figures themselves are the pure package's models (``UnitIndex``, ``RankedUnit``): the API returns what
the job computed and stored, field for field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from motcua.domain.index.compute import RankedUnit, UnitIndex
from motcua.domain.index.config import Level
from schemas.common import ApiModel

Source = Literal["incremental", "recompute"]


class ReportLinks(ApiModel):
    """Object keys in the reports bucket (open data and the HTML report)."""

    html: str
    json_data: str = Field(alias="json")
    csv: str


class IndexMonth(ApiModel):
    """``GET /indexes/{month}``: the month's rankings within each level, and how they were computed."""

    month: str = Field(examples=["2026-09"])
    computed_at: datetime
    source: Source = Field(description="incremental: from the per-unit counters; recompute: from every dossier's "
                                       "history (`motcua index --recompute`)")
    provisional: bool = Field(description="Computed before the month ended: the figures may still change")
    config_version: str
    rankings: dict[Level, list[RankedUnit]]
    province: UnitIndex | None = Field(default=None, description="The province's figures (the aggregate of all)")
    late_dossiers: int = Field(description="Late dossiers received in the month (listed in the HTML report)")
    reports: ReportLinks | None = None


class UnitIndexView(ApiModel):
    """``GET /indexes/{month}/{unit}``: every indicator with numerator, denominator, points and status."""

    month: str
    rank: int | None = Field(default=None, description="Rank within the unit's level; null when it received no dossier")
    ranked_units: int = Field(description="Units ranked at this level")
    computed_at: datetime
    source: Source
    result: UnitIndex


class IndexDossier(ApiModel):
    """One dossier behind a figure: receipt code and unit only, never personal data."""

    receipt_code: str
    agency_code: str
    procedure_code: str
    role: Literal["numerator", "denominator"] = Field(
        description="numerator (which implies the denominator) or only the denominator. For 5.4 the numerator "
                    "lists the dossiers counted AGAINST satisfaction (late, complained about or disliked).")
    late_step: LateStepView | None = Field(
        default=None, description="A late dossier of an internal procedure: the step (and its unit) it was late at, "
                                  "what 2.1's late_by_step_unit counts it under")


class LateStepView(ApiModel):
    """The internal-procedure step a late dossier was late at (docs/domain.md §11.4)."""

    unit: str = Field(description="The step's unit, as its definition names it")
    step_code: str


class IndexFeedback(ApiModel):
    """One feedback about a procedure or an agency behind a 5.1-5.3 figure: no dossier carries it, so it is
    listed by its id (what the officials open it by), never with its text or its author."""

    feedback_id: str
    about: Literal["procedure", "agency"]
    agency_code: str = Field(description="The responsible agency the feedback counts for")
    procedure_code: str | None = Field(default=None, description="The procedure it is about (about=procedure)")
    role: Literal["numerator", "denominator"] = Field(
        description="numerator (which implies the denominator) or only the denominator")


class IndexDossiers(ApiModel):
    """``GET /indexes/{month}/{unit}/{indicator}/dossiers``: the receipt codes behind one figure."""

    month: str
    unit_code: str
    indicator_id: str
    basis: Literal["dossiers", "catalogue", "no_data"] = Field(
        description="catalogue / no_data indicators have no dossiers behind them")
    numerator: str | None = Field(default=None, description="The stored figure's numerator, for cross-checking")
    denominator: str | None = None
    items: list[IndexDossier]
    feedback: list[IndexFeedback] = Field(
        default_factory=list,
        description="5.1-5.3 only: feedback about a procedure or an agency behind the figure (feedback about a "
                    "dossier is listed in `items` by the dossier's receipt code). A page holds up to `limit` "
                    "entries of `items` and `feedback` together.")
    next_token: str | None = None
