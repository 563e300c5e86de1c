"""A dossier's hand-overs from its history (motcua.domain.handovers): the rows of Form 06 and the unit the
index names for a late dossier. Expected verdicts are worked by hand against the dossier's due date."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from motcua.domain import actions as ev
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.clock import Timeliness
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.handovers import first_late, handovers
from motcua.domain.status import DossierStatus as S
from tests.unit.test_forms import sample_dossier

AGENCY = "000.00.11.H36"
CITIZEN = Actor(subject="citizen-1", role=Role.CITIZEN)
DESK = Actor(subject="desk-lan", role=Role.RECEPTION_OFFICER, agency_code=AGENCY)
PROC = Actor(subject="proc-minh", role=Role.PROCESSING_OFFICER, agency_code=AGENCY)
LEAD = Actor(subject="lead-tuan", role=Role.AGENCY_LEADER, agency_code=AGENCY)


def vn(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=VN_TZ)


def event(at: datetime, name: str, frm: S | None, to: S, actor: Actor, **details: Any) -> HistoryEvent:
    return HistoryEvent(dossier_id="d-1", occurred_at=at, action=name, from_status=frm, to_status=to,
                        actor=actor, details=details)


def returned_late() -> tuple[Dossier, list[HistoryEvent]]:
    """Received on 3 March, due on the 10th at 17:00, decided on the 11th (late), returned on the 12th."""
    dossier = sample_dossier(received_at=vn(3), due_at=vn(10, 17), appointment_at=vn(10, 17), status=S.RETURNED,
                             channel="online", submitted_at=vn(2))
    return dossier, [
        event(vn(2), ev.SUBMIT, None, S.SUBMITTED, CITIZEN),
        event(vn(3), ev.RECEIVE, S.SUBMITTED, S.RECEIVED, DESK),
        event(vn(3, 10), "read_personal_data",
              S.RECEIVED, S.RECEIVED, LEAD),  # an audited read: no hand-over
        event(vn(4), ev.START_PROCESSING, S.RECEIVED, S.PROCESSING, PROC),
        event(vn(11), ev.DECIDE, S.PROCESSING, S.DECIDED, LEAD),  # after the due date: late
        event(vn(12), ev.RETURN_RESULT, S.DECIDED, S.RETURNED, DESK),
    ]


def test_without_steps_every_status_change_is_a_hand_over() -> None:
    dossier, history = returned_late()
    rows = handovers(dossier, history)
    assert [(r.step, r.giver, r.receiver) for r in rows] == [
        ("submit", "citizen-1", "desk-lan"), ("receive", "desk-lan", "proc-minh"),
        ("start_processing", "proc-minh", "lead-tuan"), ("decide", "lead-tuan", "desk-lan"),
        ("return_result", "desk-lan", None)]
    assert [r.verdict for r in rows] == [None, Timeliness.EARLY, Timeliness.EARLY, Timeliness.LATE, Timeliness.LATE]
    assert rows[1].from_unit == "Bộ phận Tiếp nhận và Trả kết quả" and rows[1].to_unit == "Bộ phận chuyên môn"
    assert rows[-1].to_unit == "Tổ chức, cá nhân nộp hồ sơ"  # the result handed to the applicant
    assert {r.source for r in rows} == {"status_history"}
    late = first_late(rows)
    assert late is not None and (late.from_unit, late.giver) == ("Lãnh đạo cơ quan", "lead-tuan")


def test_a_transfer_is_a_hand_over_to_the_other_agency() -> None:
    dossier = sample_dossier(received_at=vn(3), due_at=vn(10, 17))
    history = [event(vn(3), ev.RECEIVE, S.SUBMITTED, S.RECEIVED, DESK),
               event(vn(4), ev.TRANSFER, S.PROCESSING, S.PROCESSING, PROC, from_unit=AGENCY, to_unit="000.00.12.H36")]
    rows = handovers(dossier, history)
    assert (rows[1].from_agency, rows[1].to_agency, rows[1].verdict) == (AGENCY, "000.00.12.H36", Timeliness.EARLY)


def test_step_events_are_the_rows_when_the_dossier_has_them() -> None:
    dossier = sample_dossier(received_at=vn(3), due_at=vn(20, 17))
    step = {"seq": 2, "step_code": "review", "unit": "Phòng Hộ tịch", "agency_code": AGENCY, "giver": "proc-minh",
            "completed_by": "proc-minh", "entered_at": vn(4).isoformat(), "due_at": vn(5).isoformat(),
            "completed_at": vn(6).isoformat(), "verdict": "late", "hours_left": "0", "action": "submit_for_approval",
            "to_seq": 3, "to_step": "approve", "to_unit": "Lãnh đạo Sở", "to_agency_code": AGENCY,
            "receiver": "lead-tuan", "to_status": None}
    history = [event(vn(3), ev.RECEIVE, S.SUBMITTED, S.RECEIVED, DESK),
               event(vn(6), ev.STEP_COMPLETE, S.PROCESSING, S.PROCESSING, PROC, **step)]
    rows = handovers(dossier, history)
    assert len(rows) == 1  # the step's own record, not the status changes around it
    row = rows[0]
    assert (row.step, row.from_unit, row.to_unit, row.giver, row.receiver, row.verdict, row.source) == (
        "review", "Phòng Hộ tịch", "Lãnh đạo Sở", "proc-minh", "lead-tuan", Timeliness.LATE, "steps")
    assert first_late(rows) == row
