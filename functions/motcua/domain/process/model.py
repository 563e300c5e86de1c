"""One internal procedure (*quy trình nội bộ*): its steps, their time budgets and the actions between them.

docs/domain.md §11.1. A step is a sub-state of exactly one portal status code (§2.1); an action leads to
another step or ends the dossier in a terminal status. Liên thông steps at another agency are steps with
their own ``agency`` (§3.4). The shape is checked here; the legal rules are ``motcua.domain.process.rules``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from motcua.domain.actors import OFFICIAL_ROLES, Role
from motcua.domain.calendar import OfficeHours
from motcua.domain.catalogue import AgencyCode, Channel, ProcedureCode
from motcua.domain.model import StrictModel
from motcua.domain.status import DossierStatus

StepCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,31}$", examples=["TIEP_NHAN"])]
Mark = Literal["CONFIRMED", "LIKELY", "UNSURE"]

# A working day of the default office sessions, in working hours (7.5 h: docs/domain.md §5.4). Budgets in
# days and hours are compared on this scale; an agency with other sessions has its own day (UNSURE, §11.3).
HOURS_PER_WORKING_DAY = Decimal(OfficeHours().seconds_per_day) / 3600


class _Frozen(StrictModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", populate_by_name=True, frozen=True)


class BudgetUnit(StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"


class Budget(_Frozen):
    """A step's share of the legal time limit, on the one working-day clock (docs/domain.md §4.5)."""

    value: Decimal = Field(gt=0, le=3650, description="Amount in `unit`; fractional for half days")
    unit: BudgetUnit

    def in_hours(self) -> Decimal:
        return self.value * HOURS_PER_WORKING_DAY if self.unit is BudgetUnit.WORKING_DAYS else self.value


class Action(_Frozen):
    """What an official may do at a step: hand over to ``to_step``, or end the dossier in ``to_status``."""

    code: StepCode
    name_vi: str = Field(min_length=1)
    to_step: StepCode | None = None
    to_status: DossierStatus | None = Field(default=None, description="A terminal status (3, 8 or 10)")

    @model_validator(mode="after")
    def _one_target(self) -> Action:
        if (self.to_step is None) == (self.to_status is None):
            raise ValueError(f"action {self.code}: give exactly one of to_step and to_status")
        return self


class Step(_Frozen):
    code: StepCode
    name_vi: str = Field(min_length=1)
    unit: str = Field(min_length=1, description="The unit that holds the dossier (bộ phận, phòng, cơ quan)")
    role: Role = Field(description="The official role that acts at this step")
    status: DossierStatus = Field(description="The portal status this step is a sub-state of")
    budget: Budget | None = Field(
        default=None, description="None only where the clock stands still or a step carries on another's")
    interagency: bool = Field(default=False, description="A liên thông step, done at another agency")
    agency: AgencyCode | None = Field(
        default=None, description="That agency's code where the agency tree has it; None: not in the tree")
    continues: StepCode | None = Field(
        default=None, description="Carries on this earlier step on what is left of its budget (after a pause)")
    actions: tuple[Action, ...] = ()
    assignment: Literal["round_robin", "least_loaded", "previous_step"] | None = Field(
        default=None, description="How the lead officer is chosen on entry (docs/domain.md §11.4); None: the "
        "continued step's officer for a continuation, else the least loaded")

    @model_validator(mode="after")
    def _official(self) -> Step:
        if self.role not in OFFICIAL_ROLES:
            raise ValueError(f"step {self.code}: role must be one of {sorted(OFFICIAL_ROLES)}")
        codes = [a.code for a in self.actions]
        if len(set(codes)) != len(codes):
            raise ValueError(f"step {self.code}: action codes must be unique")
        return self


class Source(_Frozen):
    title: str
    url: str | None = None
    note: str | None = None


class ProcessDefinition(_Frozen):
    """One version of one procedure's internal procedure at one agency (``agency=None``: the default)."""

    procedure_code: ProcedureCode
    agency: AgencyCode | None = None
    version: int = Field(ge=1)
    effective_from: AwareDatetime
    name_vi: str = Field(min_length=1)
    channels: frozenset[Channel] | None = Field(
        default=None, description="The channels this definition serves; None: every channel the procedure accepts")
    start: StepCode
    steps: tuple[Step, ...] = Field(min_length=1)
    mark: Mark = "UNSURE"
    sources: tuple[Source, ...] = ()
    notes: tuple[str, ...] = ()
    generated: bool = Field(default=False, description="The generated default, not a published procedure")

    @model_validator(mode="after")
    def _unique_steps(self) -> ProcessDefinition:
        codes = [s.code for s in self.steps]
        if len(set(codes)) != len(codes):
            raise ValueError("step codes must be unique")
        return self

    def step(self, code: str) -> Step | None:
        return next((s for s in self.steps if s.code == code), None)

    @property
    def key(self) -> tuple[str, str | None, int]:
        return (self.procedure_code, self.agency, self.version)
