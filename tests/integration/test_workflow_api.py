"""Officials' actions through the API and through the actions queue, on DynamoDB Local and moto SQS."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime

import boto3
import pytest

from infra.local import make_context
from infra.local.pollers import build_sqs_event
from motcua.cli.catalogue_cmds import seed_catalogue
from motcua.domain.calendar import VN_TZ
from motcua.domain.commands import ActionName
from tests.integration.helpers import COMMUNE, all_pages, bearer, outbox, subject_of, submission, submit_headers

DESK = ("officer-lan", "reception_officer", COMMUNE)
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)
LEADER = ("chairman-tuan", "agency_leader", COMMUNE)
FOREIGN = ("officer-x", "processing_officer", "000.20.02.H36")


@pytest.fixture(autouse=True)
def catalogue(clean_table: str) -> None:
    seed_catalogue(clean_table)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch):
    from motcua.service.actions import service

    def freeze(day: int, hour: int = 9, month: int = 3) -> None:
        moment = datetime(2026, month, day, hour, tzinfo=VN_TZ)
        monkeypatch.setattr(service, "clock", lambda: moment)

    return freeze


def official(who: tuple[str, str, str]) -> dict:
    return bearer(*who)


def new_dossier(api_client, procedure: str = "1.001266") -> dict:
    response = api_client.post("/dossiers", json=submission(procedure), headers=submit_headers("citizen-hang"))
    assert response.status == 201, response.text
    return response.json()


def action(api_client, dossier_id: str, name: str, who, body: dict | None = None, key: str | None = None):
    headers = {**official(who), "idempotency-key": key or uuid.uuid4().hex}
    return api_client.post(f"/dossiers/{dossier_id}/actions/{name}", json=body or {}, headers=headers)


def test_a_dossier_goes_from_submission_to_returned_result(api_client, frozen) -> None:
    frozen(2)
    dossier = new_dossier(api_client)
    steps = [
        ("receive", DESK, {}, 2),
        ("start_processing", PROCESSOR, {}, 4),
        ("request_supplement", PROCESSOR, {"documents": ["Bản sao CCCD"], "reason": "Bản sao mờ"}, 5),
        ("receive_supplement", DESK, {}, 4),
        ("request_payment", PROCESSOR, {"amount_vnd": 50000, "description": "Lệ phí đăng ký"}, 6),
        ("record_payment", DESK, {"amount_vnd": 50000, "online": True}, 6),
        ("resume_processing", PROCESSOR, {}, 4),
        ("decide", PROCESSOR, {"electronic": True}, 9),
        ("return_result", DESK, {"method": "electronic"}, 10),
    ]
    for day, (name, who, body, expected_status) in enumerate(steps, start=3):
        frozen(day if day < 7 else day + 2)  # skip the weekend of 7–8 March
        response = action(api_client, dossier["id"], name, who, body)
        assert response.status == 200, (name, response.text)
        assert response.json()["status"]["code"] == expected_status, name
    history = api_client.get(f"/dossiers/{dossier['id']}/history", headers=official(LEADER)).json()["items"]
    actions = [e["action"] for e in history if e["action"] != "read_personal_data"]
    assert actions == ["submit", "receive", "start_processing", "request_supplement", "receive_supplement",
                       "request_payment", "record_payment", "resume_processing", "decide",
                       "issue_electronic_result", "return_result"]
    receive = next(e for e in history if e["action"] == "receive")
    assert (receive["actor_subject"], receive["actor_role"], receive["actor_agency_code"]) == (
        subject_of(DESK[0]), *DESK[1:])
    assert receive["from_status"]["code"] == 1 and receive["to_status"]["code"] == 2
    assert receive["request_id"]
    # The trail pages like every list: a page at a time, the same events in the same order.
    paged = all_pages(api_client, f"/dossiers/{dossier['id']}/history", official(LEADER), limit="2")
    whole = api_client.get(f"/dossiers/{dossier['id']}/history", headers=official(LEADER)).json()
    assert whole.get("next_token") is None

    def trail(events: list[dict]) -> list[str]:  # each official read adds a read_personal_data event
        return [e["event_id"] for e in events if e["action"] != "read_personal_data"]

    assert trail(paged) == trail(whole["items"]) == trail(history)


def test_an_action_without_an_idempotency_key_is_refused_with_its_code(api_client) -> None:
    dossier = new_dossier(api_client)
    response = api_client.post(f"/dossiers/{dossier['id']}/actions/receive", json={}, headers=official(DESK))
    assert (response.status, response.json()["code"]) == (400, "IDEMPOTENCY_KEY_REQUIRED")


def test_every_status_change_is_in_the_outbox_in_the_same_transaction(api_client, local_stack) -> None:
    dossier = new_dossier(api_client)
    action(api_client, dossier["id"], "receive", DESK)
    envelopes = outbox(local_stack)
    changes = sorted((e["data"]["to_status"]["code"], e["type"]) for e in envelopes)
    assert changes == [(1, "dossier.status_changed"), (2, "dossier.status_changed")]
    for envelope in envelopes:
        assert {"id", "type", "version", "source", "correlation_id", "occurred_at", "data"} <= set(envelope)
        assert "079203001234" not in json.dumps(envelope)  # no personal data in events


@pytest.mark.parametrize(
    ("name", "who", "status", "code"),
    [
        ("receive", ("citizen-hang", "citizen", None), 403, "ACTION_NOT_ALLOWED_FOR_ROLE"),
        ("receive", ("inspector-1", "inspector", None), 403, "ACTION_NOT_ALLOWED_FOR_ROLE"),
        ("receive", ("officer-y", "reception_officer", "000.20.02.H36"), 403, "ACTION_OUTSIDE_AGENCY"),
        ("decide", PROCESSOR, 409, "DOSSIER_FORBIDDEN_TRANSITION"),
        ("return_result", DESK, 409, "DOSSIER_FORBIDDEN_TRANSITION"),
    ],
)
def test_forbidden_actions_get_their_code(api_client, name, who, status, code) -> None:
    dossier = new_dossier(api_client)
    body = {"method": "counter"} if name == "return_result" else {}
    response = action(api_client, dossier["id"], name, who, body)
    assert response.status == status, response.text
    assert response.json()["code"] == code
    after = api_client.get(f"/dossiers/{dossier['id']}", headers=bearer("citizen-hang")).json()
    assert after["status"]["code"] == 1 and after["version"] == 1  # nothing changed


def test_every_action_from_every_status_is_allowed_exactly_by_the_table(api_client) -> None:
    # From "submitted" (1) only receive, refuse and withdrawal are moves; everything else is a 409.
    from motcua.domain.commands import PAYLOADS, ActionName

    minimal = {
        ActionName.REFUSE: {"reasons": ["Không thuộc thẩm quyền"]},
        ActionName.TRANSFER: {"to_agency_code": "000.20.02.H36"},
        ActionName.REQUEST_SUPPLEMENT: {"documents": ["Tờ khai"], "reason": "Thiếu tờ khai"},
        ActionName.REQUEST_PAYMENT: {"amount_vnd": 1000, "description": "Lệ phí"},
        ActionName.RECORD_PAYMENT: {"amount_vnd": 1000, "online": False},
        ActionName.RETURN_RESULT: {"method": "counter"},
        ActionName.STOP: {"reason": "Dừng xử lý"},
        ActionName.APOLOGISE: {"reason": "Chậm", "new_appointment_at": "2030-01-07T17:00:00+07:00"},
    }
    dossier = new_dossier(api_client)
    for name in PAYLOADS:
        if name in (ActionName.RECEIVE, ActionName.REFUSE, ActionName.REQUEST_WITHDRAWAL,
                    ActionName.REQUEST_SUPPLEMENT):
            continue  # the allowed ones (the desk may ask for a supplement at reception too: 1 → 5 is not)
        who = LEADER if name is not ActionName.RECEIVE_SUPPLEMENT else DESK
        response = action(api_client, dossier["id"], name.value, who, minimal.get(name, {}))
        assert response.status in (409, 422), (name, response.text)
    response = action(api_client, dossier["id"], "request_supplement", DESK, minimal[ActionName.REQUEST_SUPPLEMENT])
    assert response.status == 409  # 1 → 5 is not in the table: the desk refuses or receives first


def test_two_officials_acting_at_once_one_wins_the_other_gets_409(api_client) -> None:
    # Receiving and refusing the same new dossier exclude each other: whichever is written first wins, the
    # other meets the version guard (or, if it read after the write, the transition table): a 409. The two
    # run in threads against the service, as two Lambda containers would against the table.
    from motcua.domain.actors import Actor, Role
    from motcua.domain.commands import Receive, Refuse
    from motcua.domain.errors import Conflict
    from motcua.service.actions import service

    desk = Actor(subject=subject_of(DESK[0]), role=Role.RECEPTION_OFFICER, agency_code=COMMUNE)
    leader = Actor(subject=subject_of(LEADER[0]), role=Role.AGENCY_LEADER, agency_code=COMMUNE)
    for _ in range(4):
        dossier = new_dossier(api_client)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def race(actor, name, body, dossier_id=dossier["id"], barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                service.act(dossier_id, name, body, actor)
                outcomes.append("won")
            except Conflict as error:
                outcomes.append(error.code)

        threads = [threading.Thread(target=race, args=(desk, ActionName.RECEIVE, Receive())),
                   threading.Thread(target=race, args=(leader, ActionName.REFUSE, Refuse(reasons=["Sai thẩm quyền"])))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes)[-1] == "won" and outcomes.count("won") == 1, outcomes
        assert set(outcomes) - {"won"} <= {"DOSSIER_VERSION_CONFLICT", "DOSSIER_FORBIDDEN_TRANSITION"}
        final = api_client.get(f"/dossiers/{dossier['id']}", headers=official(LEADER)).json()
        assert final["version"] == 2  # exactly one change landed


def test_a_stale_expected_version_gets_409_with_the_current_state(api_client) -> None:
    dossier = new_dossier(api_client)
    action(api_client, dossier["id"], "receive", DESK)
    response = action(api_client, dossier["id"], "start_processing", PROCESSOR, {"expected_version": 1})
    assert response.status == 409
    assert response.json()["code"] == "DOSSIER_VERSION_CONFLICT"
    assert response.json()["details"]["current_version"] == 2


def test_a_retried_action_with_the_same_key_acts_once(api_client) -> None:
    dossier = new_dossier(api_client)
    first = action(api_client, dossier["id"], "receive", DESK, key="action-key-0001")
    again = action(api_client, dossier["id"], "receive", DESK, key="action-key-0001")
    assert first.status == again.status == 200
    assert first.json()["version"] == again.json()["version"] == 2


def test_an_expired_action_key_is_never_honoured_for_another_body(api_client, local_stack) -> None:
    dossier = new_dossier(api_client)
    assert action(api_client, dossier["id"], "receive", DESK, key="action-key-0002").status == 200
    table = boto3.resource("dynamodb").Table(local_stack.table_name)
    for item in table.scan()["Items"]:  # the idempotency records' TTL has passed
        if item["pk"].startswith("IDEMPOTENCY#"):
            table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
    other = action(api_client, dossier["id"], "receive", DESK, {"note": "lần khác"}, key="action-key-0002")
    assert other.status == 409, other.text
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    same = action(api_client, dossier["id"], "receive", DESK, key="action-key-0002")
    assert same.status == 200 and same.json()["version"] == 2  # the same request still answers as before


def test_officials_of_other_agencies_cannot_read_and_reads_are_audited(api_client) -> None:
    dossier = new_dossier(api_client)
    assert api_client.get(f"/dossiers/{dossier['id']}", headers=official(FOREIGN)).status == 403
    assert api_client.get(f"/dossiers/{dossier['id']}", headers=official(DESK)).status == 200
    assert api_client.get(f"/dossiers/{dossier['id']}", headers=bearer("inspector-1", "inspector")).status == 200
    history = api_client.get(f"/dossiers/{dossier['id']}/history", headers=official(LEADER)).json()["items"]
    reads = [(e["actor_subject"], e["actor_role"]) for e in history if e["action"] == "read_personal_data"]
    assert (subject_of("officer-lan"), "reception_officer") in reads
    assert (subject_of("inspector-1"), "inspector") in reads
    # The owner reading their own dossier is not an audit event.
    assert (subject_of("citizen-hang"), "citizen") not in reads


def test_transfer_lets_the_receiving_agency_see_and_act(api_client) -> None:
    dossier = new_dossier(api_client)
    action(api_client, dossier["id"], "receive", DESK)
    action(api_client, dossier["id"], "start_processing", PROCESSOR)
    assert action(api_client, dossier["id"], "transfer", PROCESSOR,
                  {"to_agency_code": "000.00.00.ZZZ"}).json()["code"] == "AGENCY_NOT_FOUND"
    moved = action(api_client, dossier["id"], "transfer", PROCESSOR, {"to_agency_code": FOREIGN[2]})
    assert moved.status == 200 and moved.json()["handling_agency_code"] == FOREIGN[2]
    assert api_client.get(f"/dossiers/{dossier['id']}", headers=official(FOREIGN)).status == 200


# --- the same actions by queue -----------------------------------------------------------------------

def queue_message(dossier_id: str, name: str, who, payload: dict | None = None, action_id: str | None = None) -> dict:
    subject, role, agency = who
    return {"source_system": "tthc-lamdong", "action_id": action_id or uuid.uuid4().hex, "dossier_id": dossier_id,
            "action": name, "actor": {"subject": subject, "role": role, "agency_code": agency},
            "payload": payload or {}}


def deliver(local_stack, bodies: list) -> dict:
    """Send to the real FIFO queue, receive like Lambda's event source mapping, invoke the consumer."""
    from infra import declaration
    from infra.local import load_handler

    sqs = local_stack.client("sqs")
    url = local_stack.queue_url("actions")
    for body in bodies:
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        group = body["dossier_id"] if isinstance(body, dict) else "poison"
        sqs.send_message(QueueUrl=url, MessageBody=text, MessageGroupId=group,
                         MessageDeduplicationId=uuid.uuid4().hex)
    messages = []
    while len(messages) < len(bodies):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                  MessageAttributeNames=["All"], WaitTimeSeconds=1).get("Messages", [])
        assert got, "messages did not arrive"
        messages += got
    event = build_sqs_event(messages, local_stack.resources.queues["actions"].arn)
    function = declaration.function("actions")
    response = load_handler(function.handler)(event, make_context(function))
    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return {"event": event, "response": response}


def test_the_queue_path_runs_the_same_action(api_client, local_stack) -> None:
    dossier = new_dossier(api_client)
    result = deliver(local_stack, [queue_message(dossier["id"], "receive", DESK)])
    assert result["response"] == {"batchItemFailures": []}
    after = api_client.get(f"/dossiers/{dossier['id']}", headers=official(LEADER)).json()
    assert after["status"]["code"] == 2


def test_the_same_batch_delivered_three_times_changes_the_dossier_once(api_client, local_stack) -> None:
    from infra import declaration
    from infra.local import load_handler

    dossier = new_dossier(api_client)
    first = deliver(local_stack, [queue_message(dossier["id"], "receive", DESK, action_id="tthc-0001"),
                                  queue_message(dossier["id"], "start_processing", PROCESSOR, action_id="tthc-0002")])
    function = declaration.function("actions")
    for _ in range(2):  # SQS redelivers the very same records
        assert load_handler(function.handler)(first["event"], make_context(function)) == {"batchItemFailures": []}
    after = api_client.get(f"/dossiers/{dossier['id']}", headers=official(LEADER)).json()
    assert after["status"]["code"] == 4 and after["version"] == 3
    history = api_client.get(f"/dossiers/{dossier['id']}/history", headers=official(LEADER)).json()["items"]
    assert [e["action"] for e in history if e["action"] in ("receive", "start_processing")] == [
        "receive", "start_processing"]


def test_poison_messages_go_to_the_dlq_with_their_reason_and_the_rest_is_processed(api_client, local_stack) -> None:
    dossier = new_dossier(api_client)
    result = deliver(local_stack, [
        "{not json",
        queue_message("f" * 32, "receive", DESK),  # unknown dossier
        queue_message(dossier["id"], "teleport", DESK),  # unknown action
        queue_message(dossier["id"], "receive", DESK),  # fine
    ])
    assert result["response"] == {"batchItemFailures": []}  # parked, not retried
    sqs = local_stack.client("sqs")
    parked = sqs.receive_message(QueueUrl=local_stack.dlq_url("actions"), MaxNumberOfMessages=10,
                                 MessageAttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
    codes = sorted(m["MessageAttributes"]["motcua_error_code"]["StringValue"] for m in parked)
    assert codes == ["DOSSIER_NOT_FOUND", "MESSAGE_INVALID", "MESSAGE_INVALID"]
    assert all(m["MessageAttributes"]["motcua_error_reason"]["StringValue"] for m in parked)
    after = api_client.get(f"/dossiers/{dossier['id']}", headers=official(LEADER)).json()
    assert after["status"]["code"] == 2


def test_a_conflicting_message_is_refused_and_the_refusal_is_on_the_trail(api_client, local_stack) -> None:
    dossier = new_dossier(api_client)
    result = deliver(local_stack, [queue_message(dossier["id"], "decide", PROCESSOR, action_id="tthc-late")])
    assert result["response"] == {"batchItemFailures": []}
    history = api_client.get(f"/dossiers/{dossier['id']}/history", headers=official(LEADER)).json()["items"]
    rejected = [e for e in history if e["action"] == "action_rejected"]
    assert len(rejected) == 1
    assert rejected[0]["details"]["code"] == "DOSSIER_FORBIDDEN_TRANSITION"
    assert rejected[0]["details"]["action"] == "decide"
    # Redelivered: still one refusal on the trail.
    from infra import declaration
    from infra.local import load_handler

    function = declaration.function("actions")
    load_handler(function.handler)(result["event"], make_context(function))
    history = api_client.get(f"/dossiers/{dossier['id']}/history", headers=official(LEADER)).json()["items"]
    assert len([e for e in history if e["action"] == "action_rejected"]) == 1


def test_a_write_landing_between_read_and_write_makes_the_action_decide_again(api_client, monkeypatch, frozen) -> None:
    # Given a received dossier, when another writer (here the agency leader's apology, as an SLA timer or a
    # colleague would) changes it right after our action read it, then our action is decided again on the new
    # record and lands: a benign race never loses a back-office action. With an expected version, it is a 409.
    from motcua.domain.actors import Actor, Role
    from motcua.domain.commands import Apologise, StartProcessing
    from motcua.service.actions import service

    frozen(2)  # Monday 2 March 2026
    dossier = new_dossier(api_client)
    action(api_client, dossier["id"], "receive", DESK)
    leader = Actor(subject=subject_of(LEADER[0]), role=Role.AGENCY_LEADER, agency_code=COMMUNE)
    original_get = service.dossiers.get
    interleaved: list[int] = []

    def get_then_someone_writes(dossier_id: str):
        read = original_get(dossier_id)
        if not interleaved:
            interleaved.append(read.version)
            monkeypatch.setattr(service.dossiers, "get", original_get)
            service.act(dossier_id, ActionName.APOLOGISE, Apologise(
                reason="Cần xác minh thêm", new_appointment_at="2026-03-30T17:00:00+07:00"), leader)
        return read

    monkeypatch.setattr(service.dossiers, "get", get_then_someone_writes)
    processor = Actor(subject=subject_of(PROCESSOR[0]), role=Role.PROCESSING_OFFICER, agency_code=COMMUNE)
    changed = service.act(dossier["id"], ActionName.START_PROCESSING, StartProcessing(), processor)
    assert interleaved == [2]  # our first read saw version 2; the apology made it 3
    assert changed.version == 4 and changed.status.value == 4 and changed.apology is not None

    monkeypatch.setattr(service.dossiers, "get", original_get)
    with pytest.raises(Exception) as raised:
        service.act(dossier["id"], ActionName.REQUEST_PAYMENT,
                    a_payload("request_payment", expected_version=3), processor)
    assert getattr(raised.value, "code", None) == "DOSSIER_VERSION_CONFLICT"


def a_payload(name: str, **extra):
    from motcua.domain.commands import PAYLOADS

    return PAYLOADS[ActionName(name)](amount_vnd=50000, description="Lệ phí", **extra)


# --- an action applies once: again in a row, at once, or by queue with a new message id -------------------

def test_actions_sent_again_with_a_new_key_are_refused_and_change_nothing(api_client) -> None:
    dossier = new_dossier(api_client)
    # A supplement nobody asked for is refused, before processing and during it.
    assert action(api_client, dossier["id"], "receive", DESK).status == 200
    unasked = action(api_client, dossier["id"], "receive_supplement", DESK)
    assert unasked.json()["code"] == "DOSSIER_FORBIDDEN_TRANSITION"
    assert action(api_client, dossier["id"], "start_processing", PROCESSOR).status == 200
    version = api_client.get(f"/dossiers/{dossier['id']}", headers=official(LEADER)).json()["version"]
    for name, who in (("start_processing", PROCESSOR), ("start_processing", LEADER), ("receive_supplement", DESK),
                      ("resume_processing", PROCESSOR)):
        response = action(api_client, dossier["id"], name, who)  # a new Idempotency-Key each time
        assert (response.status, response.json()["code"]) == (409, "DOSSIER_FORBIDDEN_TRANSITION"), name
    citizen = api_client.post(f"/dossiers/{dossier['id']}/actions/receive_supplement", json={},
                              headers={**bearer("citizen-hang"), "idempotency-key": uuid.uuid4().hex})
    assert (citizen.status, citizen.json()["code"]) == (409, "DOSSIER_FORBIDDEN_TRANSITION"), citizen.text
    after = api_client.get(f"/dossiers/{dossier['id']}", headers=official(LEADER)).json()
    assert after["version"] == version
    history = api_client.get(f"/dossiers/{dossier['id']}/history", headers=official(LEADER)).json()["items"]
    assert [e["action"] for e in history].count("start_processing") == 1


def test_two_officials_starting_processing_at_once_one_wins(api_client) -> None:
    from motcua.domain.actors import Actor, Role
    from motcua.domain.commands import StartProcessing
    from motcua.domain.errors import Conflict
    from motcua.service.actions import service

    officers = [Actor(subject=s, role=Role(r), agency_code=a) for s, r, a in (PROCESSOR, LEADER)]
    for _ in range(5):
        dossier = new_dossier(api_client)
        assert action(api_client, dossier["id"], "receive", DESK).status == 200
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def race(actor, dossier_id=dossier["id"], barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                service.act(dossier_id, ActionName.START_PROCESSING, StartProcessing(), actor)
                outcomes.append("won")
            except Conflict as error:
                outcomes.append(error.code)

        threads = [threading.Thread(target=race, args=(officer,)) for officer in officers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["DOSSIER_FORBIDDEN_TRANSITION", "won"], outcomes
        history = api_client.get(f"/dossiers/{dossier['id']}/history", headers=official(LEADER)).json()["items"]
        assert [e["action"] for e in history].count("start_processing") == 1


def test_a_queued_action_sent_again_with_a_new_message_id_is_refused(api_client, local_stack) -> None:
    dossier = new_dossier(api_client)
    deliver(local_stack, [queue_message(dossier["id"], "receive", DESK),
                          queue_message(dossier["id"], "start_processing", PROCESSOR, action_id="tthc-start-1")])
    result = deliver(local_stack, [queue_message(dossier["id"], "start_processing", PROCESSOR,
                                                 action_id="tthc-start-2"),
                                   queue_message(dossier["id"], "receive_supplement", DESK)])
    assert result["response"] == {"batchItemFailures": []}  # refused for good, not retried
    history = api_client.get(f"/dossiers/{dossier['id']}/history", headers=official(LEADER)).json()["items"]
    assert [e["action"] for e in history].count("start_processing") == 1
    rejected = [e["details"]["action"] for e in history if e["action"] == "action_rejected"]
    assert sorted(rejected) == ["receive_supplement", "start_processing"]
    after = api_client.get(f"/dossiers/{dossier['id']}", headers=official(LEADER)).json()
    assert (after["status"]["code"], after["version"]) == (4, 3)
