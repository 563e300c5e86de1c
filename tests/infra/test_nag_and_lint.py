"""cdk-nag AwsSolutionsChecks and cfn-lint on the synthesised stack.

cdk-nag runs inside synthesis (``infra/app.py`` registers it): an unacknowledged finding fails the
synth, so a template existing at all means zero open findings. On top of that, these tests check that
every acknowledgment carries a written reason and still matches a real finding, for the project's
declaration and for the extended one (what the project will declare later).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from infra.constructs.nag import MIN_REASON_LENGTH
from tests.infra import synthesise

VARIANTS = ("project", "extended", "prod", "vneid")
LINT_REGION = "ap-southeast-1"  # the region closest to Vietnam with every service the stack uses
IGNORED_LINT_RULES = ["W3005"]  # "obsolete DependsOn": CDK emits them on every template


@dataclass(frozen=True)
class Ack:
    path: str
    rule: str
    reason: str


@pytest.fixture(scope="module", params=VARIANTS)
def variant(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@cache
def acknowledgments(variant: str) -> list[Ack]:
    """Every acknowledgment recorded in the variant's construct tree (walking it is a jsii call a node)."""
    synthesis = synthesise(variant)
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    found: list[Ack] = []
    for construct in synthesis.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                for qualified, reason in entry.data.items():
                    rule = qualified.split("::", 1)[1] if qualified.lower().startswith("annotation::") else qualified
                    found.append(Ack(construct.node.path, rule, reason))
    return found


def test_cdk_nag_finds_nothing_unacknowledged(variant: str) -> None:
    synthesis = synthesise(variant)
    # Given cdk-nag registered on the app, when it synthesises, then it succeeds (findings fail it)...
    synthesis.require()
    # ...and the validation report, when CDK writes one (it does for warnings), records no violation.
    report_path = synthesis.outdir / "validation-report.json"
    if report_path.exists():
        report: dict[str, Any] = json.loads(report_path.read_text())
        nag = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
        assert all(not p["violations"] for p in nag), json.dumps(nag, indent=1)


def test_every_acknowledgment_has_a_written_reason(variant: str) -> None:
    synthesise(variant).require()
    acks = acknowledgments(variant)
    assert acks, "expected the known acknowledgments (X-Ray wildcard, runtime, access-log bucket, ...)"
    for ack in acks:
        assert ack.rule.startswith("AwsSolutions-"), ack
        assert len(ack.reason.strip()) >= MIN_REASON_LENGTH, ack


def test_every_acknowledgment_matches_a_real_finding(variant: str) -> None:
    # Given the same app built with every acknowledgment switched off, when cdk-nag checks it,
    # then each acknowledgment of the real build is needed: a stale one would hide a future finding.
    synthesise(variant).require()
    acks = acknowledgments(variant)
    audit = synthesise(variant, audit=True)
    assert audit.error is None, audit.error
    report = AwsSolutionsChecks().validate_scope(audit.app)
    findings = {
        (violation.rule_name, resource.construct_path or "")
        for violation in report.violations
        for resource in violation.violating_resources
    }
    for ack in acks:
        assert any(
            rule == ack.rule and (path == ack.path or path.startswith(ack.path + "/")) for rule, path in findings
        ), f"stale acknowledgment {ack.rule} on {ack.path}"
    # And conversely nothing is open that the real build does not acknowledge.
    for rule, path in findings:
        assert any(rule == ack.rule and (path == ack.path or path.startswith(ack.path + "/")) for ack in acks), (
            f"unacknowledged finding {rule} on {path}"
        )


def test_cfn_lint_is_clean(variant: str) -> None:
    from cfnlint.api import ManualArgs, lint

    template = synthesise(variant).require()
    matches = lint(
        json.dumps(template),
        config=ManualArgs(regions=[LINT_REGION], ignore_checks=IGNORED_LINT_RULES),
    )
    assert not matches, "\n".join(str(m) for m in matches)
