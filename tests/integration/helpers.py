"""Shared test data and token helpers for the integration suite."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3

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


def outbox(local_stack, dossier_id: str | None = None) -> list[dict[str, Any]]:
    """Every event envelope in the outbox (relayed or not), of one dossier when ``dossier_id`` is given."""
    table = boto3.resource("dynamodb").Table(local_stack.table_name)
    items, kwargs = [], {}
    while True:
        page = table.scan(**kwargs)
        items += [json.loads(i["doc"]) for i in page["Items"] if i["pk"].startswith("OUTBOX#")]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [e for e in items if dossier_id is None or e["data"].get("dossier_id") == dossier_id]
