"""schemathesis against the running local API, every operation, with a valid token of each role.

Goal (hostile input): zero 5xx, every response conforming to ``schemas/openapi.json`` (status code,
content type, body schema). ``MOTCUA_FUZZ_EXAMPLES`` sets examples per operation and role: the default
profile in ``make test`` runs at least 10,000 cases; ``make fuzz`` runs the long one.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.helpers import COMMUNE, bearer

ROOT = Path(__file__).resolve().parents[2]
QUICK_PROFILE_CASES = 10_000  # `make test`: at least this many generated cases over all operations and roles
# Who each role is. A token lives an hour, as the user pool's, and the long profile runs longer: each role's
# is issued again after TOKEN_REUSE_S. Issuing runs the sign-in trigger (a table write): not once per case.
PEOPLE: dict[str, tuple[str, ...]] = {
    "anonymous": (),
    "citizen": ("citizen-fuzz",),
    "reception_officer": ("officer-fuzz", "reception_officer", COMMUNE),
    "processing_officer": ("processor-fuzz", "processing_officer", COMMUNE),
    "agency_leader": ("leader-fuzz", "agency_leader", COMMUNE),
    "inspector": ("inspector-fuzz", "inspector"),
}
TOKEN_REUSE_S = 600
_tokens: dict[str, tuple[float, dict[str, str]]] = {}
CASES_RUN: list[int] = []  # reported at the end of the session (tests/api/conftest.py)
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)

schema = schemathesis.openapi.from_path(ROOT / "schemas" / "openapi.json")
_PAIRS = sum(len(ops) for ops in schema.raw_schema["paths"].values()) * len(PEOPLE)
# schemathesis adds its deterministic coverage cases to hypothesis' examples: measured ~65 cases per
# operation and role at 8 examples (5,424 over 84 pairs), so 12 examples give well over 10,000 in all.
EXAMPLES = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "0")) or max(12, -(-QUICK_PROFILE_CASES // (_PAIRS * 50)))


def _token(role: str) -> dict[str, str]:
    if not PEOPLE[role]:
        return {}
    issued = _tokens.get(role)
    if issued is None or time.monotonic() - issued[0] > TOKEN_REUSE_S:
        issued = _tokens[role] = (time.monotonic(), bearer(*PEOPLE[role]))
    return issued[1]


@pytest.mark.parametrize("role", list(PEOPLE))
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_response_matches_the_document(case, role: str, live_api: str) -> None:
    headers = dict(_token(role))
    if case.operation.method.upper() == "POST":
        headers.setdefault("idempotency-key", uuid.uuid4().hex)
    CASES_RUN.append(1)
    case.call_and_validate(base_url=live_api, headers=headers, checks=CHECKS, timeout=60)
