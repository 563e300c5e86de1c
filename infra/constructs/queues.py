"""SQS queues from the declaration, each with its dead-letter queue (redrive after max_receive_count)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import declaration as d
from infra.constructs.naming import construct_name


def dead_letter_queue(scope: Construct, construct_id: str, spec: d.Queue) -> sqs.Queue:
    """A DLQ as the declaration describes it (``Queue.dead_letter``): the queues' and the scheduler's."""
    return sqs.Queue(
        scope,
        construct_id,
        fifo=True if spec.fifo else None,  # CloudFormation rejects FifoQueue: false on some paths
        retention_period=Duration.days(spec.retention_days),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )


class Queues(Construct):
    """Names are left to CloudFormation (FIFO ones get their `.fifo` suffix); URLs reach code via Ref."""

    def __init__(self, scope: Construct, construct_id: str, declared: Sequence[d.Queue]) -> None:
        super().__init__(scope, construct_id)
        self.queues: dict[str, sqs.Queue] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        for spec in declared:
            name = construct_name(spec.name)
            dlq = dead_letter_queue(self, f"{name}Dlq", spec.dead_letter())
            queue = sqs.Queue(
                self,
                name,
                fifo=True if spec.fifo else None,
                visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
                retention_period=Duration.days(spec.retention_days),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
            )
            self.queues[spec.name] = queue
            self.dlqs[d.dlq_name(spec.name)] = dlq
