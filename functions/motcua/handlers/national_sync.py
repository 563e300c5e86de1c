"""The national sync queue (FIFO, grouped by dossier) -> the national portal (``motcua.service.national_sync``).

A message that can never get through (malformed, an unknown dossier, a record the portal refuses) goes to
the DLQ at once with its reason, and the dossier's next messages go on. The portal not answering fails the
record, and only it and its dossier's later records return to the queue (other dossiers go on), after a
backoff that doubles with each receive; after the queue's ``max_receive_count`` SQS parks it in the DLQ
(alarmed; `motcua sync redrive`). Log lines carry ids and codes, never a record's content.
"""

from __future__ import annotations

from motcua.handlers import startup  # first: the modules below load with the GC paused

# isort: split

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from motcua.data import queues
from motcua.data.models import bind
from motcua.data.national_portal import PortalClient, load_connection
from motcua.domain.national_portal import PortalMapping, PortalRefused, PortalUnavailable
from motcua.observability import service_logger
from motcua.service.national_sync import NationalSync, SyncMessageInvalid
from motcua.settings import NationalSyncSettings, load

logger = service_logger()
config = load(NationalSyncSettings)
bind(config.table_name)
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# A batch in which every record failed is still answered with its failures (each with its backoff set), not
# raised: the portal being down is not a bug in this function; the DLQ alarm catches what never gets through.
processor.raise_on_entire_batch_failure = False
_sync: NationalSync | None = None


def sync() -> NationalSync:
    """Built on first use: the connection secret is read once per warm container."""
    global _sync
    if _sync is None:
        mapping = PortalMapping.model_validate_json(config.national_portal_mapping)
        _sync = NationalSync(PortalClient(load_connection(config.national_portal_secret_prefix), mapping), mapping)
    return _sync


def backoff_s(receive_count: int) -> int:
    doubled = config.national_sync_retry_base_s * 2 ** max(receive_count - 1, 0)
    return int(min(config.national_sync_retry_max_s, doubled))


def record_handler(record: SQSRecord) -> None:
    try:
        result = sync().deliver(record.body)
    except (SyncMessageInvalid, PortalRefused) as error:
        logger.warning("sync message parked in the DLQ", extra={"code": error.code, "message_id": record.message_id,
                                                               "error_code": error.details.get("error_code")})
        queues.dead_letter(config.national_sync_dlq_url, record.body, code=error.code,
                           reason=str(error.details.get("reason") or error.details.get("error_code") or error.code),
                           group_id=record.attributes.message_group_id)
        return
    except PortalUnavailable as error:
        logger.warning("national portal unavailable: retried", extra={
            "message_id": record.message_id, "error_code": error.details.get("error_code"),
            "reason": error.details.get("reason"), "http_status": error.details.get("http_status")})
        raise
    logger.info("synced", extra={"message_id": record.message_id, **result.as_dict()})


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    response = process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    for raw in event.get("Records", []):
        if raw["messageId"] in failed:  # the failed record and its dossier's later ones skipped behind it
            receives = int(raw.get("attributes", {}).get("ApproximateReceiveCount") or 1)
            queues.retry_later(config.national_sync_queue_url, raw["receiptHandle"], backoff_s(receives))
    return response


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
