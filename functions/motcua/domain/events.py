"""Every event Motcua emits, in one envelope: id, type, version, source, correlation id, occurred_at, data.

Events carry identifiers and statuses, never personal data: a consumer that needs the citizen's contact
details reads the dossier (and that read is audited).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from motcua.domain.status import StatusView

T = TypeVar("T", bound=BaseModel)

EventType = Literal[
    "dossier.status_changed",
    "dossier.apology_issued",
    "dossier.sla_warning",
    "dossier.sla_breached",
    "dossier.step_warning",
    "dossier.step_overdue",
    "dossier.step_escalated",
    "feedback.status_changed",
    "feedback.sla_warning",
    "feedback.sla_breached",
]


class Event(BaseModel):
    """What every event model is: immutable, closed to unknown fields, its validator built on first use."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class EventEnvelope(Event, Generic[T]):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    type: EventType
    version: int = 1
    source: str = "motcua"
    correlation_id: str | None = None
    occurred_at: datetime
    data: T


class StatusChanged(Event):
    dossier_id: str
    receipt_code: str
    procedure_code: str
    procedure_name_vi: str
    agency_code: str
    action: str
    from_status: StatusView | None
    to_status: StatusView
    appointment_at: datetime
    history_event_id: str
    # The dossier's version after the change (the national portal sync is idempotent per dossier and version);
    # absent from envelopes written before it was added.
    dossier_version: int | None = None


class ApologyIssued(Event):
    dossier_id: str
    receipt_code: str
    agency_code: str
    reason: str
    original_appointment_at: datetime
    new_appointment_at: datetime
    letter_key: str | None = None


class SlaTimerFired(Event):
    dossier_id: str
    receipt_code: str
    agency_code: str
    kind: str  # "warn_2wd", "warn_1wd", "last_day", "breach"
    due_at: datetime


class FeedbackChanged(Event):
    """A step on a citizen's feedback: identifiers and statuses only, no content, no person."""

    feedback_id: str
    agency_code: str
    dossier_id: str | None = None
    category: str
    action: str
    from_status: str | None
    to_status: str
    next_due_at: datetime | None = None  # the deadline of the step now owed (handling, publication)
    history_event_id: str


class FeedbackTimerFired(Event):
    feedback_id: str
    agency_code: str
    dossier_id: str | None = None
    step: str  # "refuse", "handle", "publish"
    kind: str  # "warn_2wd", "warn_1wd", "last_day", "breach"
    due_at: datetime


# --- internal-procedure steps (docs/domain.md §11.4) ------------------------------------------------------
# The ``details`` of the step history events (actions ``step_enter``, ``step_assign``, ``step_reassign``,
# ``step_complete``, ``step_alert`` of ``motcua.domain.actions``), one model each: the trail is what the
# control slip (Form 06) and the index's step lateness are built from, so these carry every fact they need.


class StepEntered(Event):
    """The dossier entered a step (at reception, and at every hand-over)."""

    seq: int
    step_code: str
    name_vi: str
    unit: str
    role: str
    agency_code: str
    status: int  # the portal status the step is a sub-state of
    interagency: bool = False
    entered_at: datetime
    due_at: datetime | None  # None: no budget (a paused status)
    budget_hours: str | None  # decimal text
    continues_seq: int | None = None
    process_version: int
    process_agency: str | None = None
    from_seq: int | None = None  # the step it was handed over from; None at reception


class StepAssigned(Event):
    """A step's officers named (``step_assign``) or changed (``step_reassign``: the previous ones kept)."""

    seq: int
    step_code: str
    unit: str
    agency_code: str
    lead: str | None  # None: nobody of the role at the agency yet (the leaders are told instead)
    supporting: tuple[str, ...] = ()
    rule: str  # AssignmentRule
    previous_lead: str | None = None
    previous_supporting: tuple[str, ...] = ()
    reason: str | None = None


class StepCompleted(Event):
    """A step done: one hand-over row of the control slip (from unit/giver to unit/receiver, time, verdict)."""

    seq: int
    step_code: str
    unit: str
    agency_code: str
    giver: str | None  # the step's lead (the one who hands over)
    completed_by: str  # who took the action (the lead, a supporting officer or a leader)
    entered_at: datetime
    due_at: datetime | None
    completed_at: datetime
    verdict: str | None  # "early" / "on_time" / "late" (clock.timeliness); None: the step had no budget
    hours_left: str | None  # decimal text, 0 when late
    action: str  # the definition's action code
    to_seq: int | None = None
    to_step: str | None = None
    to_unit: str | None = None
    to_agency_code: str | None = None
    receiver: str | None = None  # the next step's lead
    to_status: int | None = None  # the portal status after the action


class StepTimerFired(Event):
    """A step notice: coming due (warning), overdue, or escalated to the unit's leaders (``step_alert``)."""

    dossier_id: str
    receipt_code: str
    agency_code: str
    seq: int
    step_code: str
    unit: str
    kind: str  # "step_warning", "step_overdue", "step_escalated"
    due_at: datetime
    recipients: tuple[str, ...]  # subjects told: the assignees, or the agency's leaders on escalation


# Parametrised once, here: pydantic builds a generic's concrete class on use, milliseconds each time.
StatusChangedEnvelope = EventEnvelope[StatusChanged]
ApologyIssuedEnvelope = EventEnvelope[ApologyIssued]
SlaTimerEnvelope = EventEnvelope[SlaTimerFired]
StepTimerEnvelope = EventEnvelope[StepTimerFired]
