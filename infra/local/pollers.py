"""SQS -> queue consumer, as Lambda's event source mapping does it.

For each QueueTrigger a thread long-polls the queue, gathers a batch of up to ``batch_size`` messages
(within ``max_batching_window_s``), invokes the handler with the real SQS event shape and reads the
partial batch response (``ReportBatchItemFailures``): messages not listed are deleted, listed ones are
left alone so they become visible again after the visibility timeout, and SQS's own redrive policy moves
them to the DLQ after ``max_receive_count`` receives. A handler exception, or a response naming a message
not in the batch, fails the whole batch, as in AWS.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from infra import declaration
from infra.declaration import Function, Queue, QueueTrigger
from infra.local import REGION, Invocable, Invoker, invoker_for

log = logging.getLogger("infra.local")

RECEIVE_WAIT_S = 1  # Lambda long-polls for 20 s; 1 s keeps Ctrl-C prompt at the same near-zero idle cost
SQS_MAX_RECEIVE = 10


def _message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """SQS API attribute values -> the camelCase form Lambda puts in the event (binary as base64)."""
    converted: dict[str, Any] = {}
    for name, value in attributes.items():
        item: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType", "String"),
        }
        if "StringValue" in value:
            item["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            item["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
        converted[name] = item
    return converted


def build_sqs_event(messages: Iterable[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda builds from ReceiveMessage results (attributes requested as "All")."""
    records = []
    for message in messages:
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            # ApproximateReceiveCount, SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp, and for
            # FIFO queues MessageGroupId, MessageDeduplicationId, SequenceNumber.
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": _message_attributes(message.get("MessageAttributes", {})),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": REGION,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        records.append(record)
    return {"Records": records}


def failed_message_ids(response: Any, batch_ids: list[str]) -> set[str]:
    """Which messages of the batch failed, per the partial batch response contract."""
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return set()  # None, {} or an empty list: the whole batch succeeded
    failures = response["batchItemFailures"]
    ids = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
    if any(not isinstance(i, str) or i not in batch_ids for i in ids):
        log.error("invalid batchItemFailures %r: the whole batch fails", failures)
        return set(batch_ids)
    return {i for i in ids if isinstance(i, str)}


@dataclass
class QueuePoller:
    """One event source mapping: one queue, one function."""

    invoker: Invocable
    trigger: QueueTrigger
    queue_url: str
    queue_arn: str
    sqs: Any
    index: int = 0  # which of the trigger's concurrent pollers (``QueueTrigger.concurrency``)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        suffix = f"-{self.index}" if self.index else ""
        self._thread = threading.Thread(
            target=self._run, name=f"poller-{self.invoker.function.name}-{self.trigger.queue}{suffix}", daemon=True
        )

    def start(self) -> QueuePoller:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _receive_batch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.trigger.max_batching_window_s
        while len(batch) < self.trigger.batch_size and not self._stop.is_set():
            wait = RECEIVE_WAIT_S if not batch else max(0, min(RECEIVE_WAIT_S, int(deadline - time.monotonic())))
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(SQS_MAX_RECEIVE, self.trigger.batch_size - len(batch)),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            batch += messages
            if batch and (not messages or time.monotonic() >= deadline):
                break
        return batch

    def poll_once(self) -> int:
        """Receive one batch and process it; returns how many messages were handed to the function."""
        batch = self._receive_batch()
        if not batch:
            return 0
        ids = [m["MessageId"] for m in batch]
        try:
            response = self.invoker(build_sqs_event(batch, self.queue_arn))
            failed = failed_message_ids(response, ids)
        except Exception:
            log.exception("%s failed on a batch of %d: all will be retried", self.invoker.function.name, len(ids))
            failed = set(ids)
        done = [m for m in batch if m["MessageId"] not in failed]
        for start in range(0, len(done), SQS_MAX_RECEIVE):
            chunk = done[start : start + SQS_MAX_RECEIVE]
            result = self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
            for failure in result.get("Failed", []):
                log.warning("could not delete a message from %s: %s", self.trigger.queue, failure)
        if failed:
            log.warning(
                "%s: %d of %d messages failed; they return after the visibility timeout",
                self.invoker.function.name,
                len(failed),
                len(ids),
            )
        return len(batch)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                # The engines going away on shutdown, or a transient error: keep polling, like the ESM does.
                if self._stop.is_set():
                    return
                log.exception("poller for %s", self.trigger.queue)
                self._stop.wait(1)


def queue_pollers(
    sqs: Any,
    queue_urls: dict[str, tuple[str, str]],
    functions: Iterable[Function] | None = None,
    queues: Iterable[Queue] | None = None,
) -> list[QueuePoller]:
    """A poller per QueueTrigger of the given functions; ``queue_urls`` maps queue name -> (url, arn)."""
    declared = {q.name: q for q in (declaration.QUEUES if queues is None else queues)}
    pollers = []
    for function in declaration.FUNCTIONS if functions is None else functions:
        invoker = invoker_for(function)
        for trigger in function.triggers:
            if isinstance(trigger, QueueTrigger):
                if trigger.queue not in declared or trigger.queue not in queue_urls:
                    raise ValueError(f"{function.name} consumes undeclared queue {trigger.queue!r}")
                url, arn = queue_urls[trigger.queue]
                pollers.append(QueuePoller(invoker, trigger, url, arn, sqs))
                # A trigger declared to process several batches at once (Lambda's poller scaling out to the
                # function's concurrency) gets as many pollers (on a FIFO queue SQS hands each message group
                # to one of them at a time, as it does to Lambda). They invoke the function's pool of
                # execution environments when it has one (up to its local concurrency at once); in process,
                # an invoker each, so that they too run at once.
                pollers += [QueuePoller(invoker if not isinstance(invoker, Invoker) else Invoker(function),
                                        trigger, url, arn, sqs, index=n)
                            for n in range(1, trigger.concurrency)]
    return pollers
