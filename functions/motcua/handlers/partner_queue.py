"""A partner connector's FIFO queue (grouped by dossier), consumed the one way the national sync and the
postal orders both need (docs/integrations.md):

* a record that can never go through (the service's own refusal: malformed, unknown, refused by the partner)
  is parked in the DLQ at once with its code and reason, and its dossier's next records go on;
* the partner not answering (timeout, 5xx) fails the record: it and its dossier's later records return to the
  queue after a backoff that doubles with each receive (bounded), other dossiers go on; after the queue's
  ``max_receive_count`` SQS parks it in the DLQ, which is alarmed.

Log lines carry ids and codes, never a record's content.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from motcua.data import queues
from motcua.domain.errors import MotcuaError


class PartnerQueue:
    def __init__(self, *, queue_url: str, dlq_url: str, retry_base_s: float, retry_max_s: float,
                 logger: Logger, partner: str) -> None:
        self.queue_url, self.dlq_url = queue_url, dlq_url
        self.retry_base_s, self.retry_max_s = retry_base_s, retry_max_s
        self.logger, self.partner = logger, partner
        self.processor = SqsFifoPartialProcessor(skip_group_on_error=True)
        # A batch in which every record failed is answered with its failures (each with its backoff), not
        # raised: the partner being down is not a bug in this function.
        self.processor.raise_on_entire_batch_failure = False

    def backoff_s(self, receive_count: int) -> int:
        doubled = self.retry_base_s * 2 ** max(receive_count - 1, 0)
        return int(min(self.retry_max_s, doubled))

    def park(self, record: SQSRecord, error: MotcuaError) -> None:
        """The record can never go through: to the DLQ with why, for an operator to fix and redrive."""
        self.logger.warning(f"{self.partner} message parked in the DLQ", extra={
            "code": error.code, "message_id": record.message_id, "error_code": error.details.get("error_code")})
        queues.dead_letter(self.dlq_url, record.body, code=error.code,
                           reason=str(error.details.get("reason") or error.details.get("error_code") or error.code),
                           group_id=record.attributes.message_group_id)

    def unavailable(self, record: SQSRecord, error: MotcuaError) -> None:
        """The partner did not answer: logged; the caller re-raises so the record is retried."""
        self.logger.warning(f"{self.partner} unavailable: retried", extra={
            "message_id": record.message_id, "error_code": error.details.get("error_code"),
            "reason": error.details.get("reason"), "http_status": error.details.get("http_status")})

    def process(self, event: dict[str, Any], context: LambdaContext,
                record_handler: Callable[[SQSRecord], None]) -> PartialItemFailureResponse:
        response = process_partial_response(event=event, record_handler=record_handler,
                                            processor=self.processor, context=context)
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        for raw in event.get("Records", []):
            if raw["messageId"] in failed:  # the failed record and its dossier's later ones skipped behind it
                receives = int(raw.get("attributes", {}).get("ApproximateReceiveCount") or 1)
                queues.retry_later(self.queue_url, raw["receiptHandle"], self.backoff_s(receives))
        return response
