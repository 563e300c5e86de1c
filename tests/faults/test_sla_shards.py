"""Faults: the SLA sweep's shard workers under what SQS and Lambda do to them; every timer fires once.

The scheduled sweep hands one ``sla-shards`` message per shard to the shard workers (``handlers/sla_worker``),
and the local runner's pollers (Lambda's event source mapping, emulated) invoke them. Here:

- a message delivered twice, to two workers running at the same time (a standard queue's duplicate, or a FIFO
  message redelivered while a slow first attempt still runs): both fire the same pages, each dossier's write
  is guarded by the version read, so one wins per dossier and the other finds it changed, re-reads it, and
  finds nothing due; for warnings (pages written together) and breaches with their apology (one at a time);
- a worker that dies in the middle of its shard, after one of its pages was written: it deletes nothing (the
  poller settles a batch only when the function returns), the message comes back when its visibility timeout
  ends (made to end at once here) and the next worker fires only what is still due.

The death is in-process: the page write raises a ``BaseException`` after the page before it committed, which
no handler, Powertools batch processor or poller catches, as nothing runs after a Lambda sandbox is killed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from infra import declaration
from infra.local import Invoker, load_handler, make_context
from infra.local.pollers import QueuePoller, build_sqs_event
from infra.local.scheduler import schedule_event
from motcua.cli.catalogue_cmds import seed_catalogue
from motcua.data.repositories import DossierRepository
from motcua.domain.calendar import VN_TZ
from tests.conftest import LocalStack
from tests.integration.helpers import outbox
from tests.integration.test_sla import quick_dossier

DOSSIERS = 24  # about three per shard: pages of two
THU_5_MARCH_17 = datetime(2026, 3, 5, 17, tzinfo=VN_TZ)  # the quick dossiers' warn_2wd


class Killed(BaseException):
    """The sandbox going away: nothing after it runs."""


@pytest.fixture
def stack(local_stack: LocalStack, clean_table: str, clean_queues: None) -> Iterator[LocalStack]:
    from motcua.handlers import sla_worker

    seed_catalogue(clean_table)
    previous, sla_worker.sweeper.page_size = sla_worker.sweeper.page_size, 2
    try:
        yield local_stack
    finally:
        sla_worker.sweeper.page_size = previous


class RecordingSqs:
    """The poller's SQS client, keeping the messages it received (only the dead worker held their handles)."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self.received: list[dict[str, Any]] = []

    def receive_message(self, **kwargs: Any) -> Any:
        response = self._sqs.receive_message(**kwargs)
        self.received += response.get("Messages", [])
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)


def dispatch(local_stack: LocalStack, at: datetime | None = None) -> None:
    """The scheduled sweep at ``at`` (default now): one message per shard."""
    function = declaration.function("sla")
    summary = load_handler(function.handler)(schedule_event(function, at=at), make_context(function))
    assert summary["shards"] == declaration.SLA_SHARDS


def received(local_stack: LocalStack) -> list[dict[str, Any]]:
    sqs = local_stack.client("sqs")
    messages: list[dict[str, Any]] = []
    while len(messages) < declaration.SLA_SHARDS:
        got = sqs.receive_message(QueueUrl=local_stack.queue_url("sla-shards"), MaxNumberOfMessages=10,
                                  WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]).get("Messages", [])
        assert got, f"{len(messages)} of {declaration.SLA_SHARDS} shard messages arrived"
        messages += got
    return messages


def run_worker(local_stack: LocalStack, message: dict[str, Any]) -> Any:
    worker = declaration.function("sla-worker")
    event = build_sqs_event([message], local_stack.resources.queues["sla-shards"].arn)
    return load_handler(worker.handler)(event, make_context(worker))


def settle(local_stack: LocalStack, messages: list[dict[str, Any]]) -> None:
    sqs = local_stack.client("sqs")
    for message in messages:
        sqs.delete_message(QueueUrl=local_stack.queue_url("sla-shards"), ReceiptHandle=message["ReceiptHandle"])


def timer_events(dossier_id: str) -> list[tuple[str, str]]:
    return [(e.action, e.details["kind"]) for e in DossierRepository().history(dossier_id)
            if e.action in ("sla_warning", "sla_breach")]


def envelopes(local_stack: LocalStack, dossier_id: str) -> list[str]:
    return sorted(f"{e['type']}:{e['data'].get('kind', '')}" for e in outbox(local_stack, dossier_id)
                  if e["type"] in ("dossier.sla_warning", "dossier.sla_breached", "dossier.apology_issued"))


def deliver_twice_at_once(local_stack: LocalStack, messages: list[dict[str, Any]]) -> list[Any]:
    responses: list[Any] = []
    for message in messages:
        barrier = threading.Barrier(2)

        def deliver(message: dict[str, Any] = message, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            responses.append(run_worker(local_stack, message))

        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return responses


def test_a_shard_delivered_twice_at_once_fires_each_timer_once(stack: LocalStack) -> None:
    ids = [quick_dossier() for _ in range(DOSSIERS)]  # warn_2wd at Thu 5 Mar 17:00, breach Mon 9 Mar 17:00

    # Warnings: the pages written together (several dossiers per transaction).
    dispatch(stack, THU_5_MARCH_17)
    messages = received(stack)
    assert deliver_twice_at_once(stack, messages) == [{"batchItemFailures": []}] * (2 * len(messages))
    settle(stack, messages)
    for dossier_id in ids:
        assert timer_events(dossier_id) == [("sla_warning", "warn_2wd")]
        assert envelopes(stack, dossier_id) == ["dossier.sla_warning:warn_2wd"]

    # Breaches, now (long overdue), each with its automatic apology: written one dossier at a time.
    dispatch(stack)
    messages = received(stack)
    assert deliver_twice_at_once(stack, messages) == [{"batchItemFailures": []}] * (2 * len(messages))
    settle(stack, messages)
    for dossier_id in ids:
        # The last day and the breach are due together: the breach is announced, the last day superseded.
        # The apology's new appointment (Mon 16 Mar) has passed too: its timers may follow in the same run
        # (the entry moved past the page read) or the next; each once.
        events = timer_events(dossier_id)
        assert events[:2] == [("sla_warning", "warn_2wd"), ("sla_breach", "breach")]
        assert len(events) == len(set(events)) and {k for _, k in events[2:]} <= {"new_appointment_1wd",
                                                                                "new_appointment_missed"}
        sent = envelopes(stack, dossier_id)
        assert len(sent) == len(set(sent)) and sent.count("dossier.apology_issued:") == 1
        assert "dossier.sla_breached:breach" in sent and len(sent) == len(events) + 1
        assert [e.action for e in DossierRepository().history(dossier_id)].count("apologise") == 1


def test_a_worker_killed_mid_shard_leaves_its_message_and_the_next_fires_only_the_rest(
        stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    from motcua.handlers import sla_worker

    ids = [quick_dossier() for _ in range(DOSSIERS)]
    dispatch(stack, THU_5_MARCH_17)
    queue = stack.resources.queues["sla-shards"]
    worker = declaration.function("sla-worker")
    (trigger,) = worker.triggers
    assert isinstance(trigger, declaration.QueueTrigger)
    sqs = RecordingSqs(stack.client("sqs"))
    poller = QueuePoller(Invoker(worker), trigger, queue.url, queue.arn, sqs)
    real_save = sla_worker.sweeper.dossiers.save_changes
    written: list[int] = []

    def save_then_die(changes: Any, *args: Any, **kwargs: Any) -> Any:
        if len(written) == 1:  # the shard's second page: the sandbox dies before writing it
            raise Killed()
        written.append(len(changes))
        return real_save(changes, *args, **kwargs)

    monkeypatch.setattr(sla_worker.sweeper.dossiers, "save_changes", save_then_die)
    killed = False
    while not killed:  # shard after shard, until one with two pages or more
        assert visible(sqs, queue.url), "no shard had two pages"
        written.clear()
        sqs.received.clear()
        try:
            assert poller.poll_once() == 1
        except Killed:
            killed = True
    (dead_message,) = sqs.received
    monkeypatch.setattr(sla_worker.sweeper.dossiers, "save_changes", real_save)
    assert written == [2]  # the dead worker's first page is written, whole
    fired = [i for i in ids if timer_events(i)]
    assert len(fired) >= 2 and len(fired) < len(ids)

    # Its message was not deleted: it is in flight, and its shard's group with it, until the visibility
    # timeout ends (420 s: made to end at once).
    attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"]
    assert int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 1
    sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=dead_message["ReceiptHandle"],
                                  VisibilityTimeout=0)
    while visible(sqs, queue.url):  # the redelivered shard, and the shards not yet taken
        assert poller.poll_once() == 1
    for dossier_id in ids:
        assert timer_events(dossier_id) == [("sla_warning", "warn_2wd")]
        assert envelopes(stack, dossier_id) == ["dossier.sla_warning:warn_2wd"]
    remaining = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"]
    assert int(remaining["ApproximateNumberOfMessages"]) == 0
    assert int(remaining["ApproximateNumberOfMessagesNotVisible"]) == 0


def visible(sqs: Any, url: str) -> int:
    """Messages a poller can receive now (its receive waits for one while there is none)."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_the_shard_message_names_its_shard_and_instant() -> None:
    from motcua.service.sla import ShardWork

    work = ShardWork(3, THU_5_MARCH_17, "c-1")
    assert ShardWork.from_json(work.to_json()) == work
    assert work.deduplication_id() != work.continued().deduplication_id()
    assert work.group_id() == work.continued().group_id() == "shard-3"
