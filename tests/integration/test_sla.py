"""SLA timers end to end on DynamoDB Local and moto S3: the clock is injected, nothing sleeps.

Every dossier here is procedure 1.001266 (5 working days) at the commune 000.20.01.H36, submitted online and
received on Mon 2 Mar 2026 at 09:00. By hand: Tue 3 (1), Wed 4 (2), Thu 5 (3), Fri 6 (4), Mon 9 (5) -> due
Mon 9 Mar 17:00. Its timers: warn_2wd Thu 5 Mar 17:00, warn_1wd Fri 6 Mar 17:00, last_day Mon 9 Mar 07:30,
breach Mon 9 Mar 17:00 (March 2026 has no day off besides weekends).
"""

from __future__ import annotations

import io
import json
import re
import threading
import unicodedata
import uuid
from datetime import datetime
from typing import Any

import boto3
import pytest
from pypdf import PdfReader

from motcua.data import documents
from motcua.data.repositories import DossierRepository
from motcua.domain.calendar import VN_TZ
from motcua.service.letters import AnnouncedLetters
from motcua.service.sla import SlaSweeper
from tests.integration.helpers import COMMUNE, bearer, outbox, subject_of, submission, submit_headers

DESK = ("officer-lan", "reception_officer", COMMUNE)
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)
LEADER = ("chairman-tuan", "agency_leader", COMMUNE)
PROCEDURE = "1.001266"  # Chấm dứt hoạt động hộ kinh doanh: 5 working days


pytestmark = pytest.mark.usefixtures("catalogue")


def vn(month: int, day: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=VN_TZ)


@pytest.fixture
def sweeper(api_client) -> SlaSweeper:  # api_client: the handlers' table binding is in place
    return SlaSweeper()


def act(api_client, dossier_id: str, name: str, who, body: dict | None = None):
    headers = {**bearer(*who), "idempotency-key": uuid.uuid4().hex}
    return api_client.post(f"/dossiers/{dossier_id}/actions/{name}", json=body or {}, headers=headers)


MON_2_MARCH = vn(3, 2)


def received_dossier(api_client, at, when: datetime = MON_2_MARCH) -> str:
    """Submitted and received at ``when``, then in processing (status 4)."""
    at(when)
    response = api_client.post("/dossiers", json=submission(PROCEDURE), headers=submit_headers("citizen-hang"))
    assert response.status == 201, response.text
    dossier_id = response.json()["id"]
    assert act(api_client, dossier_id, "receive", DESK).status == 200
    assert act(api_client, dossier_id, "start_processing", PROCESSOR).status == 200
    return dossier_id


def quick_dossier(when: datetime = MON_2_MARCH) -> str:
    """The same as ``received_dossier`` through the service itself (no HTTP, no idempotency records): for
    tests that need many dossiers."""
    from motcua.domain.actors import Actor
    from motcua.domain.commands import ActionName, Receive, StartProcessing
    from motcua.service.actions import service
    from schemas.api import DossierSubmission

    previous, service.clock = service.clock, lambda: when
    try:
        citizen = Actor(subject=subject_of("citizen-hang"), role="citizen")
        dossier = service.submit(DossierSubmission.model_validate(submission(PROCEDURE)), citizen)
        service.act(dossier.id, ActionName.RECEIVE, Receive(), Actor(subject=subject_of(DESK[0]), role=DESK[1],
                                                                      agency_code=DESK[2]))
        service.act(dossier.id, ActionName.START_PROCESSING, StartProcessing(),
                    Actor(subject=subject_of(PROCESSOR[0]), role=PROCESSOR[1], agency_code=PROCESSOR[2]))
        return dossier.id
    finally:
        service.clock = previous


def sla_envelopes(local_stack, dossier_id: str | None = None) -> list[tuple[str, str]]:
    return sorted((e["type"], e["data"]["kind"]) for e in outbox(local_stack, dossier_id)
                  if e["type"] in ("dossier.sla_warning", "dossier.sla_breached"))


def sla_events(dossier_id: str) -> list[tuple[str, str]]:
    return [(e.action, e.details["kind"]) for e in DossierRepository().history(dossier_id)
            if e.action in ("sla_warning", "sla_breach")]


def index_entry(local_stack, dossier_id: str) -> str | None:
    item = boto3.client("dynamodb").get_item(TableName=local_stack.table_name,
                                             Key={"pk": {"S": f"DOSSIER#{dossier_id}"}, "sk": {"S": "DOSSIER"}},
                                             ConsistentRead=True)["Item"]
    return item["gsi4sk"]["S"] if "gsi4sk" in item else None


def pdf_text(key: str) -> str:
    reader = PdfReader(io.BytesIO(documents.get_pdf(key)))
    raw = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw))


# --- warnings ---------------------------------------------------------------------------------------------

def test_each_warning_fires_at_its_point_and_once(api_client, at, sweeper, local_stack) -> None:
    dossier_id = received_dossier(api_client, at)
    # The index holds the next timer: warn_2wd, Thu 5 Mar 17:00 +07 = 10:00Z.
    assert index_entry(local_stack, dossier_id) == f"2026-03-05T10:00:00.000000Z#{dossier_id}"
    expected = [
        (vn(3, 5, 16, 59, 59), None),  # one second early: nothing
        (vn(3, 5, 17), "warn_2wd"),
        (vn(3, 5, 17, 5), None),  # the next sweep: already fired
        (vn(3, 6, 17), "warn_1wd"),
        (vn(3, 9, 7, 29), None),
        (vn(3, 9, 7, 30), "last_day"),
        (vn(3, 9, 16, 55), None),
    ]
    for now, kind in expected:
        report = sweeper.sweep(now)
        assert dict(report.fired) == ({kind: 1} if kind else {}), now
        # Reads only what is due: one index entry per dossier fired, none otherwise.
        assert report.items_read == (1 if kind else 0), now
    assert sla_events(dossier_id) == [("sla_warning", "warn_2wd"), ("sla_warning", "warn_1wd"),
                                      ("sla_warning", "last_day")]
    assert sla_envelopes(local_stack, dossier_id) == [("dossier.sla_warning", "last_day"),
                                                      ("dossier.sla_warning", "warn_1wd"),
                                                      ("dossier.sla_warning", "warn_2wd")]
    envelope = next(e for e in outbox(local_stack, dossier_id) if e["type"] == "dossier.sla_warning")
    assert envelope["data"]["due_at"] == "2026-03-09T17:00:00+07:00" and envelope["data"]["agency_code"] == COMMUNE
    # Next: the breach at Mon 9 17:00 = 10:00Z.
    assert index_entry(local_stack, dossier_id) == f"2026-03-09T10:00:00.000000Z#{dossier_id}"


def test_a_late_sweep_fires_the_latest_point_and_supersedes_the_earlier(api_client, at, sweeper,
                                                                        local_stack) -> None:
    dossier_id = received_dossier(api_client, at)
    report = sweeper.sweep(vn(3, 9, 8))  # the sweeps of Thu, Fri and Mon morning never ran
    assert dict(report.fired) == {"last_day": 1} and report.superseded == 2
    assert sla_envelopes(local_stack, dossier_id) == [("dossier.sla_warning", "last_day")]
    event = next(e for e in DossierRepository().history(dossier_id) if e.action == "sla_warning")
    assert event.details["superseded"] == ["warn_2wd", "warn_1wd"]
    assert sweeper.sweep(vn(3, 9, 12)).fired_total == 0


def test_no_timer_after_finishing(api_client, at, sweeper, local_stack) -> None:
    dossier_id = received_dossier(api_client, at)
    assert sweeper.sweep(vn(3, 5, 17)).fired_total == 1  # warn_2wd
    at(vn(3, 6, 10))
    assert act(api_client, dossier_id, "decide", PROCESSOR, {"electronic": False}).status == 200
    assert index_entry(local_stack, dossier_id) is None  # finishing removed it from the index
    for now in (vn(3, 6, 17), vn(3, 9, 7, 30), vn(3, 9, 17), vn(3, 20)):
        report = sweeper.sweep(now)
        assert report.fired_total == 0 and report.items_read == 0
    assert sla_events(dossier_id) == [("sla_warning", "warn_2wd")]
    assert DossierRepository().get(dossier_id).overdue_since is None


def test_a_pause_moves_the_timers(api_client, at, sweeper, local_stack) -> None:
    dossier_id = received_dossier(api_client, at)
    at(vn(3, 4))  # Wed 4 09:00: supplement requested, the clock stops
    assert act(api_client, dossier_id, "request_supplement", PROCESSOR,
               {"documents": ["Bản sao CCCD"], "reason": "Bản sao mờ"}).status == 200
    assert index_entry(local_stack, dossier_id) is None  # held by an open pause: no timer
    for now in (vn(3, 5, 17), vn(3, 6, 17), vn(3, 9, 7, 30)):
        assert sweeper.sweep(now).fired_total == 0
    # Mon 9 09:00 the supplement arrives. Paused office time: Wed 4 09:00-17:00 (6h) + Thu 5 + Fri 6
    # (15h) + Mon 9 07:30-09:00 (1h30) = 22h30 = 3 working days -> due Thu 12 Mar 17:00; the points move
    # by 3 working days: warn_2wd Tue 10 17:00, warn_1wd Wed 11 17:00, last_day Thu 12 07:30.
    at(vn(3, 9))
    response = act(api_client, dossier_id, "receive_supplement", DESK)
    assert response.status == 200 and response.json()["due_at"] == "2026-03-12T17:00:00+07:00"
    assert index_entry(local_stack, dossier_id) == f"2026-03-10T10:00:00.000000Z#{dossier_id}"
    assert sweeper.sweep(vn(3, 9, 17)).fired_total == 0  # the old breach instant: not due any more
    assert sweeper.sweep(vn(3, 10, 16, 59)).fired_total == 0
    assert dict(sweeper.sweep(vn(3, 10, 17)).fired) == {"warn_2wd": 1}
    assert dict(sweeper.sweep(vn(3, 11, 17)).fired) == {"warn_1wd": 1}
    assert dict(sweeper.sweep(vn(3, 12, 7, 30)).fired) == {"last_day": 1}
    assert sweeper.sweep(vn(3, 12, 16, 59)).fired_total == 0
    assert dict(sweeper.sweep(vn(3, 12, 17)).fired) == {"breach": 1}
    envelope = next(e for e in outbox(local_stack, dossier_id) if e["type"] == "dossier.sla_breached")
    assert envelope["data"]["due_at"] == "2026-03-12T17:00:00+07:00"


# --- breach and the apology ------------------------------------------------------------------------------

def test_breach_flags_overdue_once_and_drafts_the_apology_letter(api_client, at, sweeper, local_stack) -> None:
    dossier_id = received_dossier(api_client, at)
    sweeper.sweep(vn(3, 9, 7, 30))  # last_day (warn_2wd and warn_1wd superseded)
    assert sweeper.sweep(vn(3, 9, 16, 59, 59)).fired_total == 0
    # Three sweeps at once at the deadline (overlapping runs): one breach.
    reports = []
    barrier = threading.Barrier(3)

    def run() -> None:
        barrier.wait()
        reports.append(SlaSweeper().sweep(vn(3, 9, 17)))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.fired["breach"] for r in reports) == 1
    assert sum(r.errors for r in reports) == 0
    assert sweeper.sweep(vn(3, 9, 17, 5)).fired_total == 0

    dossier = DossierRepository().get(dossier_id)
    assert dossier.overdue_since == vn(3, 9, 17)
    # Late stays late; what is watched now is the new appointment (Mon 16 Mar 17:00): its reminder one
    # working day before, Fri 13 Mar 17:00 (10:00Z), is the entry in the timers index.
    assert index_entry(local_stack, dossier_id).startswith("2026-03-13T10:00:00")
    # The automatic apology, through the workflow's own action, by the system: the new appointment is 5
    # working days (the procedure's limit, under the 10-day cap) after the breach's day: Tue 10 .. Fri 13,
    # Mon 16 -> Mon 16 Mar 17:00.
    apology = dossier.apology
    assert apology is not None and apology.issued_by == "system"
    assert apology.original_appointment_at == vn(3, 9, 17) and apology.new_appointment_at == vn(3, 16, 17)
    assert dossier.appointment_at == vn(3, 16, 17)
    actions = [e.action for e in DossierRepository().history(dossier_id)]
    assert actions.count("sla_breach") == 1 and actions.count("apologise") == 1
    assert actions.index("sla_breach") < actions.index("apologise")
    # The leader is told (sla_breached) and the citizen gets the letter (apology_issued with its key).
    types = sorted(e["type"] for e in outbox(local_stack, dossier_id) if e["type"] != "dossier.status_changed")
    assert types == ["dossier.apology_issued", "dossier.sla_breached", "dossier.sla_warning"]
    issued = next(e for e in outbox(local_stack, dossier_id) if e["type"] == "dossier.apology_issued")
    assert issued["data"]["letter_key"] == apology.letter_key
    assert apology.letter_key.startswith(f"dossiers/{dossier_id}/form04-")
    # Drafted, not rendered, by the sweep: the consumer of the apology's envelope renders it, once.
    assert not documents.pdf_exists(apology.letter_key)
    assert AnnouncedLetters().render(json.dumps(issued)) is True
    assert AnnouncedLetters().render(json.dumps(issued)) is False  # a duplicate delivery: already stored

    text = pdf_text(apology.letter_key)
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in text  # rules of 2025-07-01
    assert "ỦY BAN NHÂN DÂN PHƯỜNG XUÂN HƯƠNG - ĐÀ LẠT" in text
    assert "Kính gửi: Ông/Bà Nguyễn Thị Hằng." in text
    assert "Chấm dứt hoạt động hộ kinh doanh" in text
    assert f"Mã hồ sơ: {dossier.receipt_code}." in text
    assert "Ngày 02/03/2026" in text  # received
    assert "theo giấy hẹn: 17:00 ngày 09/03/2026" in text
    assert "vào 17:00 ngày 16/03/2026" in text
    assert "Hồ sơ cần thêm thời gian để thẩm định, xử lý" in text
    assert "Lâm Đồng, ngày 09 tháng 3 năm 2026" in text
    assert "CHỦ TỊCH" in text

    # No result by the new appointment either: the officials are told once (the reminder superseded by a
    # sweep that ran late), nothing changes on the record but the fired keys, and nothing is left to fire.
    report = sweeper.sweep(vn(3, 20))
    assert dict(report.fired) == {"new_appointment_missed": 1} and report.superseded == 1
    assert sla_envelopes(local_stack, dossier_id)[-1] == ("dossier.sla_warning", "new_appointment_missed")
    assert DossierRepository().get(dossier_id).overdue_since == vn(3, 9, 17)
    assert index_entry(local_stack, dossier_id) is None and sweeper.sweep(vn(3, 27)).fired_total == 0


def test_an_apology_before_the_deadline_is_rendered_and_the_breach_adds_none(api_client, at, sweeper,
                                                                            local_stack) -> None:
    dossier_id = received_dossier(api_client, at)
    at(vn(3, 6, 10))  # Fri 6 10:00, one working day before the deadline, as the law asks
    response = act(api_client, dossier_id, "apologise", LEADER,
                   {"reason": "Cần xác minh thông tin đăng ký thuế với Chi cục Thuế khu vực",
                    "new_appointment_at": "2026-03-11T17:00:00+07:00"})
    assert response.status == 200, response.text
    apology = response.json()["apology"]
    assert apology["issued_by"] == subject_of("chairman-tuan")
    assert apology["letter_key"].startswith(f"dossiers/{dossier_id}/")
    text = pdf_text(apology["letter_key"])
    assert "Cần xác minh thông tin đăng ký thuế với Chi cục Thuế khu vực" in text
    assert "theo giấy hẹn: 17:00 ngày 09/03/2026" in text and "vào 17:00 ngày 11/03/2026" in text
    assert "Lâm Đồng, ngày 06 tháng 3 năm 2026" in text
    issued = next(e for e in outbox(local_stack, dossier_id) if e["type"] == "dossier.apology_issued")
    assert issued["data"]["letter_key"] == apology["letter_key"]

    # The legal deadline still passes at Mon 9 17:00 (an apology does not move it): flagged, leader told,
    # and no second apology.
    assert dict(sweeper.sweep(vn(3, 9, 17)).fired) == {"breach": 1}
    dossier = DossierRepository().get(dossier_id)
    assert dossier.overdue_since == vn(3, 9, 17)
    assert dossier.apology is not None and dossier.apology.issued_by == subject_of("chairman-tuan")
    assert dossier.appointment_at == vn(3, 11, 17)
    assert [e.action for e in DossierRepository().history(dossier_id)].count("apologise") == 1
    assert [e["type"] for e in outbox(local_stack, dossier_id)].count("dossier.apology_issued") == 1


def test_an_apology_after_the_system_drafted_one_is_refused(api_client, at, sweeper) -> None:
    dossier_id = received_dossier(api_client, at)
    sweeper.sweep(vn(3, 9, 17))
    at(vn(3, 10))
    response = act(api_client, dossier_id, "apologise", LEADER,
                   {"reason": "Chậm do thiếu cán bộ", "new_appointment_at": "2026-03-20T17:00:00+07:00"})
    assert response.status == 409 and response.json()["code"] == "APOLOGY_ALREADY_ISSUED"


# --- races and crashes -----------------------------------------------------------------------------------

def test_a_result_a_second_before_the_breach_wins_over_a_stale_read(api_client, at, sweeper, local_stack) -> None:
    dossier_id = received_dossier(api_client, at)
    sweeper.sweep(vn(3, 9, 7, 30))
    stale = DossierRepository().get(dossier_id)  # what a sweep read just before...
    at(vn(3, 9, 16, 59, 59))  # ...the officer returned the decision, one second before the deadline
    assert act(api_client, dossier_id, "decide", PROCESSOR, {"electronic": False}).status == 200
    # The sweep fires on what it read: the version guard fails, it re-reads the stored record, finished.
    assert sweeper.fire_one(stale, vn(3, 9, 17)) is None
    dossier = DossierRepository().get(dossier_id)
    assert dossier.overdue_since is None and dossier.apology is None
    assert ("sla_breach", "breach") not in sla_events(dossier_id)
    assert sla_envelopes(local_stack, dossier_id) == [("dossier.sla_warning", "last_day")]


def test_a_result_a_second_after_the_breach_is_taken_and_stays_late(api_client, at, sweeper) -> None:
    dossier_id = received_dossier(api_client, at)
    assert sweeper.sweep(vn(3, 9, 17)).fired["breach"] == 1
    at(vn(3, 9, 17, 0, 1))
    response = act(api_client, dossier_id, "decide", PROCESSOR, {"electronic": False})
    assert response.status == 200
    history = DossierRepository().history(dossier_id)
    decide = next(e for e in history if e.action == "decide")
    # Judged against the appointment it had when decided: the apology's new date (Mon 16 Mar).
    assert decide.details["timeliness"] in ("early", "on_time")
    assert DossierRepository().get(dossier_id).overdue_since == vn(3, 9, 17)  # the legal deadline was missed


def test_a_sweep_that_crashes_halfway_fires_each_timer_once_when_run_again(api_client, at, local_stack) -> None:
    ids = [quick_dossier() for _ in range(7)]
    crashing = SlaSweeper(page_size=2)
    real_save = crashing.dossiers.save_changes
    written: list[int] = []

    def save_then_crash(changes: Any, *args: Any, **kwargs: Any) -> Any:
        if len(written) == 2:  # two pages written together, then the invocation dies before the third
            raise RuntimeError("simulated crash: the Lambda died mid-sweep")
        written.append(len(changes))
        return real_save(changes, *args, **kwargs)

    crashing.dossiers.save_changes = save_then_crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashing.sweep(vn(3, 5, 17))
    fired = sum(written)  # the pages (of at most 2) written before the crash: a shard may hold only one
    assert 2 <= fired <= 4 and sum(1 for i in ids if sla_events(i)) == fired
    report = SlaSweeper(page_size=2).sweep(vn(3, 5, 17, 5))  # the next run
    assert report.errors == 0
    rest = len(ids) - fired
    assert report.fired_total == rest and report.entries == rest and report.items_read == rest
    assert SlaSweeper().sweep(vn(3, 5, 17, 10)).fired_total == 0
    for dossier_id in ids:
        assert sla_events(dossier_id) == [("sla_warning", "warn_2wd")]
        assert sla_envelopes(local_stack, dossier_id) == [("dossier.sla_warning", "warn_2wd")]


def test_a_page_is_written_together_and_a_dossier_changed_meanwhile_is_decided_again(api_client, at,
                                                                                     local_stack) -> None:
    ids = [quick_dossier() for _ in range(5)]
    sweeper = SlaSweeper()
    transactions: list[int] = []
    real_write = sweeper.dossiers._write_chunk

    def counted(chunk: Any) -> Any:
        transactions.append(len(chunk))
        return real_write(chunk)

    sweeper.dossiers._write_chunk = counted  # type: ignore[method-assign]
    # One of them changes after the page was read (an officer's action between the read and the write).
    real_page = sweeper.timers.due_page

    def page_then_change(*args: Any, **kwargs: Any) -> Any:
        page = real_page(*args, **kwargs)
        if any(e.dossier.id == ids[2] for e in page.entries):
            at(vn(3, 5, 16))
            assert act(api_client, ids[2], "request_supplement", PROCESSOR,
                       {"documents": ["Tờ khai"], "reason": "Thiếu tờ khai"}).status == 200
        return page

    sweeper.timers.due_page = page_then_change  # type: ignore[method-assign]
    report = sweeper.sweep(vn(3, 5, 17))
    # The stale one fails its guard inside a shared transaction: the others are written without it, and the
    # paused dossier, read again, has nothing due (a pause holds its timers).
    assert report.fired_total == 4 and report.conflicts == 1 and report.errors == 0
    assert report.items_read == 5 + 1  # one entry each, one consistent re-read
    assert sla_events(ids[2]) == [] and all(sla_events(i) == [("sla_warning", "warn_2wd")]
                                            for i in ids if i != ids[2])
    assert len(transactions) <= report.pages + 1  # one write per page (and one again without the stale one)


def shard_messages(local_stack, count: int) -> list[dict[str, Any]]:
    sqs = local_stack.client("sqs")
    messages: list[dict[str, Any]] = []
    while len(messages) < count:
        got = sqs.receive_message(QueueUrl=local_stack.queue_url("sla-shards"), MaxNumberOfMessages=10,
                                  WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]).get("Messages", [])
        assert got, f"{len(messages)} of {count} shard messages arrived"
        messages += got
    return messages


def test_the_scheduled_sweep_hands_each_shard_to_a_worker_once(api_client, at, local_stack) -> None:
    from infra import declaration
    from infra.local import load_handler, make_context
    from infra.local.pollers import build_sqs_event
    from infra.local.scheduler import schedule_event

    dossier_id = received_dossier(api_client, at)  # March 2026: long past its deadline by now
    function = declaration.function("sla")
    event = schedule_event(function)
    summary = load_handler(function.handler)(event, make_context(function))
    assert summary["shards"] == declaration.SLA_SHARDS
    # The schedule's invocation retried: SQS deduplicates its messages (the same shard and instant).
    load_handler(function.handler)(event, make_context(function))
    messages = shard_messages(local_stack, declaration.SLA_SHARDS)
    sqs = local_stack.client("sqs")
    assert sqs.receive_message(QueueUrl=local_stack.queue_url("sla-shards"), WaitTimeSeconds=0).get("Messages") \
        is None
    worker = declaration.function("sla-worker")
    arn = local_stack.resources.queues["sla-shards"].arn
    for message in messages:
        response = load_handler(worker.handler)(build_sqs_event([message], arn), make_context(worker))
        assert response == {"batchItemFailures": []}
        sqs.delete_message(QueueUrl=local_stack.queue_url("sla-shards"), ReceiptHandle=message["ReceiptHandle"])
    dossier = DossierRepository().get(dossier_id)
    assert dossier.overdue_since == vn(3, 9, 17) and dossier.apology is not None
    assert sla_events(dossier_id) == [("sla_breach", "breach")]


# --- motcua sla status -----------------------------------------------------------------------------------

def test_sla_status_per_agency(api_client, at, local_stack, capsys) -> None:
    from motcua.cli import main

    due_today = quick_dossier(vn(3, 2))  # due Mon 9 Mar 17:00
    at_risk = quick_dossier(vn(3, 4))  # due Wed 11 Mar 17:00
    on_track = quick_dossier(vn(3, 6))  # due Fri 13 Mar 17:00
    overdue = quick_dossier(vn(2, 23))  # Mon 23 Feb (after Tết): Tue 24 .. Fri 27, Mon 2 -> due Mon 2 Mar 17:00
    paused = quick_dossier(vn(3, 3))
    at(vn(3, 4))
    act(api_client, paused, "request_supplement", PROCESSOR, {"documents": ["Tờ khai"], "reason": "Thiếu tờ khai"})
    # Mon 9 Mar 08:00: the close of the 2nd working day after today is Wed 11 17:00.
    code = main(["sla", "status", "--agency", COMMUNE, "--at", "2026-03-09T08:00:00+07:00",
                 "--table", local_stack.table_name])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    [agency] = report["agencies"]
    assert agency["agency_code"] == COMMUNE and agency["open"] == 5 and agency["on_track"] == 1
    assert [d["id"] for d in agency["due_today"]] == [due_today]
    assert [d["id"] for d in agency["at_risk"]] == [at_risk]
    assert [d["id"] for d in agency["overdue"]] == [overdue]
    assert [d["id"] for d in agency["paused"]] == [paused]
    assert agency["due_today"][0]["due_at"] == "2026-03-09T17:00:00+07:00"
    assert agency["due_today"][0]["next_timer"] == {"kind": "last_day", "at": "2026-03-09T07:30:00+07:00"}
    assert on_track not in json.dumps(report)
    assert "Nguyễn Thị Hằng" not in json.dumps(report, ensure_ascii=False)  # no personal data


def test_sla_status_lists_a_transferred_dossier_under_the_agency_holding_it(api_client, at, local_stack,
                                                                            capsys) -> None:
    from motcua.cli import main

    other = "000.20.02.H36"
    kept, moved = quick_dossier(vn(3, 2)), quick_dossier(vn(3, 2))
    at(vn(3, 3))
    assert act(api_client, moved, "transfer", PROCESSOR, {"to_agency_code": other}).status == 200

    def listed(agency: str) -> set[str]:
        assert main(["sla", "status", "--agency", agency, "--at", "2026-03-09T08:00:00+07:00",
                     "--table", local_stack.table_name]) == 0
        [report] = json.loads(capsys.readouterr().out)["agencies"]
        return {d["id"] for d in report["due_today"]}

    assert listed(COMMUNE) == {kept}  # the receiving agency no longer holds it
    assert listed(other) == {moved}
