"""A dossier's passage through its internal procedure: the definition pinned at reception and one
:class:`StepInstance` per step entered, in order (docs/domain.md §11.4).

Pure records: what the workflow writes on the dossier and the history events repeat (``motcua.domain.events``:
``StepEntered``, ``StepAssigned``, ``StepCompleted``, ``StepTimerFired``). The rules that create and close them are
``motcua.domain.process.passage``.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from motcua.domain import clock
from motcua.domain.actors import Role
from motcua.domain.clock import Timeliness
from motcua.domain.status import DossierStatus


class AssignmentRule(StrEnum):
    """How a step's lead officer was chosen (docs/domain.md §11.4)."""

    ROUND_ROBIN = "round_robin"  # the agency's officers of the step's role, in turn
    LEAST_LOADED = "least_loaded"  # the one of them with the fewest open steps
    PREVIOUS_STEP = "previous_step"  # the lead of the step it continues, else of the step just completed
    MANUAL = "manual"  # named by an official (assign, reassign)


class _Record(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class ProcessPin(_Record):
    """The definition a dossier follows, chosen at reception and kept (effective-dated, docs/domain.md §11.3)."""

    procedure_code: str
    agency: str | None = None  # None: the procedure's default definition
    version: int
    generated: bool = False  # the generated default split of the legal limit


class StepInstance(_Record):
    """One step as the dossier went through it: where, who, its due time on the one clock, and its verdict."""

    seq: int = Field(ge=1, description="Order of entry on this dossier, from 1")
    code: str
    name_vi: str
    unit: str
    role: Role
    status: DossierStatus  # the portal status this step is a sub-state of
    agency_code: str  # the agency that does the step (the dossier's handling agency, or a liên thông step's own)
    interagency: bool = False
    entered_at: datetime
    # The step's share of the legal limit in working hours, and its due time on the one clock
    # (docs/domain.md §4.5). None: a step in a paused status (its clock stands still, §4.4).
    budget_hours: Decimal | None = None
    due_at: datetime | None = None
    continues_seq: int | None = None  # the earlier step whose remaining time this one carries on
    lead: str | None = None  # the officer responsible (subject)
    supporting: tuple[str, ...] = ()
    assigned_by: AssignmentRule | None = None
    assigned_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    action: str | None = None  # the definition's action taken at completion
    verdict: Timeliness | None = None  # trước hạn / đúng hạn / quá hạn, by clock.timeliness; None: no budget
    hours_left: Decimal | None = None  # at completion: working hours left of the budget (0 when late)
    # Step notices already sent, as "<kind>@<due_at ISO>" (exactly once per due time, like Dossier.sla_fired).
    alerts: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.completed_at is None

    @property
    def officers(self) -> tuple[str, ...]:
        return (self.lead, *self.supporting) if self.lead else self.supporting


def current_step(steps: tuple[StepInstance, ...]) -> StepInstance | None:
    """The open step: the last one entered, while not completed."""
    return steps[-1] if steps and steps[-1].is_open else None


# --------------------------------------------------------------------------------------------------------
# Step notices (docs/domain.md §11.4): coming due, overdue, escalated. Pure: instants from the one clock.

STEP_WARNING = "step_warning"
STEP_OVERDUE = "step_overdue"
STEP_ESCALATED = "step_escalated"
STEP_ALERT_KINDS = (STEP_WARNING, STEP_OVERDUE, STEP_ESCALATED)


@dataclass(frozen=True)
class StepAlertPolicy:
    """When a step's notices fall (UNSURE: no text prescribes them; configurable per deployment).

    ``warn_share``: the warning when this share of the step's budget is left (0.2: a 10-hour step is warned
    2 working hours before its due time); ``escalate_after_hours``: working hours after the due time at which
    an open step is escalated to the agency's leaders."""

    warn_share: Decimal = Decimal("0.2")
    escalate_after_hours: Decimal = Decimal("4")

    def __post_init__(self) -> None:
        if not Decimal(0) < self.warn_share < Decimal(1) or not Decimal(0) < self.escalate_after_hours <= 400:
            raise ValueError("step alerts: need 0 < warn_share < 1 and 0 < escalate_after_hours <= 400")


@dataclass(frozen=True)
class StepTimer:
    kind: str
    at: datetime
    seq: int
    due_at: datetime

    @property
    def key(self) -> str:
        """``<kind>@<due_at>``: once per step and due time (kept in ``StepInstance.alerts``)."""
        return f"{self.kind}@{self.due_at.astimezone(UTC).isoformat()}"


def _hours(value: Decimal) -> clock.TimeLimit:
    return clock.TimeLimit(value=value, unit=clock.TimeUnit.WORKING_HOURS)


def step_timers(step: StepInstance, policy: StepAlertPolicy) -> list[StepTimer]:
    """The open step's notices not yet sent, in time order; none for a step without a due time."""
    if not step.is_open or step.due_at is None or step.budget_hours is None:
        return []
    agency = step.agency_code
    due = step.due_at
    before = (step.budget_hours * (1 - policy.warn_share)).quantize(Decimal("0.01"))
    points = []
    if before > 0:  # a step with nothing left at entry is overdue at once: no warning
        warn_at = clock.deadline_for(_hours(before), step.entered_at, agency=agency)
        if step.entered_at < warn_at < due:
            points.append(StepTimer(STEP_WARNING, warn_at, step.seq, due))
    points.append(StepTimer(STEP_OVERDUE, due, step.seq, due))
    points.append(StepTimer(STEP_ESCALATED, clock.deadline_for(_hours(policy.escalate_after_hours), due,
                                                               agency=agency), step.seq, due))
    return [t for t in points if t.key not in step.alerts]


def due_step_timers(steps: tuple[StepInstance, ...], now: datetime, policy: StepAlertPolicy) -> list[StepTimer]:
    """The open step's notices due at ``now`` (each is sent, none supersedes another: the officers' and the
    leaders' notices are different people's)."""
    step = current_step(steps)
    return [t for t in step_timers(step, policy) if t.at <= now] if step is not None else []


def next_step_timer(steps: tuple[StepInstance, ...], policy: StepAlertPolicy) -> StepTimer | None:
    step = current_step(steps)
    pending = step_timers(step, policy) if step is not None else []
    return pending[0] if pending else None
