"""EventBridge Scheduler schedules for declared ScheduleTriggers, in the declared time zone.

Scheduler retries a failed invocation a few times, then parks the event in a dead-letter queue that is
alarmed like every other DLQ (a missed SLA sweep must be seen, not silently lost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import TimeZone
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import declaration as d
from infra.constructs import constants as c
from infra.constructs.nag import acknowledge
from infra.constructs.naming import construct_name


class Schedules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        declared: Sequence[d.Function],
        functions: Mapping[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        self.schedules: list[scheduler.Schedule] = []
        self.group = scheduler.ScheduleGroup(self, "Group")
        self.dlq = sqs.Queue(
            self,
            "Dlq",
            retention_period=c.DLQ_RETENTION,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        acknowledge(
            self.dlq,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: EventBridge Scheduler's, for failed invocations of "
            "scheduled functions (alarmed in Monitoring).",
        )
        for spec in declared:
            triggers = [t for t in spec.triggers if isinstance(t, d.ScheduleTrigger)]
            for number, trigger in enumerate(triggers, start=1):
                suffix = "" if len(triggers) == 1 else str(number)
                self.schedules.append(
                    scheduler.Schedule(
                        self,
                        f"{construct_name(spec.name)}Schedule{suffix}",
                        description=f"{spec.name}: {trigger.expression} ({trigger.timezone})",
                        schedule=scheduler.ScheduleExpression.expression(
                            trigger.expression, TimeZone.of(trigger.timezone)
                        ),
                        schedule_group=self.group,
                        target=targets.LambdaInvoke(
                            functions[spec.name],
                            dead_letter_queue=self.dlq,
                            retry_attempts=c.SCHEDULE_RETRY_ATTEMPTS,
                            max_event_age=c.SCHEDULE_MAX_EVENT_AGE,
                        ),
                    )
                )
