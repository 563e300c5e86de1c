"""Every name, limit and context key of the CDK app, in one place.

What the application itself declares (functions, queues, buckets, the table's keys) lives in
``infra/declaration.py`` and ``motcua.data.table``; this module only holds infrastructure choices. Plain
values only (no aws_cdk import), so the layer build can read them without booting jsii.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parents[2]

# --- app and stack ---------------------------------------------------------------------------------
STACK_ID: Final = "Motcua"
STACK_DESCRIPTION: Final = "Motcua: one-stop-shop administrative dossiers (API, queues, schedules, table)"
PROJECT_TAG: Final = ("project", "motcua")
DEFAULT_OUTDIR: Final = REPO_ROOT / "cdk.out"
CDK_JSON: Final = REPO_ROOT / "cdk.json"

# Context keys (cdk.json or `cdk synth -c key=value`).
CTX_ALLOWED_ORIGINS: Final = "motcua:allowedOrigins"  # CORS origins of the web front ends
CTX_SENDERS: Final = "motcua:senders"  # {sender name: e-mail address} for Ref("sender", name)
CTX_SETTINGS: Final = "motcua:settings"  # {setting name: value} for Ref("setting", name)
# {platform: SNS platform application ARN} for Ref("push_app", platform) (fcm, apns): CloudFormation cannot
# create one (the credentials are Google's and Apple's), so operators do and give the stack its ARN.
CTX_PUSH_APPLICATIONS: Final = "motcua:pushApplications"
CTX_STAGE: Final = "motcua:stage"  # dev | staging | prod (infra/constructs/stages.py)
# {function name: n} overriding the declared reserved concurrency, or "off" for none (a stage that reserves).
CTX_RESERVED_CONCURRENCY: Final = "motcua:reservedConcurrency"
CTX_DOCUMENT_LOCK_DAYS: Final = "motcua:documentLockDays"  # Object Lock retention of signed documents
CTX_ALARM_EMAIL: Final = "motcua:alarmEmail"  # optional on-call address subscribed to the alarm topic
# "true": synthesise with an empty placeholder instead of the built dependency layer (template tests only;
# never deployable). Without it, synthesis refuses to run until `make package` has built the layer.
CTX_PLACEHOLDER_LAYER: Final = "motcua:placeholderLayer"
CTX_AUDIT_ACKNOWLEDGMENTS: Final = "motcua:auditAcknowledgments"  # "true": drop every nag acknowledgment
# VNeID federated into the user pool (infra/constructs/auth.py; off when absent): {"issuer", "clientId",
# "clientSecretName" (a Secrets Manager secret holding the client secret), "domainPrefix" (the pool's hosted
# sign-in domain), "callbackUrls" (the app's), optionally "claims" ({pool attribute: the provider's claim})}.
CTX_VNEID: Final = "motcua:vneid"

# A setting absent from the context is read at deploy time from this SSM parameter path.
SETTINGS_SSM_PREFIX: Final = "/motcua/settings/"
# A platform application absent from the context is read at deploy time from this SSM parameter path.
PUSH_SSM_PREFIX: Final = "/motcua/push/"

# --- Lambda ----------------------------------------------------------------------------------------
# Python 3.11 because pyproject pins requires-python <3.12 and the tests run it.
LAMBDA_RUNTIME: Final = "python3.11"
# Graviton: ~20% cheaper per GB-second; every runtime dependency publishes aarch64 wheels.
LAMBDA_ARCHITECTURE: Final = "arm64"
LOG_RETENTION: Final = "THREE_MONTHS"  # a logs.RetentionDays member

# The dependency layer: wheels for the Lambda platform. The python3.11 runtime is Amazon Linux 2
# (glibc 2.26), so only manylinux tags up to 2.26 load there; manylinux_2_28 wheels would fail at import.
# One layer per architecture: the deployed one (LAMBDA_ARCHITECTURE), and this machine's for the tests that
# run the artefact as Lambda does (tests/lambda_tier). Versions come from requirements.lock, no override:
# a locked version without such a wheel fails the build (pyproject pins pillow for that reason).
LAYER_PYTHON_VERSION: Final = "3.11"
LAYER_PIP_PLATFORMS: Final = {
    arch: (f"manylinux2014_{machine}", f"manylinux_2_24_{machine}", f"manylinux_2_26_{machine}")
    for arch, machine in (("arm64", "aarch64"), ("x86_64", "x86_64"))
}

# The code asset: these source directories (relative to the repo root) land at the asset's root.
CODE_PACKAGES: Final = (Path("functions") / "motcua", Path("schemas"))
CODE_EXCLUDES: Final = ("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache", ".ruff_cache")
BUILD_DIR: Final = REPO_ROOT / "build"
STAGED_CODE_DIR: Final = BUILD_DIR / "code"  # content-addressed subdirectories: code/<hash>/
LAYER_DIR: Final = BUILD_DIR / "layer"  # layer/<architecture>/, built by `make package`
PLACEHOLDER_LAYER_DIR: Final = BUILD_DIR / "layer-placeholder"
REQUIREMENTS_LOCK: Final = "requirements.lock"

# --- API -------------------------------------------------------------------------------------------
API_THROTTLE_RATE: Final = 200  # requests per second, steady state, whole stage
API_THROTTLE_BURST: Final = 400
# CORS, the same on the stack's HTTP API and the local adapter (a header the stack refuses fails locally too).
CORS_MAX_AGE_S: Final = 3600
CORS_ALLOWED_HEADERS: Final = ("authorization", "content-type", "idempotency-key", "x-request-id")
DEFAULT_ALLOWED_ORIGINS: Final = ("http://localhost:3000",)

# --- queues and schedules --------------------------------------------------------------------------
SCHEDULE_RETRY_ATTEMPTS: Final = 3
SCHEDULE_MAX_EVENT_AGE_S: Final = 3600  # a sweep older than an hour is superseded by the next

# --- monitoring ------------------------------------------------------------------------------------
ALARM_PERIOD_S: Final = 300
API_5XX_THRESHOLD: Final = 1  # any 5xx is a bug: the API maps every client error to 4xx
FUNCTION_ERROR_THRESHOLD: Final = 1
FUNCTION_THROTTLE_THRESHOLD: Final = 1  # a throttled invocation is a request refused or an event delayed
DURATION_ALARM_FRACTION: Final = 0.8  # the slowest invocation used 80% of its timeout: the next one may not fit
DYNAMODB_THROTTLE_THRESHOLD: Final = 1
DYNAMODB_SYSTEM_ERROR_THRESHOLD: Final = 1
