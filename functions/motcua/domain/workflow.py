"""The officials' workflow: every action on a dossier as one pure function over the stored record.

``apply_action(dossier, action, body, actor, now)`` checks who may act, that the move is in the
transition table, the action's own rules (a supplement request once, an apology once, ...), and returns the
new dossier (version + 1) with the history events it produced. The API and the queue consumer both call
it, always on the record just read from the table, never on a client's idea of it; the data layer writes
the result guarded by the version that was read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from motcua.domain import actions as ev
from motcua.domain import clock
from motcua.domain import commands as a
from motcua.domain.access import AccessDenied
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ, default_calendar
from motcua.domain.dossier import (
    Apology,
    ControlSlipRow,
    Dossier,
    HistoryEvent,
    PauseRecord,
    Payment,
    Result,
    StaleDossier,
    attachment_from,
)
from motcua.domain.errors import Conflict, InvalidInput
from motcua.domain.process import passage
from motcua.domain.process.model import Action, ProcessDefinition
from motcua.domain.status import DossierStatus, ForbiddenTransition, ensure_transition
from motcua.domain.steps import AssignmentRule

S = DossierStatus
R = Role
OFFICIALS = frozenset({R.RECEPTION_OFFICER, R.PROCESSING_OFFICER, R.AGENCY_LEADER})
DESK = frozenset({R.RECEPTION_OFFICER, R.AGENCY_LEADER})
PROCESSING = frozenset({R.PROCESSING_OFFICER, R.AGENCY_LEADER})

# Who may take each action (agency scope is checked separately). Citizens act on their own dossiers only.
ROLES: dict[a.ActionName, frozenset[Role]] = {
    a.ActionName.RECEIVE: DESK,
    a.ActionName.REFUSE: DESK,
    a.ActionName.START_PROCESSING: OFFICIALS,
    a.ActionName.TRANSFER: PROCESSING,
    a.ActionName.REQUEST_SUPPLEMENT: OFFICIALS,
    a.ActionName.RECEIVE_SUPPLEMENT: DESK | {R.CITIZEN},
    a.ActionName.REQUEST_PAYMENT: PROCESSING,
    a.ActionName.RECORD_PAYMENT: OFFICIALS,
    a.ActionName.RESUME_PROCESSING: OFFICIALS,
    a.ActionName.DECIDE: PROCESSING,
    a.ActionName.RETURN_RESULT: DESK,
    a.ActionName.REQUEST_WITHDRAWAL: frozenset({R.CITIZEN}),
    a.ActionName.STOP: PROCESSING,
    # The system drafts the apology itself when a deadline passes with none (docs/domain.md §4.7).
    a.ActionName.APOLOGISE: PROCESSING | {R.SYSTEM},
    # Internal-procedure steps (docs/domain.md §11.4): leaders name a step's officers; the step's officers
    # complete it (checked on the step), a status change then also by the rights of its own action.
    a.ActionName.ASSIGN_STEP: frozenset({R.AGENCY_LEADER}),
    a.ActionName.REASSIGN_STEP: frozenset({R.AGENCY_LEADER}),
    a.ActionName.COMPLETE_STEP: OFFICIALS,
}

# Decree 63/2010 art. 20(4), docs/domain.md §4.2: once; a second only on a stated legal ground; never a third.
MAX_SUPPLEMENT_REQUESTS = 2


class ActionNotAllowedForRole(AccessDenied):
    code = "ACTION_NOT_ALLOWED_FOR_ROLE"
    message_vi = "Vai trò của bạn không được thực hiện thao tác này."
    message_en = "Your role may not take this action."


class ActionOutsideAgency(AccessDenied):
    code = "ACTION_OUTSIDE_AGENCY"
    message_vi = "Hồ sơ không thuộc cơ quan của bạn."
    message_en = "This dossier does not belong to your agency."


class SupplementAlreadyRequested(Conflict):
    code = "SUPPLEMENT_ALREADY_REQUESTED"
    message_vi = "Hồ sơ đã được yêu cầu bổ sung một lần; chỉ yêu cầu lại khi có căn cứ pháp lý."
    message_en = "A supplement was already requested; another needs a stated legal ground."


class SupplementLimitReached(Conflict):
    code = "SUPPLEMENT_LIMIT_REACHED"
    message_vi = "Không được yêu cầu công dân bổ sung hồ sơ quá hai lần."
    message_en = "A citizen may not be asked to supplement a dossier more than twice."


class PaymentNotRecorded(Conflict):
    code = "PAYMENT_NOT_RECORDED"
    message_vi = "Chưa ghi nhận việc thực hiện nghĩa vụ tài chính."
    message_en = "The financial obligation has not been recorded as paid."


class PaymentAlreadyRecorded(Conflict):
    code = "PAYMENT_ALREADY_RECORDED"
    message_vi = "Nghĩa vụ tài chính đã được ghi nhận."
    message_en = "The payment was already recorded."


class ApologyAlreadyIssued(Conflict):
    code = "APOLOGY_ALREADY_ISSUED"
    message_vi = "Văn bản xin lỗi và hẹn lại đã được ban hành; ngày hẹn mới chỉ được gia hạn một lần."
    message_en = "The apology was already issued; the new appointment is granted once."


class ApologyDateInvalid(InvalidInput):
    code = "APOLOGY_DATE_INVALID"
    http_status = 422
    message_vi = "Ngày hẹn mới phải là ngày làm việc, sau ngày hẹn cũ."
    message_en = "The new appointment must be on a working day after the original one."


class ApologyNotApplicable(Conflict):
    code = "APOLOGY_NOT_APPLICABLE"
    message_vi = "Hồ sơ đã kết thúc xử lý, không thể xin lỗi và hẹn lại."
    message_en = "Processing has ended: no apology or new appointment can be issued."


class TransferToSameAgency(InvalidInput):
    code = "TRANSFER_SAME_AGENCY"
    http_status = 422
    message_vi = "Không thể chuyển hồ sơ cho chính cơ quan đang xử lý."
    message_en = "A dossier cannot be transferred to the agency already handling it."


def authorise(dossier: Dossier, action: a.ActionName, actor: Actor) -> None:
    if actor.role not in ROLES[action]:
        raise ActionNotAllowedForRole({"action": action.value, "role": actor.role.value})
    if actor.role is R.CITIZEN and actor.subject != dossier.owner:
        raise ActionOutsideAgency({"action": action.value})
    if actor.is_official and actor.agency_code not in (dossier.agency_code, dossier.current_agency):
        raise ActionOutsideAgency({"action": action.value, "agency_code": actor.agency_code})


class _Change:
    """Accumulates one action's effects: field updates and history events, in order."""

    def __init__(self, dossier: Dossier, actor: Actor, now: datetime, request_id: str | None) -> None:
        self.dossier, self.actor, self.now, self.request_id = dossier, actor, now, request_id
        self.status = dossier.status
        self.updates: dict[str, Any] = {}
        self.events: list[HistoryEvent] = []

    def get(self, name: str) -> Any:
        return self.updates.get(name, getattr(self.dossier, name))

    def set(self, **updates: Any) -> None:
        self.updates.update(updates)

    def event(self, action: str, to: DossierStatus | None = None, note: str | None = None,
              **details: Any) -> None:
        target = to if to is not None else self.status
        if to is not None:
            ensure_transition(self.status, to)
        self.events.append(HistoryEvent(
            dossier_id=self.dossier.id, occurred_at=self.now, action=action, from_status=self.status,
            to_status=target, actor=self.actor, note=note,
            details={k: v for k, v in details.items() if v is not None}, request_id=self.request_id,
        ))
        self.status = target

    def pause(self, reason: str) -> None:
        self.set(pauses=(*self.get("pauses"), PauseRecord(start=self.now, reason=reason)))

    def resume(self) -> None:
        self.set(pauses=tuple(p if p.end is not None else p.model_copy(update={"end": self.now})
                              for p in self.get("pauses")))

    def result(self) -> tuple[Dossier, list[HistoryEvent]]:
        return self.dossier.model_copy(update={
            **self.updates, "status": self.status, "version": self.dossier.version + 1, "updated_at": self.now,
        }), self.events


def _legal_due(change: _Change) -> datetime:
    """The legal deadline from reception, through the one clock, with every pause so far, by the time limit
    the dossier was judged under when it came in (effective-dated: later catalogue edits don't apply)."""
    received = change.get("received_at")
    pauses = [p.to_clock() for p in change.get("pauses")]
    return clock.deadline_for(change.dossier.legal_time_limit, received, pauses, agency=change.dossier.agency_code)


def _receive(c: _Change, body: a.Receive) -> None:
    c.set(received_at=c.now)
    due = _legal_due(c)
    c.set(due_at=due, appointment_at=due)
    # Reused documents are reported once, by the event that brought them in (submit, receive_supplement),
    # from the dossier's records; the client's ``reused_documents`` number is not trusted.
    c.event(ev.RECEIVE, S.RECEIVED, body.note, appointment_at=due.isoformat(), digitised=body.digitised,
            population_db=body.population_db)


def _refuse(c: _Change, body: a.Refuse) -> None:
    c.set(finished_at=c.now, stop_reason="; ".join(body.reasons))
    c.event(ev.REFUSE, S.REFUSED, body.note, reasons=body.reasons)


def _start(c: _Change, body: a.StartProcessing) -> None:
    c.event(ev.START_PROCESSING, S.PROCESSING, body.note)


def _transfer(c: _Change, body: a.Transfer) -> None:
    current = c.dossier.current_agency
    if body.to_agency_code == current:
        raise TransferToSameAgency({"agency_code": current})
    step = clock.timeliness(c.now, c.dossier.due_at)
    row = ControlSlipRow(from_unit=current, to_unit=body.to_agency_code, at=c.now, giver=c.actor.subject,
                         step_result=step.value, note=body.note)
    involved = tuple(dict.fromkeys((*c.dossier.involved_agencies, body.to_agency_code)))
    # The new agency assigns its own officer: until one of theirs acts, SLA notices reach its leaders only.
    c.set(handling_agency_code=body.to_agency_code, involved_agencies=involved,
          control_slip=(*c.dossier.control_slip, row), processing_officer=None)
    c.event(ev.TRANSFER, S.PROCESSING, body.note, from_unit=current, to_unit=body.to_agency_code,
            step_result=step.value)


def _request_supplement(c: _Change, body: a.RequestSupplement) -> None:
    done = c.dossier.supplement_requests
    if done >= MAX_SUPPLEMENT_REQUESTS:
        raise SupplementLimitReached({"supplement_requests": done})
    if done >= 1 and not body.legal_exception:
        raise SupplementAlreadyRequested({"supplement_requests": done})
    c.event(ev.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED, body.note, documents=body.documents,
            reason=body.reason, legal_exception=body.legal_exception)
    c.set(supplement_requests=done + 1)
    if c.dossier.received_at is not None:
        c.pause("supplement")


def _receive_supplement(c: _Change, body: a.ReceiveSupplement) -> None:
    c.resume()
    added = tuple(attachment_from(x) for x in body.attachments)
    reused = [x.document_id for x in added if x.source == "reused"]
    c.set(attachments=(*c.dossier.attachments, *added))
    if c.get("received_at") is None:  # incomplete at the desk: the clock starts now
        c.set(received_at=c.now)
    due = _legal_due(c)
    c.set(due_at=due, appointment_at=max(due, c.dossier.appointment_at))
    c.event(ev.RECEIVE_SUPPLEMENT, S.PROCESSING, body.note, appointment_at=c.get("appointment_at").isoformat(),
            reused_documents=len(reused) or None, reused_document_ids=reused or None)


def _request_payment(c: _Change, body: a.RequestPayment) -> None:
    c.set(payment=Payment(amount_vnd=body.amount_vnd, description=body.description, requested_at=c.now))
    c.event(ev.REQUEST_PAYMENT, S.AWAITING_PAYMENT, body.note, amount_vnd=body.amount_vnd)
    c.pause("financial_obligation")  # per procedure in law, default paused (docs/domain.md §4.4, UNSURE)


def _mark_paid(c: _Change, online: bool, reference: str | None, amount_vnd: int, note: str | None,
               **receipt: str) -> None:
    payment = c.dossier.payment
    if payment is None:
        raise PaymentNotRecorded({"reason": "no financial obligation was requested"})
    if payment.paid_at is not None:
        raise PaymentAlreadyRecorded({"paid_at": payment.paid_at.isoformat()})
    c.set(payment=payment.model_copy(update={"paid_at": c.now, "online": online, "reference": reference}))
    c.event(ev.RECORD_PAYMENT, None, note, online=online, amount_vnd=amount_vnd, **receipt)


def _record_payment(c: _Change, body: a.RecordPayment) -> None:
    _mark_paid(c, body.online, body.reference, body.amount_vnd, body.note)


def _resume(c: _Change, body: a.ResumeProcessing) -> None:
    payment = c.get("payment")
    if payment is None or payment.paid_at is None:
        raise PaymentNotRecorded()
    c.resume()
    c.set(due_at=_legal_due(c))
    c.event(ev.RESUME_PROCESSING, S.PROCESSING, body.note)


def _decide(c: _Change, body: a.Decide) -> None:
    if c.status is S.AWAITING_PAYMENT and (c.dossier.payment is None or c.dossier.payment.paid_at is None):
        raise PaymentNotRecorded()
    c.resume()
    c.set(finished_at=c.now, result=Result(documents=tuple(body.result_documents), electronic=body.electronic,
                                           decided_at=c.now))
    c.event(ev.DECIDE, S.DECIDED, body.note, timeliness=clock.timeliness(c.now, c.dossier.appointment_at).value)
    if body.electronic:
        c.event(ev.ISSUE_ELECTRONIC_RESULT, None, None, documents=list(body.result_documents))


def _return(c: _Change, body: a.ReturnResult) -> None:
    result = c.dossier.result
    if body.method == "electronic" and (result is None or not result.electronic):
        raise InvalidInput({"method": body.method}, message_vi="Hồ sơ không có kết quả điện tử.",
                           message_en="The dossier has no electronic result to return.")
    assert result is not None  # a decided dossier always has one
    c.set(returned_at=c.now, result=result.model_copy(update={"return_method": body.method}))
    c.event(ev.RETURN_RESULT, S.RETURNED, body.note, method=body.method)


def _withdraw(c: _Change, body: a.RequestWithdrawal) -> None:
    before_reception = c.dossier.status is S.SUBMITTED
    c.resume()
    c.event(ev.REQUEST_WITHDRAWAL, S.WITHDRAWAL_REQUESTED, body.note, reason=body.reason)
    if before_reception:
        # docs/domain.md §2.4: withdrawn before reception, it ends at once and without a stop notice.
        c.set(finished_at=c.now, stop_reason=body.reason or "withdrawn before reception")
        c.event(ev.STOP, S.STOPPED, None, stop_notice=False, reason="withdrawn before reception")


def _stop(c: _Change, body: a.Stop) -> None:
    c.resume()
    c.set(finished_at=c.now, stop_reason=body.reason)
    c.event(ev.STOP, S.STOPPED, body.note, stop_notice=True, reason=body.reason)  # Form 05


def _apologise(c: _Change, body: a.Apologise) -> None:
    dossier = c.dossier
    if dossier.apology is not None:
        raise ApologyAlreadyIssued({"new_appointment_at": dossier.apology.new_appointment_at.isoformat()})
    if dossier.finished_at is not None or dossier.status.is_terminal:
        raise ApologyNotApplicable({"status": int(dossier.status)})
    new = body.new_appointment_at
    on_working_day = default_calendar().is_working_day(new.astimezone(VN_TZ).date(), dossier.agency_code)
    if new <= dossier.appointment_at or not on_working_day:
        raise ApologyDateInvalid({"original_appointment_at": dossier.appointment_at.isoformat()})
    c.set(appointment_at=new, apology=Apology(issued_at=c.now, reason=body.reason,
                                              original_appointment_at=dossier.appointment_at,
                                              new_appointment_at=new, issued_by=c.actor.subject))
    c.event(ev.APOLOGISE, None, body.note, reason=body.reason, new_appointment_at=new.isoformat(),
            original_appointment_at=dossier.appointment_at.isoformat())


_EFFECTS: dict[a.ActionName, Callable[[_Change, Any], None]] = {
    a.ActionName.RECEIVE: _receive,
    a.ActionName.REFUSE: _refuse,
    a.ActionName.START_PROCESSING: _start,
    a.ActionName.TRANSFER: _transfer,
    a.ActionName.REQUEST_SUPPLEMENT: _request_supplement,
    a.ActionName.RECEIVE_SUPPLEMENT: _receive_supplement,
    a.ActionName.REQUEST_PAYMENT: _request_payment,
    a.ActionName.RECORD_PAYMENT: _record_payment,
    a.ActionName.RESUME_PROCESSING: _resume,
    a.ActionName.DECIDE: _decide,
    a.ActionName.RETURN_RESULT: _return,
    a.ActionName.REQUEST_WITHDRAWAL: _withdraw,
    a.ActionName.STOP: _stop,
    a.ActionName.APOLOGISE: _apologise,
}

# Where each action moves the dossier; checked against the transition table before anything else, so an
# action's own rules never run on a dossier in the wrong status.
_TARGET: dict[a.ActionName, DossierStatus | None] = {
    a.ActionName.RECEIVE: S.RECEIVED,
    a.ActionName.REFUSE: S.REFUSED,
    a.ActionName.START_PROCESSING: S.PROCESSING,
    a.ActionName.TRANSFER: S.PROCESSING,
    a.ActionName.REQUEST_SUPPLEMENT: S.SUPPLEMENT_REQUESTED,
    a.ActionName.RECEIVE_SUPPLEMENT: S.PROCESSING,
    a.ActionName.REQUEST_PAYMENT: S.AWAITING_PAYMENT,
    a.ActionName.RECORD_PAYMENT: None,
    a.ActionName.RESUME_PROCESSING: S.PROCESSING,
    a.ActionName.DECIDE: S.DECIDED,
    a.ActionName.RETURN_RESULT: S.RETURNED,
    a.ActionName.REQUEST_WITHDRAWAL: S.WITHDRAWAL_REQUESTED,
    a.ActionName.STOP: S.STOPPED,
    a.ActionName.APOLOGISE: None,
}

# The statuses each action applies in: its own precondition, checked besides the transition table. The table
# alone is not enough: 4 -> 4 is a transfer's move, and without this a second start_processing, a
# receive_supplement nobody requested, or a resume of a dossier never paused would pass as that move
# (Decree 61/2018 art. 16-19: each step is taken once, in its order).
_FROM: dict[a.ActionName, frozenset[DossierStatus]] = {
    a.ActionName.RECEIVE: frozenset({S.SUBMITTED}),
    a.ActionName.REFUSE: frozenset({S.SUBMITTED}),
    a.ActionName.START_PROCESSING: frozenset({S.RECEIVED}),
    a.ActionName.TRANSFER: frozenset({S.PROCESSING}),
    a.ActionName.REQUEST_SUPPLEMENT: frozenset({S.RECEIVED, S.PROCESSING}),
    a.ActionName.RECEIVE_SUPPLEMENT: frozenset({S.SUPPLEMENT_REQUESTED}),
    a.ActionName.REQUEST_PAYMENT: frozenset({S.PROCESSING}),
    a.ActionName.RECORD_PAYMENT: frozenset({S.AWAITING_PAYMENT}),
    a.ActionName.RESUME_PROCESSING: frozenset({S.AWAITING_PAYMENT}),
    a.ActionName.DECIDE: frozenset({S.PROCESSING, S.AWAITING_PAYMENT}),
    a.ActionName.RETURN_RESULT: frozenset({S.DECIDED}),
    a.ActionName.REQUEST_WITHDRAWAL: frozenset({S.SUBMITTED, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT_REQUESTED}),
    a.ActionName.STOP: frozenset({S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT, S.WITHDRAWAL_REQUESTED}),
    a.ActionName.APOLOGISE: frozenset({S.RECEIVED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT}),
}


def _ensure_applies(action: a.ActionName, status: DossierStatus) -> None:
    target = _TARGET[action]
    if target is not None:
        ensure_transition(status, target)
    if status not in _FROM[action]:
        raise ForbiddenTransition({"action": action.value, "status": int(status), "name_vi": status.name_vi,
                                   "allowed": sorted(int(s) for s in _FROM[action])})


def apply_action(dossier: Dossier, action: a.ActionName, body: a.ActionBody, actor: Actor, now: datetime,
                 request_id: str | None = None,
                 process: ProcessDefinition | None = None) -> tuple[Dossier, list[HistoryEvent]]:
    """The new dossier and its history events, or a typed error; nothing is written here. ``process``: the
    dossier's internal procedure (pinned at reception, docs/domain.md §11.4), whose steps follow the change."""
    authorise(dossier, action, actor)
    if body.expected_version is not None and body.expected_version != dossier.version:
        raise StaleDossier({"current_version": dossier.version, "current_status": int(dossier.status),
                            "expected_version": body.expected_version})
    if action in a.STEP_ACTIONS:
        return _step_action(dossier, action, body, actor, now, request_id, process)
    changed, events = _apply_status_action(dossier, action, body, actor, now, request_id)
    return follow_process(dossier, changed, events, process, actor, now, request_id)


def _apply_status_action(dossier: Dossier, action: a.ActionName, body: a.ActionBody, actor: Actor,
                         now: datetime, request_id: str | None) -> tuple[Dossier, list[HistoryEvent]]:
    _ensure_applies(action, dossier.status)
    change = _Change(dossier, actor, now, request_id)
    _EFFECTS[action](change, body)
    _track_processing_officer(change)
    return change.result()


def status_action(current: DossierStatus, target: DossierStatus) -> a.ActionName | None:
    """The workflow action that moves ``current`` to ``target`` (from the tables above: one transition table);
    None when none does. A step's status change is this action (docs/domain.md §11.4)."""
    return next((name for name, to in _TARGET.items() if to is target and current in _FROM[name]
                 and name not in (a.ActionName.TRANSFER, a.ActionName.REQUEST_WITHDRAWAL)), None)


class StepPayloadInvalid(InvalidInput):
    code = "STEP_PAYLOAD_INVALID"
    http_status = 422
    message_vi = "Nội dung kèm theo thao tác của bước không hợp lệ."
    message_en = "The payload of the step's action is invalid."


def _step_action(dossier: Dossier, action: a.ActionName, body: a.ActionBody, actor: Actor, now: datetime,
                 request_id: str | None, process: ProcessDefinition | None) -> tuple[Dossier, list[HistoryEvent]]:
    step = dossier.current_step
    if process is None or step is None:
        raise passage.NoOpenStep({"status": int(dossier.status)})
    assert isinstance(body, a.AssignStep | a.CompleteStep)
    if body.step_seq is not None and body.step_seq != step.seq:
        raise passage.StepMismatch({"step_seq": step.seq, "step_code": step.code})
    if isinstance(body, a.AssignStep):
        if actor.agency_code != step.agency_code:
            raise ActionOutsideAgency({"action": action.value, "agency_code": actor.agency_code})
        if action is a.ActionName.ASSIGN_STEP and step.lead is not None:
            raise StepAlreadyAssigned({"seq": step.seq, "lead": step.lead})
        reason = body.reason if isinstance(body, a.ReassignStep) else None
        changed, event = passage.assign(dossier, step.seq, body.lead, body.supporting, AssignmentRule.MANUAL, now,
                                        actor, request_id, reason=reason, note=body.note)
        return _bumped(changed, now), [event]
    passage.ensure_may_complete(step, actor)
    chosen = passage.step_action(process, step, body.step_action)
    target = passage.target_status(process, chosen)
    if target is dossier.status:  # a hand-over inside one status: no status change, no workflow action
        return follow_process(dossier, _bumped(dossier, now), [], process, actor, now, request_id, chosen)
    name = status_action(dossier.status, target)
    if name is None:
        ensure_transition(dossier.status, target)
        raise ForbiddenTransition({"status": int(dossier.status), "to": int(target)})
    try:
        status_body = a.PAYLOADS[name].model_validate({**body.payload, "note": body.note})
    except ValueError as error:  # pydantic's ValidationError: the payload is the client's
        raise StepPayloadInvalid({"action": name.value, "reason": str(error)}) from None
    authorise(dossier, name, actor)
    changed, events = _apply_status_action(dossier, name, status_body, actor, now, request_id)
    return follow_process(dossier, changed, events, process, actor, now, request_id, chosen)


class StepAlreadyAssigned(Conflict):
    code = "STEP_ALREADY_ASSIGNED"
    message_vi = "Bước đã được phân công; dùng thao tác phân công lại (có lý do)."
    message_en = "The step is already assigned; reassign it, with a reason."


def _bumped(dossier: Dossier, now: datetime) -> Dossier:
    return dossier.model_copy(update={"version": dossier.version + 1, "updated_at": now})


def follow_process(before: Dossier | None, changed: Dossier, events: list[HistoryEvent],
                   process: ProcessDefinition | None, actor: Actor, now: datetime, request_id: str | None,
                   chosen: Action | None = None) -> tuple[Dossier, list[HistoryEvent]]:
    """The steps after a change (docs/domain.md §11.4): at reception the definition is pinned and its first
    step entered; a step action (``chosen``), or a status change made by a workflow action directly, completes
    the open step and enters the next. New steps are unassigned here: the service names their officers.
    Nothing here touches the dossier's legal due date, appointment or verdict."""
    if process is None:
        return changed, events
    if changed.process is None:
        # Received by this change (receive, or a supplement completing a dossier found incomplete at the desk):
        # the start step, or the definition's first step of the status the dossier is now in.
        if changed.received_at is None or changed.status.is_terminal:
            return changed, events
        first = process.step(process.start)
        if first is None or first.status is not changed.status:
            first = passage.first_step_in(process, changed.status)
        if first is None:
            return changed, events
        changed = changed.model_copy(update={"process": passage.pin(process)})
        changed, entered = passage.enter(changed, process, first.code, now, actor, request_id)
        return changed, [*events, entered]
    step = changed.current_step
    if step is None or (chosen is None and changed.status is step.status):
        return changed, events
    was = before.status if before is not None else changed.status
    action = chosen or passage.matching_action(process, step, changed.status)
    if action is None:
        # The workflow moved the dossier where the step has no action for (a stop, a decision taken at an
        # earlier step): the step is closed by that action, and a step of the new status picks it up.
        again = None if changed.status.is_terminal else passage.first_step_in(process, changed.status)
        action = Action(code=_step_code(events), name_vi="Thao tác ngoài quy trình",
                        to_step=again.code if again is not None else None,
                        to_status=None if again is not None else changed.status)
    changed, done = passage.complete(changed, action, now, actor, request_id, changed.status, at_status=was)
    out = [done, *events]
    if action.to_step is not None:
        changed, entered = passage.enter(changed, process, action.to_step, now, actor, request_id, from_seq=step.seq)
        out.append(entered)
    return changed, out


def _step_code(events: list[HistoryEvent]) -> str:
    status_events = [e.action for e in events if e.from_status is not e.to_status]
    return (status_events[-1] if status_events else "WORKFLOW").upper()


def pay_online(dossier: Dossier, transaction_id: str, gateway: str, amount_vnd: int, actor: Actor, now: datetime,
               request_id: str | None = None,
               process: ProcessDefinition | None = None) -> tuple[Dossier, list[HistoryEvent]]:
    """A payment platform confirmed the obligation (``motcua.domain.payment.confirm``): the payment is
    recorded with the platform's receipt and processing resumes (6 -> 4), as ``record_payment`` then
    ``resume_processing`` would, in one change, checked against the same transition table. ``actor``: the
    platform, as ``Role.SYSTEM``. ``process``: as for :func:`apply_action`, the steps follow the move."""
    _ensure_applies(a.ActionName.RECORD_PAYMENT, dossier.status)
    _ensure_applies(a.ActionName.RESUME_PROCESSING, dossier.status)
    change = _Change(dossier, actor, now, request_id)
    _mark_paid(change, True, transaction_id, amount_vnd, None, gateway=gateway, transaction_id=transaction_id)
    _resume(change, a.ResumeProcessing())
    changed, events = change.result()
    return follow_process(dossier, changed, events, process, actor, now, request_id)


def deliver_by_post(dossier: Dossier, delivered_at: datetime, carrier: str, order_code: str, actor: Actor,
                    now: datetime, request_id: str | None = None,
                    process: ProcessDefinition | None = None) -> tuple[Dossier, list[HistoryEvent]]:
    """The carrier confirmed delivery of the result sent by post (Decision 45/2016/QĐ-TTg): the dossier is
    returned (9 -> 10, docs/domain.md §2.3) as ``return_result`` with method ``post`` would be, checked against
    the same transition table, with the returned-at time the carrier's delivery time, not the time we heard it.
    ``actor``: the carrier, as ``Role.SYSTEM``."""
    _ensure_applies(a.ActionName.RETURN_RESULT, dossier.status)
    result = dossier.result
    assert result is not None  # a decided dossier always has one
    change = _Change(dossier, actor, now, request_id)
    change.set(returned_at=delivered_at, result=result.model_copy(update={"return_method": "post"}))
    change.event(ev.RETURN_RESULT, S.RETURNED, None, method="post", carrier=carrier, order_code=order_code,
                 delivered_at=delivered_at.isoformat())
    changed, events = change.result()
    return follow_process(dossier, changed, events, process, actor, now, request_id)


def _track_processing_officer(c: _Change) -> None:
    """A processing officer who acts on the dossier becomes its officer, if they belong to the agency handling
    it after this action (an officer of the receiving agency acting after a transfer is not the new agency's)."""
    actor = c.actor
    if actor.role is not R.PROCESSING_OFFICER:
        return
    handling = c.get("handling_agency_code") or c.dossier.agency_code
    if actor.agency_code == handling:
        c.set(processing_officer=actor.subject)
