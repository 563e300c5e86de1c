"""Messages Motcua itself puts on queues (dead letters with their reason; notifications)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import boto3


@lru_cache(maxsize=1)
def _sqs() -> Any:
    return boto3.client("sqs")


def dead_letter(dlq_url: str, body: str, *, code: str, reason: str, group_id: str | None) -> None:
    """Park a message that can never succeed, with why, so an operator can fix and redrive it."""
    params: dict[str, Any] = {
        "QueueUrl": dlq_url,
        "MessageBody": body,
        "MessageAttributes": {
            "motcua_error_code": {"DataType": "String", "StringValue": code},
            "motcua_error_reason": {"DataType": "String", "StringValue": reason[:1000] or code},
        },
    }
    if dlq_url.endswith(".fifo"):
        params["MessageGroupId"] = group_id or "dead-letters"
        params["MessageDeduplicationId"] = hashlib.sha256(body.encode()).hexdigest()[:128]
    _sqs().send_message(**params)


# --- notifications and operators' tools (outbox relay, `motcua dlq redrive`) ---------------------------

SQS_BATCH_MAX = 10


def send_batch(queue_url: str, messages: dict[str, tuple[str, dict[str, str]]]) -> set[str]:
    """Send up to ten ``{key: (body, string attributes)}`` in one call; returns the keys SQS refused."""
    if len(messages) > SQS_BATCH_MAX:
        raise ValueError(f"at most {SQS_BATCH_MAX} messages per batch")
    keys = list(messages)
    entries = [
        {
            "Id": str(position),  # batch entry ids are restricted to [A-Za-z0-9_-]{1,80}: use positions
            "MessageBody": body,
            "MessageAttributes": {name: {"DataType": "String", "StringValue": value}
                                  for name, value in attributes.items()},
        }
        for position, (body, attributes) in enumerate(messages[k] for k in keys)
    ]
    if not entries:
        return set()
    response = _sqs().send_message_batch(QueueUrl=queue_url, Entries=entries)
    return {keys[int(failed["Id"])] for failed in response.get("Failed", [])}


def send_fifo_batch(queue_url: str, messages: dict[str, tuple[str, dict[str, str], str, str]]) -> set[str]:
    """Up to ten ``{key: (body, string attributes, group id, deduplication id)}`` to a FIFO queue, in this
    order (SQS keeps it within a group); returns the keys SQS refused."""
    if len(messages) > SQS_BATCH_MAX:
        raise ValueError(f"at most {SQS_BATCH_MAX} messages per batch")
    keys = list(messages)
    entries = [
        {"Id": str(position), "MessageBody": body, "MessageGroupId": group, "MessageDeduplicationId": dedup[:128],
         "MessageAttributes": {name: {"DataType": "String", "StringValue": value}
                               for name, value in attributes.items()}}
        for position, (body, attributes, group, dedup) in enumerate(messages[k] for k in keys)
    ]
    if not entries:
        return set()
    response = _sqs().send_message_batch(QueueUrl=queue_url, Entries=entries)
    return {keys[int(failed["Id"])] for failed in response.get("Failed", [])}


def retry_later(queue_url: str, receipt_handle: str, delay_s: int) -> None:
    """A failed message comes back after ``delay_s`` rather than the queue's visibility timeout (backoff)."""
    _sqs().change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle,
                                     VisibilityTimeout=max(0, min(delay_s, 12 * 3600)))


def queue_depth(queue_url: str) -> dict[str, int]:
    """Waiting, in flight and delayed messages (SQS's approximate counts)."""
    names = {"ApproximateNumberOfMessages": "waiting", "ApproximateNumberOfMessagesNotVisible": "in_flight",
             "ApproximateNumberOfMessagesDelayed": "delayed"}
    attributes = _sqs().get_queue_attributes(QueueUrl=queue_url, AttributeNames=list(names))["Attributes"]
    return {label: int(attributes.get(name, 0)) for name, label in names.items()}


def queue_url_by_name(name: str) -> str:
    return str(_sqs().get_queue_url(QueueName=name)["QueueUrl"])


def dead_letter_queue_of(queue_url: str) -> str:
    """The DLQ a queue's redrive policy names (the queue is the single source of that link)."""
    attributes = _sqs().get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    policy = attributes.get("RedrivePolicy")
    if not policy:
        raise LookupError(f"{queue_url} has no redrive policy, hence no dead-letter queue")
    arn = str(json.loads(policy)["deadLetterTargetArn"])
    _, _, _, _, account, name = arn.split(":", 5)
    return str(_sqs().get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])


_OWN_ATTRIBUTES = ("motcua_error_code", "motcua_error_reason")


def redrive(dlq_url: str, target_url: str, max_messages: int, wait_s: int = 1) -> Iterator[dict[str, Any]]:
    """Move up to ``max_messages`` from ``dlq_url`` back to ``target_url``, yielding what moved.

    Each message is sent first and deleted from the DLQ after, so a crash in between leaves a copy in
    both (consumers are idempotent) rather than none. On a FIFO target the message keeps its group (its
    order within the dossier) and gets a new deduplication id: SQS would silently drop a resend within
    five minutes under the old one. The reason the consumer parked it with is reported, not resent.
    """
    fifo = target_url.endswith(".fifo")
    moved = 0
    while moved < max_messages:
        batch = _sqs().receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=min(SQS_BATCH_MAX, max_messages - moved),
            AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=wait_s,
            VisibilityTimeout=60).get("Messages", [])
        if not batch:
            return
        for message in batch:
            attributes = message.get("MessageAttributes", {})
            params: dict[str, Any] = {"QueueUrl": target_url, "MessageBody": message["Body"]}
            kept = {
                name: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
                for name, value in attributes.items() if name not in _OWN_ATTRIBUTES
            }
            if kept:
                params["MessageAttributes"] = kept
            group_id = message.get("Attributes", {}).get("MessageGroupId")
            if fifo:
                params["MessageGroupId"] = group_id or "redriven"
                params["MessageDeduplicationId"] = uuid.uuid4().hex
            sent = _sqs().send_message(**params)
            _sqs().delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
            yield {
                "message_id": message["MessageId"],
                "new_message_id": sent["MessageId"],
                "group_id": group_id,
                "error_code": attributes.get("motcua_error_code", {}).get("StringValue"),
                "error_reason": attributes.get("motcua_error_reason", {}).get("StringValue"),
            }
