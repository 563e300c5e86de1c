"""The environment a handler sees locally, and the local names of the declared resources.

Handler code is the same as in the cloud: boto3 and pynamodb reach DynamoDB Local and moto through the
standard ``AWS_ENDPOINT_URL_<SERVICE>`` variables, with dummy credentials and a fixed region. The
declaration's ``Ref`` values resolve here to local names, as the CDK stack resolves them to its own.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra import declaration
from infra.constructs.constants import CTX_SENDERS, CTX_SETTINGS
from infra.declaration import Function, Ref
from infra.local import ACCOUNT_ID, REGION

# Services served by moto server; each gets its own endpoint variable (boto3 reads them per service).
MOTO_SERVICES = ("SQS", "S3", "SES", "SESV2", "SNS", "SCHEDULER", "EVENTBRIDGE", "STS", "SECRETSMANAGER",
                 "COGNITO_IDENTITY_PROVIDER")
# Secrets the local stack creates in moto (the partners' emulators' connections); the others read nothing
# locally (signing keys come from the local test CA).
LOCAL_SECRETS = ("national-portal", "payment", "postal", "postal-callback")

CDK_JSON = Path(__file__).resolve().parents[2] / "cdk.json"  # read with the stack's own context keys
FALLBACK_SENDER_DOMAIN = "motcua.local"


@functools.cache
def cdk_context() -> dict[str, Any]:
    try:
        context = json.loads(CDK_JSON.read_text(encoding="utf-8")).get("context", {})
    except (OSError, ValueError):
        return {}
    return context if isinstance(context, dict) else {}


@dataclass(frozen=True)
class Endpoints:
    dynamodb: str
    moto: str


def table_name(name: str = "main") -> str:
    return f"{declaration.SERVICE}-{name}"


def queue_name(name: str, fifo: bool) -> str:
    # SQS requires FIFO queue names to end in .fifo; a FIFO queue's DLQ must be FIFO too.
    return f"{declaration.SERVICE}-{name}" + (".fifo" if fifo else "")


def queue_url(endpoints: Endpoints, physical_name: str) -> str:
    """moto's queue URL: ``<endpoint>/<account>/<name>`` (checked against moto's own answer in the tests)."""
    return f"{endpoints.moto}/{ACCOUNT_ID}/{physical_name}"


def queue_arn(physical_name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{physical_name}"


def bucket_name(name: str) -> str:
    return f"{declaration.SERVICE}-{name}-local"


def sender_address(name: str = "main") -> str:
    """The stack's sender address (cdk.json context), so mail reads the same locally; moto sends nothing."""
    configured = cdk_context().get(CTX_SENDERS, {})
    if isinstance(configured, dict) and configured.get(name):
        return str(configured[name])
    return f"no-reply@{FALLBACK_SENDER_DOMAIN}" if name == "main" else f"{name}@{FALLBACK_SENDER_DOMAIN}"


def secret_prefix(name: str) -> str:
    """The stack's prefix of a family of secrets (``infra.constructs.resources.Resources.secret_prefix``)."""
    return f"{declaration.SERVICE}/{name}/"


def topic_arn(name: str) -> str:
    return f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{declaration.SERVICE}-{name}"


# SNS's platform names for the declared push platforms (a platform application's ARN is app/<platform>/<name>).
PUSH_PLATFORM_NAMES = {"fcm": "GCM", "apns": "APNS"}


def push_application_name(platform: str) -> str:
    return f"{declaration.SERVICE}-{platform}"


def push_application_arn(platform: str) -> str:
    """The platform application the local stack creates in moto (``resources``): moto's ARN for it."""
    return f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:app/{PUSH_PLATFORM_NAMES[platform]}/{push_application_name(platform)}"


def setting_value(name: str) -> str:
    """``MOTCUA_SETTING_<NAME>`` if set, else the stack's value (cdk.json context)."""
    override = os.environ.get(f"MOTCUA_SETTING_{name.upper()}")
    if override is not None:
        return override
    configured = cdk_context().get(CTX_SETTINGS, {})
    if isinstance(configured, dict) and name in configured:
        return str(configured[name])
    if name in declaration.SETTINGS:
        return declaration.SETTINGS[name]
    raise KeyError(f"setting {name!r} has no value: add it to cdk.json ({CTX_SETTINGS}) or MOTCUA_SETTING_*")


def _queue_is_fifo(name: str) -> bool:
    """A declared queue or a DLQ (``dlq_name(queue)``), which is FIFO when its queue is."""
    for queue in declaration.QUEUES:
        if name in (queue.name, declaration.dlq_name(queue.name)):
            return queue.fifo
    raise KeyError(f"no queue named {name!r} in the declaration")


def resolve(ref: Ref | str, endpoints: Endpoints, table: str | None = None) -> str:
    """A declared environment value -> its local value. ``table`` overrides the main table's name."""
    if isinstance(ref, str):
        return ref
    if ref.kind == "table":
        return table if table is not None and ref.name == "main" else table_name(ref.name)
    if ref.kind == "queue_url":
        return queue_url(endpoints, queue_name(ref.name, _queue_is_fifo(ref.name)))
    if ref.kind == "bucket":
        return bucket_name(ref.name)
    if ref.kind == "sender":
        return sender_address(ref.name)
    if ref.kind == "topic":
        return topic_arn(ref.name)
    if ref.kind == "setting":
        return setting_value(ref.name)
    if ref.kind == "push_app":
        return push_application_arn(ref.name)
    if ref.kind == "secret":
        # Signing keys come from the local test CA (MOTCUA_PKI_DIR, docs/documents.md §5); the emulators'
        # connections are secrets in moto, under the stack's prefix.
        return secret_prefix(ref.name) if ref.name in LOCAL_SECRETS else ""
    raise ValueError(f"unknown reference kind {ref.kind!r}")


def declared_refs(functions: Iterable[Function] | None = None) -> list[Ref]:
    """Every ``Ref`` any function's environment uses (the resources side creates what they point to)."""
    functions = declaration.FUNCTIONS if functions is None else functions
    refs: list[Ref] = []
    for value in [*declaration.COMMON_ENVIRONMENT.values()] + [v for f in functions for v in f.environment.values()]:
        if isinstance(value, Ref) and value not in refs:
            refs.append(value)
    return refs


def local_environment(
    endpoints: Endpoints,
    functions: Iterable[Function] | None = None,
    *,
    table: str | None = None,
) -> dict[str, str]:
    """The variables the given functions (default: all declared) see locally, merged into one mapping.

    Locally every function runs in this one process and so shares ``os.environ``: two functions declaring
    the same variable with different values cannot both be honoured, and that is refused rather than
    silently resolved.
    """
    functions = list(declaration.FUNCTIONS if functions is None else functions)
    env: dict[str, str] = {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoints.dynamodb,
        # Powertools and the data layer do not need to tell local from cloud; this is for humans and logs.
        "MOTCUA_LOCAL": "1",
    }
    for service in MOTO_SERVICES:
        env[f"AWS_ENDPOINT_URL_{service}"] = endpoints.moto
    for key, value in declaration.COMMON_ENVIRONMENT.items():
        env[key] = resolve(value, endpoints, table)
    owners = dict.fromkeys(declaration.COMMON_ENVIRONMENT, "every function")
    for function in functions:
        for key, value in function.environment.items():
            resolved = resolve(value, endpoints, table)
            if key in owners and env[key] != resolved:
                raise ValueError(
                    f"{key} is {env[key]!r} for {owners[key]} but {resolved!r} for {function.name}: "
                    f"the local runner shares one environment between functions"
                )
            env[key] = resolved
            owners.setdefault(key, function.name)
    return env
