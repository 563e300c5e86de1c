"""A shard worker of the SLA sweep: fires the due timers of the shards handed to it by the scheduled sweep
(``handlers/sla_sweep.py``), one ``sla-shards`` message per shard (``SlaSweeper.sweep_shard``: each page's
dossiers written together, up to 100 items per transaction; docs/sla.md).

Exactly once in effect whatever SQS does: every dossier's firing is guarded by the version read, so a
duplicate delivery, or a message redelivered after a worker died mid-page, finds the fired entries gone from
the due range and fires only the rest. A worker that runs out of time hands the rest of its shard on (the same
shard and instant, to the same message group) and succeeds; the next worker goes on from there.
"""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from motcua.data import queues
from motcua.data.models import bind
from motcua.observability import service_logger
from motcua.service.sla import ShardWork, SlaSweeper
from motcua.settings import SlaWorkerSettings, load

logger = service_logger()
config = load(SlaWorkerSettings)
bind(config.table_name)
sweeper = SlaSweeper()

# Leave this much of the invocation unused: one page of firings, written together, fits in it.
SAFETY_MARGIN_MS = 15_000


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    work = ShardWork.from_json(record.body)
    report = sweeper.sweep_shard(
        work.shard, work.at, correlation_id=work.correlation_id,
        out_of_time=lambda: lambda_context.get_remaining_time_in_millis() < SAFETY_MARGIN_MS)
    if not report.complete:
        more = work.continued()
        refused = queues.send_fifo_batch(config.sla_shards_queue_url, {
            "more": (more.to_json(), {}, more.group_id(), more.deduplication_id())})
        if refused:  # this message fails and comes back: its worker goes on where this one stopped
            raise RuntimeError(f"SQS refused the rest of shard {work.shard}")
    summary = {"shard": work.shard, "continuation": work.continuation, **report.to_json()}
    busy = summary.get("entries") or summary.get("errors") or not report.complete
    (logger.info if busy else logger.debug)("SLA shard", extra={"sweep": summary})


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    # A processor per invocation: it holds the batch's outcome (several invocations share a process locally).
    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=BatchProcessor(event_type=EventType.SQS), context=context)


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
