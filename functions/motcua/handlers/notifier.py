"""Notifications queue -> the citizen's and, for SLA notices, the officials' channels
(``motcua.notifications.delivery``); before the notices, the forms an announced change only drafted: a
reception's Form 01 (``motcua.service.desk_forms.AnnouncedSlips``), the SLA sweep's Form 04.

A message that can never be delivered (malformed, unknown dossier) goes straight to the DLQ with its
reason. A failed delivery fails only its own record (partial batch response): SQS retries it and moves it
to the DLQ after the queue's ``max_receive_count``.
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
from motcua.notifications.delivery import NOTIFIER_IDEMPOTENCY, PermanentNotificationError, notify
from motcua.observability import service_logger
from motcua.service.desk_forms import AnnouncedSlips
from motcua.service.letters import AnnouncedLetters
from motcua.settings import NotifierSettings, load

logger = service_logger()  # masked: national IDs, phones and e-mails never reach the logs
config = load(NotifierSettings)
bind(config.table_name)
# A batch in which every delivery failed is still answered with its failures, not raised: a provider's
# outage is not a bug in this function (no function-error alarm per retry); the DLQ alarm catches what
# never gets through.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
letters = AnnouncedLetters()  # the SLA sweep's Form 04 drafts are rendered here, before the e-mail carrying them
slips = AnnouncedSlips()  # every reception's Form 01, drawn after the change that received the dossier


def record_handler(record: SQSRecord) -> None:
    # S3 trouble fails the record: retried, the forms before the notices (each is stored once).
    slips.render(record.body)
    letters.render(record.body)
    _notify(record)


def _notify(record: SQSRecord) -> None:
    try:
        result = notify(record.body, sender=config.notify_sender)
    except PermanentNotificationError as error:
        logger.warning("message parked in the DLQ", extra={"code": error.code, "message_id": record.message_id})
        queues.dead_letter(config.notifications_dlq_url, record.body, code=error.code, reason=error.reason,
                           group_id=None)
        return
    # Labels are audience/channel/installation id: no address, no subject.
    logger.info("notified", extra={"envelope_id": result.envelope_id, "template_id": result.template_id,
                                   "channels": sorted(result.sent), "endpoints_removed": result.removed})


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    NOTIFIER_IDEMPOTENCY.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
