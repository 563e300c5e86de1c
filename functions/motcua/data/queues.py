"""Messages Motcua itself puts on queues (dead letters with their reason; notifications)."""

from __future__ import annotations

import hashlib
import json
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


def send_json(queue_url: str, payload: dict[str, Any], *, group_id: str | None = None,
              dedup_id: str | None = None) -> None:
    params: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": json.dumps(payload, ensure_ascii=False)}
    if queue_url.endswith(".fifo"):
        params["MessageGroupId"] = group_id or "default"
        params["MessageDeduplicationId"] = dedup_id or hashlib.sha256(params["MessageBody"].encode()).hexdigest()
    _sqs().send_message(**params)
