"""Faults: DynamoDB throttling, transaction conflicts and conditional-check failures, on the real engine.

Every DynamoDB request of this process goes to DynamoDB Local; a thin injector in botocore's send step
(``Endpoint._send``: below botocore's retry loop, above the socket) answers chosen requests with the errors
DynamoDB itself returns (``ProvisionedThroughputExceededException``, ``ThrottlingException``,
``TransactionCanceledException`` with ``TransactionConflict`` or ``ThrottlingError`` reasons), or lets a
competing change land between a handler's read and its write. Nothing is told to succeed: the requests
that are not faulted are served by the engine, and the assertions are about what the client got and what
the table holds: the intended change exactly once, or a clear 503 (or 409) and nothing half-written.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.endpoint import Endpoint

from infra import declaration
from infra.local import LambdaContext, function_arn
from infra.local.http_adapter import HttpResponse
from motcua.cli.catalogue_cmds import seed_catalogue
from tests.api_client import ApiClient
from tests.conftest import LocalStack
from tests.faults.consumer_kill_scenario import scan_all
from tests.integration.helpers import COMMUNE, bearer, submission, submit_headers

DESK = ("officer-lan", "reception_officer", COMMUNE)
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)
RECEIVED, PROCESSING, AWAITING_PAYMENT = 2, 4, 6

_DYNAMODB_ERROR = "com.amazonaws.dynamodb.v20120810#"


# --- the injector --------------------------------------------------------------------------------------

class _Body:
    """What botocore reads an HTTP response's body from (``raw.stream()``)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def _error(code: str, message: str, **extra: Any) -> bytes:
    kind = f"com.amazon.coral.availability#{code}" if code == "ThrottlingException" else _DYNAMODB_ERROR + code
    return json.dumps({"__type": kind, "message": message, **extra}).encode()


def throughput_exceeded(_: dict[str, Any]) -> bytes:
    return _error("ProvisionedThroughputExceededException",
                  "The level of configured provisioned throughput for the table was exceeded.")


def throttling(_: dict[str, Any]) -> bytes:
    return _error("ThrottlingException", "Rate of requests exceeds the allowed throughput.")


def _cancelled(reason: dict[str, str]) -> Callable[[dict[str, Any]], bytes]:
    def answer(request: dict[str, Any]) -> bytes:
        # DynamoDB names a reason per item, in order: this one on the first (the dossier or the counter).
        reasons = [reason] + [{"Code": "None"}] * (len(request["TransactItems"]) - 1)
        codes = ", ".join(r["Code"] for r in reasons)
        return _error("TransactionCanceledException",
                      f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                      CancellationReasons=reasons)

    return answer


transaction_conflict = _cancelled({"Code": "TransactionConflict",
                                   "Message": "Transaction is ongoing for the item"})
throttled_in_transaction = _cancelled({"Code": "ThrottlingError",
                                       "Message": "Throughput exceeds the current capacity of your table or index."})


@dataclass
class Fault:
    """Answer the next ``times`` requests of ``operation`` whose body contains ``matching`` with ``answer``'s
    error (HTTP 400), or, with ``before``, run ``before`` once and then let the request through."""

    operation: str
    matching: str = ""
    answer: Callable[[dict[str, Any]], bytes] | None = None
    times: int = 1
    before: Callable[[], None] | None = None
    injected: int = 0

    def applies(self, operation: str, body: str) -> bool:
        return self.injected < self.times and operation == self.operation and self.matching in body


@dataclass
class Injector:
    faults: list[Fault] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def send(self, original: Callable[[Endpoint, AWSPreparedRequest], AWSResponse], endpoint: Endpoint,
             request: AWSPreparedRequest) -> AWSResponse:
        target = request.headers.get("X-Amz-Target") or ""
        target = target.decode() if isinstance(target, bytes) else str(target)
        if not target.startswith("DynamoDB_20120810."):
            return original(endpoint, request)
        operation = target.split(".", 1)[1]
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        with self._lock:
            self.seen.append(operation)
            fault = next((f for f in self.faults if f.applies(operation, body)), None)
            if fault is not None:
                fault.injected += 1
        if fault is None:
            return original(endpoint, request)
        if fault.before is not None:
            fault.before()  # a competing writer gets there first; then this request goes to the engine
            return original(endpoint, request)
        assert fault.answer is not None
        data = fault.answer(json.loads(body))
        headers = {"x-amzn-RequestId": uuid.uuid4().hex, "Content-Type": "application/x-amz-json-1.0",
                   "Content-Length": str(len(data))}
        return AWSResponse(request.url, 400, headers, _Body(data))


@pytest.fixture
def injector(monkeypatch: pytest.MonkeyPatch) -> Injector:
    injector = Injector()
    original = Endpoint._send
    monkeypatch.setattr(Endpoint, "_send", lambda self, request: injector.send(original, self, request))
    return injector


# --- the stack -----------------------------------------------------------------------------------------

@pytest.fixture
def api(local_stack: LocalStack, clean_table: str, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    seed_catalogue(clean_table)
    # A short function timeout: Powertools gives an INPROGRESS record the invocation's remaining time, so a
    # record left behind by an invocation that failed to complete it expires within the test (29 s declared).
    api_function = declaration.function("api")

    def short_context(function: declaration.Function) -> LambdaContext:
        timeout = 4 if function.name == api_function.name else function.timeout_s
        return LambdaContext(function_name=f"{declaration.SERVICE}-{function.name}",
                             memory_limit_in_mb=function.memory_mb, invoked_function_arn=function_arn(function.name),
                             timeout_s=timeout)

    monkeypatch.setattr("infra.local.make_context", short_context)
    return ApiClient()


def _submit(api: ApiClient, key: str | None = None) -> HttpResponse:
    return api.post("/dossiers", json=submission("1.001266"), headers=submit_headers("citizen-throttle", key))


def _new_dossier(api: ApiClient) -> str:
    response = _submit(api)
    assert response.status == 201, response.text
    return str(response.json()["id"])


def _act(api: ApiClient, dossier_id: str, name: str, who: tuple[str, str, str], key: str,
         body: dict[str, Any] | None = None) -> HttpResponse:
    headers = {**bearer(*who), "idempotency-key": key}
    return api.post(f"/dossiers/{dossier_id}/actions/{name}", json=body or {}, headers=headers)


def _snapshot(local_stack: LocalStack, table: str) -> list[tuple[str, str, str]]:
    """Every item of the table, whole (keys and every attribute), in a comparable form; but the subjects
    registered as their tokens were issued (signing in, not the request under test)."""
    items = scan_all(local_stack.client("dynamodb"), table)
    return sorted((i["pk"]["S"], i["sk"]["S"], json.dumps(i, sort_keys=True)) for i in items
                  if not i["pk"]["S"].startswith("SUBJECT#"))


def _trail(local_stack: LocalStack, table: str, dossier_id: str) -> list[str]:
    items = scan_all(local_stack.client("dynamodb"), table)
    events = sorted((i["sk"]["S"], json.loads(i["doc"]["S"])["action"]) for i in items
                    if i["pk"]["S"] == f"DOSSIER#{dossier_id}" and i["sk"]["S"].startswith("EVENT#"))
    return [action for _, action in events]


def _stored(local_stack: LocalStack, table: str, dossier_id: str) -> dict[str, Any]:
    item = local_stack.client("dynamodb").get_item(
        TableName=table, Key={"pk": {"S": f"DOSSIER#{dossier_id}"}, "sk": {"S": "DOSSIER"}}, ConsistentRead=True)
    return {"version": int(item["Item"]["version"]["N"]), **json.loads(item["Item"]["doc"]["S"])}


# --- throttling and conflicts that retries absorb ------------------------------------------------------

TRANSIENT = {
    # pynamodb's client: botocore standard retries (1 + Item.Meta.max_retry_attempts attempts)
    "throughput exceeded on the change's transaction": Fault("TransactWriteItems", answer=throughput_exceeded,
                                                             times=2),
    "throttled read of the dossier": Fault("GetItem", matching='"DOSSIER"', answer=throttling, times=2),
    # Powertools' boto3 client: botocore's DynamoDB retry policy
    "throughput exceeded on the idempotency record": Fault("PutItem", matching="IDEMPOTENCY#api-action",
                                                           answer=throughput_exceeded, times=3),
    # the repository's own retry (DossierRepository.max_conflict_attempts)
    "transaction conflict on the dossier": Fault("TransactWriteItems", answer=transaction_conflict, times=2),
}


@pytest.mark.parametrize("fault", list(TRANSIENT.values()), ids=list(TRANSIENT))
def test_a_transient_fault_is_retried_and_the_action_takes_effect_once(
    api: ApiClient, injector: Injector, local_stack: LocalStack, clean_table: str, fault: Fault
) -> None:
    # Given a dossier just received
    dossier_id = _new_dossier(api)
    assert _act(api, dossier_id, "receive", DESK, uuid.uuid4().hex).status == 200
    # When starting its processing meets throttling or conflicts that go away
    injector.add(fault)
    response = _act(api, dossier_id, "start_processing", PROCESSOR, uuid.uuid4().hex)
    # Then the faults really happened, and were absorbed: the change is there, once
    assert fault.injected == fault.times
    assert response.status == 200, response.text
    assert response.json()["status"]["code"] == PROCESSING
    stored = _stored(local_stack, clean_table, dossier_id)
    assert (stored["version"], stored["status"]) == (3, PROCESSING)
    assert _trail(local_stack, clean_table, dossier_id) == ["submit", "receive", "start_processing"]


# --- faults that outlast the retries: a clear 503, nothing written, and a safe retry -------------------

PERSISTENT = {
    "throughput exceeded on every attempt": Fault("TransactWriteItems", answer=throughput_exceeded, times=99),
    "throttled inside the transaction": Fault("TransactWriteItems", answer=throttled_in_transaction, times=99),
    "transaction conflict on every attempt": Fault("TransactWriteItems", answer=transaction_conflict, times=99),
}


@pytest.mark.parametrize("fault", list(PERSISTENT.values()), ids=list(PERSISTENT))
def test_a_fault_that_outlasts_the_retries_is_a_clear_503_and_nothing_is_half_written(
    api: ApiClient, injector: Injector, local_stack: LocalStack, clean_table: str, fault: Fault
) -> None:
    # Given a dossier just received
    dossier_id = _new_dossier(api)
    assert _act(api, dossier_id, "receive", DESK, uuid.uuid4().hex).status == 200
    before = _snapshot(local_stack, clean_table)
    key = uuid.uuid4().hex
    # When every attempt to write the change fails
    injector.add(fault)
    response = _act(api, dossier_id, "start_processing", PROCESSOR, key)
    # Then the client is told to retry, and the table is exactly as it was: no dossier change, no event,
    # no outbox envelope, no index counter, no idempotency record left claiming the key
    assert fault.injected >= 1
    assert (response.status, response.json()["code"]) == (503, "STORAGE_UNAVAILABLE"), response.text
    assert _snapshot(local_stack, clean_table) == before
    # and the same request, once DynamoDB answers again, takes effect once
    injector.clear()
    retried = _act(api, dossier_id, "start_processing", PROCESSOR, key)
    assert retried.status == 200, retried.text
    assert _stored(local_stack, clean_table, dossier_id)["version"] == 3
    assert _trail(local_stack, clean_table, dossier_id) == ["submit", "receive", "start_processing"]


def test_a_throttled_submission_is_a_503_without_a_receipt_and_its_retry_gets_the_first_code(
    api: ApiClient, injector: Injector, local_stack: LocalStack, clean_table: str
) -> None:
    # Given an agency with no submission today; When a submission's transaction is throttled throughout
    before = _snapshot(local_stack, clean_table)
    key = uuid.uuid4().hex
    fault = injector.add(Fault("TransactWriteItems", answer=throughput_exceeded, times=99))
    response = _submit(api, key)
    # Then 503, and no dossier, receipt, counter or idempotency record was written
    assert fault.injected >= 1
    assert (response.status, response.json()["code"]) == (503, "STORAGE_UNAVAILABLE"), response.text
    assert _snapshot(local_stack, clean_table) == before
    # and the retry gets the day's first receipt code (no gap, no double use)
    injector.clear()
    retried = _submit(api, key)
    assert retried.status == 201, retried.text
    assert re.search(r"-0*1$", retried.json()["receipt_code"]), retried.json()["receipt_code"]
    counters = [int(i["value"]["N"]) for i in scan_all(local_stack.client("dynamodb"), clean_table)
                if i["sk"]["S"] == "SEQ"]
    assert counters == [1]


# --- the change committed, its idempotency record not: the retry must not act twice -------------------

@pytest.mark.parametrize(
    ("name", "who", "status"),
    [
        # Neither may be taken twice: the retry must be answered with the change, not refused although it
        # took effect (nor, before actions were guarded on their own status, applied twice).
        ("start_processing", PROCESSOR, PROCESSING),
        ("receive", DESK, RECEIVED),
    ],
)
def test_a_lost_completion_write_is_answered_on_retry_without_acting_twice(
    api: ApiClient, injector: Injector, local_stack: LocalStack, clean_table: str,
    name: str, who: tuple[str, str, str], status: int,
) -> None:
    # Given a dossier, received already when the action under test is start_processing
    dossier_id = _new_dossier(api)
    if name == "start_processing":
        assert _act(api, dossier_id, "receive", DESK, uuid.uuid4().hex).status == 200
    version = _stored(local_stack, clean_table, dossier_id)["version"]
    key = uuid.uuid4().hex
    # When the change commits but Powertools cannot mark the request COMPLETED (throttled throughout)
    fault = injector.add(Fault("UpdateItem", matching="IDEMPOTENCY#api-action", answer=throughput_exceeded,
                               times=99))
    first = _act(api, dossier_id, name, who, key)
    assert fault.injected >= 1
    assert (first.status, first.json()["code"]) == (503, "STORAGE_UNAVAILABLE"), first.text
    assert _stored(local_stack, clean_table, dossier_id)["version"] == version + 1  # the change is there
    injector.clear()
    # Then the client's retry with the same key is told to wait while the dead attempt's claim lives, and
    # afterwards gets the dossier with the change, made once
    deadline, retried = time.monotonic() + 30, first
    while time.monotonic() < deadline:
        retried = _act(api, dossier_id, name, who, key)
        if retried.status != 409 or retried.json()["code"] != "IDEMPOTENCY_IN_PROGRESS":
            break
        time.sleep(0.5)
    assert retried.status == 200, retried.text
    assert retried.json()["status"]["code"] == status
    stored = _stored(local_stack, clean_table, dossier_id)
    assert (stored["version"], stored["status"]) == (version + 1, status)
    trail = _trail(local_stack, clean_table, dossier_id)
    assert trail.count(name) == 1 and "action_rejected" not in trail, trail


# --- conditional-check failures: never a lost update ---------------------------------------------------

def test_a_change_landing_between_the_read_and_the_write_is_never_overwritten(
    api: ApiClient, injector: Injector, local_stack: LocalStack, clean_table: str
) -> None:
    # Given a dossier being processed
    dossier_id = _new_dossier(api)
    assert _act(api, dossier_id, "receive", DESK, uuid.uuid4().hex).status == 200
    assert _act(api, dossier_id, "start_processing", PROCESSOR, uuid.uuid4().hex).status == 200

    def colleague_requests_payment() -> None:
        from motcua.domain.actors import Actor
        from motcua.domain.commands import ActionName, RequestPayment
        from motcua.service.actions import service

        colleague = Actor.model_validate({"subject": "officer-hoa", "role": "processing_officer",
                                          "agency_code": COMMUNE})
        service.act(dossier_id, ActionName.REQUEST_PAYMENT,
                    RequestPayment(amount_vnd=50000, description="Lệ phí đăng ký"), colleague)

    # When a colleague's payment request commits after this request read the dossier, before it wrote
    fault = injector.add(Fault("TransactWriteItems", matching="request_supplement",
                               before=colleague_requests_payment))
    response = _act(api, dossier_id, "request_supplement", PROCESSOR, uuid.uuid4().hex,
                    {"documents": ["Bản sao CCCD"], "reason": "Bản sao mờ"})
    # Then this request is decided again on the stored record (a supplement cannot be asked while fees are
    # awaited) and refused with that reason; the colleague's change stands, alone, never overwritten
    assert fault.injected == 1
    assert response.status == 409, response.text
    assert response.json()["code"] == "DOSSIER_FORBIDDEN_TRANSITION"
    assert response.json()["details"]["from"] == AWAITING_PAYMENT
    stored = _stored(local_stack, clean_table, dossier_id)
    assert (stored["version"], stored["status"]) == (4, AWAITING_PAYMENT)
    assert stored["payment"]["amount_vnd"] == 50000 and stored["supplement_requests"] == 0
    assert _trail(local_stack, clean_table, dossier_id) == ["submit", "receive", "start_processing", "request_payment"]


def test_a_competing_submission_between_counter_read_and_write_takes_the_next_receipt_code(
    api: ApiClient, injector: Injector, local_stack: LocalStack, clean_table: str
) -> None:
    def another_citizen_submits() -> None:
        # Through the service (the API function is busy with this very request, one invocation at a time).
        from motcua.domain.actors import Actor
        from motcua.service.actions import service
        from schemas.api import DossierSubmission

        service.submit(DossierSubmission.model_validate(submission("1.001266")),
                       Actor.model_validate({"subject": "citizen-other", "role": "citizen"}),
                       idempotency_key=uuid.uuid4().hex)

    # When another submission to the same agency commits between this one's counter read and its write
    fault = injector.add(Fault("TransactWriteItems", matching="SEQ#", before=another_citizen_submits))
    response = _submit(api)
    # Then this one is retried on the next sequence: two dossiers, two codes, the counter at two
    assert fault.injected == 1
    assert response.status == 201, response.text
    items = scan_all(local_stack.client("dynamodb"), clean_table)
    codes = sorted(json.loads(i["doc"]["S"])["receipt_code"] for i in items if i["sk"]["S"] == "DOSSIER")
    receipts = sorted(i["pk"]["S"].removeprefix("RECEIPT#") for i in items if i["sk"]["S"] == "RECEIPT")
    assert len(set(codes)) == 2 and receipts == codes
    assert response.json()["receipt_code"] == codes[1]
    assert [int(i["value"]["N"]) for i in items if i["sk"]["S"] == "SEQ"] == [2]
