"""Shared test data and token helpers for the integration suite."""

from __future__ import annotations

import functools
import json
import os
import sys
import time
import types
import uuid
from typing import Any

import boto3
import requests
from joserfc import jwt

from infra.local.cognito import LocalAccounts, PoolVerifier, ensure_pool, pool_key, pre_token_trigger
from infra.local.examples import example_submission
from motcua.domain.actors import Role

COMMUNE = "000.20.01.H36"  # Ủy ban nhân dân phường Xuân Hương - Đà Lạt (seed)


@functools.cache
def _accounts(endpoint: str) -> LocalAccounts:
    cognito = boto3.client("cognito-idp", endpoint_url=endpoint)
    return LocalAccounts(ensure_pool(cognito, endpoint), cognito, pre_token_trigger())


def accounts() -> LocalAccounts:
    """The people of the session's user pool (moto's, created by the local stack from the declaration)."""
    return _accounts(os.environ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"])


def verifier() -> PoolVerifier:
    """The JWT authoriser over the session's pool, as `make run` applies it."""
    return PoolVerifier(accounts().pool)


def token(subject: str = "citizen-an", role: Role | str = Role.CITIZEN, agency_code: str | None = None) -> str:
    """An ID token of a sign-in to the pool: the trigger ran, so the API knows the subject."""
    return accounts().token(subject, str(role), agency_code)


def bearer(subject: str = "citizen-an", role: Role | str = Role.CITIZEN, agency_code: str | None = None) -> dict:
    return {"authorization": f"Bearer {token(subject, role, agency_code)}"}


def subject_of(name: str) -> str:
    """The pool's ``sub`` of a person the tests name (their account, a citizen's unless signed in otherwise)."""
    return accounts().subject(name)


def minted(claims: dict[str, Any], *, ttl_s: int = 600, issued_at: float | None = None) -> str:
    """A token signed with the pool's key, never issued by the pool (as a leaked key could sign one): the pool's
    issuer and audience unless ``claims`` say otherwise."""
    pool = accounts().pool
    issued = int(issued_at if issued_at is not None else time.time())
    payload = {"iss": pool.issuer, "aud": pool.client_id, "token_use": "id", "iat": issued,
               "exp": issued + ttl_s, **claims}
    return jwt.encode({"alg": "RS256", "kid": pool_key().kid}, payload, pool_key())


def submission(procedure_code: str = "1.001193", **overrides: Any) -> dict[str, Any]:
    return {**example_submission(procedure_code, COMMUNE), **overrides}


def submit_headers(subject: str = "citizen-an", key: str | None = None) -> dict:
    return {**bearer(subject), "idempotency-key": key or uuid.uuid4().hex}


def outbox(local_stack, dossier_id: str | None = None) -> list[dict[str, Any]]:
    """Every event envelope in the outbox (relayed or not), of one dossier when ``dossier_id`` is given."""
    table = boto3.resource("dynamodb").Table(local_stack.table_name)
    items, kwargs = [], {}
    while True:
        page = table.scan(**kwargs)
        items += [json.loads(i["doc"]) for i in page["Items"] if i["pk"].startswith("OUTBOX#")]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [e for e in items if dossier_id is None or e["data"].get("dossier_id") == dossier_id]


def announce(local_stack) -> list[dict[str, Any]]:
    """What runs after a commit, as deployed: the outbox relay moves the pending envelopes to the
    notifications queue and the notifier takes them from it, as Lambda's event source mapping does (drawing a
    reception's Form 01 before the notices). Returns the messages handled. The queues must be clean."""
    from infra import declaration
    from infra.local import load_handler, make_context
    from infra.local.pollers import build_sqs_event
    from infra.local.scheduler import schedule_event

    relay = declaration.function("outbox-relay")
    sent = load_handler(relay.handler)(schedule_event(relay), make_context(relay))["sent"]
    sqs, url = local_stack.client("sqs"), local_stack.queue_url("notifications")
    messages: list[dict[str, Any]] = []
    while len(messages) < sent:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                  MessageAttributeNames=["All"], WaitTimeSeconds=1).get("Messages", [])
        assert got, f"expected {sent} notifications, got {len(messages)}"
        messages += got
    if messages:
        notifier = declaration.function("notifier")
        event = build_sqs_event(messages, local_stack.resources.queues["notifications"].arn)
        assert load_handler(notifier.handler)(event, make_context(notifier)) == {"batchItemFailures": []}
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def consume_round(local_stack, queue: str, function_name: str) -> int:
    """One receive of up to ten messages from ``queue`` and one invocation of ``function_name`` with Lambda's
    SQS event, settled as the event source mapping does (the records not reported failed are deleted);
    returns how many it was given."""
    from infra import declaration
    from infra.local import load_handler, make_context
    from infra.local.pollers import build_sqs_event

    sqs, url = local_stack.client("sqs"), local_stack.queue_url(queue)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                   MessageAttributeNames=["All"], WaitTimeSeconds=0).get("Messages", [])
    if not messages:
        return 0
    function = declaration.function(function_name)
    event = build_sqs_event(messages, local_stack.resources.queues[queue].arn)
    response = load_handler(function.handler)(event, make_context(function))
    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages)


def handler_module(function_name: str) -> types.ModuleType:
    """The module of a declared function's handler, as the local runner loaded it (its warm state)."""
    from infra import declaration
    from infra.local import load_handler

    return sys.modules[load_handler(declaration.function(function_name).handler).__module__]


def fresh_partner_consumer(monkeypatch, function_name: str, client_attr: str) -> types.ModuleType:
    """A partner consumer's module whose client is built again on its next message (the connection read
    again), retrying a failed record at once rather than after the backoff."""
    module = handler_module(function_name)
    monkeypatch.setattr(module, client_attr, None)
    monkeypatch.setattr(module.queue, "retry_base_s", 0)
    return module


def in_queue(local_stack, queue: str) -> int:
    """Messages waiting or in flight on ``queue`` (SQS's approximate counts)."""
    attributes = local_stack.client("sqs").get_queue_attributes(
        QueueUrl=local_stack.queue_url(queue),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return sum(int(v) for v in attributes.values())


# --- uploads, as a browser sends them after POST /uploads -------------------------------------------------

def ticket(api_client, who: str | tuple[str, str, str], size: int, name: str = "giay-chung-sinh.pdf",
           content_type: str = "application/pdf") -> dict:
    response = api_client.post("/uploads", json={"file_name": name, "content_type": content_type, "size_bytes": size},
                               headers=bearer(*who) if isinstance(who, tuple) else bearer(who))
    assert response.status == 200, response.text
    return dict(response.json())


def post_file(given: dict, content: bytes) -> str:
    """What a browser does with the ticket: a form POST to S3 with the signed fields, then the file."""
    sent = requests.post(given["url"], data=given["fields"], files={"file": ("f", content)}, timeout=10)
    assert sent.status_code in (200, 201, 204), sent.text
    return str(given["key"])


def upload(api_client, content: bytes, who: str | tuple[str, str, str] = "citizen-hang",
           name: str = "giay-chung-sinh.pdf") -> str:
    return post_file(ticket(api_client, who, len(content), name), content)


def all_pages(api_client, path: str, headers: dict | None = None, **query: str) -> list[dict]:
    """Every item of a list, following next_token page by page (the one page shape of every list)."""
    items, token = [], None
    while True:
        page = api_client.get(path, query={**query, **({"next_token": token} if token else {})}, headers=headers)
        assert page.status == 200, page.text
        items += page.json()["items"]
        token = page.json().get("next_token")
        if not token:
            return items
