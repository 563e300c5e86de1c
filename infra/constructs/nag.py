"""The one way this app acknowledges a cdk-nag finding: with a written reason, recorded on the construct.

``-c motcua:auditAcknowledgments=true`` turns every acknowledgment off, so the infrastructure tests can
check that each one still matches a real finding (no stale acknowledgments hiding future ones).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

from infra.constructs import constants as c

MIN_REASON_LENGTH = 40  # a reason is a sentence, not "n/a"


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge ``rule_id`` (e.g. ``AwsSolutions-L1``, ``AwsSolutions-IAM5[Resource::*]``) on scope."""
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledging {rule_id} needs a written reason, got {reason!r}")
    flag = scope.node.try_get_context(c.CTX_AUDIT_ACKNOWLEDGMENTS)
    if flag is True or str(flag).lower() == "true":
        return
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))
