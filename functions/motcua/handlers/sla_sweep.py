"""The SLA sweep, every 5 minutes (EventBridge Scheduler): hands each shard of the timers index to the shard
workers (``handlers/sla_worker.py``) through the ``sla-shards`` FIFO queue, one message per shard, so that the
shards of a 17:00 burst are fired in parallel invocations (``motcua.service.sla``, docs/sla.md).

The message group is the shard: one worker per shard at a time, whatever the overlap of schedules. The
deduplication id is the shard and the sweep's instant: a retried schedule invocation sends nothing twice.
"""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from motcua.data import queues
from motcua.data.models import bind
from motcua.domain.calendar import VN_TZ
from motcua.observability import service_logger
from motcua.service.sla import SlaSweeper
from motcua.settings import SlaSettings, load

logger = service_logger()
config = load(SlaSettings)
bind(config.table_name)
sweeper = SlaSweeper()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The schedule's own instant: a retried invocation carries the same one, so its messages are deduplicated.
    at = datetime.fromisoformat(event["time"]).astimezone(VN_TZ) if event.get("time") else None
    work = sweeper.shard_messages(at, correlation_id=event.get("id"))
    refused: set[str] = set()
    for start in range(0, len(work), queues.SQS_BATCH_MAX):
        refused |= queues.send_fifo_batch(config.sla_shards_queue_url, {
            str(w.shard): (w.to_json(), {}, w.group_id(), w.deduplication_id())
            for w in work[start:start + queues.SQS_BATCH_MAX]})
    if refused:
        # The schedule's invocation fails and is retried; the shards already sent are deduplicated.
        raise RuntimeError(f"SQS refused the work of shards {sorted(refused)}")
    summary = {"at": work[0].at.isoformat() if work else None, "shards": len(work)}
    logger.debug("SLA sweep dispatched", extra={"sweep": summary})
    return summary


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
