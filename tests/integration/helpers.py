"""Shared test data and token helpers for the integration suite."""

from __future__ import annotations

import uuid
from typing import Any

from infra.local.examples import example_submission
from infra.local.identity import LocalIdentity
from motcua.domain.actors import Role

IDENTITY = LocalIdentity.generate()
COMMUNE = "000.20.01.H36"  # Ủy ban nhân dân phường Xuân Hương - Đà Lạt (seed)


def bearer(subject: str = "citizen-an", role: Role | str = Role.CITIZEN, agency_code: str | None = None) -> dict:
    return {"authorization": f"Bearer {IDENTITY.issue(subject, role, agency_code)}"}


def submission(procedure_code: str = "1.001193", **overrides: Any) -> dict[str, Any]:
    return {**example_submission(procedure_code, COMMUNE), **overrides}


def submit_headers(subject: str = "citizen-an", key: str | None = None) -> dict:
    return {**bearer(subject), "idempotency-key": key or uuid.uuid4().hex}
