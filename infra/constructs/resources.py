"""Resolves the declaration's references (``Ref``) and permissions to the stack's real resources."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra import declaration as d
from infra.constructs import constants as c

T = TypeVar("T")


class UndeclaredResourceError(KeyError):
    """A Ref or Permission names a resource the declaration does not define: fail the synth, loudly."""


@dataclass
class Resources:
    scope: Construct
    tables: Mapping[str, dynamodb.Table]
    table_indexes: tuple[str, ...]
    queues: Mapping[str, sqs.Queue]  # declared queues and their DLQs (by ``declaration.dlq_name``)
    queue_specs: Mapping[str, d.Queue]
    buckets: Mapping[str, s3.Bucket]
    senders: Mapping[str, str]  # sender name -> e-mail address (context)
    settings: Mapping[str, str]  # setting name -> value (context); others come from SSM at deploy
    topic_factory: Callable[[str], sns.Topic]
    push_applications: Mapping[str, str] = field(default_factory=dict)  # platform -> ARN (context)
    _topics: dict[str, sns.Topic] = field(default_factory=dict)

    @staticmethod
    def _lookup(kind: str, items: Mapping[str, T], name: str) -> T:
        try:
            return items[name]
        except KeyError:
            known = ", ".join(sorted(items)) or "none"
            raise UndeclaredResourceError(f"{kind} {name!r} is not declared (declared: {known})") from None

    def table(self, name: str) -> dynamodb.Table:
        return self._lookup("table", self.tables, name)

    def queue(self, name: str) -> sqs.Queue:
        return self._lookup("queue", self.queues, name)

    def bucket(self, name: str) -> s3.Bucket:
        return self._lookup("bucket", self.buckets, name)

    def sender(self, name: str) -> str:
        if name not in self.senders and "main" in self.senders:
            # As the local runner does: other senders are mailboxes of the main sender's domain.
            return f"{name}@{self.senders['main'].rpartition('@')[2]}"
        return self._lookup(f"sender (context {c.CTX_SENDERS})", self.senders, name)

    def topic(self, name: str) -> sns.Topic:
        if name not in self._topics:
            self._topics[name] = self.topic_factory(name)
        return self._topics[name]

    def setting(self, name: str) -> str:
        if name in self.settings:
            return self.settings[name]
        declared: Mapping[str, object] = getattr(d, "SETTINGS", {})  # defaults the declaration may carry
        if name in declared:
            return str(declared[name])
        # Resolved by CloudFormation at deploy time: synthesis stays offline, the value stays out of git.
        return ssm.StringParameter.value_for_string_parameter(self.scope, c.SETTINGS_SSM_PREFIX + name)

    def push_application(self, name: str) -> str:
        """The SNS platform application's ARN: from the context, else from SSM at deploy time (as settings)."""
        if name not in d.PUSH_PLATFORMS:
            raise UndeclaredResourceError(f"push platform {name!r} is not declared ({', '.join(d.PUSH_PLATFORMS)})")
        if name in self.push_applications:
            return self.push_applications[name]
        return ssm.StringParameter.value_for_string_parameter(self.scope, c.PUSH_SSM_PREFIX + name)

    def resolve(self, value: d.Ref | str) -> str:
        if isinstance(value, str):
            return value
        match value.kind:
            case "table":
                return self.table(value.name).table_name
            case "queue_url":
                return self.queue(value.name).queue_url
            case "bucket":
                return self.bucket(value.name).bucket_name
            case "sender":
                return self.sender(value.name)
            case "topic":
                return self.topic(value.name).topic_arn
            case "setting":
                return self.setting(value.name)
            case "secret":
                return self.secret_prefix(value.name)
            case "push_app":
                return self.push_application(value.name)
        raise ValueError(f"unsupported reference kind {value.kind!r}")

    @staticmethod
    def secret_prefix(name: str) -> str:
        """A family of Secrets Manager secrets shares one name prefix, ``<service>/<name>/`` (e.g. the
        agencies' signing keys, ``motcua/signing/<agency code>``). Operators create the secrets, not the stack:
        key material never passes through a template."""
        return f"{d.SERVICE}/{name}/"

    def arn(self, service: str, resource: str) -> str:
        """An ARN in this stack's partition, region and account."""
        return Stack.of(self.scope).format_arn(service=service, resource=resource)
