"""Citizens' feedback end to end on DynamoDB Local and moto: the API, the steps and their deadlines on a driven
clock, the SLA sweep firing step timers, the dossier's trail and the index, visibility, the public answers.

Dates (March 2026 has no day off besides weekends): feedback filed Mon 2 Mar 09:00 -> refuse by Wed 4 17:00,
request information by Mon 9 17:00, handle by Mon 23 17:00; a public answer given Fri 20 10:00 is to be
published by Tue 24 17:00 (Mon 23 = 1, Tue 24 = 2).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import boto3
import pytest

from motcua.data.index_store import IndexRepository
from motcua.data.repositories import DossierRepository
from motcua.domain.calendar import VN_TZ
from motcua.service.sla import SlaSweeper
from tests.integration.helpers import COMMUNE, bearer, outbox, subject_of, submission, submit_headers, upload

CITIZEN = ("citizen-hang", "citizen", None)
OTHER_CITIZEN = ("citizen-binh", "citizen", None)
DESK = ("officer-lan", "reception_officer", COMMUNE)
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)
LEADER = ("chairman-tuan", "agency_leader", COMMUNE)
FOREIGN_LEADER = ("chairman-x", "agency_leader", "000.20.02.H36")
INSPECTOR = ("inspector-1", "inspector", None)


pytestmark = pytest.mark.usefixtures("catalogue")


def vn(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN_TZ)


def file(api_client, body: dict[str, Any], who=CITIZEN, key: str | None = None):
    headers = {**bearer(*who), "idempotency-key": key or uuid.uuid4().hex}
    return api_client.post("/feedback", json=body, headers=headers)


def about_agency(category: str = "procedure", **extra: Any) -> dict[str, Any]:
    return {"about": "agency", "agency_code": COMMUNE, "category": category, "title": "Thời hạn giải quyết",
            "content": "Tôi muốn biết thời hạn giải quyết hồ sơ đăng ký khai sinh.", **extra}


def step(api_client, feedback_id: str, name: str, who, body: dict[str, Any] | None = None):
    headers = {**bearer(*who), "idempotency-key": uuid.uuid4().hex}
    return api_client.post(f"/feedback/{feedback_id}/actions/{name}", json=body or {}, headers=headers)


MON_2_MARCH = vn(3, 2)


def filed(api_client, at, when: datetime = MON_2_MARCH, **extra: Any) -> str:
    at(when)
    response = file(api_client, about_agency(**extra))
    assert response.status == 201, response.text
    return str(response.json()["id"])


def timer_entry(local_stack, feedback_id: str) -> str | None:
    item = boto3.client("dynamodb").get_item(TableName=local_stack.table_name, ConsistentRead=True,
                                             Key={"pk": {"S": f"FEEDBACK#{feedback_id}"}, "sk": {"S": "FEEDBACK"}})
    return item["Item"].get("gsi4sk", {}).get("S")


# --- filing, the dossier's trail, the index ---------------------------------------------------------------

def test_feedback_about_a_dossier_goes_to_its_agency_and_onto_its_trail(api_client, at, local_stack) -> None:
    at(vn(3, 2, 8))
    dossier = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers("citizen-hang"))
    assert dossier.status == 201, dossier.text
    dossier_id = dossier.json()["id"]
    at(vn(3, 2))
    body = {"about": "dossier", "dossier_id": dossier_id, "category": "procedure", "title": "Hồ sơ chưa được tiếp nhận",
            "content": "Tôi nộp trực tuyến nhưng chưa thấy cán bộ tiếp nhận."}
    key = uuid.uuid4().hex
    response = file(api_client, body, key=key)
    assert response.status == 201, response.text
    view = response.json()
    assert (view["agency_code"], view["status"], view["index_kind"]) == (COMMUNE, "received", "complaint")
    assert view["deadlines"] == {"refuse_by": "2026-03-04T17:00:00+07:00",
                                 "request_info_by": "2026-03-09T17:00:00+07:00",
                                 "handle_by": "2026-03-23T17:00:00+07:00", "publish_by": None}
    assert view["receipt_code"] == dossier.json()["receipt_code"]
    # A retry with the same key is the same feedback, written once.
    again = file(api_client, body, key=key)
    assert again.status == 201 and again.json()["id"] == view["id"]
    # Someone else's dossier: refused.
    assert file(api_client, body, who=OTHER_CITIZEN).json()["code"] == "DOSSIER_ACCESS_DENIED"

    trail = [e for e in DossierRepository().history(dossier_id) if e.action.startswith("feedback_")]
    assert [(e.action, e.details) for e in trail] == [
        ("feedback_receive", {"feedback_id": view["id"], "kind": "complaint"})]
    assert trail[0].from_status == trail[0].to_status  # status-neutral
    # The index read it: the dossier's facts carry the feedback, in the same transaction.
    stored = IndexRepository().facts(dossier_id)
    assert stored is not None
    facts = json.loads(stored.facts_json)
    assert [(fb["feedback_id"], fb["kind"]) for fb in facts["feedback"]] == [(view["id"], "complaint")]
    assert facts["complaint_or_dislike_at"] == "2026-03-02T09:00:00+07:00"

    # Answer, then the citizen rates it: feedback_respond and feedback_rate on the dossier's trail too.
    at(vn(3, 3))
    assert step(api_client, view["id"], "answer", DESK, {"answer": "Hồ sơ đã được tiếp nhận sáng nay."}).status == 200
    at(vn(3, 4))
    rated = step(api_client, view["id"], "rate", CITIZEN, {"satisfied": True})
    assert rated.status == 200 and rated.json()["satisfied"] is True
    trail = [(e.action, e.details) for e in DossierRepository().history(dossier_id) if e.action.startswith("feedback_")]
    assert trail[1:] == [("feedback_respond", {"feedback_id": view["id"], "outcome": "handled"}),
                         ("feedback_rate", {"feedback_id": view["id"], "satisfied": True})]
    facts = json.loads(IndexRepository().facts(dossier_id).facts_json)  # type: ignore[union-attr]
    assert facts["feedback"][0]["satisfied"] is True and facts["feedback"][0]["steps"][0]["outcome"] == "handled"
    # Every step emitted the standard envelope, without personal data.
    envelopes = [e for e in outbox(local_stack) if e["type"] == "feedback.status_changed"]
    actions = [e["data"]["action"] for e in sorted(envelopes, key=lambda e: e["occurred_at"])]
    assert actions == ["file", "answer", "rate"]
    for envelope in envelopes:
        assert {"id", "type", "version", "source", "correlation_id", "occurred_at", "data"} <= set(envelope)
        assert envelope["data"]["dossier_id"] == dossier_id
        assert subject_of("citizen-hang") not in json.dumps(envelope) and "079203001234" not in json.dumps(envelope)


def test_feedback_about_an_agency_counts_for_it_in_the_same_write(api_client, at) -> None:
    # Filed Mon 2 Mar about the commune (no dossier): March's counters of the commune move with the feedback.
    # Measured as of 31 March, feedback still unanswered then would be past its Mon 23 deadline: not on time.
    store = IndexRepository()
    feedback_id = filed(api_client, at)
    assert store.aggregates("2026-03")[COMMUNE] == {"feedback_received": 1, "feedback_classified": 1}
    # A retry with the same key writes nothing twice.
    at(vn(3, 2, 10))
    second = file(api_client, about_agency(), key="same-key-0001")
    retry = file(api_client, about_agency(), key="same-key-0001")
    assert second.status == 201 and retry.json()["id"] == second.json()["id"]
    assert store.aggregates("2026-03")[COMMUNE]["feedback_received"] == 2
    # The second answered on time (Tue 3); the first answered late (Tue 24, due Mon 23) and rated satisfied.
    at(vn(3, 3))
    assert step(api_client, second.json()["id"], "answer", LEADER, {"answer": "Đã trả lời."}).status == 200
    at(vn(3, 24, 8))
    assert step(api_client, feedback_id, "answer", LEADER, {"answer": "Đã trả lời."}).status == 200
    at(vn(3, 25))
    assert step(api_client, feedback_id, "rate", CITIZEN, {"satisfied": True}).status == 200
    assert store.aggregates("2026-03")[COMMUNE] == {"feedback_received": 2, "feedback_classified": 2,
                                                    "feedback_on_time": 1, "feedback_rated": 1,
                                                    "feedback_satisfied": 1}
    rows = dict(store.row_items("2026-03", COMMUNE))
    assert json.loads(rows[f"F#{feedback_id}"])["counters"] == {"feedback_received": 1, "feedback_classified": 1,
                                                                "feedback_rated": 1, "feedback_satisfied": 1}


# --- each step and its deadline ---------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "who", "body", "when", "timeliness"), [
    ("refuse", DESK, {"reason": "Không thuộc thẩm quyền của phường"}, vn(3, 4, 17), "on_time"),
    ("refuse", DESK, {"reason": "Không thuộc thẩm quyền của phường"}, vn(3, 5, 8), "late"),
    ("request_info", PROCESSOR, {"request": "Cho biết mã hồ sơ"}, vn(3, 9, 17), "on_time"),
    ("request_info", PROCESSOR, {"request": "Cho biết mã hồ sơ"}, vn(3, 10, 8), "late"),
    ("answer", LEADER, {"answer": "Thời hạn là 03 ngày làm việc."}, vn(3, 23, 17), "on_time"),
    ("answer", LEADER, {"answer": "Thời hạn là 03 ngày làm việc."}, vn(3, 24, 7, 30), "late"),
])
def test_each_step_is_judged_by_its_legal_limit(api_client, at, name, who, body, when, timeliness) -> None:
    feedback_id = filed(api_client, at)
    at(when)
    response = step(api_client, feedback_id, name, who, body)
    assert response.status == 200, response.text
    view = response.json()
    assert [(s["step"], s["timeliness"]) for s in view["steps"]] == [
        ({"answer": "handle"}.get(name, name), timeliness)]
    assert view["on_time"] is (timeliness == "on_time")


def test_publication_is_due_two_working_days_after_a_public_answer(api_client, at) -> None:
    on_time, late = filed(api_client, at), filed(api_client, at)
    at(vn(3, 20, 10))
    for feedback_id in (on_time, late):
        answered = step(api_client, feedback_id, "answer", LEADER, {"answer": "Đã xử lý xong.", "public": True})
        assert answered.json()["deadlines"]["publish_by"] == "2026-03-24T17:00:00+07:00"
    summary = {"question_summary": "Thời hạn giải quyết thủ tục đăng ký khai sinh là bao lâu?"}
    at(vn(3, 24, 17))
    assert step(api_client, on_time, "publish", DESK, summary).json()["steps"][-1]["timeliness"] == "on_time"
    at(vn(3, 25, 8))
    published = step(api_client, late, "publish", DESK, summary).json()
    assert published["steps"][-1] == {"step": "publish", "at": "2026-03-25T08:00:00+07:00",
                                      "due_at": "2026-03-24T17:00:00+07:00", "timeliness": "late"}
    assert published["on_time"] is False and published["status"] == "published"


def test_the_citizen_supplies_the_information_asked_for(api_client, at) -> None:
    feedback_id = filed(api_client, at)
    at(vn(3, 3))
    assert step(api_client, feedback_id, "request_info", DESK, {"request": "Cho biết mã hồ sơ"}).status == 200
    assert step(api_client, feedback_id, "request_info", DESK, {"request": "Lần hai"}).json()["code"] == \
        "FEEDBACK_STEP_NOT_ALLOWED"
    assert step(api_client, feedback_id, "provide_info", DESK, {"reply": "..."}).json()["code"] == \
        "FEEDBACK_ACTION_NOT_ALLOWED"
    at(vn(3, 4))
    replied = step(api_client, feedback_id, "provide_info", CITIZEN, {"reply": "Mã hồ sơ 000.20.01.H36-260302-0001"})
    assert replied.status == 200 and replied.json()["status"] == "in_progress"
    assert step(api_client, feedback_id, "request_info", DESK, {"request": "Lần hai"}).json()["code"] == \
        "FEEDBACK_INFO_ALREADY_REQUESTED"
    assert step(api_client, feedback_id, "rate", CITIZEN, {"satisfied": True}).json()["code"] == \
        "FEEDBACK_STEP_NOT_ALLOWED"  # nothing answered yet
    history = api_client.get(f"/feedback/{feedback_id}", headers=bearer(*CITIZEN)).json()["history"]
    assert [e["action"] for e in history] == ["file", "request_info", "provide_info"]


def test_feedback_attaches_only_the_authors_own_uploads(api_client, at) -> None:
    at(MON_2_MARCH)
    foreign = upload(api_client, b"%PDF-1.4 cua Binh", OTHER_CITIZEN[0])
    refused = file(api_client, about_agency(attachments=[foreign]))
    assert refused.status == 403 and refused.json()["code"] == "UPLOAD_NOT_OWNED"
    own = upload(api_client, b"%PDF-1.4 cua Hang", CITIZEN[0])
    feedback_id = file(api_client, about_agency(attachments=[own])).json()["id"]
    at(vn(3, 3))
    assert step(api_client, feedback_id, "request_info", DESK, {"request": "Cho biết mã hồ sơ"}).status == 200
    reply = step(api_client, feedback_id, "provide_info", CITIZEN, {"reply": "Đây", "attachments": [foreign]})
    assert reply.status == 403 and reply.json()["code"] == "UPLOAD_NOT_OWNED"


# --- timers through the SLA sweep -------------------------------------------------------------------------

def test_step_timers_fire_through_the_sla_sweep(api_client, at, local_stack) -> None:
    feedback_id = filed(api_client, at)
    sweeper = SlaSweeper()
    # The index holds the next timer: the refusal window's first warning, Mon 2 17:00 = 10:00Z.
    assert timer_entry(local_stack, feedback_id) == f"2026-03-02T10:00:00.000000Z#{feedback_id}"
    expected = [
        (vn(3, 2, 16, 59), None),
        (vn(3, 2, 17), "feedback.refuse.warn_2wd"),
        (vn(3, 3, 17), "feedback.refuse.warn_1wd"),
        (vn(3, 4, 7, 30), "feedback.refuse.last_day"),
        (vn(3, 4, 16), None),
        (vn(3, 4, 17), "feedback.refuse.breach"),
        (vn(3, 4, 17, 5), None),
    ]
    for now, kind in expected:
        report = sweeper.sweep(now)
        assert dict(report.fired) == ({kind: 1} if kind else {}), now
        assert report.items_read == (1 if kind else 0), now  # only what is due is read
    # Information asked for: the refusal window no longer matters, the handling deadline runs on.
    at(vn(3, 5))
    assert step(api_client, feedback_id, "request_info", DESK, {"request": "Cho biết mã hồ sơ"}).status == 200
    assert timer_entry(local_stack, feedback_id) == f"2026-03-19T10:00:00.000000Z#{feedback_id}"
    assert dict(sweeper.sweep(vn(3, 19, 17)).fired) == {"feedback.handle.warn_2wd": 1}
    # A public answer on Fri 20 10:00 stops the handling timers and starts publication's.
    at(vn(3, 20, 10))
    answered = step(api_client, feedback_id, "answer", LEADER, {"answer": "Đã xử lý xong phản ánh.", "public": True})
    assert answered.status == 200
    assert sweeper.sweep(vn(3, 20, 16, 59)).fired_total == 0
    assert dict(sweeper.sweep(vn(3, 20, 17)).fired) == {"feedback.publish.warn_2wd": 1}
    report = sweeper.sweep(vn(3, 24, 17))  # the sweeps of Mon 23 and Tue morning never ran
    assert dict(report.fired) == {"feedback.publish.breach": 1} and report.superseded == 2
    assert timer_entry(local_stack, feedback_id) is None  # late stays late: nothing more to fire
    assert sweeper.sweep(vn(3, 30)).fired_total == 0

    fired = sorted((e["type"], e["data"]["step"], e["data"]["kind"]) for e in outbox(local_stack)
                   if e["type"].startswith("feedback.sla_"))
    assert fired == [("feedback.sla_breached", "publish", "breach"), ("feedback.sla_breached", "refuse", "breach"),
                     ("feedback.sla_warning", "handle", "warn_2wd"), ("feedback.sla_warning", "publish", "warn_2wd"),
                     ("feedback.sla_warning", "refuse", "last_day"), ("feedback.sla_warning", "refuse", "warn_1wd"),
                     ("feedback.sla_warning", "refuse", "warn_2wd")]
    history = api_client.get(f"/feedback/{feedback_id}", headers=bearer(*LEADER)).json()["history"]
    timers = [(e["action"], e["details"]["step"], e["details"]["kind"]) for e in history
              if e["action"].startswith("sla")]
    assert timers[-1] == ("sla_breach", "publish", "breach") and len(timers) == 7
    # Publishing late still publishes; the trail says late.
    at(vn(3, 25))
    published = step(api_client, feedback_id, "publish", DESK, {"question_summary": "Câu hỏi về thời hạn giải quyết"})
    assert published.json()["steps"][-1]["timeliness"] == "late"


def test_feedback_and_dossier_timers_share_one_sweep(api_client, at, local_stack) -> None:
    from tests.integration.test_sla import quick_dossier

    dossier_id = quick_dossier(vn(3, 2))  # 5 working days: warn_2wd Thu 5 17:00
    feedback_id = filed(api_client, at)
    report = SlaSweeper().sweep(vn(3, 5, 17))
    # The dossier's warn_2wd and the feedback's refusal breach (its earlier points superseded), in one pass.
    assert dict(report.fired) == {"warn_2wd": 1, "feedback.refuse.breach": 1}
    assert report.superseded == 3 and report.errors == 0
    assert timer_entry(local_stack, feedback_id) == f"2026-03-19T10:00:00.000000Z#{feedback_id}"
    assert DossierRepository().get(dossier_id).sla_fired[0].startswith("warn_2wd@")


# --- who sees what ----------------------------------------------------------------------------------------

def test_a_complaint_about_an_official_is_never_shown_to_them(api_client, at) -> None:
    feedback_id = filed(api_client, at, category="official_conduct", official_name="Ông Minh",
                        official_subject=subject_of(PROCESSOR[0]))
    plain_id = filed(api_client, at)
    expected = {CITIZEN: 200, LEADER: 200, INSPECTOR: 200, PROCESSOR: 403, DESK: 403, FOREIGN_LEADER: 403,
                OTHER_CITIZEN: 403}
    for who, status in expected.items():
        response = api_client.get(f"/feedback/{feedback_id}", headers=bearer(*who))
        assert response.status == status, (who, response.text)
    listed = {who[0]: {i["id"] for i in api_client.get("/feedback", headers=bearer(*who)).json()["items"]}
              for who in (PROCESSOR, LEADER, DESK)}
    assert listed == {PROCESSOR[0]: {plain_id}, DESK[0]: {plain_id}, LEADER[0]: {feedback_id, plain_id}}
    assert api_client.get("/feedback", headers=bearer(*INSPECTOR)).json()["code"] == "FEEDBACK_AGENCY_REQUIRED"
    inspected = api_client.get("/feedback", query={"agency_code": COMMUNE}, headers=bearer(*INSPECTOR)).json()["items"]
    assert {i["id"] for i in inspected} == {feedback_id, plain_id}
    # The official named cannot act on it either; the leader can.
    at(vn(3, 3))
    assert step(api_client, feedback_id, "answer", PROCESSOR, {"answer": "Tôi đã làm đúng quy trình."}).status == 403
    assert step(api_client, feedback_id, "answer", LEADER, {"answer": "Đã chấn chỉnh cán bộ."}).status == 200
    # Officials' reads are on the trail.
    history = api_client.get(f"/feedback/{feedback_id}", headers=bearer(*CITIZEN)).json()["history"]
    reads = sorted((e["actor_role"], e["actor_agency_code"] or "") for e in history
                   if e["action"] == "read_personal_data")  # same frozen instant: order by role
    assert reads == [("agency_leader", COMMUNE), ("inspector", "")]


def test_a_complaint_about_the_leader_goes_to_the_inspector(api_client, at) -> None:
    feedback_id = filed(api_client, at, category="official_conduct", official_name="Chủ tịch phường",
                        official_subject=subject_of(LEADER[0]))
    assert api_client.get(f"/feedback/{feedback_id}", headers=bearer(*LEADER)).status == 403
    assert feedback_id not in {i["id"] for i in api_client.get("/feedback", headers=bearer(*LEADER)).json()["items"]}
    at(vn(3, 3))
    answered = step(api_client, feedback_id, "answer", INSPECTOR, {"answer": "Thanh tra đã xác minh và xử lý."})
    assert answered.status == 200, answered.text


# --- public answers and the personal data export -----------------------------------------------------------

def test_public_answers_are_listed_without_personal_data(api_client, at) -> None:
    public_id = filed(api_client, at, category="question")
    private_id = filed(api_client, at, category="suggestion")
    at(vn(3, 3))
    step(api_client, public_id, "answer", LEADER,
         {"answer": "Gọi 0912345678 hoặc xem cổng dịch vụ công.", "public": True})
    step(api_client, private_id, "answer", LEADER, {"answer": "Cảm ơn góp ý của bà Hằng."})
    refused = step(api_client, private_id, "publish", LEADER, {"question_summary": "Góp ý về giờ làm việc"})
    assert refused.json()["code"] == "FEEDBACK_ANSWER_NOT_PUBLIC"
    at(vn(3, 4))
    published = step(api_client, public_id, "publish", LEADER,
                     {"question_summary": "Thời hạn giải quyết đăng ký khai sinh (bà Hằng, 079203001234)?"})
    assert published.status == 200
    listing = api_client.get("/feedback/public")  # no token
    assert listing.status == 200, listing.text
    (item,) = listing.json()["items"]
    assert item["id"] == public_id and item["category"] == "question" and item["agency_code"] == COMMUNE
    assert item["agency_name_vi"] and item["published_at"] == "2026-03-04T09:00:00+07:00"
    text = json.dumps(item, ensure_ascii=False)
    for personal in ("0912345678", "079203001234", subject_of("citizen-hang"), "Nguyễn Thị Hằng"):
        assert personal not in text
    assert set(item) == {"id", "category", "about", "agency_code", "agency_name_vi", "procedure_code", "question",
                         "answer", "received_on", "answered_at", "published_at"}


def test_publishing_removes_the_authors_identity_and_every_id_phone_and_email_and_shows_it(api_client, at) -> None:
    at(vn(3, 2, 8))
    dossier = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers("citizen-hang"))
    assert dossier.status == 201
    feedback_id = filed(api_client, at, category="question")
    at(vn(3, 3))
    step(api_client, feedback_id, "answer", LEADER, {"answer": "Trả lời: xem cổng dịch vụ công.", "public": True})
    at(vn(3, 4))
    question = ("Bà NGUYỄN  THỊ-HẰNG (CCCD 079_203_001_234, 079.203.001.234), ở 12 Trần Phú, phường Xuân Hương, "
                "Đà Lạt, hỏi: gọi +84 (912) 345 678 hoặc 0912-345-678, mail hang.nguyen@example.vn, "
                "người quen 001,099,012,345 hay 0987 654 321, ban.khac@mail.com; thời hạn giải quyết?")
    published = step(api_client, feedback_id, "publish", LEADER, {"question_summary": question})
    assert published.status == 200, published.text
    body = published.json()
    # the publish step shows what it removed, and what will be published
    removed = {r["kind"] for r in body["published_removed"]}
    assert {"author_full_name", "author_national_id", "author_address", "author_phone", "author_email", "national_id",
            "phone", "email"} <= removed
    assert "thời hạn giải quyết?" in body["published_question"]
    (item,) = api_client.get("/feedback/public").json()["items"]
    text = item["question"] + " " + item["answer"]
    assert text == body["published_question"] + " " + body["published_answer"]
    digits = "".join(c for c in text if c.isdigit())
    assert not any(run in digits for run in ("079203001234", "912345678", "001099012345", "987654321")), text
    for personal in ("HẰNG", "Hằng", "Trần Phú", "Xuân Hương", "hang.nguyen", "@", "ban.khac"):
        assert personal not in text, (personal, text)
    assert "thời hạn giải quyết?" in item["question"]


def test_the_export_carries_my_feedback(api_client, at) -> None:
    feedback_id = filed(api_client, at)
    exported = api_client.get("/me/export", headers=bearer(*CITIZEN)).json()
    assert [f["id"] for f in exported["feedback"]] == [feedback_id]
    assert exported["feedback"][0]["history"][0]["action"] == "file"
    assert api_client.get("/me/export", headers=bearer(*OTHER_CITIZEN)).json()["feedback"] == []
