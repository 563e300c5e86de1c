"""Infrastructure tests: assertions on the synthesised template, cdk-nag and cfn-lint.

Synthesis costs seconds (jsii boots node, then aws-cdk-lib), so each variant is synthesised once per test
process and cached here; the test modules wrap it in module-scoped fixtures. The variants:

- ``project``: the stack from the real ``infra/declaration.py``.
- ``prod``: the project's declaration deployed as the prod stage (reservations, long Object Lock, protection).
- ``vneid``: the project's stack with VNeID federated into the user pool (context ``motcua:vneid``).
- ``extended``: the same plus what the roadmap adds (queue consumers, the 5-minute SLA sweep, the monthly
  index cron in Asia/Ho_Chi_Minh, a notifier with e-mail and SMS, a public route, a second bucket), to
  prove that declaring them is enough: the stack code needs no change, and cdk-nag still passes.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from infra import declaration as d
from infra.constructs import constants as c
from infra.stack import StackDeclaration

TIMEZONE = "Asia/Ho_Chi_Minh"

# Template tests synthesise with the empty placeholder layer, explicitly: without the flag synthesis refuses
# to run unless `make package` has built the real one (tests/lambda_tier runs the real one).
PLACEHOLDER = {c.CTX_PLACEHOLDER_LAYER: "true"}

# Everything added carries an "x-" name, so the variant stays valid as the real declaration grows.
EXTENDED = StackDeclaration(
    functions=(
        *(
            replace(f, triggers=(*f.triggers, d.HttpTrigger("/x/public", authorised=False, method="GET")))
            if f.name == "api"  # a route key is one function's
            else f
            for f in d.FUNCTIONS
        ),
        d.Function(
            name="x-consumer",
            handler="motcua.handlers.x_consumer.handler",
            description="A FIFO queue consumer that forwards to a standard queue",
            triggers=(d.QueueTrigger("x-ordered", batch_size=10),),
            permissions=(
                d.Permission("table", "main", "read_write"),
                d.Permission("queue", "x-events", "send"),
            ),
            environment={"EVENTS_QUEUE_URL": d.Ref("queue_url", "x-events")},
        ),
        d.Function(
            name="x-sweep",
            handler="motcua.handlers.x_sweep.handler",
            description="A sweep every 5 minutes",
            triggers=(d.ScheduleTrigger("rate(5 minutes)", local_every_s=60),),
            permissions=(d.Permission("table", "main", "read_write"),),
            timeout_s=120,
        ),
        d.Function(
            name="x-monthly",
            handler="motcua.handlers.x_monthly.handler",
            description="A monthly job at 00:05 on the 1st, Vietnam time",
            triggers=(d.ScheduleTrigger("cron(5 0 1 * ? *)", timezone=TIMEZONE),),
            permissions=(d.Permission("table", "main", "read"), d.Permission("bucket", "x-reports", "write")),
            environment={"REPORTS_BUCKET": d.Ref("bucket", "x-reports")},
            memory_mb=1024,
            timeout_s=300,
        ),
        d.Function(
            name="x-notifier",
            handler="motcua.handlers.x_notifier.handler",
            description="E-mail (SES), SMS and push (SNS), from a standard queue with a batching window",
            triggers=(d.QueueTrigger("x-events", batch_size=20, max_batching_window_s=5),),
            permissions=(
                d.Permission("table", "main", "read"),
                d.Permission("email", "x-alerts", "send"),
                d.Permission("sms", "x-citizens", "send"),
                d.Permission("queue", "x-events", "consume"),
            ),
            environment={
                "SENDER": d.Ref("sender", "x-alerts"),
                "PUSH_TOPIC_ARN": d.Ref("topic", "x-push"),
                "PORTAL_URL": d.Ref("setting", "x_portal_url"),
            },
        ),
    ),
    queues=(
        *d.QUEUES,
        d.Queue("x-ordered", fifo=True, visibility_timeout_s=180),
        d.Queue("x-events", visibility_timeout_s=180, max_receive_count=5),
    ),
    buckets=(*d.BUCKETS, d.Bucket("x-reports", "monthly reports")),
)


# ``vneid``: the project's stack with VNeID federated (docs/mobile.md, "VNeID"), as an operator configures it.
VNEID_CONTEXT = {"issuer": "https://sso.vneid.example", "clientId": "motcua-at-vneid",
                 "clientSecretName": "motcua/vneid/client-secret", "domainPrefix": "motcua-example",
                 "callbackUrls": ["vn.motcua.app://signed-in"], "claims": {"custom:national_id": "identity_number"}}
VARIANT_CONTEXT: dict[str, dict[str, Any]] = {"prod": {"motcua:stage": "prod"},
                                              "vneid": {c.CTX_VNEID: VNEID_CONTEXT}}


@dataclass(frozen=True)
class Synthesis:
    outdir: Path
    template: dict[str, Any] | None
    error: Exception | None
    app: Any
    stack: Any

    def require(self) -> dict[str, Any]:
        """The template, or the synthesis error (e.g. an unacknowledged cdk-nag finding) as the failure."""
        if self.error is not None:
            raise AssertionError(f"synthesis failed: {self.error}") from self.error
        assert self.template is not None
        return self.template


def _scratch(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@cache
def synthesise(variant: str = "project", *, audit: bool = False) -> Synthesis:
    """Build the app (cdk-nag on) for a variant and synthesise it once; failures are cached too.

    ``audit=True`` builds without any acknowledgment and does not synthesise: for the stale-ack check.
    """
    from infra.app import build_app  # late: importing aws_cdk boots jsii, only for tests that need it

    declaration = EXTENDED if variant == "extended" else None
    outdir = _scratch(f"motcua-cdk-{variant}-")
    context = {**PLACEHOLDER, **VARIANT_CONTEXT.get(variant, {}),
               **({"motcua:auditAcknowledgments": "true"} if audit else {})}
    app = stack = None
    try:
        app, stack = build_app(outdir, context=context, declaration=declaration, nag=not audit)
        if audit:
            return Synthesis(outdir=outdir, template=None, error=None, app=app, stack=stack)
        assembly = app.synth()
    except Exception as error:  # jsii wraps everything in RuntimeError; keep it for every test to report
        return Synthesis(outdir=outdir, template=None, error=error, app=app, stack=stack)
    template = assembly.get_stack_by_name(stack.stack_name).template
    return Synthesis(outdir=outdir, template=template, error=None, app=app, stack=stack)


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one CloudFormation type, by logical id."""
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}
