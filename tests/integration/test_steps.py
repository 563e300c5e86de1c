"""A dossier of a configured procedure through its internal procedure on the local stack (docs/domain.md §11.4):
reception -> steps -> return through the API and the actions queue, each step assigned by rule from the staff
list, timed on the one clock, warned, overdue and escalated by the SLA sweep through the outbox and the notifier.

Procedure 1.001193 (birth registration, same day) at the commune 000.20.01.H36, its seeded definition: TIEP_NHAN
(desk, 0.25 h) -> THAM_DINH (processing, 1 h) -> PHE_DUYET (leader, 0.5 h) -> TRA_KET_QUA (desk, 0.25 h) -> 10.
Office sessions 07:30-11:30 and 13:30-17:00. Everything happens on Mon 2 Mar 2026: received 08:00, due 17:00.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from motcua.data.repositories import DossierRepository
from motcua.domain.calendar import VN_TZ
from motcua.service.sla import SlaSweeper
from tests.integration.helpers import COMMUNE, bearer, outbox, subject_of, submission, submit_headers
from tests.integration.test_notifications import Sent, receive_messages, relay, run_notifier, save_settings
from tests.integration.test_workflow_api import deliver, queue_message

DESK = ("officer-lan", "reception_officer", COMMUNE)
OFFICER_AN = ("officer-an", "processing_officer", COMMUNE)
OFFICER_BINH = ("officer-binh", "processing_officer", COMMUNE)
LEADER = ("chairman-tuan", "agency_leader", COMMUNE)
OFFICER_MAIL = "can.bo@xuanhuong.lamdong.gov.vn"
LEADER_MAIL = "tuan.ld@xuanhuong.lamdong.gov.vn"

pytestmark = pytest.mark.usefixtures("catalogue")


def vn(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=VN_TZ)


def act(api_client, dossier_id: str, name: str, who, body: dict | None = None):
    return api_client.post(f"/dossiers/{dossier_id}/actions/{name}", json=body or {},
                           headers={**bearer(*who), "idempotency-key": uuid.uuid4().hex})


def queued(who) -> tuple[str, str, str]:
    """``who`` as the actions queue names them: the source system sends the pool's ``sub``, not a name."""
    name, role, agency = who
    return subject_of(name), role, agency


def tasks(api_client, who) -> list[dict]:
    response = api_client.get("/me/tasks", headers=bearer(*who))
    assert response.status == 200, response.text
    return response.json()["items"]


def dossier(dossier_id: str):
    return DossierRepository().get(dossier_id)


def notify_everything(local_stack) -> None:
    """Relay the outbox and run the notifier on every message it queued."""
    queued = relay()["sent"]
    if queued:
        assert run_notifier(local_stack, receive_messages(local_stack, "notifications", queued)) == {
            "batchItemFailures": []}


def step_envelopes(local_stack, dossier_id: str) -> list[tuple[str, int, tuple]]:
    return sorted((e["type"], e["data"]["seq"], tuple(e["data"]["recipients"])) for e in outbox(local_stack, dossier_id)
                  if e["type"].startswith("dossier.step_"))


def test_a_dossier_goes_through_its_steps_assigned_timed_warned_and_escalated(api_client, at, local_stack) -> None:
    # The staff list: who saved their work contacts is an official of that agency and role. THAM_DINH goes first to
    # the processing officer first by subject (the pool's sub), then to the other: the one with the mail address.
    taken_first, other = sorted((OFFICER_AN, OFFICER_BINH), key=lambda who: subject_of(who[0]))
    for who, mail in ((DESK, None), (taken_first, None), (other, OFFICER_MAIL), (LEADER, LEADER_MAIL)):
        save_settings(api_client, who, **({"work_email": mail, "channels": ["email"]} if mail else {}))
    sent = Sent(local_stack)
    at(vn(8))
    submitted = api_client.post("/dossiers", json=submission("1.001193"), headers=submit_headers("citizen-hang"))
    assert submitted.status == 201, submitted.text
    dossier_id = submitted.json()["id"]
    assert dossier(dossier_id).steps == ()  # not received: no process yet

    # Reception pins the seeded definition and enters TIEP_NHAN (0.25 h: due 08:15), given to the only desk officer.
    assert act(api_client, dossier_id, "receive", DESK).status == 200
    received = dossier(dossier_id)
    assert received.process is not None and not received.process.generated
    first = received.current_step
    assert (first.code, first.lead, first.assigned_by, first.due_at) == (
        "TIEP_NHAN", subject_of(DESK[0]), "least_loaded", vn(8, 15))
    at(vn(8, 5))
    [task] = tasks(api_client, DESK)
    assert (task["step_code"], task["role"], task["hours_left"], task["overdue"]) == (
        "TIEP_NHAN", "lead", "0.17", False)

    # The desk hands over through the actions queue: 2 -> 4 is the workflow's start_processing. THAM_DINH (1 h, due
    # 09:10) goes to the least loaded processing officer; nobody has a step, so the first by subject.
    at(vn(8, 10))
    handed_over = queue_message(dossier_id, "complete_step", queued(DESK), {"step_action": "CHUYEN_XU_LY"})
    result = deliver(local_stack, [handed_over])
    assert result["response"] == {"batchItemFailures": []}
    processing = dossier(dossier_id)
    second = processing.current_step
    assert processing.status == 4
    assert (second.code, second.lead, second.due_at) == ("THAM_DINH", subject_of(taken_first[0]), vn(9, 10))
    assert tasks(api_client, DESK) == []

    # The leader reassigns it (audited: the previous officer and the reason on the trail).
    reassigned = act(api_client, dossier_id, "reassign_step", LEADER,
                     {"step_seq": 2, "lead": subject_of(other[0]), "reason": "Cán bộ đi công tác"})
    assert reassigned.status == 200, reassigned.text
    assert tasks(api_client, taken_first) == [] and [t["seq"] for t in tasks(api_client, other)] == [2]
    by_a_desk = act(api_client, dossier_id, "reassign_step", DESK,
                    {"lead": subject_of(taken_first[0]), "reason": "Không được"})
    assert by_a_desk.status == 403

    # The sweep: warned at 80 % of the budget (08:58), overdue at 09:10, escalated to the leaders 4 working hours
    # later (09:10 -> 11:30 is 2 h 20, then 13:30 + 1 h 40 = 15:10). Each once.
    sweeper = SlaSweeper()
    fired = {when: dict(sweeper.sweep(vn(*when)).fired) for when in
             ((8, 57), (8, 58), (8, 59), (9, 10), (15, 9), (15, 10), (15, 11))}
    assert fired == {(8, 57): {}, (8, 58): {"step_warning": 1}, (8, 59): {}, (9, 10): {"step_overdue": 1},
                     (15, 9): {}, (15, 10): {"step_escalated": 1}, (15, 11): {}}
    assert step_envelopes(local_stack, dossier_id) == [("dossier.step_escalated", 2, ()),
                                                       ("dossier.step_overdue", 2, (subject_of(other[0]),)),
                                                       ("dossier.step_warning", 2, (subject_of(other[0]),))]
    notify_everything(local_stack)
    code = processing.receipt_code
    to_officer = [m for m in sent.mail(code) if OFFICER_MAIL in str(m["destinations"])]
    to_leader = [m for m in sent.mail(code) if LEADER_MAIL in str(m["destinations"])]
    assert sorted(m["subject"] for m in to_officer) == [f"Hồ sơ {code}: bước THAM_DINH quá hạn",
                                                     f"Hồ sơ {code}: bước THAM_DINH sắp đến hạn"]
    assert [m["subject"] for m in to_leader] == [f"Hồ sơ {code}: bước THAM_DINH quá hạn, báo lãnh đạo"]

    # Completed late at 15:20: the step is late, the dossier's own due date and appointment do not move.
    at(vn(15, 20))
    late = act(api_client, dossier_id, "complete_step", other, {"step_seq": 2, "step_action": "TRINH"})
    assert late.status == 200, late.text
    after = dossier(dossier_id)
    assert after.steps[1].verdict == "late" and after.steps[1].hours_left == 0
    assert (after.due_at, after.appointment_at) == (processing.due_at, processing.appointment_at) == (vn(17),) * 2
    assert (after.current_step.code, after.current_step.lead) == ("PHE_DUYET", subject_of(LEADER[0]))

    # The leader signs (4 -> 9: decide, its body in payload); the desk returns by the queue (9 -> 10: return_result).
    at(vn(15, 30))
    signed = act(api_client, dossier_id, "complete_step", LEADER, {"step_action": "KY_DUYET", "payload": {}})
    assert signed.status == 200 and signed.json()["status"]["code"] == 9, signed.text
    at(vn(15, 40))
    wrong = act(api_client, dossier_id, "complete_step", DESK, {"step_action": "TRA", "payload": {"method": "fax"}})
    assert (wrong.status, wrong.json()["code"]) == (422, "STEP_PAYLOAD_INVALID")
    result = deliver(local_stack, [queue_message(dossier_id, "complete_step", queued(DESK),
                                                 {"step_action": "TRA", "payload": {"method": "counter"}})])
    assert result["response"] == {"batchItemFailures": []}
    done = dossier(dossier_id)
    assert done.status == 10 and done.current_step is None and done.returned_at == vn(15, 40)
    assert all(tasks(api_client, who) == [] for who in (DESK, OFFICER_AN, OFFICER_BINH, LEADER))

    # The trail: one hand-over row per step, giver to receiver, with each step's verdict (the control slip's rows).
    history = DossierRepository().history(dossier_id)
    rows = [(e.details["step_code"], e.details["giver"], e.details.get("receiver"), e.details["verdict"])
            for e in history if e.action == "step_complete"]
    desk, took, reassigned_to, leader = (subject_of(who[0]) for who in (DESK, taken_first, other, LEADER))
    assert rows == [("TIEP_NHAN", desk, took, "on_time"), ("THAM_DINH", reassigned_to, leader, "late"),
                    ("PHE_DUYET", leader, desk, "on_time"), ("TRA_KET_QUA", desk, None, "on_time")]
    reassign = next(e for e in history if e.action == "step_reassign")
    assert (reassign.actor.subject, reassign.details["previous_lead"], reassign.details["lead"]) == (
        subject_of(LEADER[0]), subject_of(taken_first[0]), subject_of(other[0]))
    moved = [e.action for e in history if e.from_status is not None and e.from_status != e.to_status]
    assert moved == ["receive", "start_processing", "decide", "return_result"]  # the workflow's own actions
