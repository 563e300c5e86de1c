"""Alarms and one dashboard. Every alarm goes to one topic:

- any message in a dead-letter queue, and a queue's oldest message older than its declared limit;
- any API 5xx;
- per function: any error, any throttle, and an invocation that used most of its timeout;
- the table: any throttled request and any DynamoDB system error.

The topic is encrypted with a customer-managed key because CloudWatch alarms cannot publish to a topic
encrypted with the AWS-managed `aws/sns` key (its key policy cannot grant CloudWatch).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_apigatewayv2 import HttpApi
from constructs import Construct

from infra import declaration as d
from infra.constructs import constants as c
from infra.constructs.naming import construct_name

# The table operations the data layer uses (the alarm sums them: one math expression per alarm).
TABLE_OPERATIONS = (
    dynamodb.Operation.GET_ITEM,
    dynamodb.Operation.BATCH_GET_ITEM,
    dynamodb.Operation.QUERY,
    dynamodb.Operation.PUT_ITEM,
    dynamodb.Operation.UPDATE_ITEM,
    dynamodb.Operation.DELETE_ITEM,
    dynamodb.Operation.BATCH_WRITE_ITEM,
    dynamodb.Operation.TRANSACT_WRITE_ITEMS,
)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        dlqs: Mapping[str, sqs.IQueue],
        queues: Mapping[str, tuple[sqs.IQueue, d.Queue]],
        functions: Mapping[str, tuple[lambda_.IFunction, d.Function]],
        table: dynamodb.ITable,
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
        period = Duration.seconds(c.ALARM_PERIOD_S)
        for name, (queue, declared) in sorted(queues.items()):
            self._alarm(
                f"{construct_name(name)}OldestMessage",
                queue.metric_approximate_age_of_oldest_message(period=period, statistic=cloudwatch.Stats.MAXIMUM),
                threshold=declared.max_message_age_s,
                description=f"A message has waited over {declared.max_message_age_s}s in queue {name}: its consumer "
                            "is failing or falling behind.",
                action=action,
            )
        for name, (function, spec) in sorted(functions.items()):
            prefix = construct_name(name)
            self._alarm(
                f"{prefix}Errors",
                function.metric_errors(period=period, statistic=cloudwatch.Stats.SUM),
                threshold=c.FUNCTION_ERROR_THRESHOLD,
                description=f"Function {name} raised unhandled errors.",
                action=action,
            )
            self._alarm(
                f"{prefix}Throttles",
                function.metric_throttles(period=period, statistic=cloudwatch.Stats.SUM),
                threshold=c.FUNCTION_THROTTLE_THRESHOLD,
                description=f"Function {name} was throttled: its reserved concurrency or the account's is too low.",
                action=action,
            )
            near_timeout_ms = round(spec.timeout_s * 1000 * c.DURATION_ALARM_FRACTION)
            self._alarm(
                f"{prefix}NearTimeout",
                function.metric_duration(period=period, statistic=cloudwatch.Stats.MAXIMUM),
                threshold=near_timeout_ms,
                description=f"An invocation of {name} ran {near_timeout_ms} ms of its {spec.timeout_s} s timeout.",
                action=action,
            )
        table_throttles = table.metric_throttled_requests_for_operations(operations=list(TABLE_OPERATIONS),
                                                                           period=period)
        self._alarm(
            "TableThrottles",
            table_throttles,
            threshold=c.DYNAMODB_THROTTLE_THRESHOLD,
            description="DynamoDB throttled requests on the table (on-demand: a hot key or a sudden burst).",
            action=action,
        )
        table_errors = table.metric_system_errors_for_operations(operations=list(TABLE_OPERATIONS), period=period)
        self._alarm(
            "TableSystemErrors",
            table_errors,
            threshold=c.DYNAMODB_SYSTEM_ERROR_THRESHOLD,
            description="DynamoDB answered with system errors (HTTP 500): retried by the SDK, watched here.",
            action=action,
        )
        self.dashboard = self._dashboard(
            dashboard_name, dlqs, queues, functions, http_api, table_throttles, table_errors, period
        )

    def _dashboard(
        self,
        name: str,
        dlqs: Mapping[str, sqs.IQueue],
        queues: Mapping[str, tuple[sqs.IQueue, d.Queue]],
        functions: Mapping[str, tuple[lambda_.IFunction, d.Function]],
        http_api: HttpApi | None,
        table_throttles: cloudwatch.IMetric,
        table_errors: cloudwatch.IMetric,
        period: Duration,
    ) -> cloudwatch.Dashboard:
        """One page for the on-call official: the API, each function, each queue, the table, the alarms."""
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=name)
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24),
        )
        if http_api is not None:
            dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="API requests and errors",
                    left=[http_api.metric_count(period=period)],
                    right=[http_api.metric_client_error(period=period), http_api.metric_server_error(period=period)],
                    width=12,
                ),
                cloudwatch.GraphWidget(
                    title="API latency p99 (ms)",
                    left=[http_api.metric_latency(period=period, statistic="p99")],
                    width=12,
                ),
            )
        for name_, (function, _) in sorted(functions.items()):
            dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title=f"{name_}: invocations, errors, throttles",
                    left=[function.metric_invocations(period=period)],
                    right=[function.metric_errors(period=period), function.metric_throttles(period=period)],
                    width=12,
                ),
                cloudwatch.GraphWidget(
                    title=f"{name_}: duration p99 and max (ms)",
                    left=[
                        function.metric_duration(period=period, statistic="p99"),
                        function.metric_duration(period=period, statistic=cloudwatch.Stats.MAXIMUM),
                    ],
                    width=12,
                ),
            )
        for name_, (queue, _) in sorted(queues.items()):
            dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title=f"queue {name_}: waiting and oldest age (s)",
                    left=[queue.metric_approximate_number_of_messages_visible(period=period)],
                    right=[queue.metric_approximate_age_of_oldest_message(period=period,
                                                                          statistic=cloudwatch.Stats.MAXIMUM)],
                    width=12,
                ),
            )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="dead-letter queues: waiting",
                left=[dlq.metric_approximate_number_of_messages_visible(period=period, label=name_)
                      for name_, dlq in sorted(dlqs.items())],
                width=12,
            ),
        )
        # Two widgets: both math expressions name their per-operation metrics alike, which one graph refuses.
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="table: throttled requests", left=[table_throttles], width=12),
            cloudwatch.GraphWidget(title="table: system errors", left=[table_errors], width=12),
        )
        return dashboard

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
