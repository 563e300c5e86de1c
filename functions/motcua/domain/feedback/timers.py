"""The feedback's timers, through the SLA mechanism (``motcua.domain.sla``): one deadline per step the agency
still owes, its warning points and breach, and their firing (see the package's docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from motcua.domain import sla
from motcua.domain.calendar import WorkingCalendar
from motcua.domain.events import EventEnvelope, FeedbackTimerFired
from motcua.domain.feedback import (
    Feedback,
    FeedbackEvent,
    FeedbackStatus,
    FeedbackStep,
)
from motcua.domain.feedback.steps import deadlines, stable_id
from motcua.domain.sla import SLA_BREACH_ACTION, SLA_WARNING_ACTION


@dataclass(frozen=True)
class StepTimer:
    step: FeedbackStep
    timer: sla.Timer

    @property
    def at(self) -> datetime:
        return self.timer.at

    @property
    def key(self) -> str:
        return f"{self.step.value}.{self.timer.key}"

    @property
    def is_breach(self) -> bool:
        return self.timer.is_breach


def owed_steps(fb: Feedback, *, calendar: WorkingCalendar | None = None) -> list[tuple[FeedbackStep, datetime,
                                                                                        datetime]]:
    """(step, clock start, due) of each step the agency still owes."""
    d = deadlines(fb, calendar=calendar)
    if fb.status is FeedbackStatus.RECEIVED:
        return [(FeedbackStep.REFUSE, fb.received_at, d.refuse_by), (FeedbackStep.HANDLE, fb.received_at, d.handle_by)]
    if fb.status in (FeedbackStatus.INFO_REQUESTED, FeedbackStatus.IN_PROGRESS):
        return [(FeedbackStep.HANDLE, fb.received_at, d.handle_by)]
    if fb.status is FeedbackStatus.ANSWERED and fb.answer is not None and fb.answer.public:
        assert d.publish_by is not None
        return [(FeedbackStep.PUBLISH, fb.answer.answered_at, d.publish_by)]
    return []


def timers_for(fb: Feedback, policy: sla.SlaPolicy | None = None, *,
               calendar: WorkingCalendar | None = None) -> list[StepTimer]:
    """Every timer of the steps still owed, fired or not, in time order."""
    policy = policy or sla.sla_config().feedback
    out = [StepTimer(step, t) for step, start, due in owed_steps(fb, calendar=calendar)
           for t in sla.warning_points(start, due, fb.agency_code, policy, calendar)]
    out.sort(key=lambda t: t.at)
    return out


def pending_timers(fb: Feedback, policy: sla.SlaPolicy | None = None, *,
                   calendar: WorkingCalendar | None = None) -> list[StepTimer]:
    fired = set(fb.sla_fired)
    return [t for t in timers_for(fb, policy, calendar=calendar) if t.key not in fired]


def next_timer(fb: Feedback, now: datetime, policy: sla.SlaPolicy | None = None, *,
               calendar: WorkingCalendar | None = None) -> StepTimer | None:
    return sla.next_of(pending_timers(fb, policy, calendar=calendar), now)


def index_keys(fb: Feedback, config: sla.SlaConfig | None = None) -> tuple[str, str] | None:
    """The feedback's entry in the timers index (``gsi4``, shared with dossiers), or None to leave it out."""
    config = config or sla.sla_config()
    timer = next_timer(fb, fb.updated_at, config.feedback)
    return None if timer is None else sla.timer_index_keys(fb.id, timer.at, config.shards)


@dataclass(frozen=True)
class FeedbackFiring:
    timer: StepTimer
    superseded: tuple[StepTimer, ...]
    feedback: Feedback  # version + 1
    event: FeedbackEvent
    envelope: EventEnvelope[FeedbackTimerFired]


def fire(fb: Feedback, now: datetime, policy: sla.SlaPolicy | None = None, *,
         calendar: WorkingCalendar | None = None, correlation_id: str | None = None) -> FeedbackFiring | None:
    """The firing of the feedback's due timers at ``now`` (the latest fires, earlier ones are superseded), or
    None; decided on the record passed in, written guarded by its version."""
    selected = sla.select_due(pending_timers(fb, policy, calendar=calendar), now)
    if selected is None:
        return None
    timer, superseded = selected
    changed = fb.model_copy(update={"sla_fired": (*fb.sla_fired, *(t.key for t in (*superseded, timer))),
                                    "version": fb.version + 1, "updated_at": now})
    seed = f"{fb.id}:{timer.key}"
    event = FeedbackEvent(
        event_id=stable_id(seed, "event"), feedback_id=fb.id, occurred_at=now,
        action=SLA_BREACH_ACTION if timer.is_breach else SLA_WARNING_ACTION, from_status=fb.status,
        to_status=fb.status, actor=sla.SYSTEM_ACTOR,
        details={"step": timer.step.value, "kind": timer.timer.kind, "due_at": timer.timer.due_at.isoformat(),
                 "timer_at": timer.at.isoformat(), "agency_code": fb.agency_code,
                 **({"superseded": [t.key for t in superseded]} if superseded else {})},
        request_id=correlation_id)
    envelope = EventEnvelope[FeedbackTimerFired](
        id=stable_id(seed, "envelope"), type="feedback.sla_breached" if timer.is_breach else "feedback.sla_warning",
        correlation_id=correlation_id, occurred_at=now,
        data=FeedbackTimerFired(feedback_id=fb.id, agency_code=fb.agency_code, dossier_id=fb.dossier_id,
                                step=timer.step.value, kind=timer.timer.kind, due_at=timer.timer.due_at))
    return FeedbackFiring(timer=timer, superseded=superseded, feedback=changed, event=event, envelope=envelope)

