"""Shared test data and token helpers for the integration suite."""

from __future__ import annotations

import uuid
from typing import Any

from infra.local.identity import LocalIdentity
from motcua.domain.actors import Role

IDENTITY = LocalIdentity.generate()
COMMUNE = "000.20.01.H36"  # Ủy ban nhân dân phường Xuân Hương - Đà Lạt (seed)


def bearer(subject: str = "citizen-an", role: Role | str = Role.CITIZEN, agency_code: str | None = None) -> dict:
    return {"authorization": f"Bearer {IDENTITY.issue(subject, role, agency_code)}"}


def submission(procedure_code: str = "1.001193", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "procedure_code": procedure_code,
        "agency_code": COMMUNE,
        "channel": "online",
        "applicant": {
            "full_name": "Nguyễn Thị Hằng",
            "national_id": "079203001234",
            "phone": "0912345678",
            "email": "hang.nguyen@example.vn",
            "address": "12 Trần Phú, phường Xuân Hương - Đà Lạt",
        },
        "attachments": [],
    }
    body.update(overrides)
    return body


def submit_headers(subject: str = "citizen-an", key: str | None = None) -> dict:
    return {**bearer(subject), "idempotency-key": key or uuid.uuid4().hex}
