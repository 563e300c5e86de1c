"""Dossiers filed on the national portal (the ``national-intake`` queue) -> the one submission path
(``motcua.service.national_sync.intake``).

A message that can never become a dossier (malformed, an unknown procedure or unit, invalid applicant fields)
goes to the DLQ at once with its reason (field names, never values). Anything transient fails the record
only: SQS retries it, then parks it after the queue's ``max_receive_count``. The submission is idempotent per
portal code, so a redelivered message finds the dossier its first delivery made.
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
from motcua.domain.errors import MotcuaError
from motcua.domain.national_portal import PortalMapping
from motcua.observability import service_logger
from motcua.service.national_sync import intake
from motcua.service.submission import SUBMIT_IDEMPOTENCY
from motcua.settings import NationalIntakeSettings, load

logger = service_logger()
config = load(NationalIntakeSettings)
bind(config.table_name)
mapping = PortalMapping.model_validate_json(config.national_portal_mapping)
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    try:
        dossier = intake(record.body, mapping)
    except MotcuaError as error:
        if error.http_status >= 500:  # storage and the like: retried
            raise
        logger.warning("filed dossier parked in the DLQ", extra={"code": error.code, "message_id": record.message_id})
        queues.dead_letter(config.national_intake_dlq_url, record.body, code=error.code,
                           reason=str(error.details.get("reason") or error.message_en), group_id=None)
        return
    logger.info("filed dossier submitted", extra={"message_id": record.message_id, "dossier_id": dossier.id})


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    SUBMIT_IDEMPOTENCY.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
