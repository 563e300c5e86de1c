"""The officials' workflow as pure functions: every action, the rules of docs/domain.md §2–§4, the roles."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from motcua.domain import commands as a
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.catalogue import Channel, Procedure
from motcua.domain.dossier import Applicant, Dossier, StaleDossier, open_dossier
from motcua.domain.errors import MotcuaError
from motcua.domain.status import DossierStatus as S
from motcua.domain.status import ForbiddenTransition
from motcua.domain.workflow import (
    ActionNotAllowedForRole,
    ActionOutsideAgency,
    ApologyAlreadyIssued,
    ApologyDateInvalid,
    PaymentNotRecorded,
    SupplementAlreadyRequested,
    SupplementLimitReached,
    apply_action,
)
from tests.unit.catalogue_fixtures import procedure

COMMUNE = "000.20.01.H36"
OTHER = "000.20.02.H36"
CITIZEN = Actor(subject="citizen-hang", role=Role.CITIZEN)
DESK = Actor(subject="officer-lan", role=Role.RECEPTION_OFFICER, agency_code=COMMUNE)
PROCESSOR = Actor(subject="officer-minh", role=Role.PROCESSING_OFFICER, agency_code=COMMUNE)
LEADER = Actor(subject="chairman-tuan", role=Role.AGENCY_LEADER, agency_code=COMMUNE)
FOREIGN = Actor(subject="officer-x", role=Role.PROCESSING_OFFICER, agency_code=OTHER)
INSPECTOR = Actor(subject="inspector-y", role=Role.INSPECTOR)


def at(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN_TZ)


def submitted(proc: Procedure | None = None, when: datetime | None = None) -> Dossier:
    dossier, _ = open_dossier(
        dossier_id="d" * 32, receipt_code=f"{COMMUNE}-260302-0001", procedure=proc or procedure("1.001266"),
        agency_code=COMMUNE, channel=Channel.ONLINE,
        applicant=Applicant(full_name="Nguyễn Thị Hằng", national_id="079203001234", phone="+84912345678",
                            address="Đà Lạt"),
        attachments=(), submitted_by=CITIZEN, owner=CITIZEN.subject, now=when or at(2),
    )
    return dossier


def act(dossier: Dossier, action: a.ActionName, actor: Actor, when: datetime, **body):
    return apply_action(dossier, action, a.PAYLOADS[action](**body), actor, when)


def run(dossier: Dossier, *steps) -> Dossier:
    for action, actor, when, body in steps:
        dossier, _ = act(dossier, action, actor, when, **body)
    return dossier


def test_reception_starts_the_clock_and_sets_the_appointment() -> None:
    # Given a 5-working-day procedure submitted online on Monday 2/3, When the desk receives it on
    # Tuesday 3/3 at 10:00, Then 5 working days after Tuesday → Tuesday 10/3 17:00.
    dossier, events = act(submitted(), a.ActionName.RECEIVE, DESK, at(3, 10))
    assert dossier.status is S.RECEIVED and dossier.received_at == at(3, 10)
    assert dossier.due_at == dossier.appointment_at == at(10, 17)
    assert dossier.version == 2
    assert [(e.action, e.from_status, e.to_status) for e in events] == [("receive", S.SUBMITTED, S.RECEIVED)]
    assert events[0].details["appointment_at"] == "2026-03-10T17:00:00+07:00"


def test_a_supplement_pauses_the_clock_and_resuming_pushes_the_deadline() -> None:
    dossier = run(submitted(), (a.ActionName.RECEIVE, DESK, at(3, 10), {}),
                  (a.ActionName.START_PROCESSING, PROCESSOR, at(3, 11), {}))
    # Paused from Wednesday 4/3 09:00 to Monday 9/3 09:00: three working days (Wed, Thu, Fri) stand still.
    dossier, _ = act(dossier, a.ActionName.REQUEST_SUPPLEMENT, PROCESSOR, at(4, 9),
                     documents=["Bản sao giấy chứng sinh"], reason="Thiếu giấy chứng sinh")
    assert dossier.status is S.SUPPLEMENT_REQUESTED and dossier.open_pause is not None
    dossier, _ = act(dossier, a.ActionName.RECEIVE_SUPPLEMENT, CITIZEN, at(9, 9))
    assert dossier.status is S.PROCESSING and dossier.open_pause is None
    assert dossier.due_at == at(13, 17)  # Tuesday 10/3 17:00 pushed by 3 working days → Friday 13/3 17:00
    assert dossier.appointment_at == at(13, 17)


def test_a_second_supplement_needs_a_legal_ground_and_a_third_is_never_allowed() -> None:
    dossier = run(submitted(), (a.ActionName.RECEIVE, DESK, at(3), {}),
                  (a.ActionName.REQUEST_SUPPLEMENT, DESK, at(3, 10),
                   {"documents": ["Tờ khai"], "reason": "Thiếu tờ khai"}),
                  (a.ActionName.RECEIVE_SUPPLEMENT, DESK, at(4), {}))
    body = {"documents": ["Ảnh"], "reason": "Ảnh mờ"}
    with pytest.raises(SupplementAlreadyRequested):
        act(dossier, a.ActionName.REQUEST_SUPPLEMENT, PROCESSOR, at(5), **body)
    dossier = run(dossier, (a.ActionName.REQUEST_SUPPLEMENT, PROCESSOR, at(5),
                            {**body, "legal_exception": "Điều 20 khoản 4 Nghị định 63/2010"}),
                  (a.ActionName.RECEIVE_SUPPLEMENT, CITIZEN, at(6), {}))
    assert dossier.supplement_requests == 2
    with pytest.raises(SupplementLimitReached):
        act(dossier, a.ActionName.REQUEST_SUPPLEMENT, PROCESSOR, at(9), **body, legal_exception="again")


def test_the_payment_path_pauses_until_paid_and_records_the_channel() -> None:
    dossier = run(submitted(), (a.ActionName.RECEIVE, DESK, at(3), {}),
                  (a.ActionName.START_PROCESSING, PROCESSOR, at(3, 10), {}),
                  (a.ActionName.REQUEST_PAYMENT, PROCESSOR, at(4), {"amount_vnd": 50000, "description": "Lệ phí"}))
    with pytest.raises(PaymentNotRecorded):
        act(dossier, a.ActionName.RESUME_PROCESSING, PROCESSOR, at(5))
    dossier = run(dossier, (a.ActionName.RECORD_PAYMENT, DESK, at(5), {"amount_vnd": 50000, "online": True}),
                  (a.ActionName.RESUME_PROCESSING, PROCESSOR, at(5, 10), {}))
    assert dossier.payment is not None and dossier.payment.online is True
    assert dossier.status is S.PROCESSING
    # Paused Wednesday 4/3 09:00 → Thursday 5/3 10:00: one working day and one office hour later than 10/3.
    assert dossier.due_at > at(10, 17)


def test_decide_and_return_end_the_dossier_and_an_electronic_result_is_announced() -> None:
    dossier = run(submitted(), (a.ActionName.RECEIVE, DESK, at(3), {}),
                  (a.ActionName.START_PROCESSING, PROCESSOR, at(3, 10), {}))
    dossier, events = act(dossier, a.ActionName.DECIDE, PROCESSOR, at(4),
                          result_documents=["results/" + "a" * 32 + "/giay-khai-sinh.pdf"], electronic=True)
    assert dossier.status is S.DECIDED and dossier.finished_at == at(4)
    assert [e.action for e in events] == ["decide", "issue_electronic_result"]
    assert events[0].details["timeliness"] == "early"
    dossier, _ = act(dossier, a.ActionName.RETURN_RESULT, DESK, at(5), method="electronic")
    assert dossier.status is S.RETURNED and dossier.status.is_terminal


def test_withdrawal_before_reception_ends_at_once_without_a_stop_notice() -> None:
    dossier, events = act(submitted(), a.ActionName.REQUEST_WITHDRAWAL, CITIZEN, at(2, 15))
    assert [(e.from_status, e.to_status) for e in events] == [(S.SUBMITTED, S.WITHDRAWAL_REQUESTED),
                                                              (S.WITHDRAWAL_REQUESTED, S.STOPPED)]
    assert events[1].details["stop_notice"] is False
    assert dossier.status is S.STOPPED


def test_withdrawal_after_reception_waits_for_the_agency_to_stop_with_a_notice() -> None:
    dossier = run(submitted(), (a.ActionName.RECEIVE, DESK, at(3), {}),
                  (a.ActionName.REQUEST_WITHDRAWAL, CITIZEN, at(4), {"reason": "Không còn nhu cầu"}))
    assert dossier.status is S.WITHDRAWAL_REQUESTED
    dossier, events = act(dossier, a.ActionName.STOP, PROCESSOR, at(4, 10), reason="Công dân rút hồ sơ")
    assert dossier.status is S.STOPPED and events[0].details["stop_notice"] is True


def test_transfer_hands_the_dossier_over_and_logs_the_control_slip() -> None:
    dossier = run(submitted(), (a.ActionName.RECEIVE, DESK, at(3), {}),
                  (a.ActionName.START_PROCESSING, PROCESSOR, at(3, 10), {}))
    dossier, _ = act(dossier, a.ActionName.TRANSFER, PROCESSOR, at(4), to_agency_code=OTHER)
    assert dossier.current_agency == OTHER and OTHER in dossier.agencies
    assert dossier.control_slip[0].from_unit == COMMUNE and dossier.control_slip[0].step_result == "early"
    # Now the other agency's officer may act, and the first agency's desk still may (it received it).
    act(dossier, a.ActionName.REQUEST_PAYMENT, FOREIGN, at(5), amount_vnd=1000, description="Phí thẩm định")


def test_the_processing_officer_is_who_processes_it_at_the_handling_agency() -> None:
    # SLA notices go to the dossier's processing officer; the desk and the leader acting do not make
    # them one, a processing officer does, and a transfer leaves the new agency without one until theirs acts.
    dossier = run(submitted(), (a.ActionName.RECEIVE, DESK, at(3), {}))
    assert dossier.processing_officer is None
    dossier, _ = act(dossier, a.ActionName.START_PROCESSING, LEADER, at(3, 10))
    assert dossier.processing_officer is None  # a leader acting is not the officer processing it
    dossier, _ = act(dossier, a.ActionName.REQUEST_PAYMENT, PROCESSOR, at(3, 11), amount_vnd=1000,
                     description="Phí thẩm định")
    assert dossier.processing_officer == PROCESSOR.subject
    colleague = Actor(subject="officer-ha", role=Role.PROCESSING_OFFICER, agency_code=COMMUNE)
    dossier, _ = act(dossier, a.ActionName.RECORD_PAYMENT, colleague, at(4), amount_vnd=1000, online=True)
    assert dossier.processing_officer == "officer-ha"  # the last one of theirs to act holds it
    dossier, _ = act(dossier, a.ActionName.RESUME_PROCESSING, DESK, at(4, 10))
    assert dossier.processing_officer == "officer-ha"
    dossier, _ = act(dossier, a.ActionName.TRANSFER, colleague, at(5), to_agency_code=OTHER)
    assert dossier.current_agency == OTHER and dossier.processing_officer is None
    # An officer of the receiving agency may still act, but is not the handling agency's officer.
    dossier, _ = act(dossier, a.ActionName.REQUEST_SUPPLEMENT, PROCESSOR, at(5, 10), documents=["Tờ khai"],
                     reason="Thiếu tờ khai")
    assert dossier.processing_officer is None
    dossier, _ = act(dossier, a.ActionName.RECEIVE_SUPPLEMENT, DESK, at(6), attachments=[])
    dossier, _ = act(dossier, a.ActionName.DECIDE, FOREIGN, at(6, 10), electronic=False)
    assert dossier.processing_officer == FOREIGN.subject
    # Stored and read back like every other field.
    assert Dossier.model_validate_json(dossier.model_dump_json()).processing_officer == FOREIGN.subject


def test_apology_once_with_a_later_working_day() -> None:
    dossier = run(submitted(), (a.ActionName.RECEIVE, DESK, at(3, 10), {}))  # due Tuesday 10/3 17:00
    with pytest.raises(ApologyDateInvalid):  # Saturday 14/3 is a day off
        act(dossier, a.ActionName.APOLOGISE, LEADER, at(9), reason="Cần xác minh", new_appointment_at=at(14, 10))
    with pytest.raises(ApologyDateInvalid):  # not after the original appointment
        act(dossier, a.ActionName.APOLOGISE, LEADER, at(9), reason="Cần xác minh", new_appointment_at=at(10, 9))
    dossier, events = act(dossier, a.ActionName.APOLOGISE, LEADER, at(9), reason="Cần xác minh thông tin",
                          new_appointment_at=at(16, 17))
    assert dossier.appointment_at == at(16, 17) and dossier.due_at == at(10, 17)  # the legal deadline stays
    assert dossier.apology is not None and dossier.apology.original_appointment_at == at(10, 17)
    assert events[0].from_status == events[0].to_status == S.RECEIVED
    with pytest.raises(ApologyAlreadyIssued):
        act(dossier, a.ActionName.APOLOGISE, LEADER, at(11), reason="Lần nữa", new_appointment_at=at(20, 17))


@pytest.mark.parametrize(
    ("action", "actor", "error"),
    [
        (a.ActionName.RECEIVE, CITIZEN, ActionNotAllowedForRole),
        (a.ActionName.RECEIVE, INSPECTOR, ActionNotAllowedForRole),
        (a.ActionName.RECEIVE, Actor(subject="x", role=Role.RECEPTION_OFFICER, agency_code=OTHER),
         ActionOutsideAgency),
        (a.ActionName.REQUEST_WITHDRAWAL, Actor(subject="someone-else", role=Role.CITIZEN), ActionOutsideAgency),
        (a.ActionName.REQUEST_WITHDRAWAL, DESK, ActionNotAllowedForRole),
    ],
)
def test_roles_and_agencies_are_enforced(action, actor, error) -> None:
    body = {"reason": "x" * 5} if action is a.ActionName.REQUEST_WITHDRAWAL else {}
    with pytest.raises(error) as raised:
        act(submitted(), action, actor, at(3), **body)
    assert raised.value.http_status == 403


def test_forbidden_moves_and_stale_versions_are_conflicts() -> None:
    dossier = submitted()
    with pytest.raises(ForbiddenTransition):
        act(dossier, a.ActionName.DECIDE, PROCESSOR, at(3))
    with pytest.raises(ForbiddenTransition):
        act(dossier, a.ActionName.RECORD_PAYMENT, DESK, at(3), amount_vnd=1, online=False)
    with pytest.raises(StaleDossier) as raised:
        act(dossier, a.ActionName.RECEIVE, DESK, at(3), expected_version=7)
    assert raised.value.http_status == 409 and raised.value.details["current_version"] == 1


def test_the_limit_is_the_one_judged_at_submission_even_if_the_catalogue_changes() -> None:
    dossier = submitted()
    later_catalogue = procedure("1.001266").model_copy(update={"time_limit": procedure("1.001612").time_limit})
    assert later_catalogue.time_limit != procedure("1.001266").time_limit
    received, _ = act(dossier, a.ActionName.RECEIVE, DESK, at(3, 10))
    assert received.due_at == at(10, 17)  # still 5 working days, as judged when it came in
    assert received.updated_at - dossier.updated_at == timedelta(days=1, hours=1)


# --- every action applies once: its own preconditions, not only the status pair --------------------------

_RECEIVED = ((a.ActionName.RECEIVE, DESK, at(3), {}),)
_PROCESSING = (*_RECEIVED, (a.ActionName.START_PROCESSING, PROCESSOR, at(3, 10), {}))
_SUPPLEMENT = (*_PROCESSING, (a.ActionName.REQUEST_SUPPLEMENT, PROCESSOR, at(3, 11),
                              {"documents": ["Tờ khai"], "reason": "Thiếu tờ khai"}))
_AWAITING = (*_PROCESSING, (a.ActionName.REQUEST_PAYMENT, PROCESSOR, at(3, 11),
                            {"amount_vnd": 50000, "description": "Lệ phí"}))
_PAID = (*_AWAITING, (a.ActionName.RECORD_PAYMENT, DESK, at(4), {"amount_vnd": 50000, "online": True}))
_RESUMED = (*_PAID, (a.ActionName.RESUME_PROCESSING, PROCESSOR, at(4, 10), {}))
_DECIDED = (*_PROCESSING, (a.ActionName.DECIDE, PROCESSOR, at(4), {}))
_WITHDRAWING = (*_PROCESSING, (a.ActionName.REQUEST_WITHDRAWAL, CITIZEN, at(4), {}))

# Each action from a dossier where it applies: (the steps before, who takes it, its body).
ONCE: dict[a.ActionName, tuple[tuple, Actor, dict]] = {
    a.ActionName.RECEIVE: ((), DESK, {}),
    a.ActionName.REFUSE: ((), DESK, {"reasons": ["Hồ sơ không thuộc thẩm quyền"]}),
    a.ActionName.START_PROCESSING: (_RECEIVED, PROCESSOR, {}),
    a.ActionName.TRANSFER: (_PROCESSING, PROCESSOR, {"to_agency_code": OTHER}),
    a.ActionName.REQUEST_SUPPLEMENT: (_PROCESSING, PROCESSOR, {"documents": ["Ảnh"], "reason": "Ảnh mờ"}),
    a.ActionName.RECEIVE_SUPPLEMENT: (_SUPPLEMENT, CITIZEN, {}),
    a.ActionName.REQUEST_PAYMENT: (_PROCESSING, PROCESSOR, {"amount_vnd": 1000, "description": "Phí"}),
    a.ActionName.RECORD_PAYMENT: (_AWAITING, DESK, {"amount_vnd": 50000, "online": False}),
    a.ActionName.RESUME_PROCESSING: (_PAID, PROCESSOR, {}),
    a.ActionName.DECIDE: (_PROCESSING, PROCESSOR, {}),
    a.ActionName.RETURN_RESULT: (_DECIDED, DESK, {"method": "counter"}),
    a.ActionName.REQUEST_WITHDRAWAL: (_PROCESSING, CITIZEN, {"reason": "Không cần nữa"}),
    a.ActionName.STOP: (_WITHDRAWING, PROCESSOR, {"reason": "Công dân rút hồ sơ"}),
    a.ActionName.APOLOGISE: (_PROCESSING, PROCESSOR, {"reason": "Cần xác minh", "new_appointment_at": at(16, 17)}),
}


def test_every_action_is_listed() -> None:
    # The internal-procedure step actions need a dossier that follows one: tests/unit/test_step_passage.py.
    assert set(ONCE) == set(a.ActionName) - a.STEP_ACTIONS


@pytest.mark.parametrize("action", list(ONCE), ids=str)
def test_every_action_taken_twice_in_a_row_is_refused_the_second_time(action: a.ActionName) -> None:
    steps, actor, body = ONCE[action]
    dossier, _ = act(run(submitted(), *steps), action, actor, at(5), **body)
    with pytest.raises(MotcuaError) as raised:
        act(dossier, action, actor, at(5, 10), **body)
    assert 400 <= raised.value.http_status < 500


@pytest.mark.parametrize(
    ("action", "steps", "actor", "body"),
    [
        # 4 -> 4 is a transfer's move: it does not make starting again, receiving a supplement nobody asked
        # for, or resuming what was never paused acceptable.
        (a.ActionName.START_PROCESSING, _PROCESSING, PROCESSOR, {}),
        (a.ActionName.START_PROCESSING, _SUPPLEMENT, PROCESSOR, {}),  # would skip the supplement
        (a.ActionName.START_PROCESSING, _AWAITING, PROCESSOR, {}),  # would skip the payment
        (a.ActionName.RECEIVE_SUPPLEMENT, _RECEIVED, CITIZEN, {}),
        (a.ActionName.RECEIVE_SUPPLEMENT, _PROCESSING, CITIZEN, {}),
        (a.ActionName.RECEIVE_SUPPLEMENT, _AWAITING, CITIZEN, {}),
        (a.ActionName.RESUME_PROCESSING, _RESUMED, PROCESSOR, {}),
        (a.ActionName.RESUME_PROCESSING, (*_RESUMED, *_SUPPLEMENT[-1:]), PROCESSOR, {}),  # old payment, new pause
        (a.ActionName.TRANSFER, _RECEIVED, PROCESSOR, {"to_agency_code": OTHER}),  # before processing starts
        (a.ActionName.TRANSFER, _SUPPLEMENT, PROCESSOR, {"to_agency_code": OTHER}),  # would end the pause
        (a.ActionName.TRANSFER, _AWAITING, PROCESSOR, {"to_agency_code": OTHER}),
    ],
    ids=lambda v: v.value if isinstance(v, a.ActionName) else "",
)
def test_an_action_is_refused_where_the_move_is_allowed_but_the_action_does_not_apply(action, steps, actor,
                                                                                     body) -> None:
    dossier = run(submitted(), *steps)
    with pytest.raises(ForbiddenTransition):
        act(dossier, action, actor, at(6), **body)
