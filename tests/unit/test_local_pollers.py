"""The local runner's event source mappings: a trigger declared to process several batches at once
(``QueueTrigger.concurrency``) gets as many pollers, and their invocations really run at the same time."""

from __future__ import annotations

import threading

from infra import declaration
from infra.local.pollers import queue_pollers


def test_a_trigger_declared_concurrent_gets_as_many_pollers_invoking_at_once() -> None:
    worker = declaration.function("sla-worker")
    (trigger,) = worker.triggers
    assert isinstance(trigger, declaration.QueueTrigger) and trigger.concurrency == declaration.SLA_SHARDS
    pollers = queue_pollers(None, {"sla-shards": ("url", "arn")}, functions=[worker])
    assert len(pollers) == declaration.SLA_SHARDS
    assert len({id(p.invoker) for p in pollers}) == len(pollers)  # an execution environment each
    assert len({p._thread.name for p in pollers}) == len(pollers)
    # Two of them invoked at once both get in: each waits for the other (serialised, the barrier would break).
    barrier = threading.Barrier(2, timeout=20)
    for poller in pollers[1:3]:  # not the first: it is the function's shared invoker (``invoker_for``)
        poller.invoker._handler = lambda event, context: barrier.wait()
    threads = [threading.Thread(target=p.invoker, args=({},)) for p in pollers[1:3]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not barrier.broken


def test_a_trigger_of_one_gets_one_poller() -> None:
    notifier = declaration.function("notifier")
    assert len(queue_pollers(None, {"notifications": ("url", "arn")}, functions=[notifier])) == 1
