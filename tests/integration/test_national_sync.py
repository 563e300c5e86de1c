"""The national portal sync end to end on the local stack (docs/integrations.md §1): status changes -> outbox ->
relay -> the FIFO sync queue -> the national-sync consumer -> the portal's emulator, with faults injected; the
acknowledgements as the sync record of indicator 1.4; the DLQ and `motcua sync status / redrive`.

The consumer is invoked as Lambda's event source mapping does (``build_sqs_event``), and the batch settled like
it: what is not reported failed is deleted, the failed records come back after the backoff the consumer set
(0 s here: ``retry_base_s``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from infra import declaration
from infra.local import load_handler, make_context
from infra.local.national_portal import provision
from infra.local.pollers import build_sqs_event
from infra.local.scheduler import schedule_event
from motcua.cli import main
from motcua.cli.catalogue_cmds import seed_catalogue
from motcua.data import national_portal as acks
from motcua.data.index_store import IndexRepository
from motcua.domain import actions as ev
from motcua.domain.index import DossierFacts
from motcua.service.actions import service
from tests.integration.helpers import (
    COMMUNE,
    bearer,
    consume_round,
    fresh_partner_consumer,
    in_queue,
    submission,
    submit_headers,
)

DESK = ("officer-lan", "reception_officer", COMMUNE)
FIRST = "DongBoHoSoMC"
STEP = "CapNhatTienDoHoSoMC"


@pytest.fixture(autouse=True)
def catalogue(clean_table: str) -> None:
    seed_catalogue(clean_table)


@pytest.fixture
def portal(local_stack, monkeypatch):
    """The emulator emptied, short client timeouts (its slow answers take 3 s), no backoff wait."""
    emulator = local_stack.national_portal
    emulator.reset()
    provision(emulator, local_stack.endpoints, read_timeout_s=1.5)
    fresh_partner_consumer(monkeypatch, "national-sync", "_sync")
    return emulator


# --- helpers ---------------------------------------------------------------------------------------------

def new_dossier(api_client, subject: str = "citizen-hang") -> dict:
    response = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers(subject))
    assert response.status == 201, response.text
    return response.json()


def act(api_client, dossier_id: str, action: str, **body: Any) -> dict:
    response = api_client.post(f"/dossiers/{dossier_id}/actions/{action}", json=body,
                               headers={**bearer(*DESK), "idempotency-key": uuid.uuid4().hex})
    assert response.status == 200, response.text
    return response.json()


def relay() -> dict:
    function = declaration.function("outbox-relay")
    return load_handler(function.handler)(schedule_event(function), make_context(function))


def sync_round(local_stack) -> int:
    """One receive of up to ten messages and one consumer invocation; returns how many it was given."""
    return consume_round(local_stack, "national-sync", "national-sync")


def drain(local_stack, rounds: int = 30) -> None:
    for _ in range(rounds):
        if not sync_round(local_stack) and not in_queue(local_stack, "national-sync"):
            return
    raise AssertionError("the sync queue did not drain")


def dlq_messages(local_stack) -> list[dict[str, Any]]:
    sqs = local_stack.client("sqs")
    found: list[dict[str, Any]] = []
    while got := sqs.receive_message(QueueUrl=local_stack.dlq_url("national-sync"), MaxNumberOfMessages=10,
                                     MessageAttributeNames=["All"], VisibilityTimeout=0,
                                     WaitTimeSeconds=0).get("Messages", []):
        found += got
        if len(found) >= 50 or len(got) < 10:
            break
    return found


def steps(portal, receipt_code: str) -> list[str]:
    return [s["TrangThai"] for s in portal.state.summary()["progress"].get(receipt_code, [])]


def sync_events(dossier_id: str) -> list[dict]:
    return [e.details for e in service.dossiers.history(dossier_id) if e.action == ev.SYNC_NATIONAL_PORTAL]


def facts(dossier_id: str) -> DossierFacts:
    stored = IndexRepository().facts(dossier_id)
    assert stored is not None
    return DossierFacts.model_validate_json(stored.facts_json)


def to_processing(api_client) -> dict:
    dossier = new_dossier(api_client)
    act(api_client, dossier["id"], "receive")
    act(api_client, dossier["id"], "start_processing")
    return dossier


# --- the path --------------------------------------------------------------------------------------------

def test_a_dossier_is_synced_whole_first_then_each_step_in_order(api_client, local_stack, portal) -> None:
    dossier = to_processing(api_client)
    code = dossier["receipt_code"]
    assert facts(dossier["id"]).sync_recorded is False  # nothing acknowledged yet: 1.4 has no data for it

    relay()
    drain(local_stack)

    received = portal.state.summary()["received"]
    # The whole dossier as it stands when the first message is delivered, then every step in order.
    assert [(r["service"], r["trang_thai"]) for r in received] == [
        (FIRST, "4"), (STEP, "1"), (STEP, "2"), (STEP, "4")]
    assert portal.state.summary()["dossiers"][code] == {"TrangThaiHoSo": "4", "updates": 0}
    record = portal.state.dossiers[code]
    assert record["MaTTHC"] == "1.001266" and record["NgayTiepNhan"].isdigit() and len(record["NgayHenTra"]) == 14
    # The acknowledgement is the sync record: one event, and the index counts the dossier synchronised.
    assert [d[ev.D_SYNCED] for d in sync_events(dossier["id"])] == [True]
    assert facts(dossier["id"]).synced_national is True
    assert [a.service for a in acks.acks_of(dossier["id"])] == [FIRST, STEP, STEP, STEP]

    act(api_client, dossier["id"], "request_supplement", documents=["Bản sao giấy khai sinh"],
        reason="Thiếu giấy tờ")  # a later change: one more step, nothing else
    relay()
    drain(local_stack)
    assert steps(portal, code) == ["1", "2", "4", "5"]
    assert len(sync_events(dossier["id"])) == 1


def test_a_redelivered_message_calls_the_portal_once(api_client, local_stack, portal) -> None:
    dossier = new_dossier(api_client)
    relay()
    sqs = local_stack.client("sqs")
    url = local_stack.queue_url("national-sync")
    message = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], WaitTimeSeconds=1)["Messages"][0]
    function = declaration.function("national-sync")
    event = build_sqs_event([message], local_stack.resources.queues["national-sync"].arn)
    for _ in range(3):  # at-least-once: the same message three times
        assert load_handler(function.handler)(event, make_context(function)) == {"batchItemFailures": []}
    assert len(portal.state.summary()["received"]) == 2  # the whole dossier and its first step, once
    assert len(acks.acks_of(dossier["id"])) == 2


@pytest.mark.parametrize("phase", ["whole dossier", "steps"])
def test_faults_lose_nothing_and_apply_nothing_twice(api_client, local_stack, portal, phase) -> None:
    dossier = new_dossier(api_client)
    code = dossier["receipt_code"]
    # A 5xx, an answer after the client gave up (applied), a dropped connection (applied), expired sessions:
    # on the first message (the whole dossier), or on the later steps.
    faults = {"error_5xx": 1, "slow": 1, "drop": 1, "delay_s": 3.0, "expire_sessions": True}
    if phase == "whole dossier":
        portal.set_faults(**faults)
    relay()
    drain(local_stack)
    act(api_client, dossier["id"], "receive")
    act(api_client, dossier["id"], "start_processing")
    if phase == "steps":
        portal.set_faults(**faults)
    relay()
    drain(local_stack)

    assert steps(portal, code) == ["1", "2", "4"]
    assert portal.state.summary()["dossiers"][code] == {"TrangThaiHoSo": "4", "updates": 0}
    assert len(sync_events(dossier["id"])) == 1
    assert len(acks.acks_of(dossier["id"])) == 4
    answers = [r["answer"] for r in portal.state.summary()["received"]]
    assert answers.count("503") == 1 and answers[-1] == "00"
    # Each fault cost at least one resend (a busy machine may time out an ordinary answer too).
    assert len([a for a in answers if a != "401"]) >= 4 + 3
    assert answers.count("401") == (1 if phase == "steps" else 0)  # the session expired after it was opened
    assert dlq_messages(local_stack) == []


def test_one_dossiers_failures_never_hold_back_another(api_client, local_stack, portal) -> None:
    stuck = to_processing(api_client)
    other = to_processing(api_client)
    portal.set_faults(error_5xx=4, only=[stuck["receipt_code"]])

    relay()
    sync_round(local_stack)  # the stuck dossier's first message fails; the other's go through
    assert steps(portal, other["receipt_code"]) == ["1", "2", "4"]
    assert steps(portal, stuck["receipt_code"]) == []

    drain(local_stack)  # retried (backoff 0 here) until the portal answers: in order, once each
    assert steps(portal, stuck["receipt_code"]) == ["1", "2", "4"]


def test_a_refused_record_is_parked_at_once_recorded_as_not_synced_and_redriven(api_client, local_stack, portal,
                                                                               capsys) -> None:
    refused = new_dossier(api_client)
    fine = new_dossier(api_client, "citizen-an")
    portal.set_faults(refuse=[refused["receipt_code"]])

    relay()
    drain(local_stack)

    parked = dlq_messages(local_stack)
    assert len(parked) == 1
    assert parked[0]["MessageAttributes"]["motcua_error_code"]["StringValue"] == "NATIONAL_PORTAL_REFUSED"
    assert json.loads(parked[0]["Body"])["dossier_id"] == refused["id"]  # ids only, no personal data
    assert [d[ev.D_SYNCED] for d in sync_events(refused["id"])] == [False]  # counted, as not synchronised
    assert facts(refused["id"]).sync_recorded and not facts(refused["id"]).synced_national
    assert steps(portal, fine["receipt_code"]) == ["1"]

    assert main(["sync", "status", "--dossier", fine["id"], "--table", local_stack.table_name]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[1]["queue"] == "motcua-national-sync-dlq.fifo" and lines[1]["waiting"] == 1
    assert [line["service"] for line in lines[2:]] == [FIRST, STEP]

    portal.set_faults()  # the operator fixed what the portal refused
    assert main(["sync", "redrive"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["moved"] == 1
    drain(local_stack)
    assert steps(portal, refused["receipt_code"]) == ["1"]
    assert [d[ev.D_SYNCED] for d in sync_events(refused["id"])] == [False, True]
    assert facts(refused["id"]).synced_national is True


def test_a_portal_down_for_good_ends_in_the_dlq_after_the_retries(api_client, local_stack, portal) -> None:
    dossier = new_dossier(api_client)
    portal.set_faults(error_5xx=1000, only=[dossier["receipt_code"]])
    relay()
    for _ in range(declaration.queue("national-sync").max_receive_count + 2):
        sync_round(local_stack)
    parked = dlq_messages(local_stack)
    assert [json.loads(m["Body"])["dossier_id"] for m in parked] == [dossier["id"]]
    assert sync_events(dossier["id"]) == []  # no acknowledgement, no record: 1.4 has no data for it
    assert facts(dossier["id"]).sync_recorded is False


def test_a_step_redriven_late_leaves_the_portal_on_the_current_status(api_client, local_stack, portal) -> None:
    dossier = new_dossier(api_client)
    code = dossier["receipt_code"]
    relay()
    drain(local_stack)
    act(api_client, dossier["id"], "receive")
    portal.set_faults(refuse=[code])
    relay()
    drain(local_stack)  # step 2 refused: parked
    portal.set_faults()
    act(api_client, dossier["id"], "start_processing")
    relay()
    drain(local_stack)  # step 4 goes through
    assert main(["sync", "redrive"]) == 0
    drain(local_stack)  # step 2, late
    assert sorted(steps(portal, code)) == ["1", "2", "4"]
    assert portal.state.summary()["dossiers"][code]["TrangThaiHoSo"] == "4"


# --- dossiers filed on the portal ------------------------------------------------------------------------

def filed_on_portal(code: str = "G22.99-260302-000123", **changes: Any) -> dict[str, Any]:
    applicant = submission()["applicant"]
    return {"MaHoSo": code, "MaTTHC": "1.001266", "MaDonVi": COMMUNE, "TaiKhoanNop": "vneid-hang",
            "ChuHoSo": applicant["full_name"], "SoGiayTo": applicant["national_id"],
            "SoDienThoai": applicant["phone"], "Email": applicant["email"], "DiaChi": applicant["address"], **changes}


def intake_round(local_stack, bodies: list[dict[str, Any]]) -> dict:
    function = declaration.function("national-intake")
    messages = [{"MessageId": uuid.uuid4().hex, "ReceiptHandle": uuid.uuid4().hex, "Body": json.dumps(body),
                 "Attributes": {"ApproximateReceiveCount": "1"}, "MessageAttributes": {}} for body in bodies]
    event = build_sqs_event(messages, local_stack.resources.queues["national-intake"].arn)
    return load_handler(function.handler)(event, make_context(function))


def test_a_dossier_filed_on_the_portal_is_submitted_once_and_synced_back_under_the_portals_code(
        local_stack, portal) -> None:
    code = "G22.99-260302-000123"
    portal.state.dossiers[code] = {"MaHoSo": code, "TrangThaiHoSo": "1", "_updates": 0}  # filed there

    assert intake_round(local_stack, [filed_on_portal(code), filed_on_portal(code)]) == {"batchItemFailures": []}
    intake_round(local_stack, [filed_on_portal(code)])  # handed over again later

    dossiers, _ = service.dossiers.owned_by("vneid-hang")
    assert len(dossiers) == 1 and dossiers[0].channel.value == "online" and dossiers[0].status.value == 1
    relay()
    drain(local_stack)
    state = portal.state.summary()
    assert set(state["dossiers"]) == {code}  # updated under the portal's code, no second dossier
    assert state["dossiers"][code]["updates"] == 1 and steps(portal, code) == ["1"]


def test_a_filed_dossier_that_cannot_be_submitted_is_parked_with_field_names_only(local_stack, portal) -> None:
    bad_phone = filed_on_portal("G22.99-260302-000124", SoDienThoai="12")
    unknown = filed_on_portal("G22.99-260302-000125", MaTTHC="9.999999")
    assert intake_round(local_stack, [bad_phone, unknown]) == {"batchItemFailures": []}
    sqs = local_stack.client("sqs")
    parked = sqs.receive_message(QueueUrl=local_stack.dlq_url("national-intake"), MaxNumberOfMessages=10,
                                 MessageAttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
    reasons = sorted(m["MessageAttributes"]["motcua_error_code"]["StringValue"] for m in parked)
    assert reasons == ["PROCEDURE_NOT_FOUND", "SYNC_MESSAGE_INVALID"]
    codes = {m["MessageAttributes"]["motcua_error_code"]["StringValue"]: m for m in parked}
    reason = codes["SYNC_MESSAGE_INVALID"]["MessageAttributes"]["motcua_error_reason"]["StringValue"]
    assert reason == "invalid fields: phone"  # the field's name, not what was in it
    assert service.dossiers.owned_by("vneid-hang")[0] == []
