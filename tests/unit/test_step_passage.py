"""A dossier through its internal procedure in the pure workflow (docs/domain.md §11.4): the definition pinned
at reception, each step entered with its due time on the one clock, completed with its verdict, and the
status changes made by the workflow's own actions (one transition table)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from motcua.domain import actions as ev
from motcua.domain import clock
from motcua.domain import commands as a
from motcua.domain.actors import Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.errors import MotcuaError
from motcua.domain.events import StepCompleted
from motcua.domain.process import passage
from motcua.domain.process.library import default_definition
from motcua.domain.status import DossierStatus as S
from motcua.domain.steps import AssignmentRule, StepInstance
from motcua.domain.workflow import apply_action, status_action
from tests.unit.catalogue_fixtures import procedure
from tests.unit.test_workflow import COMMUNE, DESK, LEADER, PROCESSOR, submitted

PROC = procedure("1.001266")
PROCESS = default_definition(PROC)


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=VN_TZ)


def act(dossier, action, actor, when, **body):
    return apply_action(dossier, action, a.PAYLOADS[action](**body), actor, when, process=PROCESS)


def _assigned(dossier, lead: str):
    changed, _ = passage.assign(dossier, dossier.current_step.seq, lead, (), AssignmentRule.LEAST_LOADED,
                                dossier.updated_at, LEADER, None)
    return changed


def received():
    dossier, events = act(submitted(PROC), a.ActionName.RECEIVE, DESK, at(3, 10))
    return dossier, events


def test_reception_pins_the_definition_and_enters_its_first_step_on_the_clock() -> None:
    dossier, events = received()
    assert dossier.process is not None and dossier.process.generated and dossier.process.version == 1
    step = dossier.current_step
    assert (step.seq, step.code, step.status, step.agency_code) == (1, "TIEP_NHAN", S.RECEIVED, COMMUNE)
    expected = clock.deadline_for(clock.TimeLimit(step.budget_hours, clock.TimeUnit.WORKING_HOURS), at(3, 10),
                                  agency=COMMUNE)
    assert step.due_at == expected and at(3, 10) < step.due_at
    assert [e.action for e in events] == [ev.RECEIVE, ev.STEP_ENTER]
    assert events[1].from_status is events[1].to_status is S.RECEIVED  # status-neutral
    assert events[1].details["due_at"] == expected.isoformat()


def test_a_hand_over_inside_one_status_and_a_status_change_by_its_workflow_action() -> None:
    dossier, _ = received()
    dossier = _assigned(dossier, DESK.subject)
    # TIEP_NHAN -> THAM_DINH is 2 -> 4: the workflow's start_processing, through the step's action.
    dossier, events = act(dossier, a.ActionName.COMPLETE_STEP, DESK, at(3, 11), step_action="CHUYEN_XU_LY")
    assert dossier.status is S.PROCESSING and dossier.current_step.code == "THAM_DINH"
    assert [e.action for e in events] == [ev.STEP_COMPLETE, ev.START_PROCESSING, ev.STEP_ENTER]
    row = StepCompleted.model_validate(events[0].details)
    assert (row.step_code, row.giver, row.verdict, row.to_step, row.to_status) == (
        "TIEP_NHAN", DESK.subject, "on_time", "THAM_DINH", 4)  # the same day, before due
    assert events[0].from_status is events[0].to_status is S.RECEIVED
    dossier = _assigned(dossier, PROCESSOR.subject)
    # THAM_DINH -> PHE_DUYET: both in 4, no status change, no workflow event.
    before = dossier
    dossier, events = act(dossier, a.ActionName.COMPLETE_STEP, PROCESSOR, at(4, 9), step_action="TRINH_KY")
    assert dossier.status is S.PROCESSING and dossier.version == before.version + 1
    assert [e.action for e in events] == [ev.STEP_COMPLETE, ev.STEP_ENTER]
    assert (dossier.due_at, dossier.appointment_at) == (before.due_at, before.appointment_at)


def test_completing_a_step_late_does_not_move_the_dossier_due_date_nor_its_verdict() -> None:
    dossier, _ = received()
    dossier = _assigned(dossier, DESK.subject)
    late = clock.deadline_for(clock.TimeLimit(Decimal(2), clock.TimeUnit.WORKING_HOURS), dossier.current_step.due_at,
                              agency=COMMUNE)
    before = dossier
    dossier, events = act(dossier, a.ActionName.COMPLETE_STEP, DESK, late, step_action="CHUYEN_XU_LY")
    done = dossier.steps[0]
    assert done.verdict is clock.Timeliness.LATE and done.hours_left == 0
    assert (dossier.due_at, dossier.appointment_at) == (before.due_at, before.appointment_at)
    assert all(e.details.get("appointment_at") in (None, before.appointment_at.isoformat()) for e in events)


def test_a_continuation_carries_on_what_was_left_and_a_plain_workflow_action_moves_the_steps() -> None:
    dossier, _ = received()
    dossier = _assigned(dossier, DESK.subject)
    dossier, _ = act(dossier, a.ActionName.COMPLETE_STEP, DESK, at(3, 11), step_action="CHUYEN_XU_LY")
    dossier = _assigned(dossier, PROCESSOR.subject)
    # The plain workflow route (request_supplement) completes THAM_DINH by its matching action.
    dossier, _ = act(dossier, a.ActionName.REQUEST_SUPPLEMENT, PROCESSOR, at(3, 14),
                          documents=["Giấy chứng sinh"], reason="Thiếu giấy chứng sinh")
    assert dossier.current_step.code == "CHO_BO_SUNG" and dossier.current_step.due_at is None
    assert dossier.steps[1].action == "YEU_CAU_BO_SUNG" and dossier.steps[1].hours_left > 0
    dossier, _ = act(dossier, a.ActionName.RECEIVE_SUPPLEMENT, DESK, at(5, 9))
    again = dossier.current_step
    assert again.code == "THAM_DINH_SAU_BO_SUNG" and again.continues_seq == 2
    assert again.budget_hours == dossier.steps[1].hours_left
    lead, rule = passage.choose(again, dossier.steps, AssignmentRule.PREVIOUS_STEP, [])
    assert (lead, rule) == (PROCESSOR.subject, AssignmentRule.PREVIOUS_STEP)


def test_only_the_step_officers_or_a_leader_complete_it_and_only_its_own_actions() -> None:
    dossier, _ = received()
    dossier = _assigned(dossier, "officer-other")
    with pytest.raises(passage.NotStepOfficer):
        act(dossier, a.ActionName.COMPLETE_STEP, DESK, at(3, 11), step_action="CHUYEN_XU_LY")
    with pytest.raises(passage.StepActionUnknown):
        act(dossier, a.ActionName.COMPLETE_STEP, LEADER, at(3, 11), step_action="KY_DUYET")
    with pytest.raises(passage.StepMismatch):
        act(dossier, a.ActionName.COMPLETE_STEP, LEADER, at(3, 11), step_action="CHUYEN_XU_LY", step_seq=2)
    changed, _ = act(dossier, a.ActionName.COMPLETE_STEP, LEADER, at(3, 11), step_action="CHUYEN_XU_LY")
    assert changed.steps[0].completed_by == LEADER.subject


def test_reassignment_is_audited_and_assign_refuses_an_assigned_step() -> None:
    dossier, _ = received()
    dossier, events = act(dossier, a.ActionName.ASSIGN_STEP, LEADER, at(3, 10, 5), lead="officer-a",
                          supporting=["officer-b"])
    assert [e.action for e in events] == [ev.STEP_ASSIGN]
    with pytest.raises(MotcuaError) as refused:
        act(dossier, a.ActionName.ASSIGN_STEP, LEADER, at(3, 10, 6), lead="officer-c")
    assert refused.value.code == "STEP_ALREADY_ASSIGNED"
    dossier, events = act(dossier, a.ActionName.REASSIGN_STEP, LEADER, at(3, 10, 7), lead="officer-c",
                          reason="Cán bộ nghỉ phép")
    assert events[0].action == ev.STEP_REASSIGN
    assert (events[0].details["previous_lead"], events[0].details["previous_supporting"],
            events[0].details["reason"]) == ("officer-a", ["officer-b"], "Cán bộ nghỉ phép")
    assert dossier.current_step.lead == "officer-c"
    with pytest.raises(MotcuaError):
        act(dossier, a.ActionName.REASSIGN_STEP, PROCESSOR, at(3, 10, 8), lead="officer-d", reason="Không hợp lệ")


def test_rules_pick_in_turn_or_the_least_loaded() -> None:
    step = StepInstance(seq=1, code="X", name_vi="x", unit="u", role=Role.PROCESSING_OFFICER, status=S.PROCESSING,
                        agency_code=COMMUNE, entered_at=at(3))
    staff = [passage.Candidate("c", 0), passage.Candidate("a", 3), passage.Candidate("b", 1)]
    assert [passage.choose(step, (), AssignmentRule.ROUND_ROBIN, staff, t)[0] for t in range(4)] == ["a", "b", "c", "a"]
    assert passage.choose(step, (), AssignmentRule.LEAST_LOADED, staff) == ("c", AssignmentRule.LEAST_LOADED)
    assert passage.choose(step, (), AssignmentRule.PREVIOUS_STEP, staff) == ("c", AssignmentRule.LEAST_LOADED)
    assert passage.choose(step, (), AssignmentRule.LEAST_LOADED, []) == (None, AssignmentRule.LEAST_LOADED)


def test_a_step_status_change_is_the_one_workflow_action_for_it() -> None:
    assert status_action(S.RECEIVED, S.PROCESSING) is a.ActionName.START_PROCESSING
    assert status_action(S.PROCESSING, S.DECIDED) is a.ActionName.DECIDE
    assert status_action(S.DECIDED, S.RETURNED) is a.ActionName.RETURN_RESULT
    assert status_action(S.SUPPLEMENT_REQUESTED, S.PROCESSING) is a.ActionName.RECEIVE_SUPPLEMENT
    assert status_action(S.RETURNED, S.PROCESSING) is None


@pytest.mark.parametrize(("action", "actor", "body"), [
    (a.ActionName.ASSIGN_STEP, LEADER, {"lead": "officer-a"}),
    (a.ActionName.REASSIGN_STEP, LEADER, {"lead": "officer-b", "reason": "Cân đối công việc"}),
    (a.ActionName.COMPLETE_STEP, LEADER, {"step_action": "CHUYEN_XU_LY"}),
], ids=lambda v: v.value if isinstance(v, a.ActionName) else "")
def test_every_step_action_taken_twice_in_a_row_is_refused_the_second_time(action, actor, body) -> None:
    dossier, _ = received()
    if action is a.ActionName.REASSIGN_STEP:
        dossier = _assigned(dossier, "officer-a")
    dossier, _ = act(dossier, action, actor, at(3, 11), **body)
    with pytest.raises(MotcuaError) as raised:
        act(dossier, action, actor, at(3, 12), **body)
    assert 400 <= raised.value.http_status < 500


def test_without_a_process_the_step_actions_are_refused() -> None:
    with pytest.raises(passage.NoOpenStep):
        apply_action(submitted(PROC), a.ActionName.ASSIGN_STEP, a.AssignStep(lead="officer-a"), LEADER, at(3))


def test_only_a_procedure_with_a_definition_is_followed_unless_the_generated_split_is_accepted() -> None:
    from motcua.domain.process import library
    from motcua.service.steps import StepDesk

    class Catalogue:
        def procedure(self, code: str):
            return library.catalogue()[code]

    without = submitted(procedure("1.001266"))  # no seeded definition: only the generated split
    seeded = submitted(procedure("1.001193"))  # birth registration: seeded
    desk = StepDesk(catalogue=Catalogue())  # type: ignore[arg-type]
    assert desk.definition_for(without, at(3)) is None
    chosen = desk.definition_for(seeded, at(3))
    assert chosen is not None and not chosen.generated and chosen.procedure_code == "1.001193"
    accepted = StepDesk(catalogue=Catalogue(), follow_generated=True)  # type: ignore[arg-type]
    assert accepted.definition_for(without, at(3)).generated
