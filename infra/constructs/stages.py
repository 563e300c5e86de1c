"""Deployment stages: dev, staging and prod, chosen with ``-c motcua:stage=<name>`` (default dev).

The stage names the stack (``Motcua-<stage>``), so the three live side by side in one account, and sets what
differs between them. Plain values only (no aws_cdk import), like ``constants``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Stage:
    name: str
    # CloudFormation refuses to delete the stack until an operator turns this off on purpose.
    termination_protection: bool
    # Reserve the declared concurrency per function. Off in dev: a new account's concurrency quota can be as
    # low as 10, and a reservation that leaves fewer than 100 unreserved makes the deployment fail.
    reserve_concurrency: bool
    # Object Lock retention (governance mode) of signed documents. Retention periods of administrative
    # procedure records are set by the province's archive schedule (Luật Lưu trữ 2024; Thông tư 10/2022/TT-BNV
    # lists 5 years to permanent by record type); 10 years in prod is a floor chosen here, not a legal figure.
    document_lock_days: int


STAGES: Final = {
    "dev": Stage("dev", termination_protection=False, reserve_concurrency=False, document_lock_days=1),
    "staging": Stage("staging", termination_protection=False, reserve_concurrency=True, document_lock_days=7),
    "prod": Stage("prod", termination_protection=True, reserve_concurrency=True, document_lock_days=3650),
}
DEFAULT_STAGE: Final = "dev"


def stage(name: str | None) -> Stage:
    try:
        return STAGES[name or DEFAULT_STAGE]
    except KeyError:
        raise ValueError(f"unknown stage {name!r}: use one of {', '.join(STAGES)} (-c motcua:stage=...)") from None


def stack_name(base: str, stage_name: str) -> str:
    return f"{base}-{stage_name}"
