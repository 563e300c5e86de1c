"""Shared test data and token helpers for the integration suite."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import requests

from infra.local.cognito import pre_token_trigger
from infra.local.examples import example_submission
from infra.local.identity import LocalIdentity
from motcua.domain.actors import Role

# As the user pool: every token is issued through the declared pre token trigger, which registers its subject.
IDENTITY = LocalIdentity.generate(pre_token_trigger())
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


# --- uploads, as a browser sends them after POST /uploads -------------------------------------------------

def ticket(api_client, who: str | tuple[str, str, str], size: int, name: str = "giay-chung-sinh.pdf",
           content_type: str = "application/pdf") -> dict:
    response = api_client.post("/uploads", json={"file_name": name, "content_type": content_type, "size_bytes": size},
                               headers=bearer(*who) if isinstance(who, tuple) else bearer(who))
    assert response.status == 200, response.text
    return dict(response.json())


def post_file(given: dict, content: bytes) -> str:
    """What a browser does with the ticket: a form POST to S3 with the signed fields, then the file."""
    sent = requests.post(given["url"], data=given["fields"], files={"file": ("f", content)}, timeout=10)
    assert sent.status_code in (200, 201, 204), sent.text
    return str(given["key"])


def upload(api_client, content: bytes, who: str | tuple[str, str, str] = "citizen-hang",
           name: str = "giay-chung-sinh.pdf") -> str:
    return post_file(ticket(api_client, who, len(content), name), content)


def all_pages(api_client, path: str, headers: dict | None = None, **query: str) -> list[dict]:
    """Every item of a list, following next_token page by page (the one page shape of every list)."""
    items, token = [], None
    while True:
        page = api_client.get(path, query={**query, **({"next_token": token} if token else {})}, headers=headers)
        assert page.status == 200, page.text
        items += page.json()["items"]
        token = page.json().get("next_token")
        if not token:
            return items
