"""Alarms: any message in a dead-letter queue, any API 5xx, any function error. All go to one topic.

The topic is encrypted with a customer-managed key because CloudWatch alarms cannot publish to a topic
encrypted with the AWS-managed `aws/sns` key (its key policy cannot grant CloudWatch).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_apigatewayv2 import HttpApi
from constructs import Construct

from infra.constructs import constants as c
from infra.constructs.naming import construct_name


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dlqs: Mapping[str, sqs.IQueue],
        functions: Mapping[str, lambda_.IFunction],
        http_api: HttpApi | None,
        alarm_email: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Motcua alarm topic encryption (CloudWatch must be able to use it)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(self, "AlarmTopic", master_key=key, enforce_ssl=True)
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        for name, dlq in sorted(dlqs.items()):
            self._alarm(
                f"{construct_name(name)}Depth",
                dlq.metric_approximate_number_of_messages_visible(
                    period=Duration.seconds(c.ALARM_PERIOD_S), statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=1,
                description=f"Messages are waiting in dead-letter queue {name}: inspect, fix, redrive.",
                action=action,
            )
        if http_api is not None:
            self._alarm(
                "Api5xx",
                http_api.metric_server_error(period=Duration.seconds(c.ALARM_PERIOD_S), statistic=cloudwatch.Stats.SUM),
                threshold=c.API_5XX_THRESHOLD,
                description="The API answered 5xx: every client error should be a 4xx, so this is a bug.",
                action=action,
            )
        for name, function in sorted(functions.items()):
            self._alarm(
                f"{construct_name(name)}Errors",
                function.metric_errors(period=Duration.seconds(c.ALARM_PERIOD_S), statistic=cloudwatch.Stats.SUM),
                threshold=c.FUNCTION_ERROR_THRESHOLD,
                description=f"Function {name} raised unhandled errors.",
                action=action,
            )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        action: cloudwatch.IAlarmAction,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms.append(alarm)
