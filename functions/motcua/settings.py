"""Each function's environment as one pydantic model, validated at cold start; the one module that reads
``os.environ``.

A function's model (``FUNCTION_SETTINGS``) has one field per variable ``infra/declaration.py`` declares for
it, named after the variable in lower case (``TABLE_NAME`` -> ``table_name``); ``tests/unit/test_settings.py``
holds the two to exactly the same names. The handler module loads its model when it is imported, so a
missing or malformed variable fails the cold start with the variable's name, not the first request.

Code below the handlers (the data layer, the CLI, tests) runs in several functions and outside any, so it
reads what it needs through :func:`environment` at the moment it needs it: a CLI flag's default or a test's
environment applies at once. ``AWS_*`` variables are not declared: the Lambda runtime (or the local runner)
sets them, and boto3 reads most of them itself; the two this code passes on explicitly are here too.

Plain pydantic rather than pydantic-settings: that package is in the lock only for dev tools, not a runtime
dependency, and importing it added about 170 ms to the api handler's import (``-X importtime``, a busy 2-core
machine: its CLI and cloud sources) for what ``_read`` does in a few lines.
"""

import os
from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_REGION = "ap-southeast-1"


class SettingsError(RuntimeError):
    """The environment does not hold what a function declares: raised at import, so the cold start fails."""


class _Settings(BaseModel):
    # defer_build: a model's validator is built when it is first used, so a cold start builds the one model
    # its handler loads (and ``Environment``), not all of them.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class _Common(_Settings):
    """What every function is given (``COMMON_ENVIRONMENT``)."""

    table_name: str = Field(min_length=3)
    # Read by Powertools itself (logger, tracer, metrics); checked here so a function never logs as nobody.
    powertools_service_name: str = Field(min_length=1)
    powertools_metrics_namespace: str = Field(min_length=1)


class _Documents(_Settings):
    documents_bucket: str = Field(min_length=3)


class _Uploads(_Settings):
    uploads_bucket: str = Field(min_length=3)


class _Signing(_Settings):
    # The Secrets Manager name prefix of the agencies' signing keys; empty locally, where the keys come from
    # the local test CA (MOTCUA_PKI_DIR, docs/documents.md).
    signing_secret_prefix: str | None = None


class _Push(_Settings):
    # Operators create the platform applications (infra/declaration.py); until they do, push is refused with
    # PUSH_NOT_CONFIGURED rather than the function failing to start.
    push_fcm_application_arn: str | None = None
    push_apns_application_arn: str | None = None


class ApiSettings(_Common, _Uploads, _Documents, _Signing, _Push):
    # The Secrets Manager name prefix of the payment gateways' connections (motcua.data.payment_gateways).
    payment_secret_prefix: str = ""
    # Postal (motcua.data.postal): the queue the orders go to; the prefix of the carriers' callback keys;
    # what the sources leave unsure (motcua.domain.postal.CarrierMapping), JSON.
    postal_queue_url: str = ""
    postal_callback_secret_prefix: str = ""
    postal_mapping: str = "{}"


class FeedbackApiSettings(_Common, _Uploads, _Documents, _Signing):
    pass


class IndexApiSettings(_Common):
    pass


class PublicApiSettings(_Common):
    pass


class ActionsSettings(_Common, _Uploads, _Documents, _Signing):
    actions_dlq_url: str = Field(min_length=8)


class SlaSettings(_Common):
    """The scheduled sweep: it hands each shard of the timers index to the shard workers' queue."""

    sla_shards_queue_url: str = Field(min_length=8)


class SlaWorkerSettings(_Common):
    """A shard worker: fires one shard's due timers; hands what its time did not cover back to the queue."""

    sla_shards_queue_url: str = Field(min_length=8)


class IndexSettings(_Common):
    reports_bucket: str = Field(min_length=3)


class OutboxRelaySettings(_Common):
    notifications_queue_url: str = Field(min_length=8)
    national_sync_queue_url: str = Field(min_length=8)


class NationalSyncSettings(_Common):
    national_sync_queue_url: str = Field(min_length=8)
    national_sync_dlq_url: str = Field(min_length=8)
    # The Secrets Manager name prefix of the portal's connection (motcua.data.national_portal).
    national_portal_secret_prefix: str = Field(min_length=1)
    # What the sources leave unsure (motcua.domain.national_portal.PortalMapping), JSON; "{}": the defaults.
    national_portal_mapping: str = "{}"
    # Backoff: a failed delivery returns after base * 2^(receives - 1) seconds, at most the cap.
    national_sync_retry_base_s: int = Field(default=30, ge=0)
    national_sync_retry_max_s: int = Field(default=14400, ge=0)


class PostalSettings(_Common):
    postal_queue_url: str = Field(min_length=8)
    postal_dlq_url: str = Field(min_length=8)
    # The Secrets Manager name prefix of the carriers' connections (motcua.data.postal.CarrierConnection).
    postal_secret_prefix: str = Field(min_length=1)
    postal_mapping: str = "{}"
    # Backoff: a failed order operation returns after base * 2^(receives - 1) seconds, at most the cap.
    postal_retry_base_s: int = Field(default=60, ge=0)
    postal_retry_max_s: int = Field(default=3600, ge=0)
    # Orders under way asked for their tracking per scheduled run.
    postal_poll_limit: int = Field(default=200, ge=1, le=1000)


class NotifierSettings(_Common, _Documents, _Push):
    notify_sender: str = Field(min_length=3)
    notifications_dlq_url: str = Field(min_length=8)


class SignInSettings(_Common):
    pass


class NationalIntakeSettings(_Common):
    national_intake_dlq_url: str = Field(min_length=8)
    national_portal_mapping: str = "{}"


# Declared function name -> its model (the names of infra/declaration.py's FUNCTIONS).
FUNCTION_SETTINGS: dict[str, type[_Settings]] = {
    "api": ApiSettings,
    "api-feedback": FeedbackApiSettings,
    "api-index": IndexApiSettings,
    "api-public": PublicApiSettings,
    "actions": ActionsSettings,
    "sla": SlaSettings,
    "sla-worker": SlaWorkerSettings,
    "index": IndexSettings,
    "outbox-relay": OutboxRelaySettings,
    "notifier": NotifierSettings,
    "national-sync": NationalSyncSettings,
    "national-intake": NationalIntakeSettings,
    "postal": PostalSettings,
    "sign-in": SignInSettings,
}


class Environment(_Settings):
    """What shared code looks up when it runs, in any function, the CLI or a test; all optional here (a
    function's own model has already required what it declares)."""

    table_name: str | None = None
    uploads_bucket: str | None = None
    documents_bucket: str | None = None
    reports_bucket: str | None = None
    signing_secret_prefix: str | None = None
    # Local only (make run, tests): the directory of the local test CA (motcua.data.signing_keys).
    motcua_pki_dir: str | None = None
    push_fcm_application_arn: str | None = None
    push_apns_application_arn: str | None = None
    # `motcua dlq redrive`: a queue's URL when it is not the local stack's.
    actions_queue_url: str | None = None
    notifications_queue_url: str | None = None
    national_sync_queue_url: str | None = None
    postal_queue_url: str | None = None
    # Public tracking lookups per client address and hour (motcua.domain.limits); an operator's override.
    track_lookups_per_hour: int = Field(default=60, ge=1)
    # Set by the Lambda runtime.
    aws_region: str | None = None
    aws_default_region: str | None = None

    @property
    def region(self) -> str:
        return self.aws_region or self.aws_default_region or DEFAULT_REGION

    def push_application_arn(self, platform: str) -> str | None:
        """The SNS platform application of ``platform`` (``fcm``, ``apns``), if configured."""
        value = getattr(self, f"push_{platform.lower()}_application_arn", None)
        return str(value) if value else None

    def queue_url(self, queue: str) -> str | None:
        value = getattr(self, f"{queue.lower().replace('-', '_')}_queue_url", None)
        return str(value) if value else None


M = TypeVar("M", bound=_Settings)


def variable(field_name: str) -> str:
    """The environment variable of a settings field."""
    return field_name.upper()


def _read(model: type[M], environ: Mapping[str, str]) -> M:
    # An empty variable is an absent one (CloudFormation and the local runner write "" for "none").
    values = {name: environ[variable(name)] for name in model.model_fields if environ.get(variable(name))}
    return model.model_validate(values)


def load(model: type[M], environ: Mapping[str, str] | None = None) -> M:
    """``model`` from the environment, at cold start; :class:`SettingsError` names every bad variable."""
    try:
        return _read(model, os.environ if environ is None else environ)
    except ValidationError as error:
        problems = "; ".join(f"{variable(str(e['loc'][0])) if e['loc'] else '?'}: {e['msg']}" for e in error.errors())
        raise SettingsError(f"{model.__name__}: the environment is not as declared ({problems})") from None


def environment() -> Environment:
    """The shared variables as they are now (read at every call: cheap, and never stale in a test)."""
    return load(Environment)


def aws_endpoint_url(service: str) -> str | None:
    """``AWS_ENDPOINT_URL_<SERVICE>`` (the local engines). boto3 applies it itself; the data layer keys its
    cached clients on it, so a process that moves to other engines gets new clients."""
    return os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or None
