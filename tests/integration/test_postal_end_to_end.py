"""Postal collection and return on the local stack, through the API and the queues (docs/integrations.md §3):
the citizen's request and the desk's orders over HTTP, the FIFO postal queue, the ``postal`` function as
Lambda's event source mapping and EventBridge Scheduler invoke it, the VNPost emulator with faults (timeouts,
5xx, duplicated SQS deliveries, duplicated and out-of-order callbacks, a dropped callback), and the
emulator's signed callbacks posted to ``POST /postal/vnpost/callback``.

Nothing lost (every order created, every step recorded), nothing applied twice (one carrier order per
(dossier, kind), one ``return_result``), status 10 at the carrier's delivery time; a forged callback refused
with its code and audited; no receiver's personal data in any log line.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from infra import declaration
from infra.local import load_handler, make_context
from infra.local.scheduler import schedule_event
from infra.local.vnpost import CHECKSUM_HEADER, provision, sign
from motcua.cli.catalogue_cmds import seed_catalogue
from motcua.domain.calendar import VN_TZ
from tests.integration.helpers import (
    COMMUNE,
    bearer,
    consume_round,
    fresh_partner_consumer,
    handler_module,
    in_queue,
    submission,
    submit_headers,
)

CITIZEN = "citizen-hang"
DESK = ("officer-lan", "reception_officer", COMMUNE)
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)
RECEIVER = {"full_name": "Trần Văn Bưu", "phone": "0987654321", "address": "45 Nguyễn Huệ, phường Phú Hội"}
CALLBACK = "/postal/vnpost/callback"


@pytest.fixture(autouse=True)
def catalogue(clean_table: str) -> None:
    seed_catalogue(clean_table)


@pytest.fixture
def vnpost(local_stack, monkeypatch):
    """The session's emulator emptied, a short client timeout (its slow answers take 1.5 s), no backoff wait;
    its callbacks kept for the test to post through the API (the in-process API has no socket)."""
    emulator = local_stack.vnpost
    emulator.reset()
    provision(emulator, local_stack.endpoints, read_timeout_s=0.5)
    fresh_partner_consumer(monkeypatch, "postal", "_postal")
    sent: list[bytes] = []
    monkeypatch.setattr(emulator.server, "_post_callback", sent.append)
    emulator.sent = sent
    yield emulator
    emulator.reset()


# --- helpers ---------------------------------------------------------------------------------------------

def postal_round(local_stack) -> int:
    """One receive of up to ten messages and one invocation of the consumer, settled as Lambda does."""
    return consume_round(local_stack, "postal", "postal")


def drain(local_stack, rounds: int = 20) -> int:
    given = 0
    for _ in range(rounds):
        got = postal_round(local_stack)
        given += got
        if not got and not in_queue(local_stack, "postal"):
            return given
    raise AssertionError("the postal queue did not drain")


def redeliver_last(local_stack) -> None:
    """SQS's at-least-once delivery: the message just queued arrives a second time (another delivery id)."""
    sqs = local_stack.client("sqs")
    url = local_stack.queue_url("postal")
    message = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"],
                                  WaitTimeSeconds=0, VisibilityTimeout=0)["Messages"][0]
    sqs.send_message(QueueUrl=url, MessageBody=message["Body"], MessageGroupId=message["Attributes"]["MessageGroupId"],
                     MessageDeduplicationId=uuid.uuid4().hex)


def poll(local_stack) -> dict[str, Any]:
    function = declaration.function("postal")
    return load_handler(function.handler)(schedule_event(function), make_context(function))


def post_callbacks(api_client, bodies: list[bytes], key: str) -> list[Any]:
    answers = []
    for body in bodies:
        response = api_client.post(CALLBACK, body=body, headers={CHECKSUM_HEADER: sign(key, body),
                                                                 "content-type": "application/json"})
        answers.append((response.status, response.json()))
    return answers


def act(api_client, dossier_id: str, name: str, who, body: dict | None = None) -> dict:
    response = api_client.post(f"/dossiers/{dossier_id}/actions/{name}", json=body or {},
                               headers={**bearer(*who), "idempotency-key": uuid.uuid4().hex})
    assert response.status == 200, response.text
    return response.json()


def orders(api_client, dossier_id: str) -> dict[str, dict]:
    response = api_client.get(f"/dossiers/{dossier_id}/postal", headers=bearer(*DESK))
    assert response.status == 200, response.text
    return {o["kind"]: o for o in response.json().values() if o}


def dossier(api_client, dossier_id: str) -> dict:
    return api_client.get(f"/dossiers/{dossier_id}", headers=bearer(*DESK)).json()


def history(api_client, dossier_id: str) -> list[dict]:
    return api_client.get(f"/dossiers/{dossier_id}/history", headers=bearer(*DESK)).json()["items"]


# --- the journey -----------------------------------------------------------------------------------------

def test_collected_and_returned_by_post_through_the_api_and_queues_with_faults(
        api_client, local_stack, vnpost, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="motcua")
    key = vnpost.callback_key()["checksum_key"]
    response = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers(CITIZEN))
    assert response.status == 201, response.text
    dossier_id = response.json()["id"]

    # 1. the citizen asks for both; the collection goes to the queue at once, through a 5xx and a timeout
    vnpost.set_faults(error_5xx=1, slow=1, delay_s=1.5)
    asked = api_client.post(f"/dossiers/{dossier_id}/postal", headers=bearer(CITIZEN),
                            json={"collection": True, "return_by_post": True, "receiver": RECEIVER})
    assert asked.status == 200, asked.text
    assert {k: o["state"] for k, o in asked.json().items()} == {"collection": "queued", "return_by_post": "requested"}
    assert "receiver" not in asked.text and RECEIVER["phone"] not in asked.text
    redeliver_last(local_stack)
    assert drain(local_stack) >= 4  # the message twice, each retry after the 5xx and the timeout
    state = vnpost.state.summary()
    assert list(state["orders"]) == [f"{dossier_id}-C"]  # one carrier order, whatever the retries
    collection = orders(api_client, dossier_id)["collection"]
    assert collection["state"] == "created"
    assert collection["item_code"] == state["orders"][f"{dossier_id}-C"]["ItemCode"]

    vnpost.advance(collection["item_code"], "20")
    vnpost.advance(collection["item_code"], "50")
    assert [a[1]["outcome"] for a in post_callbacks(api_client, vnpost.sent, key)] == ["recorded", "delivered"]
    vnpost.sent.clear()
    assert orders(api_client, dossier_id)["collection"]["state"] == "delivered"
    assert dossier(api_client, dossier_id)["status"]["code"] == 1  # the desk still receives it

    # 2. the return can only be ordered once the result is ready
    early = api_client.post(f"/dossiers/{dossier_id}/postal/return/order", json={}, headers=bearer(*DESK))
    assert early.status == 409 and early.json()["code"] == "POSTAL_ORDER_NOT_ALLOWED"
    act(api_client, dossier_id, "receive", DESK)
    act(api_client, dossier_id, "start_processing", PROCESSOR)
    act(api_client, dossier_id, "decide", PROCESSOR,
        {"electronic": False, "result_documents": [f"results/{uuid.uuid4().hex}/giay-khai-sinh.pdf"]})
    vnpost.set_faults(error_5xx=2)
    ordered = api_client.post(f"/dossiers/{dossier_id}/postal/return/order", json={}, headers=bearer(*DESK))
    assert ordered.status == 200, ordered.text
    drain(local_stack)
    ret = orders(api_client, dossier_id)["return"]
    assert ret["state"] == "created"
    carrier_order = vnpost.state.summary()["orders"][f"{dossier_id}-R"]
    assert "giay-khai-sinh.pdf" in carrier_order["PackageContent"]  # the document list, with the receipt code
    assert dossier(api_client, dossier_id)["receipt_code"] in carrier_order["PackageContent"]

    # 3. tracking: one callback dropped (polling catches up), the others duplicated and out of order
    base = datetime(2026, 12, 9, 8, 0, tzinfo=VN_TZ)
    vnpost.set_faults(callback_fail=1)
    vnpost.advance(ret["item_code"], "20", base.isoformat())
    assert vnpost.sent == []
    vnpost.set_faults(error_5xx=1)
    assert poll(local_stack)["unavailable"] == 1  # the carrier down: the next run asks again
    polled = poll(local_stack)  # the dropped step comes by polling
    assert polled["polled"] == 1 and polled["steps"] == 1 and polled["delivered"] == 0
    assert orders(api_client, dossier_id)["return"]["last_status"] == "20"
    vnpost.set_faults(duplicate_callbacks=True, out_of_order=True)
    for i, code in enumerate(("30", "40", "50"), start=1):
        vnpost.advance(ret["item_code"], code, (base + timedelta(hours=i)).isoformat())
    vnpost.flush()  # newest first, each twice
    assert len(vnpost.sent) == 6

    forged_body = vnpost.sent[0].replace(b'"50"', b'"60"')
    forged = api_client.post(CALLBACK, body=forged_body, headers={
        CHECKSUM_HEADER: sign(key, vnpost.sent[0]), "content-type": "application/json"})
    assert forged.status == 401
    assert forged.json()["code"] == "POSTAL_CALLBACK_REJECTED" and forged.json()["message_vi"]
    unsigned = api_client.post(CALLBACK, body=vnpost.sent[0], headers={"content-type": "application/json"})
    assert unsigned.status == 401
    refusals = [e for e in history(api_client, dossier_id) if e["details"].get("code") == "POSTAL_CALLBACK_REJECTED"]
    assert len(refusals) == 2  # audited on the dossier the forged step claims
    assert dossier(api_client, dossier_id)["status"]["code"] == 9  # nothing applied from them

    answers = post_callbacks(api_client, vnpost.sent, key)
    assert all(status == 200 for status, _ in answers)
    outcomes = [a["outcome"] for _, a in answers]
    assert outcomes.count("delivered") == 1 and outcomes.count("recorded") == 2 and outcomes.count("duplicate") == 3

    # 4. returned once, at the carrier's delivery time
    final = dossier(api_client, dossier_id)
    assert final["status"]["code"] == 10
    assert datetime.fromisoformat(final["returned_at"]) == base + timedelta(hours=3)
    assert [e["action"] for e in history(api_client, dossier_id)].count("return_result") == 1
    ret = orders(api_client, dossier_id)["return"]
    assert ret["state"] == "delivered" and ret["last_status"] == "50"
    assert poll(local_stack)["polled"] == 0  # nothing under way any more: the open index is empty

    # the connector logged ids and codes, never the receiver
    logged = "\n".join(r.getMessage() + json.dumps(getattr(r, "__dict__", {}), default=str) for r in caplog.records)
    for personal in RECEIVER.values():
        assert personal not in logged


def test_cancel_retry_and_a_refused_order_through_the_api(api_client, local_stack, vnpost) -> None:
    response = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers(CITIZEN))
    dossier_id = response.json()["id"]
    bad = dict(RECEIVER, address="     ")  # blank once stripped: refused here, never sent to the carrier
    refused = api_client.post(f"/dossiers/{dossier_id}/postal", headers=bearer(CITIZEN),
                              json={"collection": True, "receiver": bad})
    assert refused.status == 422 and refused.json()["code"]
    api_client.post(f"/dossiers/{dossier_id}/postal", headers=bearer(CITIZEN),
                    json={"collection": True, "receiver": RECEIVER})
    drain(local_stack)
    cancelled = api_client.post(f"/dossiers/{dossier_id}/postal/collection/cancel", headers=bearer(CITIZEN))
    assert cancelled.status == 200 and cancelled.json()["state"] == "cancel_requested"
    drain(local_stack)
    assert orders(api_client, dossier_id)["collection"]["state"] == "cancelled"
    assert vnpost.state.summary()["orders"][f"{dossier_id}-C"]["cancelled"] is True
    again = api_client.post(f"/dossiers/{dossier_id}/postal/collection/cancel", headers=bearer(CITIZEN))
    assert again.status == 409

    # the citizen cannot retry; the desk can (a new attempt, the same carrier order code)
    denied = api_client.post(f"/dossiers/{dossier_id}/postal/collection/retry", headers=bearer(CITIZEN))
    assert denied.status == 403 and denied.json()["code"] == "POSTAL_ACCESS_DENIED"
    retried = api_client.post(f"/dossiers/{dossier_id}/postal/collection/retry", headers=bearer(*DESK))
    assert retried.status == 200 and retried.json()["attempt"] == 2
    drain(local_stack)
    assert orders(api_client, dossier_id)["collection"]["state"] == "created"
    assert list(vnpost.state.summary()["orders"]) == [f"{dossier_id}-C"]

    # an unknown carrier and a body that names no order of ours are refused too
    assert api_client.post("/postal/nowhere/callback", body=b"{}",
                           headers={"content-type": "application/json"}).json()["code"] == "POSTAL_CALLBACK_REJECTED"
    key = vnpost.callback_key()["checksum_key"]
    stranger = json.dumps({"OrderCode": "x-R", "ItemCode": "EV1VN", "StatusCode": "50",
                           "StatusTime": "2026-12-09T08:00:00+07:00"}).encode()
    status, body = post_callbacks(api_client, [stranger], key)[0]
    assert status == 401 and body["code"] == "POSTAL_CALLBACK_REJECTED"


def test_a_carrier_down_for_good_parks_the_order_in_the_dlq(api_client, local_stack, vnpost) -> None:
    response = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers(CITIZEN))
    dossier_id = response.json()["id"]
    vnpost.set_faults(error_5xx=100)
    api_client.post(f"/dossiers/{dossier_id}/postal", headers=bearer(CITIZEN),
                    json={"collection": True, "receiver": RECEIVER})
    receives = declaration.queue("postal").max_receive_count
    for _ in range(receives + 2):
        postal_round(local_stack)
    assert in_queue(local_stack, "postal") == 0
    assert vnpost.state.summary()["orders"] == {}  # nothing half-made at the carrier
    parked = local_stack.client("sqs").receive_message(QueueUrl=local_stack.dlq_url("postal"),
                                                       MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]
    assert [json.loads(m["Body"])["dossier_id"] for m in parked] == [dossier_id]
    assert RECEIVER["phone"] not in parked[0]["Body"]  # identifiers only
    assert orders(api_client, dossier_id)["collection"]["state"] == "queued"  # still under way: retry recovers
    vnpost.set_faults()
    assert api_client.post(f"/dossiers/{dossier_id}/postal/collection/retry", headers=bearer(*DESK)).status == 200
    drain(local_stack)
    assert orders(api_client, dossier_id)["collection"]["state"] == "created"


def test_an_order_the_carrier_refuses_is_parked_at_once_and_retried_by_the_desk(api_client, local_stack,
                                                                                 vnpost) -> None:
    provision(vnpost, local_stack.endpoints, read_timeout_s=0.5, customer_code="NOT-OURS")  # answered "01"
    response = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers(CITIZEN))
    dossier_id = response.json()["id"]
    api_client.post(f"/dossiers/{dossier_id}/postal", headers=bearer(CITIZEN),
                    json={"collection": True, "receiver": RECEIVER})
    assert postal_round(local_stack) == 1 and in_queue(local_stack, "postal") == 0  # not retried
    collection = orders(api_client, dossier_id)["collection"]
    assert collection["state"] == "refused" and collection["refused_code"] == "01"
    parked = local_stack.client("sqs").receive_message(QueueUrl=local_stack.dlq_url("postal"),
                                                       MessageAttributeNames=["All"], WaitTimeSeconds=0)["Messages"]
    assert len(parked) == 1
    provision(vnpost, local_stack.endpoints, read_timeout_s=0.5)  # the account corrected
    handler_module("postal")._postal = None  # the corrected account is read on the next message
    assert api_client.post(f"/dossiers/{dossier_id}/postal/collection/retry", headers=bearer(*DESK)).status == 200
    drain(local_stack)
    assert orders(api_client, dossier_id)["collection"]["state"] == "created"


def test_an_order_whose_message_was_lost_is_sent_again_by_the_poll(api_client, local_stack, vnpost,
                                                                    monkeypatch) -> None:
    response = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers(CITIZEN))
    dossier_id = response.json()["id"]
    api_client.post(f"/dossiers/{dossier_id}/postal", headers=bearer(CITIZEN),
                    json={"collection": True, "receiver": RECEIVER})
    sqs = local_stack.client("sqs")
    url = local_stack.queue_url("postal")
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])  # lost before its consumer ran
    module = handler_module("postal")
    assert poll(local_stack)["requeued"] == 0  # queued a moment ago: its message may still be on its way
    monkeypatch.setattr(module.postal(), "requeue_after", timedelta(0))
    assert poll(local_stack)["requeued"] == 1
    assert drain(local_stack) == 1
    assert orders(api_client, dossier_id)["collection"]["state"] == "created"
    assert poll(local_stack) == {"polled": 1, "steps": 0, "delivered": 0, "requeued": 0, "unavailable": 0}
