"""Handlers the local runtime's own tests run in worker processes (``infra.local.workers``): importable by
their dotted name from a fresh interpreter, each telling which environment (process) served it."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

# Module state, as a handler keeps clients and caches: one per execution environment.
INVOCATIONS: list[str] = []
RENDEZVOUS_WAIT_S = 20.0


def _present(directory: Path) -> int:
    return sum(1 for _ in directory.glob("*.in"))  # invocations inside now (probe)


def rendezvous(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An HTTP handler that records its arrival in the directory ``?dir=`` names, then waits (up to 20 s, within
    its timeout) until ``?expected=`` invocations have arrived. An invocation sees the others only if they
    arrive while it waits: run one after the other, the first gives up having seen itself alone."""
    query = event.get("queryStringParameters") or {}
    directory, expected = Path(query["dir"]), int(query["expected"])
    (directory / f"{uuid.uuid4().hex}.arrived").touch()
    INVOCATIONS.append(context.aws_request_id)
    deadline = time.monotonic() + RENDEZVOUS_WAIT_S
    while (seen := sum(1 for _ in directory.glob("*.arrived"))) < expected and time.monotonic() < deadline:
        time.sleep(0.01)
    body = {"pid": os.getpid(), "saw": seen, "invocations_here": len(INVOCATIONS)}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def probe(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """How many invocations are inside the directory ``event["dir"]`` at once, seen from inside one of them."""
    directory = Path(event["dir"])
    mine = directory / f"{uuid.uuid4().hex}.in"
    mine.touch()
    try:
        time.sleep(event.get("stay_s", 0.2))
        inside = _present(directory)
    finally:
        mine.unlink()
    return {"pid": os.getpid(), "inside": inside}


def fails(event: dict[str, Any], context: Any) -> Any:
    """Fails as asked (a direct event's keys, or an HTTP event's path); else tells where it ran."""
    if event.get("boom") or event.get("rawPath") == "/boom":
        raise ValueError("handler bug")
    if event.get("rawPath") == "/unmarshallable":
        return {"statusCode": 200, "body": {1, 2}}  # a set: not JSON, as Lambda's runtime refuses it
    if event.get("sleep_s"):
        time.sleep(event["sleep_s"])
    if event.get("exit"):
        os._exit(3)
    return {"pid": os.getpid(), "remaining_ms": context.get_remaining_time_in_millis(),
            "function_name": context.function_name, "table": os.environ.get("TABLE_NAME")}

