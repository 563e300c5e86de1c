"""SQS queues from the declaration, each with its dead-letter queue (redrive after max_receive_count)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import declaration as d
from infra.constructs import constants as c
from infra.constructs.naming import construct_name


class Queues(Construct):
    """Names are left to CloudFormation (FIFO ones get their `.fifo` suffix); URLs reach code via Ref."""

    def __init__(self, scope: Construct, construct_id: str, declared: Sequence[d.Queue]) -> None:
        super().__init__(scope, construct_id)
        self.queues: dict[str, sqs.Queue] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        for spec in declared:
            name = construct_name(spec.name)
            fifo = True if spec.fifo else None  # CloudFormation rejects FifoQueue: false on some paths
            # Producers normally pass a MessageDeduplicationId (their business key); the declaration may opt
            # into content-based deduplication, as the local runner honours.
            dedup = True if spec.fifo and getattr(spec, "content_based_deduplication", False) else None
            dlq = sqs.Queue(
                self,
                f"{name}Dlq",
                fifo=fifo,
                content_based_deduplication=dedup,
                retention_period=Duration.days(c.DLQ_RETENTION_DAYS),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            queue = sqs.Queue(
                self,
                name,
                fifo=fifo,
                content_based_deduplication=dedup,
                visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
                retention_period=Duration.days(spec.retention_days),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
            )
            self.queues[spec.name] = queue
            self.dlqs[d.dlq_name(spec.name)] = dlq
