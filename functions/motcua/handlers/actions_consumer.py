"""Actions from back-office systems on the FIFO actions queue (grouped by dossier id).

A malformed message or one naming an unknown dossier can never succeed: it goes straight to the DLQ with
its reason. A message that conflicts with the stored record is refused and the refusal recorded on the
dossier's trail (inside ``act_from_queue``). Anything transient fails the record, and only that record (and
the later ones of its dossier, to keep their order) returns to the queue.
"""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

import json

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from motcua.data import queues
from motcua.data.models import bind
from motcua.domain.commands import PAYLOADS
from motcua.observability import service_logger
from motcua.service.actions import QUEUE_IDEMPOTENCY, PermanentMessageError, act_from_queue, command_from_message
from motcua.settings import ActionsSettings, load
from schemas.actions import ActionMessage

logger = service_logger()
config = load(ActionsSettings)
bind(config.table_name)
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


def record_handler(record: SQSRecord) -> None:
    try:
        message = ActionMessage.model_validate_json(record.body)
        PAYLOADS[message.action].model_validate(message.payload)
        act_from_queue(command=command_from_message(message, record.message_id))
    except ValidationError as error:
        _park(record, "MESSAGE_INVALID", json.dumps(
            [{"location": [str(p) for p in e["loc"]], "type": e["type"]} for e in error.errors()]))
    except (PermanentMessageError, json.JSONDecodeError) as error:
        code = getattr(error, "code", "MESSAGE_INVALID")
        _park(record, code, getattr(error, "reason", str(error)))


def _park(record: SQSRecord, code: str, reason: str) -> None:
    logger.warning("message parked in the DLQ", extra={"code": code, "message_id": record.message_id})
    queues.dead_letter(config.actions_dlq_url, record.body, code=code, reason=reason,
                       group_id=record.attributes.message_group_id)


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    QUEUE_IDEMPOTENCY.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
