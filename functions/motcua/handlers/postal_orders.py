"""The postal queue (FIFO, grouped by dossier) -> the carrier (``motcua.service.postal``), and the scheduled
tracking poll for the callbacks that never came.

Two triggers, one function (the one that holds the carrier's connection secret):

* an SQS batch: each order operation (create, cancel) at the carrier. A message that can never go through
  (malformed, naming no order, an order the carrier refuses) goes to the DLQ at once with its code, and the
  dossier's next messages go on (the refused order is marked so, for an official to correct and retry). The
  carrier not answering (timeout, 5xx) fails the record: only it and its dossier's later records return to the
  queue, after a backoff that doubles with each receive; after ``max_receive_count`` SQS parks it (alarmed).
* an EventBridge Scheduler event: the orders under way are asked for their tracking
  (``PostalService.poll_open``).

Log lines carry ids and codes, never an order's receiver (name, phone, address).
"""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from motcua.data import postal as carriers
from motcua.data.models import bind
from motcua.domain.postal import CarrierMapping, CarrierRefused, CarrierUnavailable
from motcua.handlers.partner_queue import PartnerQueue
from motcua.observability import service_logger
from motcua.service.postal import PostalMessageInvalid, PostalService
from motcua.settings import PostalSettings, load

logger = service_logger()
config = load(PostalSettings)
bind(config.table_name)
queue = PartnerQueue(queue_url=config.postal_queue_url, dlq_url=config.postal_dlq_url,
                     retry_base_s=config.postal_retry_base_s, retry_max_s=config.postal_retry_max_s,
                     logger=logger, partner="carrier")
_postal: PostalService | None = None


def postal() -> PostalService:
    """Built on first use: the connection secret is read when a carrier is first called (once per container)."""
    global _postal
    if _postal is None:
        mapping = CarrierMapping.model_validate_json(config.postal_mapping)
        _postal = PostalService(carriers=carriers.Carriers(config.postal_secret_prefix, mapping),
                                enqueue=lambda message: carriers.enqueue(config.postal_queue_url, message),
                                mapping=mapping)
    return _postal


def record_handler(record: SQSRecord) -> None:
    try:
        outcome = postal().deliver(record.body)
    except (PostalMessageInvalid, CarrierRefused) as error:
        queue.park(record, error)
        return
    except CarrierUnavailable as error:
        queue.unavailable(record, error)
        raise
    logger.info("postal order delivered", extra={"message_id": record.message_id, "outcome": outcome})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        return dict(queue.process(event, context, record_handler))
    outcome = postal().poll_open(config.postal_poll_limit).as_dict()
    logger.info("postal tracking polled", extra={"poll": outcome})
    return outcome


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
