"""One Lambda function per declared Function: its own log group, its own least-privilege role, its queues.

Permissions are spelled out action by action from the declaration (no ``grant_read_write`` with its
wildcards), so the role says exactly what the function may do. The few wildcards AWS forces on us are
acknowledged here, next to the statement that needs them, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import declaration as d
from infra.constructs import constants as c
from infra.constructs.nag import acknowledge
from infra.constructs.naming import construct_name
from infra.constructs.packaging import LAYER_STAMP
from infra.constructs.resources import Resources

# Item-level actions only: no Scan (every access pattern is a key or index query) and no table admin.
# ConditionCheckItem is how TransactWriteItems checks a condition on an item it does not write.
TABLE_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "read": (
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DescribeTable",
    ),
    "write": (
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",  # Powertools idempotency deletes its in-progress record on failure
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
    ),
}
QUEUE_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "send": ("sqs:SendMessage",),
    "consume": (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    ),
}
BUCKET_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "read": ("s3:GetObject",),
    "write": ("s3:PutObject",),
}
SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)
EMAIL_ACTIONS = ("ses:SendEmail", "ses:SendRawEmail")
SMS_ACTIONS = ("sns:Publish",)
# App push: the API registers devices (one platform endpoint each), the notifier publishes to them and deletes
# the ones SNS reports disabled.
PUSH_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "register": ("sns:CreatePlatformEndpoint", "sns:GetEndpointAttributes", "sns:SetEndpointAttributes",
                 "sns:DeleteEndpoint"),
    "send": ("sns:Publish", "sns:DeleteEndpoint"),
}
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
VISIBILITY_TIMEOUT_FACTOR = 6

RUNTIME_REASON = (
    "Python 3.11 on purpose: pyproject pins requires-python <3.12, the tests and the dependency layer's "
    "cp311 wheels use it, and AWS supports it until mid-2027. Moving up is one constant and a lock update."
)
XRAY_REASON = "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (AWS docs)."
SMS_REASON = "SNS Publish straight to a phone number (SMS) has no resource ARN: AWS requires Resource '*' for it."
SIGNING_KEYS_REASON = (
    "One secret per agency under the declared name prefix (motcua/<name>/<agency code>), created by operators "
    "as agencies join; only GetSecretValue, only on that prefix."
)
SECRET_REASONS: Mapping[str, str] = {"signing": SIGNING_KEYS_REASON}
SUFFIXED_ARN_REASON = (
    "Secrets Manager appends a random suffix to every secret's ARN, so a secret is named by its declared prefix "
    "(motcua/<name>/); only GetSecretValue, only on that prefix."
)
PUSH_ENDPOINTS_REASON = (
    "SNS names a device's platform endpoint at run time (endpoint/<platform>/<application>/<uuid>), one per "
    "registered device; the platform application itself is configuration, its ARN possibly an SSM value only "
    "known at deploy time. Only the listed endpoint actions, only on this account's and region's endpoints."
)
BUCKET_OBJECTS_REASON = (
    "Object keys are generated per dossier and per upload at run time; access is limited to the objects "
    "of this one declared bucket and to the listed object actions (no List, no bucket administration)."
)


def _split(access: str) -> tuple[str, ...]:
    return ("read", "write") if access == "read_write" else (access,)


def _actions(table: Mapping[str, tuple[str, ...]], permission: d.Permission) -> list[str]:
    try:
        groups = [table[part] for part in _split(permission.access)]
    except KeyError:
        raise ValueError(
            f"access {permission.access!r} is not valid for a {permission.kind} permission "
            f"(valid: {', '.join(table)}{', read_write' if 'read' in table else ''})"
        ) from None
    return sorted({action for group in groups for action in group})


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        declared: Sequence[d.Function],
        common_environment: Mapping[str, d.Ref | str],
        resources: Resources,
        code_dir: Path,
        layer_dir: Path,
        reserved_concurrency: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._resources = resources
        self._reserved = dict(reserved_concurrency or {})
        self.runtime = lambda_.Runtime(c.LAMBDA_RUNTIME, lambda_.RuntimeFamily.PYTHON)
        self.architecture = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}[
            c.LAMBDA_ARCHITECTURE
        ]
        # One code asset and one layer, shared by every function (see infra/constructs/packaging.py).
        code = lambda_.Code.from_asset(str(code_dir))
        self.layer = lambda_.LayerVersion(
            self,
            "DependenciesLayer",
            description="Motcua runtime dependencies (pyproject [project] dependencies, requirements.lock)",
            code=lambda_.Code.from_asset(str(layer_dir), exclude=[LAYER_STAMP]),
            compatible_runtimes=[self.runtime],
            compatible_architectures=[self.architecture],
        )
        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        for spec in declared:
            if spec.name in self.functions:
                raise ValueError(f"function {spec.name!r} is declared twice")
            self._add(spec, common_environment, code, [self.layer])

    def _add(
        self,
        spec: d.Function,
        common_environment: Mapping[str, d.Ref | str],
        code: lambda_.Code,
        layers: Sequence[lambda_.ILayerVersion],
    ) -> None:
        name = construct_name(spec.name)
        log_group = logs.LogGroup(self, f"{name}Logs", retention=logs.RetentionDays[c.LOG_RETENTION])
        role = iam.Role(
            self,
            f"{name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Motcua {spec.name} function: only what its declaration grants",
        )
        # Instead of AWSLambdaBasicExecutionRole (logs on every group): only this function's group.
        role.add_to_policy(iam.PolicyStatement(actions=list(LOG_ACTIONS), resources=[log_group.log_group_arn]))
        wildcard_reasons: dict[str, str] = {"Resource::*": XRAY_REASON}
        for permission in spec.permissions:
            self._grant(role, permission, wildcard_reasons)

        environment = {**common_environment, **spec.environment}
        function = lambda_.Function(
            self,
            name,
            description=spec.description,
            runtime=self.runtime,
            architecture=self.architecture,
            handler=spec.handler,
            code=code,
            layers=list(layers),
            role=role,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            environment={key: self._resources.resolve(value) for key, value in sorted(environment.items())},
            tracing=lambda_.Tracing.ACTIVE,
            reserved_concurrent_executions=self._reserved.get(spec.name),
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
        )
        for trigger in spec.triggers:
            if isinstance(trigger, d.QueueTrigger):
                self._subscribe(function, spec, trigger)

        for finding, reason in sorted(wildcard_reasons.items()):
            acknowledge(role, f"AwsSolutions-IAM5[{finding}]", reason)
        acknowledge(function, "AwsSolutions-L1", RUNTIME_REASON)
        self.functions[spec.name] = function
        self.roles[spec.name] = role

    def _grant(self, role: iam.Role, permission: d.Permission, wildcard_reasons: dict[str, str]) -> None:
        r = self._resources
        match permission.kind:
            case "table":
                table = r.table(permission.name)
                _actions(TABLE_ACTIONS, permission)  # validates the access
                for part in _split(permission.access):
                    # Queries may use any of the table's indexes; writes go to the table only.
                    indexes = [f"{table.table_arn}/index/{i}" for i in r.table_indexes] if part == "read" else []
                    role.add_to_policy(
                        iam.PolicyStatement(actions=list(TABLE_ACTIONS[part]), resources=[table.table_arn, *indexes])
                    )
                return
            case "queue":
                resources = [r.queue(permission.name).queue_arn]
                actions = _actions(QUEUE_ACTIONS, permission)
            case "bucket":
                bucket = r.bucket(permission.name)
                resources = [bucket.arn_for_objects("*")]
                actions = _actions(BUCKET_ACTIONS, permission)
                stack = Stack.of(self)
                logical_id = stack.resolve(stack.get_logical_id(bucket.node.default_child))  # type: ignore[arg-type]
                wildcard_reasons[f"Resource::<{logical_id}.Arn>/*"] = BUCKET_OBJECTS_REASON
            case "email":
                _actions({"send": EMAIL_ACTIONS}, permission)
                address = r.sender(permission.name)
                domain = address.rpartition("@")[2]
                role.add_to_policy(
                    iam.PolicyStatement(
                        actions=list(EMAIL_ACTIONS),
                        # SES authorises against whichever identity is verified: the address or its domain.
                        resources=[r.arn("ses", f"identity/{address}"), r.arn("ses", f"identity/{domain}")],
                        conditions={"StringEquals": {"ses:FromAddress": address}},
                    )
                )
                return
            case "secret":
                actions = _actions({"read": SECRET_ACTIONS}, permission)
                prefix = r.secret_prefix(permission.name)
                resources = [r.arn("secretsmanager", f"secret:{prefix}*")]
                wildcard_reasons[
                    f"Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:{prefix}*"
                ] = SECRET_REASONS.get(permission.name, SUFFIXED_ARN_REASON)
            case "push":
                actions = _actions(PUSH_ACTIONS, permission)
                endpoints = r.arn("sns", "endpoint/*")
                if permission.access == "register":
                    # CreatePlatformEndpoint is authorised on the platform application.
                    role.add_to_policy(iam.PolicyStatement(actions=["sns:CreatePlatformEndpoint"],
                                                           resources=[r.push_application(permission.name)]))
                    actions = [a for a in actions if a != "sns:CreatePlatformEndpoint"]
                resources = [endpoints]
                wildcard_reasons[
                    "Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:endpoint/*"
                ] = PUSH_ENDPOINTS_REASON
            case "sms":
                actions = _actions({"send": SMS_ACTIONS}, permission)
                resources = ["*"]
                wildcard_reasons["Resource::*"] = f"{XRAY_REASON} {SMS_REASON}"
            case _:
                raise ValueError(f"unsupported permission kind {permission.kind!r}")
        role.add_to_policy(iam.PolicyStatement(actions=actions, resources=resources))

    def _subscribe(self, function: lambda_.Function, spec: d.Function, trigger: d.QueueTrigger) -> None:
        queue = self._resources.queue(trigger.queue)
        declared_queue = self._resources.queue_specs.get(trigger.queue)
        # AWS: "at least six times the timeout that you configure on your function", plus the batching
        # window, so a batch retried after a throttle or a slow attempt does not run twice at once.
        needed = VISIBILITY_TIMEOUT_FACTOR * spec.timeout_s + trigger.max_batching_window_s
        if declared_queue is not None and declared_queue.visibility_timeout_s < needed:
            window = trigger.max_batching_window_s
            raise ValueError(
                f"queue {trigger.queue!r}: visibility timeout {declared_queue.visibility_timeout_s}s is shorter "
                f"than {VISIBILITY_TIMEOUT_FACTOR}x function {spec.name!r} timeout {spec.timeout_s}s"
                f"{f' plus its {window}s batching window' if window else ''} ({needed}s)"
            )
        fifo = declared_queue is not None and declared_queue.fifo
        if fifo and trigger.max_batching_window_s:
            raise ValueError(f"queue {trigger.queue!r} is FIFO: Lambda allows no batching window on it")
        function.add_event_source(
            sources.SqsEventSource(
                queue,
                batch_size=trigger.batch_size,
                max_batching_window=(
                    Duration.seconds(trigger.max_batching_window_s) if trigger.max_batching_window_s else None
                ),
                # One poison message must not re-drive its whole batch (Powertools BatchProcessor).
                report_batch_item_failures=True,
                # With a reservation, the poller must not invoke beyond it: throttled batches go back to the
                # queue and count as receives, walking good messages into the DLQ (Lambda's minimum is 2).
                max_concurrency=(
                    reserved if (reserved := self._reserved.get(spec.name)) is not None and reserved >= 2 else None
                ),
            )
        )
