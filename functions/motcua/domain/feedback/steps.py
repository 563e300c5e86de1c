"""The feedback's steps: their legal limits on the one clock, who may see the feedback and take each step,
filing and each step (the record after it and its trail event), and what each tells the index and the
notifier (see the package's docstring for the limits)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from motcua.domain import actions as ev
from motcua.domain import clock
from motcua.domain.actors import OFFICIAL_ROLES, Actor, Role
from motcua.domain.calendar import WorkingCalendar
from motcua.domain.feedback import (
    CITIZEN_ACTIONS,
    OPEN_STATUSES,
    READ_ACTION,
    Answer,
    Feedback,
    FeedbackAbout,
    FeedbackAccessDenied,
    FeedbackAction,
    FeedbackActionNotAllowed,
    FeedbackAlreadyRated,
    FeedbackAnswerNotPublic,
    FeedbackCategory,
    FeedbackEvent,
    FeedbackInfoAlreadyRequested,
    FeedbackStatus,
    FeedbackStep,
    FeedbackStepNotAllowed,
    Rating,
    StaleFeedback,
    StepRecord,
)
from motcua.domain.redaction import redact

if TYPE_CHECKING:  # each imported where it is used: a read's cold start loads neither the index nor the events
    from motcua.domain.events import EventEnvelope, FeedbackChanged
    from motcua.domain.index.config import FeedbackDeadlines
    from motcua.domain.index.facts import StandaloneFeedbackFacts
    from motcua.domain.index.units import UnitTree

# Where each action may be taken (anything else is a 409).
_ALLOWED_IN: Mapping[FeedbackAction, frozenset[FeedbackStatus]] = {
    FeedbackAction.REFUSE: frozenset({FeedbackStatus.RECEIVED, FeedbackStatus.INFO_REQUESTED}),
    FeedbackAction.REQUEST_INFO: frozenset({FeedbackStatus.RECEIVED, FeedbackStatus.IN_PROGRESS}),
    FeedbackAction.PROVIDE_INFO: frozenset({FeedbackStatus.INFO_REQUESTED}),
    FeedbackAction.ANSWER: OPEN_STATUSES,
    FeedbackAction.PUBLISH: frozenset({FeedbackStatus.ANSWERED}),
    FeedbackAction.RATE: frozenset({FeedbackStatus.ANSWERED, FeedbackStatus.PUBLISHED}),
}

# The step each action is judged against, and the index's outcome it reports on the dossier's trail.
_STEP_OF: Mapping[FeedbackAction, FeedbackStep] = {
    FeedbackAction.REFUSE: FeedbackStep.REFUSE,
    FeedbackAction.REQUEST_INFO: FeedbackStep.REQUEST_INFO,
    FeedbackAction.ANSWER: FeedbackStep.HANDLE,
    FeedbackAction.PUBLISH: FeedbackStep.PUBLISH,
}
_OUTCOME_OF: Mapping[FeedbackStep, ev.FeedbackOutcome] = {
    FeedbackStep.REFUSE: ev.FeedbackOutcome.REFUSED,
    FeedbackStep.REQUEST_INFO: ev.FeedbackOutcome.REQUEST_INFO,
    FeedbackStep.HANDLE: ev.FeedbackOutcome.HANDLED,
    FeedbackStep.PUBLISH: ev.FeedbackOutcome.PUBLISHED,
}


_ID_NAMESPACE = uuid.UUID("3d0c9f5e-8a41-4c0b-b5a7-2f9e61d4c8b3")


def stable_id(seed: str, what: str) -> str:
    """A deterministic id for ``what`` of ``seed``: a retried step or firing writes the same ids."""
    return uuid.uuid5(_ID_NAMESPACE, f"{what}:{seed}").hex



# --------------------------------------------------------------------------------------------------------
# Deadlines, on the one clock


def legal_limits(received_at: datetime) -> FeedbackDeadlines:
    """The working days allowed per step, as in force in the month of reception (the index's own numbers)."""
    from motcua.domain.index.config import config_for
    from motcua.domain.index.month import Month

    return config_for(Month.of(received_at)).feedback_deadlines


@dataclass(frozen=True)
class Deadlines:
    refuse_by: datetime
    request_info_by: datetime
    handle_by: datetime
    publish_by: datetime | None  # from the answer; None until answered


def deadlines(fb: Feedback, *, calendar: WorkingCalendar | None = None) -> Deadlines:
    limits = legal_limits(fb.received_at)
    start, agency = fb.received_at, fb.agency_code
    answered = fb.answer.answered_at if fb.answer is not None else None
    return Deadlines(
        refuse_by=clock.due_at(start, limits.refuse, agency=agency, calendar=calendar),
        request_info_by=clock.due_at(start, limits.request_info, agency=agency, calendar=calendar),
        handle_by=clock.due_at(start, limits.handle, agency=agency, calendar=calendar),
        publish_by=(clock.due_at(answered, limits.publish, agency=agency, calendar=calendar)
                    if answered is not None else None),
    )


def due_for(fb: Feedback, step: FeedbackStep, *, calendar: WorkingCalendar | None = None) -> datetime:
    d = deadlines(fb, calendar=calendar)
    due = {FeedbackStep.REFUSE: d.refuse_by, FeedbackStep.REQUEST_INFO: d.request_info_by,
           FeedbackStep.HANDLE: d.handle_by, FeedbackStep.PUBLISH: d.publish_by}[step]
    if due is None:
        raise ValueError(f"{step} has no deadline before the answer")
    return due


def on_time(fb: Feedback, as_of: datetime, *, calendar: WorkingCalendar | None = None) -> bool:
    """Every step taken by ``as_of`` met its limit, and a step still owed then (the handling, or publishing
    an answer marked public) is still inside its deadline (docs/domain.md §7.4, indicator 5.2). The index judges the
    same from the dossier's trail."""
    taken = [s for s in fb.steps if s.at <= as_of]
    if any(s.timeliness is clock.Timeliness.LATE for s in taken):
        return False
    answer = fb.answer
    if answer is not None and answer.public and answer.answered_at <= as_of and not any(
            s.step is FeedbackStep.PUBLISH for s in taken):
        publish_by = deadlines(fb, calendar=calendar).publish_by
        assert publish_by is not None
        return as_of <= publish_by
    if any(s.step in (FeedbackStep.REFUSE, FeedbackStep.HANDLE) for s in taken):
        return True
    return as_of <= deadlines(fb, calendar=calendar).handle_by


# --------------------------------------------------------------------------------------------------------
# Who may see and act


def can_read(fb: Feedback, actor: Actor) -> bool:
    if actor.role is Role.CITIZEN:
        return actor.subject == fb.owner
    if actor.role in (Role.INSPECTOR, Role.SYSTEM):
        return True
    if actor.role not in OFFICIAL_ROLES or actor.agency_code != fb.agency_code:
        return False
    if fb.is_about_an_official:
        # The agency's leaders only, and never the official named.
        return actor.role is Role.AGENCY_LEADER and actor.subject != fb.official_subject
    return True


def ensure_can_read(fb: Feedback, actor: Actor) -> None:
    if not can_read(fb, actor):
        raise FeedbackAccessDenied({"role": actor.role.value})


def authorise(fb: Feedback, action: FeedbackAction, actor: Actor) -> None:
    if action in CITIZEN_ACTIONS:
        if actor.role is not Role.CITIZEN or actor.subject != fb.owner:
            raise FeedbackActionNotAllowed({"action": action.value, "role": actor.role.value})
        return
    if fb.is_about_an_official:
        # Complaints about an official: the agency's leader (not the one named), or an inspector.
        allowed = (actor.role is Role.INSPECTOR and actor.subject != fb.official_subject) or (
            actor.role is Role.AGENCY_LEADER and actor.agency_code == fb.agency_code
            and actor.subject != fb.official_subject)
    else:
        allowed = actor.role in OFFICIAL_ROLES and actor.agency_code == fb.agency_code
    if not allowed:
        raise FeedbackActionNotAllowed({"action": action.value, "role": actor.role.value})


# --------------------------------------------------------------------------------------------------------
# Filing and the steps


def feedback_id_for(owner: str, idempotency_key: str | None) -> str:
    """Derived from the citizen and their Idempotency-Key when there is one: a retry finds the same feedback."""
    if idempotency_key:
        return uuid.uuid5(_ID_NAMESPACE, f"file:{owner}\n{idempotency_key}").hex
    return uuid.uuid4().hex


def file_feedback(*, feedback_id: str, owner: Actor, category: FeedbackCategory, about: FeedbackAbout,
                  agency_code: str, title: str, content: str, now: datetime, dossier_id: str | None = None,
                  receipt_code: str | None = None, procedure_code: str | None = None,
                  official_name: str | None = None, official_subject: str | None = None,
                  attachments: tuple[str, ...] = (), request_id: str | None = None) -> tuple[Feedback, FeedbackEvent]:
    if owner.role is not Role.CITIZEN:
        raise FeedbackActionNotAllowed({"action": FeedbackAction.FILE.value, "role": owner.role.value})
    fb = Feedback(id=feedback_id, owner=owner.subject, category=category, about=about, agency_code=agency_code,
                  dossier_id=dossier_id, receipt_code=receipt_code, procedure_code=procedure_code,
                  official_name=official_name, official_subject=official_subject, title=title, content=content,
                  attachments=attachments, status=FeedbackStatus.RECEIVED, received_at=now, version=1,
                  updated_at=now)
    event = FeedbackEvent(event_id=stable_id(feedback_id, "filed"), feedback_id=feedback_id, occurred_at=now,
                          action=FeedbackAction.FILE.value, from_status=None, to_status=FeedbackStatus.RECEIVED,
                          actor=owner, details={"category": category.value, "about": about.value,
                                                "agency_code": agency_code, "kind": category.index_kind.value},
                          request_id=request_id)
    return fb, event


@dataclass(frozen=True)
class StepInput:
    """What an action carries (validated by the API schema first)."""

    text: str | None = None  # reason, question, reply, answer
    public: bool = False
    question_summary: str | None = None
    published_text: str | None = None
    satisfied: bool | None = None
    attachments: tuple[str, ...] = ()
    note: str | None = None
    expected_version: int | None = None
    # Publishing: the author's own identity values, ``(field, value)``, removed from what is published.
    identity: tuple[tuple[str, str], ...] = ()


def apply_feedback_action(fb: Feedback, action: FeedbackAction, body: StepInput, actor: Actor, now: datetime,
                          request_id: str | None = None, *,
                          calendar: WorkingCalendar | None = None) -> tuple[Feedback, FeedbackEvent]:
    """The feedback after one step and its trail event, or a typed error; nothing is written here."""
    authorise(fb, action, actor)
    if body.expected_version is not None and body.expected_version != fb.version:
        raise StaleFeedback({"current_version": fb.version, "expected_version": body.expected_version})
    if fb.status not in _ALLOWED_IN[action]:
        raise FeedbackStepNotAllowed({"action": action.value, "status": fb.status.value})
    updates: dict[str, Any] = {}
    details: dict[str, Any] = {}
    to = fb.status
    if action is FeedbackAction.REFUSE:
        to = FeedbackStatus.REFUSED
        updates["refusal_reason"] = body.text
    elif action is FeedbackAction.REQUEST_INFO:
        if fb.info_requested_at is not None:
            raise FeedbackInfoAlreadyRequested({"info_requested_at": fb.info_requested_at.isoformat()})
        to = FeedbackStatus.INFO_REQUESTED
        updates |= {"info_request": body.text, "info_requested_at": now}
    elif action is FeedbackAction.PROVIDE_INFO:
        to = FeedbackStatus.IN_PROGRESS
        updates |= {"info_reply": body.text, "info_reply_attachments": body.attachments}
    elif action is FeedbackAction.ANSWER:
        to = FeedbackStatus.ANSWERED
        assert body.text is not None
        updates["answer"] = Answer(text=body.text, answered_at=now, answered_by=actor.subject, public=body.public)
        details["public"] = body.public
    elif action is FeedbackAction.PUBLISH:
        assert fb.answer is not None  # ANSWERED always has one
        if not fb.answer.public:
            raise FeedbackAnswerNotPublic()
        to = FeedbackStatus.PUBLISHED
        assert body.question_summary is not None
        question, removed_q = redact(body.question_summary, body.identity)
        answer, removed_a = redact(body.published_text or fb.answer.text, body.identity)
        removed = (*removed_q, *removed_a)
        updates["answer"] = fb.answer.model_copy(update={
            "question_summary": question, "published_at": now, "published_text": answer, "removed": removed})
        details["removed"] = dict(Counter(r.kind for r in removed))  # kinds only: the trail names no value
    elif action is FeedbackAction.RATE:
        if fb.rating is not None:
            raise FeedbackAlreadyRated({"rated_at": fb.rating.rated_at.isoformat()})
        assert body.satisfied is not None
        updates["rating"] = Rating(satisfied=body.satisfied, comment=body.text, rated_at=now)
        details["satisfied"] = body.satisfied
    changed = fb.model_copy(update={**updates, "status": to, "version": fb.version + 1, "updated_at": now})
    step = _STEP_OF.get(action)
    if step is not None:
        due = due_for(changed, step, calendar=calendar)
        record = StepRecord(step=step, at=now, due_at=due, timeliness=clock.timeliness(now, due))
        changed = changed.model_copy(update={"steps": (*fb.steps, record)})
        details |= {"step": step.value, "due_at": due.isoformat(), "timeliness": record.timeliness.value}
    event = FeedbackEvent(feedback_id=fb.id, occurred_at=now, action=action.value, from_status=fb.status,
                          to_status=to, actor=actor, note=body.note, details=details, request_id=request_id)
    return changed, event


def index_event_details(fb: Feedback, event: FeedbackEvent) -> tuple[str, dict[str, Any]] | None:
    """The ``feedback_*`` event the index reads on a dossier's trail for this step (None: nothing for it)."""
    if event.action == FeedbackAction.FILE:
        return ev.FEEDBACK_RECEIVE, {ev.D_FEEDBACK_ID: fb.id, ev.D_KIND: fb.index_kind.value}
    step = event.details.get("step")
    if step is not None and event.action in _STEP_OF:
        details: dict[str, Any] = {ev.D_FEEDBACK_ID: fb.id, ev.D_OUTCOME: _OUTCOME_OF[FeedbackStep(step)].value}
        if event.action == FeedbackAction.ANSWER and event.details.get("public") is True:
            details[ev.D_PUBLIC] = True  # its publication is now owed (5.2)
        return ev.FEEDBACK_RESPOND, details
    if event.action == FeedbackAction.RATE:
        return ev.FEEDBACK_RATE, {ev.D_FEEDBACK_ID: fb.id, ev.D_SATISFIED: event.details["satisfied"]}
    return None


def index_facts(fb: Feedback, *, as_of: datetime | None = None,
                tree: UnitTree | None = None) -> StandaloneFeedbackFacts | None:
    """What the monthly index knows of feedback about a procedure or an agency as of ``as_of`` (default: all
    of it), or None: not filed yet, or about a dossier (that one counts through the dossier's trail, never
    twice). The steps and the rating are read from the record with their own instants, exactly what the
    dossier's ``feedback_respond`` / ``feedback_rate`` events would carry (``index_event_details``)."""
    from motcua.domain.index.facts import FeedbackFacts, StandaloneFeedbackFacts
    from motcua.domain.index.facts import FeedbackStep as IndexStep
    from motcua.domain.index.units import load_default_tree

    if fb.dossier_id is not None or fb.about is FeedbackAbout.DOSSIER:
        return None
    if as_of is not None and fb.received_at > as_of:
        return None
    steps = tuple(IndexStep(outcome=_OUTCOME_OF[s.step], at=s.at) for s in fb.steps if as_of is None or s.at <= as_of)
    rating = fb.rating if fb.rating is not None and (as_of is None or fb.rating.rated_at <= as_of) else None
    answer = fb.answer if fb.answer is not None and (as_of is None or fb.answer.answered_at <= as_of) else None
    return StandaloneFeedbackFacts(
        about=fb.about.value, agency_code=fb.agency_code, procedure_code=fb.procedure_code,
        units=(tree or load_default_tree()).ancestry(fb.agency_code),
        feedback=FeedbackFacts(feedback_id=fb.id, kind=fb.index_kind, received_at=fb.received_at, steps=steps,
                               satisfied=rating.satisfied if rating is not None else None,
                               answer_public=answer is not None and answer.public))


def read_event(fb: Feedback, actor: Actor, now: datetime, request_id: str | None) -> FeedbackEvent:
    """Officials' reads of a citizen's feedback are on its trail too."""
    return FeedbackEvent(feedback_id=fb.id, occurred_at=now, action=READ_ACTION, from_status=fb.status,
                         to_status=fb.status, actor=actor, details={"agency_code": actor.agency_code},
                         request_id=request_id)


def status_envelope(fb: Feedback, event: FeedbackEvent, correlation_id: str | None) -> EventEnvelope[FeedbackChanged]:
    """``feedback.status_changed`` for every step (the rating too): identifiers and statuses, no personal data."""
    from motcua.domain.events import EventEnvelope, FeedbackChanged

    due = None
    if fb.status.is_open:
        due = deadlines(fb).handle_by
    elif fb.status is FeedbackStatus.ANSWERED and fb.answer is not None and fb.answer.public:
        due = deadlines(fb).publish_by
    return EventEnvelope[FeedbackChanged](
        id=stable_id(event.event_id, "envelope"), type="feedback.status_changed", correlation_id=correlation_id,
        occurred_at=event.occurred_at,
        data=FeedbackChanged(feedback_id=fb.id, agency_code=fb.agency_code, dossier_id=fb.dossier_id,
                             category=fb.category.value, action=event.action,
                             from_status=event.from_status.value if event.from_status else None,
                             to_status=event.to_status.value, next_due_at=due, history_event_id=event.event_id))


