"""Scheduled: moves pending outbox events to the notifications queue, and status changes to the national sync
queue too (see ``motcua.notifications.relay`` for why each event is claimed before it is sent)."""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

from aws_lambda_powertools.utilities.typing import LambdaContext

from motcua.data.models import bind
from motcua.notifications.relay import relay_pending
from motcua.observability import service_logger
from motcua.settings import OutboxRelaySettings, load

logger = service_logger()  # masked: national IDs, phones and e-mails never reach the logs
config = load(OutboxRelaySettings)
bind(config.table_name)


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    report = relay_pending(config.notifications_queue_url, sync_queue_url=config.national_sync_queue_url,
                           time_left_ms=context.get_remaining_time_in_millis)
    if report.sent or report.failed:
        logger.info("outbox relayed", extra=report.as_dict())
    return report.as_dict()


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
