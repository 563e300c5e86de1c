"""``DossierFacts``: the per-dossier snapshot the index needs, rebuilt from a dossier's history.

Interfaces (pure):

* :func:`facts_from_history` ``(dossier, history_events, as_of, *, context=None, config=None)`` ->
  ``DossierFacts | None``: the facts as of an instant, for the full recompute (``None`` when nothing had
  happened yet at ``as_of``). Events are read in ``occurred_at`` order (stable, so same-instant events keep
  their history order); only those at or before ``as_of`` count.
* :func:`apply_event` ``(facts, dossier, event, *, context=None, config=None)`` -> ``DossierFacts``: one
  step of the same fold, for the incremental path (store the facts, apply each new event, diff the
  contributions). Folding the events one by one gives exactly what :func:`facts_from_history` gives.
* :func:`dossier_timeliness` ``(facts, as_of, config)``: early / on time / late, through the one clock.

Which events and ``details`` are read: see :mod:`motcua.domain.actions`. Status facts come from
``to_status`` / ``from_status``; the rest from the action name.

``context`` carries the agency tree (for the units a dossier counts in) and the procedures' traits
(offers online, has a fee); by default the packaged seed. ``config`` defaults to the index configuration in
force on the day the dossier was submitted (docs/domain.md §1.1: a dossier is judged by the rules of its day).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from motcua.domain import actions as ev
from motcua.domain import clock
from motcua.domain.catalogue import Channel
from motcua.domain.clock import Timeliness
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.index.config import IndexConfig, config_for
from motcua.domain.index.month import Month
from motcua.domain.index.units import ProcedureTraits, UnitTree, load_default_procedures, load_default_tree
from motcua.domain.status import PAUSE_REASONS, DossierStatus, PauseReason
from motcua.domain.steps import STEP_OVERDUE

S = DossierStatus
E = TypeVar("E", bound=StrEnum)
# Statuses only a received dossier can be in (docs/domain.md §2.3): reception is the first event reaching one of them
# (normally the move to 2; robust to a workflow that records reception on another action).
RECEIVED_STATUSES = frozenset({S.RECEIVED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT, S.DECIDED,
                                S.RETURNED})


@dataclass(frozen=True)
class FactsContext:
    """What facts need beyond the dossier: the agency tree and the procedures' traits by code."""

    tree: UnitTree
    traits: Mapping[str, ProcedureTraits] = field(default_factory=dict)

    def traits_for(self, procedure_code: str, channel: Channel) -> ProcedureTraits:
        known = self.traits.get(procedure_code)
        if known is not None:
            return known
        # A procedure missing from the catalogue: it offers online service if this dossier came online.
        return ProcedureTraits(offers_online=channel is Channel.ONLINE, has_fee=False)


@lru_cache(maxsize=1)
def default_context() -> FactsContext:
    from motcua.domain.index.units import traits_by_code

    return FactsContext(tree=load_default_tree(), traits=traits_by_code(load_default_procedures()))


class FactPause(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    start: datetime
    end: datetime | None = None
    reason: PauseReason


class FeedbackStep(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    outcome: ev.FeedbackOutcome
    at: datetime


class FeedbackFacts(BaseModel):
    """One feedback (*phản ánh, kiến nghị*) about the dossier."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    feedback_id: str
    kind: ev.FeedbackKind
    received_at: datetime
    steps: tuple[FeedbackStep, ...] = ()
    satisfied: bool | None = None
    answer_public: bool = False  # the answer (outcome "handled") was marked public: its publication is owed


class StandaloneFeedbackFacts(BaseModel):
    """Feedback about a procedure or an agency (no dossier carries it) as of an instant: what 5.1-5.3 need,
    no text, no person. Built from the stored feedback record (``motcua.domain.feedback.steps.index_facts``), not
    from a trail: the record holds every step with its instant and the rating with its own."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    about: Literal["procedure", "agency"]
    agency_code: str  # the responsible agency: the feedback counts for it and its ancestors
    procedure_code: str | None = None
    units: tuple[str, ...]  # the agency and its ancestors up to the province
    feedback: FeedbackFacts

    @property
    def feedback_id(self) -> str:
        return self.feedback.feedback_id


class DossierFacts(BaseModel):
    """What the index knows about one dossier as of an instant. No applicant data; the one free text (the
    apology's reason, written by an official) is scrubbed before anything is published."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    dossier_id: str
    receipt_code: str
    procedure_code: str
    agency_code: str
    units: tuple[str, ...]  # the agency and its ancestors up to the province
    channel: Channel
    procedure_offers_online: bool
    procedure_has_fee: bool
    status: DossierStatus
    submitted_at: datetime
    received_at: datetime | None = None  # the clock starts here (status 2)
    refused_at: datetime | None = None
    decided_at: datetime | None = None
    returned_at: datetime | None = None
    stopped_at: datetime | None = None
    withdrawal_requested_at: datetime | None = None
    time_limit: dict[str, str]
    appointment_at: datetime | None = None  # the appointment slip (re-issued after a supplement)
    due_at: datetime | None = None  # the clock's legal deadline with pauses; clock.OPEN_ENDED while paused
    pauses: tuple[FactPause, ...] = ()
    supplement_request_count: int = 0
    digitised: bool = False
    reused_documents: int = 0
    population_db_used: bool = False
    paid: bool = False
    paid_online: bool = False
    result_electronic: bool = False
    result_synced_citizen: bool = False
    sync_recorded: bool = False  # the national portal's sync record exists (1.4 has data for the dossier)
    synced_national: bool = False
    apology_count: int = 0
    apology_reason: str | None = None
    new_appointment_at: datetime | None = None
    satisfaction: ev.Satisfaction | None = None
    evaluation_total: int | None = None
    evaluated_at: datetime | None = None
    complaint_or_dislike_at: datetime | None = None  # first complaint feedback or "Không hài lòng"
    feedback: tuple[FeedbackFacts, ...] = ()
    processing_days: Decimal | None = None  # working days from reception to the end, pauses excluded
    # The first step of its internal procedure the dossier was late at: (unit, step code), from the step events
    # (docs/domain.md §11.4; a dossier without steps has none). What names the unit that made a dossier late.
    late_step: tuple[str, str] | None = None

    @property
    def finished_at(self) -> datetime | None:
        """End of processing: the first of decided > returned > stopped/refused (docs/domain.md §4.6)."""
        for at in (self.decided_at, self.returned_at, self.stopped_at, self.refused_at):
            if at is not None:
                return at
        return None

    @property
    def open_pause(self) -> FactPause | None:
        for p in self.pauses:
            if p.end is None:
                return p
        return None

    def deadline(self, config: IndexConfig) -> datetime | None:
        if config.deadline_basis == "appointment" and self.appointment_at is not None:
            return self.appointment_at
        return self.due_at


def late_step_in(completed: bool, details: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (unit, step code) a step event shows late: a step completed late (``step_complete``, its verdict by
    the one clock) or a step notice that an open step is overdue (``step_alert`` of kind ``step_overdue``).
    Both folds (this one and ``fast``) read step events through here."""
    late = details.get("verdict") == "late" if completed else details.get(ev.D_KIND) == STEP_OVERDUE
    unit, step = details.get("unit"), details.get("step_code")
    return (unit, step) if late and isinstance(unit, str) and isinstance(step, str) else None


def dossier_timeliness(facts: DossierFacts, as_of: datetime, config: IndexConfig) -> Timeliness | None:
    """Early / on time / late as of ``as_of`` (``None`` for a dossier never received). Decided by
    :func:`motcua.domain.clock.timeliness`; an open dossier held by an open pause has an open-ended due date
    and is on time unless it was already late when the pause began."""
    if facts.received_at is None:
        return None
    deadline = facts.deadline(config)
    if deadline is None:
        return None
    finished = facts.finished_at
    if finished is not None and finished <= as_of:
        return clock.timeliness(finished, deadline, supplement_requests=facts.supplement_request_count,
                                late_on_second_supplement=config.late_on_second_supplement)
    return clock.timeliness(None, deadline, as_of=as_of, supplement_requests=facts.supplement_request_count,
                            late_on_second_supplement=config.late_on_second_supplement)


# --------------------------------------------------------------------------------------------------------
# The fold


def _instant(value: Any) -> datetime | None:
    """An aware datetime from a details value (datetime or ISO string); anything else is ignored."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None:
        return value
    return None


def _member(enum: type[E], value: Any) -> E | None:
    """The enum member for a details value; None for anything else (a bad detail never breaks the fold)."""
    try:
        return enum(value)
    except (ValueError, TypeError):
        return None


def _count(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0


class _Builder:
    """Mutable twin of DossierFacts used while folding events (one model validation per result)."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.f = fields
        self.pauses: list[dict[str, Any]] = [dict(p) for p in fields.pop("pauses", ())]
        self.feedback: list[dict[str, Any]] = [
            {**fb, "steps": list(fb.get("steps", ()))} for fb in fields.pop("feedback", ())]

    @classmethod
    def start(cls, dossier: Dossier, first: HistoryEvent, context: FactsContext) -> _Builder:
        traits = context.traits_for(dossier.procedure_code, dossier.channel)
        return cls(_DEFAULTS | {
            "dossier_id": dossier.id, "receipt_code": dossier.receipt_code,
            "procedure_code": dossier.procedure_code, "agency_code": dossier.agency_code,
            "units": context.tree.ancestry(dossier.agency_code), "channel": dossier.channel,
            "procedure_offers_online": traits.offers_online, "procedure_has_fee": traits.has_fee,
            "status": first.to_status, "submitted_at": first.occurred_at,
            "time_limit": dict(dossier.time_limit),
            # Fallback when no event carries the appointment (the workflow should send it in details).
            "appointment_at": dossier.appointment_at,
        })

    @classmethod
    def resume(cls, facts: DossierFacts) -> _Builder:
        fields = facts.model_dump()
        fields["pauses"] = [p.model_dump() for p in facts.pauses]
        fields["feedback"] = [{**fb.model_dump(), "steps": list(fb.steps)} for fb in facts.feedback]
        return cls(fields)

    def _set_first(self, key: str, at: datetime) -> None:
        if self.f.get(key) is None:
            self.f[key] = at

    def _open_pause(self, at: datetime, reason: str) -> None:
        if not any(p["end"] is None and p["reason"] == reason for p in self.pauses):
            self.pauses.append({"start": at, "end": None, "reason": reason})

    def _close_pause(self, at: datetime, reason: str) -> None:
        for p in self.pauses:
            if p["end"] is None and p["reason"] == reason:
                p["end"] = max(at, p["start"])

    def apply(self, e: HistoryEvent, config: IndexConfig) -> None:
        f, t, d = self.f, e.occurred_at, e.details or {}
        to, frm = e.to_status, e.from_status
        f["status"] = to
        # -- status facts (whatever the action is called) --
        ended = PAUSE_REASONS.get(frm) if frm is not None and to is not frm else None
        if ended is not None:
            self._close_pause(t, ended)
        if to in RECEIVED_STATUSES:  # past the desk: the clock started at the first such event
            self._set_first("received_at", t)
        if to is not frm:
            if to is S.SUPPLEMENT_REQUESTED:
                f["supplement_request_count"] += 1
                self._open_pause(t, "supplement")
            elif to is S.AWAITING_PAYMENT and config.pause_for_financial_obligation:
                self._open_pause(t, "financial_obligation")
            elif to is S.DECIDED:
                self._set_first("decided_at", t)
            elif to is S.RETURNED:
                self._set_first("returned_at", t)
            elif to is S.STOPPED:
                self._set_first("stopped_at", t)
            elif to is S.REFUSED:
                self._set_first("refused_at", t)
            elif to is S.WITHDRAWAL_REQUESTED:
                self._set_first("withdrawal_requested_at", t)
        # -- details any action may carry --
        action = e.action
        if action != ev.APOLOGISE:
            appointment = _instant(d.get(ev.D_APPOINTMENT_AT))
            if appointment is not None:
                f["appointment_at"] = appointment
        if d.get(ev.D_DIGITISED) is True or action == ev.DIGITISE:
            f["digitised"] = True
        f["reused_documents"] += _count(d.get(ev.D_REUSED_DOCUMENTS))
        if d.get(ev.D_POPULATION_DB) is True:
            f["population_db_used"] = True
        # -- status-neutral facts, by action name --
        if action == ev.RECORD_PAYMENT:
            f["paid"] = True
            if ev.paid_through_gateway(d):
                f["paid_online"] = True
        elif action == ev.ISSUE_ELECTRONIC_RESULT:
            f["result_electronic"] = True
        elif action == ev.RETURN_RESULT:
            if d.get(ev.D_METHOD) == ev.RETURN_METHOD_ELECTRONIC:
                f["result_electronic"] = True
        elif action == ev.SYNC_NATIONAL_PORTAL:
            f["sync_recorded"] = True
            if d.get(ev.D_SYNCED) is not False:
                f["synced_national"] = True
        elif action == ev.SYNC_CITIZEN_DATA_STORE:
            f["result_synced_citizen"] = True
        elif action == ev.APOLOGISE:
            f["apology_count"] += 1
            reason = d.get(ev.D_REASON)
            f["apology_reason"] = reason if isinstance(reason, str) else f.get("apology_reason")
            f["new_appointment_at"] = _instant(d.get(ev.D_NEW_APPOINTMENT_AT)) or f.get("new_appointment_at")
        elif action == ev.EVALUATE:
            satisfaction = _member(ev.Satisfaction, d.get(ev.D_SATISFACTION))
            if satisfaction is not None and f.get("satisfaction") is None:  # one evaluation per dossier
                f["satisfaction"] = satisfaction
                total = d.get(ev.D_TOTAL)
                f["evaluation_total"] = total if type(total) is int else None
                f["evaluated_at"] = t
                if satisfaction is ev.Satisfaction.DISSATISFIED:
                    self._set_first("complaint_or_dislike_at", t)
        elif action == ev.FEEDBACK_RECEIVE:
            fid = d.get(ev.D_FEEDBACK_ID)
            if isinstance(fid, str) and not any(fb["feedback_id"] == fid for fb in self.feedback):
                kind = _member(ev.FeedbackKind, d.get(ev.D_KIND)) or ev.FeedbackKind.UNCLASSIFIED
                self.feedback.append({"feedback_id": fid, "kind": kind, "received_at": t, "steps": [],
                                      "satisfied": None, "answer_public": False})
                if kind is ev.FeedbackKind.COMPLAINT:
                    self._set_first("complaint_or_dislike_at", t)
        elif action == ev.FEEDBACK_RESPOND:
            fb = self._feedback(d)
            outcome = _member(ev.FeedbackOutcome, d.get(ev.D_OUTCOME))
            if fb is not None and outcome is not None:
                fb["steps"].append(FeedbackStep(outcome=outcome, at=t))
                if outcome is ev.FeedbackOutcome.HANDLED and d.get(ev.D_PUBLIC) is True:
                    fb["answer_public"] = True
        elif action == ev.FEEDBACK_RATE:
            fb = self._feedback(d)
            satisfied = d.get(ev.D_SATISFIED)
            if fb is not None and isinstance(satisfied, bool):
                fb["satisfied"] = satisfied
        elif (action == ev.STEP_COMPLETE or action == ev.STEP_ALERT) and f.get("late_step") is None:
            f["late_step"] = late_step_in(action == ev.STEP_COMPLETE, d)

    def _feedback(self, d: Mapping[str, Any]) -> dict[str, Any] | None:
        fid = d.get(ev.D_FEEDBACK_ID)
        for fb in self.feedback:
            if fb["feedback_id"] == fid:
                return fb
        return None

    def finish(self) -> DossierFacts:
        f = dict(self.f)
        received = f.get("received_at")
        pauses = [clock.Pause(start=p["start"], end=p["end"]) for p in self.pauses]
        due = None
        processing = None
        if received is not None:
            raw_limit = f["time_limit"]
            limit = clock.TimeLimit(value=Decimal(raw_limit["value"]), unit=clock.TimeUnit(raw_limit["unit"]))
            due = clock.deadline_for(limit, received, pauses, agency=f["agency_code"])
            finished = next((f[k] for k in ("decided_at", "returned_at", "stopped_at", "refused_at")
                             if f.get(k) is not None), None)
            if finished is not None:
                processing = (clock.working_days_between(received, finished, pauses, agency=f["agency_code"])
                              if finished >= received else Decimal(0))
        f["due_at"] = due
        f["processing_days"] = processing
        f["pauses"] = tuple(FactPause(**p) for p in self.pauses)
        f["feedback"] = tuple(FeedbackFacts(**{**fb, "steps": tuple(fb["steps"])}) for fb in self.feedback)
        return DossierFacts(**f)  # validated: measured faster than model_construct for this model


# Defaults of the optional fields, read once (the builder starts every dossier from them).
_DEFAULTS: dict[str, Any] = {name: info.default for name, info in DossierFacts.model_fields.items()
                             if not info.is_required()}


def _config(config: IndexConfig | None, at: datetime) -> IndexConfig:
    return config if config is not None else config_for(Month.of(at))


def apply_event(facts: DossierFacts | None, dossier: Dossier, event: HistoryEvent, *,
                context: FactsContext | None = None, config: IndexConfig | None = None) -> DossierFacts:
    """The facts after one more event (``facts=None`` before the first event)."""
    if facts is None:
        builder = _Builder.start(dossier, event, context or default_context())
        cfg = _config(config, event.occurred_at)
    else:
        builder = _Builder.resume(facts)
        cfg = _config(config, facts.submitted_at)
    builder.apply(event, cfg)
    return builder.finish()


def facts_from_history(dossier: Dossier, history_events: Iterable[HistoryEvent], as_of: datetime, *,
                       context: FactsContext | None = None,
                       config: IndexConfig | None = None) -> DossierFacts | None:
    """The facts as of ``as_of`` from the dossier's history (``None`` if no event had happened by then)."""
    ordered = sorted((e for e in history_events if e.occurred_at <= as_of), key=lambda e: e.occurred_at)
    if not ordered:
        return None
    builder = _Builder.start(dossier, ordered[0], context or default_context())
    cfg = _config(config, ordered[0].occurred_at)
    for e in ordered:
        builder.apply(e, cfg)
    return builder.finish()
