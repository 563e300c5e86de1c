"""The harness itself: what `make run` and the integration tests stand on.

Given the local stack, the declared table, queues and DLQs exist as the declaration says; a message a
consumer keeps failing reaches the DLQ through the poller and SQS's own redrive; a real HTTP request
reaches a handler as the API Gateway HTTP API 2.0 event; scheduled functions fire.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from infra import declaration
from infra.declaration import Function, HttpTrigger, Queue, QueueTrigger, ScheduleTrigger
from infra.local import Invoker
from infra.local.engines import free_port
from infra.local.env import queue_url
from infra.local.http_adapter import MAX_BODY_BYTES, HttpAdapter, Route
from infra.local.pollers import QueuePoller
from infra.local.resources import create_all, create_queue, create_schedules
from infra.local.scheduler import LocalScheduler, fire
from motcua.data.table import GLOBAL_INDEXES
from motcua.domain.actors import Role
from tests.api_client import ApiClient
from tests.integration.helpers import minted, subject_of, token, verifier

# --- tiny handlers of our own: the harness must work for any handler, not for a configured mock ---------


class Recorder:
    """A queue consumer that fails every message whose body starts with "poison" and records what it saw."""

    def __init__(self, raise_first_calls: int = 0) -> None:
        self.events: list[dict[str, Any]] = []
        self.raise_first_calls = raise_first_calls
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            self.events.append(event)
            if len(self.events) <= self.raise_first_calls:
                raise RuntimeError("consumer crashed")
        assert context.get_remaining_time_in_millis() > 0
        failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"].startswith("poison")]
        return {"batchItemFailures": failures}

    def records(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for e in self.events for r in e["Records"]]


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answers with the event it got; a few paths exercise the response side."""
    if event["rawPath"] == "/boom":
        raise RuntimeError("handler bug")
    if event["rawPath"] == "/bare":
        return {"hello": "world"}  # no statusCode: API Gateway's 2.0 shortcut
    return {
        "statusCode": 201,
        "headers": {"content-type": "application/json", "x-function": context.function_name},
        "cookies": ["session=abc; HttpOnly", "lang=vi"],
        "body": json.dumps(event),
    }


def _function(name: str, *triggers: Any) -> Function:
    return Function(name=name, handler=f"tests.{name}", description="test", triggers=triggers, permissions=())


def _wait_for(condition: Any, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _receive_all(sqs: Any, url: str, wait_s: int = 0) -> list[dict[str, Any]]:
    return sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_s, MessageSystemAttributeNames=["All"]
    ).get("Messages", [])


# --- resources ------------------------------------------------------------------------------------------


def test_table_exists_with_its_global_indexes(local_stack):
    table = local_stack.client("dynamodb").describe_table(TableName=local_stack.table_name)["Table"]

    assert table["TableStatus"] == "ACTIVE"
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    indexes = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]] for i in table["GlobalSecondaryIndexes"]}
    assert indexes == {i.name: [i.partition_key, i.sort_key] for i in GLOBAL_INDEXES}
    assert local_stack.env["TABLE_NAME"] == local_stack.table_name


def test_every_declared_queue_has_a_dlq_and_redrive_policy(local_stack):
    sqs = local_stack.client("sqs")
    assert declaration.QUEUES, "the declaration has queues"
    for queue in declaration.QUEUES:
        urls = local_stack.resources.queues[queue.name]
        attributes = sqs.get_queue_attributes(QueueUrl=urls.url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])

        assert redrive["deadLetterTargetArn"] == urls.dlq_arn
        assert int(redrive["maxReceiveCount"]) == queue.max_receive_count
        assert int(attributes["VisibilityTimeout"]) == queue.visibility_timeout_s
        assert (attributes.get("FifoQueue") == "true") == queue.fifo
        dlq = sqs.get_queue_attributes(QueueUrl=urls.dlq_url, AttributeNames=["All"])["Attributes"]
        assert (dlq.get("FifoQueue") == "true") == queue.fifo
        # The URL handlers get from the environment is the one moto answers with.
        assert queue_url(local_stack.endpoints, urls.url.rsplit("/", 1)[1]) == urls.url


def test_queue_url_references_resolve_to_real_queues(local_stack):
    for function in declaration.FUNCTIONS:
        for key, ref in function.environment.items():
            if isinstance(ref, declaration.Ref) and ref.kind == "queue_url":
                assert local_stack.env[key] == local_stack.queue_url(ref.name)


def test_buckets_and_sender_identity_exist(local_stack):
    buckets = {b["Name"] for b in local_stack.client("s3").list_buckets()["Buckets"]}
    assert set(local_stack.resources.buckets.values()) <= buckets
    identities = local_stack.client("ses").list_identities()["Identities"]
    assert set(local_stack.resources.senders) <= set(identities)


def test_creating_resources_again_keeps_data_and_does_not_fail(local_stack):
    dynamodb = local_stack.client("dynamodb")
    dynamodb.put_item(TableName=local_stack.table_name, Item={"pk": {"S": "KEEP"}, "sk": {"S": "ME"}})

    again = create_all(local_stack.endpoints)

    assert again.queues == local_stack.resources.queues
    item = dynamodb.get_item(TableName=local_stack.table_name, Key={"pk": {"S": "KEEP"}, "sk": {"S": "ME"}})
    assert "Item" in item


def test_each_test_starts_with_an_empty_table(local_stack):
    # The previous test left an item; the autouse clean_table fixture removed it.
    assert local_stack.client("dynamodb").scan(TableName=local_stack.table_name)["Count"] == 0


# --- queue pollers -------------------------------------------------------------------------------------


def test_a_message_failed_max_receive_count_times_lands_in_the_dlq(local_stack):
    sqs = local_stack.client("sqs")
    queue = Queue("harness-retry", visibility_timeout_s=1, max_receive_count=2)
    urls = create_queue(sqs, queue)
    consumer = Recorder()
    trigger = QueueTrigger(queue.name, batch_size=5)
    poller = QueuePoller(Invoker(_function("consumer", trigger), consumer), trigger, urls.url, urls.arn, sqs)
    sqs.send_message(QueueUrl=urls.url, MessageBody="fine")
    sqs.send_message(
        QueueUrl=urls.url,
        MessageBody="poison pill",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
    )

    poller.start()
    try:
        dead = _wait_for(lambda: _receive_all(sqs, urls.dlq_url, wait_s=1))
    finally:
        poller.stop()

    assert [m["Body"] for m in dead] == ["poison pill"]
    records = consumer.records()
    fine = [r for r in records if r["body"] == "fine"]
    poison = [r for r in records if r["body"] == "poison pill"]
    assert len(fine) == 1, "a message not listed in batchItemFailures is deleted"
    assert [r["attributes"]["ApproximateReceiveCount"] for r in poison] == ["1", "2"]
    record = poison[0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == urls.arn
    assert record["awsRegion"] == "ap-southeast-1"
    assert {"messageId", "receiptHandle", "body", "md5OfBody", "messageAttributes"} <= record.keys()
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp"} <= record["attributes"].keys()
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"
    assert _receive_all(sqs, urls.url) == []


def test_a_handler_exception_fails_the_whole_batch(local_stack):
    sqs = local_stack.client("sqs")
    queue = Queue("harness-crash", visibility_timeout_s=1, max_receive_count=3)
    urls = create_queue(sqs, queue)
    consumer = Recorder(raise_first_calls=1)
    trigger = QueueTrigger(queue.name, batch_size=10)
    poller = QueuePoller(Invoker(_function("crasher", trigger), consumer), trigger, urls.url, urls.arn, sqs)
    sqs.send_message_batch(QueueUrl=urls.url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])

    poller.start()
    try:
        _wait_for(lambda: {r["body"] for r in consumer.records()[3:]} == {"m0", "m1", "m2"})
    finally:
        poller.stop()

    retried = consumer.records()[3:]
    assert {r["attributes"]["ApproximateReceiveCount"] for r in retried} == {"2"}
    assert _receive_all(sqs, urls.url) == [] and _receive_all(sqs, urls.dlq_url) == []


def test_fifo_records_carry_group_and_deduplication_ids(local_stack):
    sqs = local_stack.client("sqs")
    queue = Queue("harness-ordered", fifo=True, visibility_timeout_s=5)
    urls = create_queue(sqs, queue)
    consumer = Recorder()
    trigger = QueueTrigger(queue.name)
    poller = QueuePoller(Invoker(_function("ordered", trigger), consumer), trigger, urls.url, urls.arn, sqs)
    for i in range(3):
        sqs.send_message(
            QueueUrl=urls.url, MessageBody=f"a{i}", MessageGroupId="dossier-1", MessageDeduplicationId=f"d{i}"
        )

    assert poller.poll_once() == 3

    records = consumer.records()
    assert [r["body"] for r in records] == ["a0", "a1", "a2"]
    assert {r["attributes"]["MessageGroupId"] for r in records} == {"dossier-1"}
    assert [r["attributes"]["MessageDeduplicationId"] for r in records] == ["d0", "d1", "d2"]
    assert all(r["attributes"]["SequenceNumber"] for r in records)
    assert urls.arn.endswith(".fifo")


# --- HTTP adapter --------------------------------------------------------------------------------------


@pytest.fixture
def echo_server():
    api = _function("echo", HttpTrigger())
    adapter = HttpAdapter([Route(Invoker(api, echo))], port=free_port()).start()
    yield adapter
    adapter.stop()


def _call(url: str, method: str, body: bytes | None = None, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_a_real_http_request_becomes_the_http_api_v2_event(echo_server):
    before = int(time.time() * 1000)
    status, headers, raw = _call(
        f"{echo_server.url}/dossiers/D-1/actions?x=1&x=2&q=s%C3%B4%20h%E1%BB%93",
        "POST",
        json.dumps({"procedure": "1.001193", "name": "Nguyễn Văn A"}).encode(),
        {"Content-Type": "application/json", "Idempotency-Key": "k-1", "X-Trace": "t", "Cookie": "a=1; b=2"},
    )
    event = json.loads(raw)

    assert status == 201
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /{proxy+}"  # the stack's catch-all route
    assert event["rawPath"] == "/dossiers/D-1/actions"
    assert event["rawQueryString"] == "x=1&x=2&q=s%C3%B4%20h%E1%BB%93"
    assert event["queryStringParameters"] == {"x": "1,2", "q": "sô hồ"}
    assert event["headers"]["idempotency-key"] == "k-1"
    assert event["headers"]["content-type"] == "application/json"
    assert all(name == name.lower() for name in event["headers"])
    assert "cookie" not in event["headers"] and event["cookies"] == ["a=1", "b=2"]
    assert event["pathParameters"] == {"proxy": "dossiers/D-1/actions"}
    assert "authorizer" not in event["requestContext"]  # no token, no verifier: no authoriser context
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"procedure": "1.001193", "name": "Nguyễn Văn A"}
    context = event["requestContext"]
    assert context["http"]["method"] == "POST"
    assert context["http"]["path"] == "/dossiers/D-1/actions"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["routeKey"] == "ANY /{proxy+}" and context["stage"] == "$default"
    assert context["requestId"] == headers["apigw-requestid"]
    assert before <= context["timeEpoch"] <= int(time.time() * 1000)
    # The response side: handler headers, one Set-Cookie per cookie, the function's context.
    assert headers["x-function"] == "motcua-echo"
    assert headers.get_all("set-cookie") == ["session=abc; HttpOnly", "lang=vi"]


def test_binary_and_non_utf8_bodies_arrive_base64_encoded(echo_server):
    for content_type, body in (("application/octet-stream", b"\x00\x01text"), ("application/json", b"\xff\xfe{")):
        status, _, raw = _call(f"{echo_server.url}/uploads", "PUT", body, {"Content-Type": content_type})
        event = json.loads(raw)

        assert status == 201
        assert "queryStringParameters" not in event and event["rawQueryString"] == ""
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == body


def test_response_shortcut_errors_and_oversized_bodies(echo_server):
    status, headers, raw = _call(f"{echo_server.url}/bare", "GET")
    assert (status, headers["content-type"], json.loads(raw)) == (200, "application/json", {"hello": "world"})

    status, _, raw = _call(f"{echo_server.url}/any/method", "TRACE")
    assert (status, json.loads(raw)["requestContext"]["http"]["method"]) == (201, "TRACE")

    # The gateway's own answers, locally in the one error shape the document states (docs/mobile.md "Errors").
    status, _, raw = _call(f"{echo_server.url}/boom", "GET")
    assert (status, json.loads(raw)["code"]) == (500, "INTERNAL_ERROR")

    status, _, raw = _call(f"{echo_server.url}/big", "POST", b"x" * (MAX_BODY_BYTES + 1))
    assert (status, json.loads(raw)["code"]) == (413, "REQUEST_BODY_TOO_LARGE")
    assert set(json.loads(raw)) == {"code", "message_vi", "message_en", "details"}


def test_in_process_client_builds_the_same_event(local_stack):
    client = ApiClient([Route(Invoker(_function("echo", HttpTrigger()), echo))])

    response = client.post(
        "/dossiers", json={"ho_ten": "Trần Thị B"}, headers={"Idempotency-Key": "k-2"}, query={"dry": "1"}
    )
    event = response.json()

    assert response.status_code == 201
    assert event["rawPath"] == "/dossiers" and event["rawQueryString"] == "dry=1"
    assert event["headers"]["idempotency-key"] == "k-2"
    assert event["headers"]["content-type"] == "application/json"
    assert json.loads(event["body"]) == {"ho_ten": "Trần Thị B"}
    assert response.cookies == ["session=abc; HttpOnly", "lang=vi"]


def test_the_most_specific_route_wins_and_public_routes_carry_no_claims(local_stack):
    api = _function("echo", HttpTrigger())
    routes = sorted(
        [Route(Invoker(api, echo)), Route(Invoker(api, echo), "/track/{code}", authorised=False, method="GET")],
        key=lambda r: r.specificity,
    )
    client = ApiClient(routes, verifier=verifier())
    signed_in = {"authorization": f"Bearer {token('citizen-an', Role.CITIZEN)}"}

    public = client.get("/track/H36-260302-0001", headers=signed_in).json()
    private = client.get("/dossiers/abc", headers=signed_in).json()

    assert public["routeKey"] == "GET /track/{code}"
    assert public["pathParameters"] == {"code": "H36-260302-0001"}
    assert "authorizer" not in public["requestContext"]
    assert private["routeKey"] == "ANY /{proxy+}"
    assert private["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == subject_of("citizen-an")
    assert client.get("/").status == 404  # /{proxy+} does not match the root, as in API Gateway
    # Another method on a GET-only public path falls through to the authorised catch-all.
    assert client.post("/track/H36-260302-0001", headers=signed_in).json()["routeKey"] == "ANY /{proxy+}"


def test_the_adapter_authorises_like_the_jwt_authoriser(local_stack):
    api = _function("echo", HttpTrigger())
    adapter = HttpAdapter([Route(Invoker(api, echo))], port=free_port(), verifier=verifier()).start()
    try:
        missing = _call(f"{adapter.url}/dossiers", "GET")
        expired = minted({"sub": "mallory"}, issued_at=time.time() - 7200)
        forged = _call(f"{adapter.url}/dossiers", "GET", headers={"Authorization": f"Bearer {expired}"})
        good_token = token("officer-1", Role.RECEPTION_OFFICER, "000.20.01.H36")
        status, _, raw = _call(f"{adapter.url}/dossiers", "GET", headers={"Authorization": f"Bearer {good_token}"})
        preflight = _call(
            f"{adapter.url}/dossiers",
            "OPTIONS",
            headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
        )
    finally:
        adapter.stop()

    assert (missing[0], json.loads(missing[2])["code"]) == (401, "AUTH_REQUIRED")
    assert forged[0] == 401
    assert status == 201
    claims = json.loads(raw)["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["sub"] == subject_of("officer-1") and isinstance(claims["exp"], str)
    assert claims["custom:role"] == "reception_officer" and claims["custom:agency_code"] == "000.20.01.H36"
    assert preflight[0] == 204 and preflight[1]["access-control-allow-origin"] == "*"
    # The stack's CORS answer, not one of the adapter's own (infra/constructs/api.py reads the same constants).
    assert preflight[1]["access-control-max-age"] == "3600"
    assert preflight[1]["access-control-allow-headers"] == "authorization, content-type, idempotency-key, x-request-id"


# --- schedules -----------------------------------------------------------------------------------------


def test_scheduled_functions_fire_locally_and_their_schedules_are_stored(local_stack):
    fired: list[dict[str, Any]] = []
    function = _function("sweeper", ScheduleTrigger("rate(5 minutes)", local_every_s=1))
    invoker = Invoker(function, lambda event, context: fired.append(event))

    names = create_schedules(local_stack.client("scheduler"), [function])
    stored = local_stack.client("scheduler").get_schedule(Name=names[0])
    fire(function, invoker=invoker)
    scheduler = LocalScheduler([function], invoker_factory=lambda _: invoker).start()
    try:
        _wait_for(lambda: len(fired) >= 2, timeout_s=5)
    finally:
        scheduler.stop()

    assert stored["ScheduleExpression"] == "rate(5 minutes)"
    assert stored["ScheduleExpressionTimezone"] == declaration.TIMEZONE
    assert stored["Target"]["Arn"].endswith(":function:motcua-sweeper")
    assert fired[0]["source"] == "aws.scheduler" and fired[0]["detail-type"] == "Scheduled Event"
    assert fired[0]["resources"][0].endswith(f":schedule/default/{names[0]}")


def test_the_adapters_access_log_names_the_route_and_never_a_typed_value(local_stack, caplog):
    # What a citizen types into tracking or search (a national ID, a phone) is in the path and the query.
    api = _function("echo", HttpTrigger())
    routes = sorted([Route(Invoker(api, echo)),
                     Route(Invoker(api, echo), "/track/{code}", authorised=False, method="GET")],
                    key=lambda r: r.specificity)
    adapter = HttpAdapter(routes, port=0).start()
    typed = ("079203001234", "0912345678", "079_203_001_234", "Nguy%E1%BB%85n")
    try:
        with caplog.at_level("INFO", logger="infra.local"):
            for path in ("/track/079203001234?phone=0912345678", "/procedures?q=079_203_001_234&limit=5",
                         "/nowhere/0912345678?name=Nguy%E1%BB%85n"):  # the echo answers them all
                urllib.request.urlopen(f"{adapter.url}{path}", timeout=30).read()
    finally:
        adapter.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "infra.local"]
    assert any(line.startswith("GET /track/{code} ?phone=***** -> ") for line in lines), lines
    assert any(line.startswith("GET /{proxy+} ?q=*****&limit=***** -> ") for line in lines), lines
    for line in lines:
        assert not any(value in line for value in typed), line
