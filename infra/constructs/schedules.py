"""EventBridge Scheduler schedules for declared ScheduleTriggers, in the declared time zone.

Scheduler retries a failed invocation a few times, then parks the event in a dead-letter queue that is
alarmed like every other DLQ (a missed SLA sweep must be seen, not silently lost).

Written with the L1 ``CfnSchedule`` and one role per scheduled function: the L2 ``LambdaInvoke`` target
also grants ``<function arn>:*`` (every version and alias), a wildcard we neither need nor want to
acknowledge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra import declaration as d
from infra.constructs import constants as c
from infra.constructs.nag import acknowledge
from infra.constructs.naming import construct_name
from infra.constructs.queues import dead_letter_queue


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
        self.schedules: list[scheduler.CfnSchedule] = []
        self.group = scheduler.ScheduleGroup(self, "Group")
        self.dlq = dead_letter_queue(self, "Dlq", d.Queue("schedules").dead_letter())
        acknowledge(
            self.dlq,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: EventBridge Scheduler's, for failed invocations of "
            "scheduled functions (alarmed in Monitoring).",
        )
        account = Stack.of(self).account
        for spec in declared:
            triggers = [t for t in spec.triggers if isinstance(t, d.ScheduleTrigger)]
            if not triggers:
                continue
            name = construct_name(spec.name)
            function = functions[spec.name]
            role = iam.Role(
                self,
                f"{name}InvokeRole",
                description=f"EventBridge Scheduler: invoke the {spec.name} function, park failures in the DLQ",
                # Confused-deputy guard: only this account's schedules may assume it.
                assumed_by=iam.ServicePrincipal(
                    "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": account}}
                ),
            )
            role.add_to_policy(
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn])
            )
            role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.dlq.queue_arn]))
            for number, trigger in enumerate(triggers, start=1):
                suffix = "" if len(triggers) == 1 else str(number)
                self.schedules.append(
                    scheduler.CfnSchedule(
                        self,
                        f"{name}Schedule{suffix}",
                        description=f"{spec.name}: {trigger.expression} ({trigger.timezone})",
                        schedule_expression=trigger.expression,
                        schedule_expression_timezone=trigger.timezone,
                        flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                        group_name=self.group.schedule_group_name,
                        state="ENABLED",
                        target=scheduler.CfnSchedule.TargetProperty(
                            arn=function.function_arn,
                            role_arn=role.role_arn,
                            dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=self.dlq.queue_arn),
                            retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                                maximum_retry_attempts=c.SCHEDULE_RETRY_ATTEMPTS,
                                maximum_event_age_in_seconds=c.SCHEDULE_MAX_EVENT_AGE_S,
                            ),
                        ),
                    )
                )
