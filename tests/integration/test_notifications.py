"""Notifications end to end on the local engines: a status change -> outbox -> relay -> notifications queue
-> notifier -> e-mail in moto SES and SMS in moto SNS, with delivery records; overlapping relays; failed
deliveries retried, parked and redriven; `motcua outbox` and `motcua dlq redrive`.

What moto received is read from its own API (``/moto-api/data.json``: SES ``Message`` and SNS ``SMS``).
"""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from typing import Any

import boto3
import pytest

from infra import declaration
from infra.local import load_handler, make_context
from infra.local.pollers import build_sqs_event
from infra.local.resources import verify_senders
from infra.local.scheduler import schedule_event
from motcua.cli import main
from motcua.cli.catalogue_cmds import seed_catalogue
from motcua.data import notifications as data_notifications
from motcua.domain.calendar import VN_TZ
from tests.integration.helpers import COMMUNE, bearer, submission, submit_headers

DESK = ("officer-lan", "reception_officer", COMMUNE)
EMAIL = "hang.nguyen@example.vn"  # helpers.submission()'s applicant
PHONE = "+84912345678"


@pytest.fixture(autouse=True)
def catalogue(clean_table: str) -> None:
    seed_catalogue(clean_table)


# --- helpers -------------------------------------------------------------------------------------------

def new_dossier(api_client) -> dict:
    response = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers("citizen-hang"))
    assert response.status == 201, response.text
    return response.json()


def receive(api_client, dossier_id: str) -> dict:
    response = api_client.post(f"/dossiers/{dossier_id}/actions/receive", json={},
                               headers={**bearer(*DESK), "idempotency-key": uuid.uuid4().hex})
    assert response.status == 200, response.text
    return response.json()


def dossier_as_citizen(api_client, dossier_id: str) -> dict:
    return api_client.get(f"/dossiers/{dossier_id}", headers=bearer("citizen-hang")).json()


def relay() -> dict:
    function = declaration.function("outbox-relay")
    return load_handler(function.handler)(schedule_event(function), make_context(function))


def receive_messages(local_stack, queue: str, count: int) -> list[dict]:
    sqs = local_stack.client("sqs")
    messages: list[dict] = []
    while len(messages) < count:
        got = sqs.receive_message(QueueUrl=local_stack.queue_url(queue), MaxNumberOfMessages=10,
                                  AttributeNames=["All"], MessageAttributeNames=["All"],
                                  WaitTimeSeconds=1).get("Messages", [])
        assert got, f"expected {count} messages on {queue}, got {len(messages)}"
        messages += got
    return messages


def run_notifier(local_stack, messages: list[dict]) -> dict:
    """Invoke the notifier as Lambda's event source mapping does, and settle the batch like it: delete the
    messages not reported as failed; failed ones stay in flight until their visibility timeout."""
    function = declaration.function("notifier")
    event = build_sqs_event(messages, local_stack.resources.queues["notifications"].arn)
    response = load_handler(function.handler)(event, make_context(function))
    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    sqs = local_stack.client("sqs")
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=local_stack.queue_url("notifications"), ReceiptHandle=message["ReceiptHandle"])
    return response


def visible_again(local_stack, messages: list[dict]) -> None:
    """What the end of the visibility timeout does to a failed message (60 s is too long for a test)."""
    sqs = local_stack.client("sqs")
    for message in messages:
        sqs.change_message_visibility(QueueUrl=local_stack.queue_url("notifications"),
                                      ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)


def moto_data(local_stack) -> dict[str, Any]:
    with urllib.request.urlopen(f"{local_stack.endpoints.moto}/moto-api/data.json", timeout=10) as response:
        return json.loads(response.read())


class Sent:
    """What moto's SES and SNS took since the test began (moto keeps the session's; receipt codes repeat
    from test to test, since each starts from an empty table)."""

    def __init__(self, local_stack) -> None:
        self.local_stack = local_stack
        self.before = self._ids()

    def _all(self) -> tuple[list[dict], list[dict]]:
        data = moto_data(self.local_stack)
        return data.get("ses", {}).get("Message", []), data.get("sns", {}).get("SMS", [])

    def _ids(self) -> set[str]:
        mails, sms = self._all()
        return {m["id"] for m in mails} | {m["message_id"] for m in sms}

    def mail(self, receipt_code: str) -> list[dict]:
        return [m for m in self._all()[0] if m["id"] not in self.before and receipt_code in m["subject"]]

    def sms(self, receipt_code: str) -> list[dict]:
        return [m for m in self._all()[1] if m["message_id"] not in self.before and receipt_code in m["message"]]


@pytest.fixture
def sent(local_stack) -> Sent:
    return Sent(local_stack)


def table_items(local_stack, prefix: str) -> list[dict]:
    table = boto3.resource("dynamodb").Table(local_stack.table_name)
    return [i for i in table.scan()["Items"] if str(i["pk"]).startswith(prefix) or str(i["sk"]).startswith(prefix)]


def vn(value: str) -> str:
    from datetime import datetime

    return datetime.fromisoformat(value).astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


# --- the path ------------------------------------------------------------------------------------------

def test_a_status_change_reaches_the_citizen_by_email_and_sms(api_client, local_stack, sent) -> None:
    dossier = new_dossier(api_client)
    received = receive(api_client, dossier["id"])
    code = dossier["receipt_code"]

    assert relay() == {"sent": 2, "skipped": 0, "failed": 0}  # submitted (1) and received (2)
    assert relay() == {"sent": 0, "skipped": 0, "failed": 0}  # nothing is pending twice
    messages = receive_messages(local_stack, "notifications", 2)
    assert run_notifier(local_stack, messages) == {"batchItemFailures": []}

    mails = sent.mail(code)
    assert sorted(m["subject"] for m in mails) == sorted([f"Hồ sơ {code}: Mới đăng ký",
                                                          f"Hồ sơ {code}: Được tiếp nhận"])
    assert all(m["destinations"]["ToAddresses"] == [EMAIL] for m in mails)
    assert all(m["source"] == local_stack.env["NOTIFY_SENDER"] for m in mails)
    mail = next(m for m in mails if m["subject"].endswith("Được tiếp nhận"))
    assert mail["body"].startswith("Kính gửi Ông/Bà Nguyễn Thị Hằng,")
    assert f"đã được tiếp nhận. Ngày hẹn trả kết quả: {vn(received['appointment_at'])}." in mail["body"]

    sms = sent.sms(code)
    assert len(sms) == 2 and all(m["phone_number"] == PHONE for m in sms)
    assert all(m["message"].startswith(f"Hồ sơ {code} (") for m in sms)
    assert sum("đã được tiếp nhận. Ngày hẹn" in m["message"] for m in sms) == 1

    records = data_notifications.deliveries_of_dossier(dossier["id"], 10)
    assert sorted((r.template_id, r.channel, r.status, r.attempts) for r in records) == [
        ("status.01", "email", "sent", 1), ("status.01", "sms", "sent", 1),
        ("status.02", "email", "sent", 1), ("status.02", "sms", "sent", 1)]
    assert {r.recipient for r in records} == {"h***@example.vn", "+8491*****78"}
    # Contact details live in the dossier only: not in records, idempotency items, the outbox.
    stored = json.dumps([table_items(local_stack, p) for p in ("NOTIFY#", "IDEMPOTENCY#notifier", "OUTBOX#")],
                        default=str, ensure_ascii=False)
    assert EMAIL not in stored and "912345678" not in stored and "Nguyễn Thị Hằng" not in stored


def test_the_same_message_delivered_twice_sends_once(api_client, local_stack, sent) -> None:
    dossier = new_dossier(api_client)
    relay()
    messages = receive_messages(local_stack, "notifications", 1)
    visible_again(local_stack, messages)
    duplicate = receive_messages(local_stack, "notifications", 1)  # SQS hands the same message out again
    assert run_notifier(local_stack, duplicate) == {"batchItemFailures": []}
    assert run_notifier(local_stack, messages) == {"batchItemFailures": []}
    assert len(sent.mail(dossier["receipt_code"])) == 1
    assert len(sent.sms(dossier["receipt_code"])) == 1
    assert [r.attempts for r in data_notifications.deliveries_of_dossier(dossier["id"], 10)] == [1, 1]


def test_two_relay_runs_at_once_send_each_event_once(api_client, local_stack, monkeypatch) -> None:
    for _ in range(3):
        receive(api_client, new_dossier(api_client)["id"])  # 6 events
    # Both runs read the same pending page before either claims anything: the worst overlap, every time.
    read = data_notifications.pending_outbox
    both_have_read = threading.Barrier(2, timeout=20)

    def pending_after_both_read(limit: int):
        events = list(read(limit))
        both_have_read.wait()
        return iter(events)

    monkeypatch.setattr(data_notifications, "pending_outbox", pending_after_both_read)
    reports: list[dict] = []
    runs = [threading.Thread(target=lambda: reports.append(relay())) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)
    assert len(reports) == 2
    assert sum(r["sent"] for r in reports) == 6 and sum(r["skipped"] for r in reports) == 6
    queued = receive_messages(local_stack, "notifications", 6)
    ids = [json.loads(m["Body"])["id"] for m in queued]
    outbox = {i["pk"].removeprefix("OUTBOX#") for i in table_items(local_stack, "OUTBOX#")}
    assert sorted(ids) == sorted(outbox)  # each event exactly once
    sqs = local_stack.client("sqs")
    assert not sqs.receive_message(QueueUrl=local_stack.queue_url("notifications"), WaitTimeSeconds=0).get("Messages")
    assert all("gsi1pk" not in i and "relayed_at" in i for i in table_items(local_stack, "OUTBOX#"))


def test_a_failed_email_is_retried_never_touches_the_dossier_and_ends_in_the_dlq(api_client, local_stack, sent) -> None:
    dossier = new_dossier(api_client)
    before = dossier_as_citizen(api_client, dossier["id"])
    code = dossier["receipt_code"]
    ses = local_stack.client("ses")
    sender = local_stack.env["NOTIFY_SENDER"]
    relay()
    try:
        for identity in (sender, sender.rsplit("@", 1)[1]):  # SES now rejects mail from the sender
            ses.delete_identity(Identity=identity)
        for attempt in range(1, 4):  # the queue's max_receive_count
            messages = receive_messages(local_stack, "notifications", 1)
            response = run_notifier(local_stack, messages)
            assert response == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}, attempt
            visible_again(local_stack, messages)
        records = {r.channel: r for r in data_notifications.deliveries_of_dossier(dossier["id"], 10)}
        assert (records["email"].status, records["email"].attempts) == ("failed", 3)
        assert "MessageRejected" in (records["email"].last_error or "")
        assert (records["sms"].status, records["sms"].attempts) == ("sent", 1)  # not re-sent on retries
        assert sent.mail(code) == [] and len(sent.sms(code)) == 1

        # A fourth receive: SQS's redrive policy moves it to the DLQ instead of handing it out.
        sqs = local_stack.client("sqs")
        assert not sqs.receive_message(QueueUrl=local_stack.queue_url("notifications"),
                                       WaitTimeSeconds=0).get("Messages")
        parked = receive_messages(local_stack, "notifications-dlq", 1)
        assert json.loads(parked[0]["Body"])["data"]["dossier_id"] == dossier["id"]
        sqs.change_message_visibility(QueueUrl=local_stack.queue_url("notifications-dlq"),
                                      ReceiptHandle=parked[0]["ReceiptHandle"], VisibilityTimeout=0)
    finally:
        verify_senders(ses, [sender])

    after = dossier_as_citizen(api_client, dossier["id"])
    assert (after["version"], after["status"], after["history"]) == (before["version"], before["status"],
                                                                     before["history"])

    # The sender fixed, the operator redrives: the e-mail goes out, the SMS is not sent a second time.
    assert main(["dlq", "redrive", "--queue", "notifications"]) == 0
    messages = receive_messages(local_stack, "notifications", 1)
    assert run_notifier(local_stack, messages) == {"batchItemFailures": []}
    assert len(sent.mail(code)) == 1 and len(sent.sms(code)) == 1
    records = {r.channel: r for r in data_notifications.deliveries_of_dossier(dossier["id"], 10)}
    assert (records["email"].status, records["email"].attempts) == ("sent", 4)


def test_an_undeliverable_message_is_parked_with_its_reason_and_the_rest_is_sent(api_client, local_stack, sent) -> None:
    dossier = new_dossier(api_client)
    relay()
    first = receive_messages(local_stack, "notifications", 1)
    envelope = json.loads(first[0]["Body"])
    visible_again(local_stack, first)
    ghost = {**envelope, "id": uuid.uuid4().hex, "data": {**envelope["data"], "dossier_id": "f" * 32}}
    sqs = local_stack.client("sqs")
    for body in ("{not json", json.dumps(ghost)):
        sqs.send_message(QueueUrl=local_stack.queue_url("notifications"), MessageBody=body)
    messages = receive_messages(local_stack, "notifications", 3)
    assert run_notifier(local_stack, messages) == {"batchItemFailures": []}  # parked, not retried
    parked = receive_messages(local_stack, "notifications-dlq", 2)
    reasons = sorted(m["MessageAttributes"]["motcua_error_code"]["StringValue"] for m in parked)
    assert reasons == ["DOSSIER_NOT_FOUND", "MESSAGE_INVALID"]
    assert all(m["MessageAttributes"]["motcua_error_reason"]["StringValue"] for m in parked)
    assert len(sent.mail(dossier["receipt_code"])) == 1


# --- the commands --------------------------------------------------------------------------------------

def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_motcua_outbox_lists_pending_events_then_what_was_sent(api_client, local_stack, capsys) -> None:
    dossier = new_dossier(api_client)
    receive(api_client, dossier["id"])
    other = new_dossier(api_client)
    capsys.readouterr()

    assert main(["outbox", "--pending"]) == 0
    pending = json_lines(capsys.readouterr().out)
    assert [p["type"] for p in pending] == ["dossier.status_changed"] * 3
    assert [p["occurred_at"] for p in pending] == sorted(p["occurred_at"] for p in pending)  # oldest first

    relay()
    run_notifier(local_stack, receive_messages(local_stack, "notifications", 3))
    assert main(["outbox", "--pending"]) == 0
    assert json_lines(capsys.readouterr().out) == []

    assert main(["outbox", "--dossier", dossier["id"]]) == 0
    lines = json_lines(capsys.readouterr().out)
    assert len(lines) == 4 and {line["dossier_id"] for line in lines} == {dossier["id"]}
    assert [line["template_id"] for line in lines] == ["status.02", "status.02", "status.01", "status.01"]
    assert {line["status"] for line in lines} == {"sent"} and {line["channel"] for line in lines} == {"email", "sms"}
    assert EMAIL not in json.dumps(lines) and PHONE not in json.dumps(lines)

    assert main(["outbox", "--limit", "5"]) == 0
    recent = json_lines(capsys.readouterr().out)
    assert len(recent) == 5 and {line["dossier_id"] for line in recent} == {dossier["id"], other["id"]}


def test_motcua_dlq_redrive_moves_a_parked_action_back_to_its_queue(api_client, local_stack, capsys) -> None:
    sqs = local_stack.client("sqs")
    ghost = "f" * 32
    body = json.dumps({"source_system": "tthc-lamdong", "action_id": "tthc-0042", "dossier_id": ghost,
                       "action": "receive", "actor": {"subject": DESK[0], "role": DESK[1], "agency_code": DESK[2]},
                       "payload": {}})
    sqs.send_message(QueueUrl=local_stack.queue_url("actions"), MessageBody=body, MessageGroupId=ghost,
                     MessageDeduplicationId="tthc-0042")
    # The consumer parks it (unknown dossier), as it would in Lambda.
    received = receive_messages(local_stack, "actions", 1)
    function = declaration.function("actions")
    event = build_sqs_event(received, local_stack.resources.queues["actions"].arn)
    assert load_handler(function.handler)(event, make_context(function)) == {"batchItemFailures": []}
    sqs.delete_message(QueueUrl=local_stack.queue_url("actions"), ReceiptHandle=received[0]["ReceiptHandle"])
    capsys.readouterr()

    assert main(["dlq", "redrive", "--queue", "actions", "--max", "5"]) == 0
    *moved, summary = json_lines(capsys.readouterr().out)
    assert len(moved) == 1 and summary["moved"] == 1
    assert moved[0]["group_id"] == ghost and moved[0]["error_code"] == "DOSSIER_NOT_FOUND"
    assert moved[0]["error_reason"]
    assert not sqs.receive_message(QueueUrl=local_stack.dlq_url("actions"), WaitTimeSeconds=0).get("Messages")
    back = receive_messages(local_stack, "actions", 1)
    assert back[0]["Body"] == body and back[0]["Attributes"]["MessageGroupId"] == ghost
    assert "motcua_error_code" not in back[0].get("MessageAttributes", {})  # the reason was for the operator
