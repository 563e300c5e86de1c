"""The Motcua stack, generated entirely from ``infra/declaration.py`` and ``motcua.data.table``.

Adding a Function, Queue, Bucket or trigger to the declaration adds its resources here with no change to
this file: every construct below iterates over the declaration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, CfnOutput, Stack
from constructs import Construct

from infra import declaration as d
from infra.constructs import constants as c
from infra.constructs import packaging
from infra.constructs.api import Api
from infra.constructs.auth import Auth
from infra.constructs.database import Database
from infra.constructs.functions import Functions
from infra.constructs.monitoring import Monitoring
from infra.constructs.naming import construct_name
from infra.constructs.notifications import Notifications
from infra.constructs.queues import Queues
from infra.constructs.resources import Resources
from infra.constructs.schedules import Schedules
from infra.constructs.stages import DEFAULT_STAGE, STAGES, Stage
from infra.constructs.storage import Storage


@dataclass(frozen=True)
class StackDeclaration:
    """What the stack is built from; defaults to the project's one declaration (tests may extend it)."""

    functions: tuple[d.Function, ...] = d.FUNCTIONS
    queues: tuple[d.Queue, ...] = d.QUEUES
    buckets: tuple[d.Bucket, ...] = d.BUCKETS
    common_environment: Mapping[str, d.Ref | str] = field(default_factory=lambda: dict(d.COMMON_ENVIRONMENT))


class MotcuaStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: Stage = STAGES[DEFAULT_STAGE],
        declaration: StackDeclaration | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, description=f"{c.STACK_DESCRIPTION} [{stage.name}]", **kwargs)
        spec = declaration or StackDeclaration()
        self.stage = stage
        allowed_origins = self._context_list(c.CTX_ALLOWED_ORIGINS, c.DEFAULT_ALLOWED_ORIGINS)

        database = Database(self, "Database")
        queues = Queues(self, "Queues", spec.queues)
        storage = Storage(
            self,
            "Storage",
            spec.buckets,
            allowed_origins,
            lock_days=int(self.node.try_get_context(c.CTX_DOCUMENT_LOCK_DAYS) or stage.document_lock_days),
        )
        auth = Auth(self, "Auth")
        if vneid := self._context_object(c.CTX_VNEID):  # off unless configured
            auth.federate(d.VNEID, vneid)
        notifications = Notifications(self, "Notifications")
        resources = Resources(
            scope=self,
            tables=database.tables,
            table_indexes=database.index_names,
            queues={**queues.queues, **queues.dlqs},
            queue_specs={q.name: q for q in spec.queues},
            buckets=storage.buckets,
            senders=self._context_map(c.CTX_SENDERS),
            settings=self._context_map(c.CTX_SETTINGS),
            topic_factory=notifications.topic,
            push_applications=self._context_map(c.CTX_PUSH_APPLICATIONS),
        )
        functions = Functions(
            self,
            "Functions",
            declared=spec.functions,
            common_environment=spec.common_environment,
            resources=resources,
            code_dir=packaging.stage_code(),
            layer_dir=self._dependencies_layer_dir(),
            reserved_concurrency=self._reserved_concurrency(spec.functions),
        )
        auth.wire_triggers(spec.functions, functions.functions)
        api = None
        if any(isinstance(t, d.HttpTrigger) for f in spec.functions for t in f.triggers):
            api = Api(
                self,
                "Api",
                declared=spec.functions,
                functions=functions.functions,
                user_pool=auth.user_pool,
                user_pool_clients=auth.clients,
                allowed_origins=allowed_origins,
            )
        dlqs = dict(queues.dlqs)
        if any(isinstance(t, d.ScheduleTrigger) for f in spec.functions for t in f.triggers):
            schedules = Schedules(self, "Schedules", declared=spec.functions, functions=functions.functions)
            dlqs["schedules-dlq"] = schedules.dlq
        monitoring = Monitoring(
            self,
            "Monitoring",
            dashboard_name=construct_id,
            dlqs=dlqs,
            queues={q.name: (queues.queues[q.name], q) for q in spec.queues},
            functions={f.name: (functions.functions[f.name], f) for f in spec.functions},
            table=database.table,
            http_api=api.http_api if api else None,
            alarm_email=self.node.try_get_context(c.CTX_ALARM_EMAIL) or None,
        )

        # Outputs: what end-to-end tests, the front ends and operators need to find.
        if api:
            CfnOutput(self, "ApiUrl", value=api.url)
        CfnOutput(self, "UserPoolId", value=auth.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=auth.client.user_pool_client_id)
        CfnOutput(self, "TableName", value=database.table.table_name)
        CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn)
        for name, bucket in storage.buckets.items():
            CfnOutput(self, f"{construct_name(name)}BucketName", value=bucket.bucket_name)
        for name, queue in {**queues.queues, **queues.dlqs}.items():
            CfnOutput(self, f"{construct_name(name)}QueueUrl", value=queue.queue_url)

    def _dependencies_layer_dir(self) -> Path:
        if self._context_flag(c.CTX_PLACEHOLDER_LAYER):
            Annotations.of(self).add_warning_v2(
                c.CTX_PLACEHOLDER_LAYER,
                f"Synthesised with an EMPTY placeholder dependency layer ({c.CTX_PLACEHOLDER_LAYER}): for template "
                "tests only, the functions of this assembly cannot import their dependencies. Never deploy it.",
            )
            return packaging.placeholder_layer_dir()
        layer_dir = packaging.built_layer_dir(c.LAMBDA_ARCHITECTURE)
        if layer_dir is None:
            raise packaging.LayerNotBuilt(
                f"the dependency layer for {c.LAMBDA_ARCHITECTURE} is not built from the current "
                f"{c.REQUIREMENTS_LOCK} ({c.LAYER_DIR / c.LAMBDA_ARCHITECTURE}): run `make package` first "
                f"(template tests may pass -c {c.CTX_PLACEHOLDER_LAYER}=true to synthesise a non-deployable stack)"
            )
        return layer_dir

    def _reserved_concurrency(self, declared: tuple[d.Function, ...]) -> dict[str, int]:
        """The declared reservations in stages that reserve, with `motcua:reservedConcurrency` on top."""
        if self.node.try_get_context(c.CTX_RESERVED_CONCURRENCY) == "off":
            return {}
        reserved = {
            f.name: f.reserved_concurrency
            for f in declared
            if f.reserved_concurrency is not None and self.stage.reserve_concurrency
        }
        overrides = self._context_map(c.CTX_RESERVED_CONCURRENCY)
        unknown = set(overrides) - {f.name for f in declared}
        if unknown:
            raise ValueError(f"{c.CTX_RESERVED_CONCURRENCY}: no declared function {sorted(unknown)}")
        return {**reserved, **{name: int(value) for name, value in overrides.items()}}

    # Context values come from cdk.json (JSON types) or from `-c key=value` (always strings).
    def _context_flag(self, key: str) -> bool:
        value = self.node.try_get_context(key)
        return value is True or (isinstance(value, str) and value.lower() in {"1", "true", "yes"})

    def _context_list(self, key: str, default: tuple[str, ...]) -> list[str]:
        value = self.node.try_get_context(key)
        if value is None:
            return list(default)
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return [str(item) for item in value]

    def _context_object(self, key: str) -> dict[str, Any]:
        value = self.node.try_get_context(key) or {}
        return dict(json.loads(value) if isinstance(value, str) else value)

    def _context_map(self, key: str) -> dict[str, str]:
        value = self.node.try_get_context(key) or {}
        if isinstance(value, str):
            value = json.loads(value)
        return {str(k): str(v) for k, v in value.items()}
