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

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from motcua.data.models import bind
from motcua.data.national_portal import PortalClient, load_connection
from motcua.domain.national_portal import PortalMapping, PortalRefused, PortalUnavailable
from motcua.handlers.partner_queue import PartnerQueue
from motcua.observability import service_logger
from motcua.service.national_sync import NationalSync, SyncMessageInvalid
from motcua.settings import NationalSyncSettings, load

logger = service_logger()
config = load(NationalSyncSettings)
bind(config.table_name)
queue = PartnerQueue(queue_url=config.national_sync_queue_url, dlq_url=config.national_sync_dlq_url,
                     retry_base_s=config.national_sync_retry_base_s, retry_max_s=config.national_sync_retry_max_s,
                     logger=logger, partner="national portal")
_sync: NationalSync | None = None


def sync() -> NationalSync:
    """Built on first use: the connection secret is read once per warm container."""
    global _sync
    if _sync is None:
        mapping = PortalMapping.model_validate_json(config.national_portal_mapping)
        _sync = NationalSync(PortalClient(load_connection(config.national_portal_secret_prefix), mapping), mapping)
    return _sync


def record_handler(record: SQSRecord) -> None:
    try:
        result = sync().deliver(record.body)
    except (SyncMessageInvalid, PortalRefused) as error:
        queue.park(record, error)
        return
    except PortalUnavailable as error:
        queue.unavailable(record, error)
        raise
    logger.info("synced", extra={"message_id": record.message_id, **result.as_dict()})


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return queue.process(event, context, record_handler)


startup.loaded()  # last: the cold start is over (motcua/handlers/startup.py)
