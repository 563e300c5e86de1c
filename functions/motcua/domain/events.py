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
    "feedback.status_changed",
    "feedback.sla_warning",
    "feedback.sla_breached",
]


class EventEnvelope(BaseModel, Generic[T]):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    type: EventType
    version: int = 1
    source: str = "motcua"
    correlation_id: str | None = None
    occurred_at: datetime
    data: T


class StatusChanged(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

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


class ApologyIssued(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    dossier_id: str
    receipt_code: str
    agency_code: str
    reason: str
    original_appointment_at: datetime
    new_appointment_at: datetime
    letter_key: str | None = None


class SlaTimerFired(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    dossier_id: str
    receipt_code: str
    agency_code: str
    kind: str  # "warn_2wd", "warn_1wd", "last_day", "breach"
    due_at: datetime


class FeedbackChanged(BaseModel):
    """A step on a citizen's feedback: identifiers and statuses only, no content, no person."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    feedback_id: str
    agency_code: str
    dossier_id: str | None = None
    category: str
    action: str
    from_status: str | None
    to_status: str
    next_due_at: datetime | None = None  # the deadline of the step now owed (handling, publication)
    history_event_id: str


class FeedbackTimerFired(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    feedback_id: str
    agency_code: str
    dossier_id: str | None = None
    step: str  # "refuse", "handle", "publish"
    kind: str  # "warn_2wd", "warn_1wd", "last_day", "breach"
    due_at: datetime


# Parametrised once, here: pydantic builds a generic's concrete class on use, milliseconds each time.
StatusChangedEnvelope = EventEnvelope[StatusChanged]
ApologyIssuedEnvelope = EventEnvelope[ApologyIssued]
SlaTimerEnvelope = EventEnvelope[SlaTimerFired]
