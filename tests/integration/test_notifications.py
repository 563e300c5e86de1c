"""Notifications end to end on the local engines: a status change -> outbox -> relay -> notifications queue
-> notifier -> e-mail in moto SES, SMS and app push in moto SNS, with delivery records; overlapping relays;
failed deliveries retried, parked and redriven; the citizen's chosen channels; a dead push endpoint; SLA
notices to the processing officer and the agency's leaders (docs/domain.md §4.8); the apology e-mail with Form 04;
`motcua outbox` and `motcua dlq redrive`.

What moto received is read from its own API (``/moto-api/data.json``: SES ``Message`` and ``RawMessage``,
SNS ``SMS`` and each ``PlatformEndpoint``'s ``messages``).
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import re
import threading
import unicodedata
import urllib.request
import uuid
from datetime import datetime
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
from motcua.data import contacts
from motcua.data import notifications as data_notifications
from motcua.domain.calendar import VN_TZ
from tests.integration.helpers import COMMUNE, bearer, subject_of, submission, submit_headers

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

    def _raw(self) -> list[dict]:
        return moto_data(self.local_stack).get("ses", {}).get("RawMessage", [])

    def _pushed(self) -> list[tuple[str, str, dict]]:
        """(endpoint ARN, message id, the per-platform JSON) of every push moto took."""
        endpoints = moto_data(self.local_stack).get("sns", {}).get("PlatformEndpoint", [])
        return [(e["arn"], mid, json.loads(m)) for e in endpoints for mid, m in (e.get("messages") or {}).items()]

    def _ids(self) -> set[str]:
        mails, sms = self._all()
        return ({m["id"] for m in mails} | {m["message_id"] for m in sms} | {m["id"] for m in self._raw()}
                | {mid for _, mid, _ in self._pushed()})

    def raw_mail(self, receipt_code: str) -> list[email.message.EmailMessage]:
        """MIME mails (with attachments) whose subject names the dossier, parsed."""
        parsed = [(m, email.message_from_string(m["raw_data"], policy=email.policy.default)) for m in self._raw()
                  if m["id"] not in self.before]
        return [message for _, message in parsed if receipt_code in str(message["subject"])]  # type: ignore[misc]

    def push(self, receipt_code: str) -> list[tuple[str, dict]]:
        return [(arn, payload) for arn, mid, payload in self._pushed()
                if mid not in self.before and receipt_code in payload["default"]]

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


# --- app push, chosen channels ---------------------------------------------------------------------------

def register_device(api_client, who: tuple = ("citizen-hang",), platform: str = "fcm") -> contacts.Device:
    installation = uuid.uuid4().hex
    token = "a" * 64 if platform == "apns" else f"fcm-{uuid.uuid4().hex}"
    if platform == "apns":
        token = uuid.uuid4().hex * 2  # APNs tokens are 64 hex digits, unique per device
    response = api_client.put(f"/me/devices/{installation}", json={"platform": platform, "token": token},
                              headers=bearer(*who))
    assert response.status == 200, response.text
    return contacts.get_device(subject_of(who[0]), installation)


def save_settings(api_client, who: tuple, **body: Any) -> None:
    response = api_client.put("/me/notification-settings", json=body, headers=bearer(*who))
    assert response.status == 200, response.text


def notify_all(local_stack, count: int) -> None:
    assert relay()["sent"] == count
    assert run_notifier(local_stack, receive_messages(local_stack, "notifications", count)) == {"batchItemFailures": []}


def test_push_reaches_the_citizens_registered_devices(api_client, local_stack, sent) -> None:
    phone = register_device(api_client)
    tablet = register_device(api_client, platform="apns")
    dossier = new_dossier(api_client)
    code = dossier["receipt_code"]
    notify_all(local_stack, 1)

    pushed = dict(sent.push(code))
    assert set(pushed) == {phone.endpoint_arn, tablet.endpoint_arn}
    fcm = json.loads(pushed[phone.endpoint_arn]["GCM"])["fcmV1Message"]["message"]
    assert fcm["notification"]["title"] == f"Hồ sơ {code}: Mới đăng ký"
    assert fcm["notification"]["body"].startswith(f"Hồ sơ {code} (") and fcm["data"]["dossier_id"] == dossier["id"]
    apns = json.loads(pushed[tablet.endpoint_arn]["APNS"])
    assert apns["aps"]["alert"]["body"] == fcm["notification"]["body"] and apns["receipt_code"] == code
    assert len(sent.mail(code)) == 1 and len(sent.sms(code)) == 1  # no choice saved: every channel

    records = data_notifications.deliveries_of_dossier(dossier["id"], 10)
    assert sorted((r.channel, r.device, r.status) for r in records) == sorted([
        ("email", None, "sent"), ("sms", None, "sent"), ("push", phone.installation_id, "sent"),
        ("push", tablet.installation_id, "sent")])
    assert {r.audience for r in records} == {"citizen"}
    assert not any(subject_of("citizen-hang") in json.dumps(r.as_dict()) for r in records)  # the subject is only hashed


def test_a_disabled_endpoint_is_removed_and_the_message_still_succeeds(api_client, local_stack, sent) -> None:
    device = register_device(api_client)
    local_stack.client("sns").set_endpoint_attributes(EndpointArn=device.endpoint_arn,
                                                       Attributes={"Enabled": "false"})  # FCM said: unregistered
    dossier = new_dossier(api_client)
    code = dossier["receipt_code"]
    notify_all(local_stack, 1)  # no batch item failure: a dead device is not a failed message

    assert sent.push(code) == [] and len(sent.mail(code)) == 1 and len(sent.sms(code)) == 1
    assert contacts.devices_of(subject_of("citizen-hang")) == []
    endpoints = [e["EndpointArn"] for e in local_stack.client("sns").list_endpoints_by_platform_application(
        PlatformApplicationArn=local_stack.env["PUSH_FCM_APPLICATION_ARN"])["Endpoints"]]
    assert device.endpoint_arn not in endpoints
    (push,) = [r for r in data_notifications.deliveries_of_dossier(dossier["id"], 10) if r.channel == "push"]
    assert (push.status, push.device, push.attempts) == ("endpoint_removed", device.installation_id, 1)
    assert "EndpointDisabled" in (push.last_error or "")

    # The next event no longer tries it.
    receive(api_client, dossier["id"])
    notify_all(local_stack, 1)
    assert [r.channel for r in data_notifications.deliveries_of_dossier(dossier["id"], 10)].count("push") == 1


def test_the_citizens_chosen_channels_are_the_only_ones_used(api_client, local_stack, sent) -> None:
    device = register_device(api_client)
    save_settings(api_client, ("citizen-hang",), channels=["sms", "push"])
    dossier = new_dossier(api_client)
    code = dossier["receipt_code"]
    notify_all(local_stack, 1)
    assert sent.mail(code) == []  # the dossier has an e-mail address, but e-mail was not chosen
    assert len(sent.sms(code)) == 1 and [arn for arn, _ in sent.push(code)] == [device.endpoint_arn]

    save_settings(api_client, ("citizen-hang",), channels=["email"])
    receive(api_client, dossier["id"])
    notify_all(local_stack, 1)
    assert len(sent.mail(code)) == 1 and len(sent.sms(code)) == 1 and len(sent.push(code)) == 1


def test_an_officials_own_devices_never_get_citizens_notices(api_client, local_stack, sent) -> None:
    # A dossier received at the counter is owned by the officer who entered it.
    register_device(api_client, ("officer-lan", "reception_officer", COMMUNE))
    response = api_client.post("/dossiers", json=submission("1.001266", channel="counter"),
                               headers={**bearer(*DESK), "idempotency-key": uuid.uuid4().hex})
    assert response.status == 201, response.text
    notify_all(local_stack, 1)
    code = response.json()["receipt_code"]
    assert sent.push(code) == [] and len(sent.mail(code)) == 1 and len(sent.sms(code)) == 1


# --- SLA notices to officials, the apology's letter -----------------------------------------------------

OTHER_AGENCY = "000.20.02.H36"
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)
LEADER = ("chairman-tuan", "agency_leader", COMMUNE)
OTHER_LEADER = ("chairman-vinh", "agency_leader", OTHER_AGENCY)
OFFICER_MAIL, LEADER_MAIL, OTHER_MAIL = "minh.tran@xuanhuong.gov.vn", "tuan.le@xuanhuong.gov.vn", "vinh@p2.gov.vn"
LEADER_PHONE = "+84987654321"


def vn_at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=VN_TZ)


def officials_with_settings(api_client) -> None:
    save_settings(api_client, PROCESSOR, channels=["email"], work_email=OFFICER_MAIL, work_phone="0987000111")
    save_settings(api_client, LEADER, work_email=LEADER_MAIL, work_phone="0987654321")  # no choice: both
    save_settings(api_client, OTHER_LEADER, work_email=OTHER_MAIL, work_phone="0987000333")


def processed_dossier(api_client, local_stack, at) -> dict:
    """1.001266 (5 working days), received Mon 2 Mar 2026 09:00 and started by the processing officer: due
    Mon 9 Mar 17:00; warn_2wd Thu 5 17:00, last_day Mon 9 07:30 (tests/integration/test_sla.py)."""
    at(vn_at(2))
    dossier = new_dossier(api_client)
    receive(api_client, dossier["id"])
    started = api_client.post(f"/dossiers/{dossier['id']}/actions/start_processing", json={},
                              headers={**bearer(*PROCESSOR), "idempotency-key": uuid.uuid4().hex})
    assert started.status == 200, started.text
    notify_all(local_stack, 3)  # submitted, received, processing: the citizen's
    return dossier


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw))


def test_an_sla_warning_reaches_the_processing_officer_and_the_leaders_of_the_agency_only(
        api_client, local_stack, at, sent) -> None:
    from motcua.service.sla import SlaSweeper

    officials_with_settings(api_client)
    dossier = processed_dossier(api_client, local_stack, at)
    code = dossier["receipt_code"]
    assert SlaSweeper().sweep(vn_at(5, 17)).fired == {"warn_2wd": 1}
    notify_all(local_stack, 1)

    mails = sent.mail(code)
    warning = [m for m in mails if m["subject"] == f"Cảnh báo hạn giải quyết hồ sơ {code}"]
    assert sorted(m["destinations"]["ToAddresses"][0] for m in warning) == [OFFICER_MAIL, LEADER_MAIL]
    officer_mail = next(m for m in warning if m["destinations"]["ToAddresses"] == [OFFICER_MAIL])
    assert officer_mail["body"].startswith("Kính gửi cán bộ xử lý hồ sơ,")
    assert ("phải giải quyết xong trước 09/03/2026 17:00 (còn 2 ngày làm việc)" in officer_mail["body"]
            and "Chấm dứt hoạt động hộ kinh doanh" in officer_mail["body"])
    assert all(OTHER_MAIL not in m["destinations"]["ToAddresses"] for m in mails)  # another agency's leader
    sms = [m for m in sent.sms(code) if "còn 2 ngày làm việc" in m["message"]]
    assert [m["phone_number"] for m in sms] == [LEADER_PHONE]  # the officer chose e-mail only
    # The citizen is told only of the last day (CITIZEN_SLA_WARNING_KINDS): nothing new for them.
    assert all(m["phone_number"] != PHONE for m in sms) and all(m["destinations"]["ToAddresses"] != [EMAIL]
                                                                for m in warning)
    records = [r for r in data_notifications.deliveries_of_dossier(dossier["id"], 50)
               if r.template_id == "official.sla_warning"]
    assert sorted((r.audience, r.channel) for r in records) == [
        ("agency_leader", "email"), ("agency_leader", "sms"), ("processing_officer", "email")]


def test_a_dossier_without_a_processing_officer_warns_the_leaders(api_client, local_stack, at, sent) -> None:
    from motcua.service.sla import SlaSweeper

    officials_with_settings(api_client)
    at(vn_at(2))
    dossier = new_dossier(api_client)
    receive(api_client, dossier["id"])  # received, nobody processing it yet
    notify_all(local_stack, 2)
    SlaSweeper().sweep(vn_at(5, 17))
    notify_all(local_stack, 1)
    warning = [m for m in sent.mail(dossier["receipt_code"]) if m["subject"].startswith("Cảnh báo")]
    assert [m["destinations"]["ToAddresses"] for m in warning] == [[LEADER_MAIL]]


def test_the_breach_tells_officials_to_sign_and_the_citizen_gets_the_letter_each_once_across_retries(
        api_client, local_stack, at, sent) -> None:
    from motcua.service.sla import SlaSweeper

    officials_with_settings(api_client)
    dossier = processed_dossier(api_client, local_stack, at)
    code = dossier["receipt_code"]
    sent = Sent(local_stack)  # from here: the status notices so far are not counted
    SlaSweeper().sweep(vn_at(9, 7, 30))  # last_day
    SlaSweeper().sweep(vn_at(9, 17))  # breach, and the system drafts the apology with its Form 04
    assert relay()["sent"] == 3
    ses = local_stack.client("ses")
    sender = local_stack.env["NOTIFY_SENDER"]
    try:  # SES refuses every mail: each message fails, the SMS go out
        for identity in (sender, sender.rsplit("@", 1)[1]):
            ses.delete_identity(Identity=identity)
        messages = receive_messages(local_stack, "notifications", 3)
        assert len(run_notifier(local_stack, messages)["batchItemFailures"]) == 3
        assert sent.mail(code) == [] and sent.raw_mail(code) == []
        sms_before_retry = sorted((m["phone_number"], m["message"]) for m in sent.sms(code))
        assert len(sms_before_retry) == 5  # citizen: last day, breach, apology; leader: last day, breach
    finally:
        verify_senders(ses, [sender])
    visible_again(local_stack, messages)
    retried = receive_messages(local_stack, "notifications", 3)
    assert run_notifier(local_stack, retried) == {"batchItemFailures": []}
    assert run_notifier(local_stack, retried) == {"batchItemFailures": []}  # a duplicate: nothing more

    assert sorted((m["phone_number"], m["message"]) for m in sent.sms(code)) == sms_before_retry  # none twice
    mails = sent.mail(code)
    by_address: dict[str, list[str]] = {}
    for mail in mails:
        by_address.setdefault(mail["destinations"]["ToAddresses"][0], []).append(mail["subject"])
    assert sorted(by_address[EMAIL]) == sorted([f"Hồ sơ {code}: sắp đến hạn giải quyết",
                                                f"Hồ sơ {code}: quá hạn giải quyết"])
    for official in (OFFICER_MAIL, LEADER_MAIL):
        assert sorted(by_address[official]) == sorted([f"Cảnh báo hạn giải quyết hồ sơ {code}",
                                                       f"Hồ sơ {code} đã quá hạn giải quyết"])
    assert OTHER_MAIL not in by_address
    breach = next(m for m in mails if m["destinations"]["ToAddresses"] == [LEADER_MAIL]
                  and m["subject"].endswith("đã quá hạn giải quyết"))
    assert "đã quá hạn giải quyết lúc 09/03/2026 17:00" in breach["body"]
    assert "(Mẫu 04) đã được dự thảo với ngày hẹn mới 16/03/2026 17:00" in breach["body"]
    assert "ký ban hành" in breach["body"]

    # The apology reaches the citizen with the letter attached, once.
    (letter_mail,) = sent.raw_mail(code)
    assert str(letter_mail["to"]) == EMAIL and "thư xin lỗi" in str(letter_mail["subject"])
    assert "Ngày hẹn mới: 16/03/2026 17:00" in letter_mail.get_body(preferencelist=("plain",)).get_content()
    (attachment,) = list(letter_mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"Mau04-thu-xin-loi-{code}.pdf"
    text = pdf_text(attachment.get_content())
    assert f"Mã hồ sơ: {code}." in text and "Kính gửi: Ông/Bà Nguyễn Thị Hằng." in text

    records = data_notifications.deliveries_of_dossier(dossier["id"], 100)
    late = [r for r in records if r.event_type != "dossier.status_changed"]
    assert all(r.status == "sent" for r in late)
    assert sorted(r.attempts for r in late if r.channel == "email") == [2] * 7  # failed once, then sent
    assert all(r.attempts == 1 for r in late if r.channel == "sms")
    stored = json.dumps(table_items(local_stack, "NOTIFY#"), default=str, ensure_ascii=False)
    assert LEADER_MAIL not in stored and "987654321" not in stored and subject_of("chairman-tuan") not in stored
