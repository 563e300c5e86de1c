"""How a dossier moves through its internal procedure: entering a step, choosing its officers, completing it
(docs/domain.md §11.4). Pure: the records are ``motcua.domain.steps``, the clock is ``motcua.domain.clock``.

The workflow calls these inside ``apply_action`` (``motcua.domain.workflow``), so a step's hand-over and the
status change it brings are one change with one version; the service names the officers a rule picks
(``assign_by_rule``) from the staff list it read, before the change is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from motcua.domain import actions as ev
from motcua.domain import clock
from motcua.domain.access import AccessDenied
from motcua.domain.actors import Actor, Role
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.errors import Conflict, InvalidInput
from motcua.domain.events import StepAssigned, StepCompleted, StepEntered
from motcua.domain.process.model import Action, ProcessDefinition, Step
from motcua.domain.status import DossierStatus
from motcua.domain.steps import AssignmentRule, ProcessPin, StepInstance

_CENT = Decimal("0.01")


class NoOpenStep(Conflict):
    code = "STEP_NOT_OPEN"
    message_vi = "Hồ sơ không có bước xử lý đang mở."
    message_en = "The dossier has no open step."


class StepMismatch(Conflict):
    code = "STEP_MISMATCH"
    message_vi = "Bước xử lý đã thay đổi; vui lòng tải lại hồ sơ."
    message_en = "The open step is not the one named; reload the dossier."


class StepActionUnknown(InvalidInput):
    code = "STEP_ACTION_UNKNOWN"
    http_status = 422
    message_vi = "Thao tác không có trong quy trình nội bộ của bước này."
    message_en = "This action is not one of the step's actions in the internal procedure."


class StepAssignmentUnchanged(Conflict):
    code = "STEP_ASSIGNMENT_UNCHANGED"
    message_vi = "Bước đã được phân công cho đúng những cán bộ này."
    message_en = "The step is already assigned to these officers."


class NotStepOfficer(AccessDenied):
    code = "STEP_NOT_ASSIGNED_TO_YOU"
    message_vi = "Bạn không được phân công xử lý bước này."
    message_en = "You are not an officer of this step."


class StepOfficerInvalid(InvalidInput):
    code = "STEP_OFFICER_INVALID"
    http_status = 422
    message_vi = "Cán bộ được phân công không hợp lệ (trùng lặp hoặc không thuộc cơ quan, vai trò của bước)."
    message_en = "The officers named are invalid (repeated, or not of the step's agency and role)."


@dataclass(frozen=True)
class Candidate:
    """An official who may be given a step: of the step's agency and role, with their open steps now."""

    subject: str
    open_steps: int = 0


def pin(definition: ProcessDefinition) -> ProcessPin:
    return ProcessPin(procedure_code=definition.procedure_code, agency=definition.agency,
                      version=definition.version, generated=definition.generated)


def _event(dossier: Dossier, action: str, actor: Actor, now: datetime, details: Any,
           request_id: str | None, note: str | None = None, at_status: DossierStatus | None = None) -> HistoryEvent:
    status = at_status if at_status is not None else dossier.status  # status-neutral: from == to
    return HistoryEvent(dossier_id=dossier.id, occurred_at=now, action=action, from_status=status,
                        to_status=status, actor=actor, note=note,
                        details=details.model_dump(mode="json"), request_id=request_id)


def _budget_hours(step: Step, steps: Sequence[StepInstance]) -> tuple[Decimal | None, int | None]:
    """The step's budget in working hours, and the earlier step it continues (what that one had left)."""
    if step.continues is not None:
        earlier = next((s for s in reversed(steps) if s.code == step.continues), None)
        if earlier is not None:
            return (earlier.hours_left if earlier.hours_left is not None else Decimal(0)), earlier.seq
        return None, None
    return (step.budget.in_hours().quantize(_CENT) if step.budget is not None else None), None


def enter(dossier: Dossier, definition: ProcessDefinition, code: str, now: datetime, actor: Actor,
          request_id: str | None, from_seq: int | None = None) -> tuple[Dossier, HistoryEvent]:
    """The dossier in step ``code`` from ``now``, its due time on the one clock (unassigned yet)."""
    step = definition.step(code)
    assert step is not None, f"{definition.key}: no step {code}"  # the rules check every to_step exists
    agency = step.agency or dossier.current_agency
    hours, continued = _budget_hours(step, dossier.steps)
    due = (clock.deadline_for(clock.TimeLimit(value=hours, unit=clock.TimeUnit.WORKING_HOURS), now, agency=agency)
           if hours is not None and hours > 0 else (now if hours is not None else None))
    instance = StepInstance(seq=len(dossier.steps) + 1, code=step.code, name_vi=step.name_vi, unit=step.unit,
                            role=step.role, status=step.status, agency_code=agency, interagency=step.interagency,
                            entered_at=now, budget_hours=hours, due_at=due, continues_seq=continued)
    changed = dossier.model_copy(update={"steps": (*dossier.steps, instance)})
    details = StepEntered(seq=instance.seq, step_code=step.code, name_vi=step.name_vi, unit=step.unit,
                          role=step.role.value, agency_code=agency, status=int(step.status),
                          interagency=step.interagency, entered_at=now, due_at=due,
                          budget_hours=str(hours) if hours is not None else None, continues_seq=continued,
                          process_version=definition.version, process_agency=definition.agency, from_seq=from_seq)
    return changed, _event(changed, ev.STEP_ENTER, actor, now, details, request_id)


def complete(dossier: Dossier, action: Action, now: datetime, actor: Actor, request_id: str | None,
             to_status: DossierStatus, *, at_status: DossierStatus) -> tuple[Dossier, HistoryEvent]:
    """The open step done by ``action`` at ``now``: its verdict on the one clock (docs/domain.md §4.6). The
    dossier's own due date and verdict are not touched: a step late or early changes nothing of them."""
    step = dossier.current_step
    assert step is not None
    verdict = clock.timeliness(now, step.due_at) if step.due_at is not None else None
    left = None
    if step.budget_hours is not None and step.due_at is not None:
        used = clock.working_hours_between(step.entered_at, now, agency=step.agency_code)
        left = max(Decimal(0), step.budget_hours - used).quantize(_CENT) if now <= step.due_at else Decimal(0)
    done = step.model_copy(update={"completed_at": now, "completed_by": actor.subject, "action": action.code,
                                   "verdict": verdict, "hours_left": left})
    changed = dossier.model_copy(update={"steps": (*dossier.steps[:-1], done)})
    details = StepCompleted(seq=step.seq, step_code=step.code, unit=step.unit, agency_code=step.agency_code,
                            giver=step.lead, completed_by=actor.subject, entered_at=step.entered_at,
                            due_at=step.due_at, completed_at=now, verdict=verdict.value if verdict else None,
                            hours_left=str(left) if left is not None else None, action=action.code,
                            to_step=action.to_step, to_status=int(to_status))
    # Written before the status event of the same change, at the status the step was in.
    return changed, _event(changed, ev.STEP_COMPLETE, actor, now, details, request_id, at_status=at_status)


def link_hand_over(events: list[HistoryEvent], entered: StepInstance) -> None:
    """Fill the hand-over row (``step_complete``) with the step it led to and that step's lead, once known."""
    for i in range(len(events) - 1, -1, -1):
        if events[i].action == ev.STEP_COMPLETE:
            details = {**events[i].details, "to_seq": entered.seq, "to_step": entered.code, "to_unit": entered.unit,
                       "to_agency_code": entered.agency_code, "receiver": entered.lead}
            events[i] = events[i].model_copy(update={"details": details})
            return


def assign(dossier: Dossier, seq: int, lead: str | None, supporting: Sequence[str], rule: AssignmentRule,
           now: datetime, actor: Actor, request_id: str | None, *, reason: str | None = None,
           note: str | None = None) -> tuple[Dossier, HistoryEvent]:
    """The step's officers set; ``step_reassign`` (audited, the previous ones kept) when it had a lead."""
    step = dossier.steps[seq - 1]
    extra = tuple(dict.fromkeys(s for s in supporting if s != lead))
    if lead is not None and len(extra) != len(supporting):
        raise StepOfficerInvalid({"lead": lead, "supporting": list(supporting)})
    if step.lead is not None and (step.lead, step.supporting) == (lead, extra):
        raise StepAssignmentUnchanged({"seq": seq, "lead": lead})
    updated = step.model_copy(update={"lead": lead, "supporting": extra, "assigned_by": rule, "assigned_at": now})
    changed = dossier.model_copy(update={"steps": tuple(updated if s.seq == seq else s for s in dossier.steps)})
    again = step.lead is not None
    details = StepAssigned(seq=seq, step_code=step.code, unit=step.unit, agency_code=step.agency_code, lead=lead,
                           supporting=extra, rule=rule.value, previous_lead=step.lead if again else None,
                           previous_supporting=step.supporting if again else (), reason=reason)
    return changed, _event(changed, ev.STEP_REASSIGN if again else ev.STEP_ASSIGN, actor, now, details,
                           request_id, note)


def choose(step: StepInstance, steps: Sequence[StepInstance], rule: AssignmentRule,
           candidates: Sequence[Candidate], turn: int = 0) -> tuple[str | None, AssignmentRule]:
    """The lead a rule picks for ``step``: ``previous_step`` takes the continued step's lead, else the lead of
    the step just completed if of the same role and agency, else falls back to the least loaded; among the
    candidates (sorted by subject) ``round_robin`` takes turn ``turn``, ``least_loaded`` the fewest open steps
    (ties: in subject order). None when nobody of the role is there."""
    if rule is AssignmentRule.PREVIOUS_STEP:
        before = [s for s in steps if s.seq < step.seq]
        source = next((s for s in before if s.seq == step.continues_seq), None) or (before[-1] if before else None)
        if source is not None and source.lead and (source.seq == step.continues_seq or (
                source.role, source.agency_code) == (step.role, step.agency_code)):
            return source.lead, rule
        rule = AssignmentRule.LEAST_LOADED
    ordered = sorted(candidates, key=lambda c: c.subject)
    if not ordered:
        return None, rule
    if rule is AssignmentRule.ROUND_ROBIN:
        return ordered[turn % len(ordered)].subject, rule
    return min(ordered, key=lambda c: (c.open_steps, c.subject)).subject, AssignmentRule.LEAST_LOADED


def rule_for(step: Step) -> AssignmentRule:
    """The step's configured rule: a continuation goes back to the officer who started the work."""
    if step.assignment is not None:
        return AssignmentRule(step.assignment)
    return AssignmentRule.PREVIOUS_STEP if step.continues is not None else AssignmentRule.LEAST_LOADED


def ensure_may_complete(step: StepInstance, actor: Actor) -> None:
    """The step's officers act on it; the agency's leaders may act for them."""
    if actor.subject in step.officers:
        return
    if actor.role is Role.AGENCY_LEADER and actor.agency_code == step.agency_code:
        return
    raise NotStepOfficer({"seq": step.seq, "step_code": step.code})


def step_action(definition: ProcessDefinition, step: StepInstance, code: str) -> Action:
    found = definition.step(step.code)
    action = next((a for a in found.actions if a.code == code), None) if found is not None else None
    if action is None:
        raise StepActionUnknown({"step_code": step.code, "action": code,
                                 "allowed": [a.code for a in found.actions] if found else []})
    return action


def target_status(definition: ProcessDefinition, action: Action) -> DossierStatus:
    if action.to_status is not None:
        return action.to_status
    assert action.to_step is not None
    target = definition.step(action.to_step)
    assert target is not None
    return target.status


def matching_action(definition: ProcessDefinition, step: StepInstance, status: DossierStatus) -> Action | None:
    """The step's action that leads into ``status`` (a status change made by a workflow action directly)."""
    found = definition.step(step.code)
    if found is None:
        return None
    return next((a for a in found.actions if target_status(definition, a) is status), None)


def first_step_in(definition: ProcessDefinition, status: DossierStatus) -> Step | None:
    """Where a dossier moved by a status change its open step has no action for picks the procedure up again:
    the definition's first step of that status that carries no other step's remaining time."""
    return next((s for s in definition.steps if s.status is status and s.continues is None), None)
