"""Submitting a dossier is a use case of the service: who may submit and "once per key" hold for any caller
(the API today, a desk tool or a queue tomorrow), with no HTTP handler in the way."""

from __future__ import annotations

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError

from motcua.domain.access import AccessDenied
from motcua.domain.actors import OFFICIAL_ROLES, Actor, Role
from motcua.domain.errors import IdempotencyKeyRequired
from schemas.api import DossierSubmission
from tests.integration.helpers import COMMUNE, submission


@pytest.fixture(autouse=True)
def _catalogue(catalogue: None) -> None:
    """The seeded catalogue: submissions name its procedures."""


def _dossiers(table_name: str) -> list[dict]:
    return [i for i in boto3.resource("dynamodb").Table(table_name).scan()["Items"] if i["sk"] == "DOSSIER"]


@pytest.mark.parametrize("role", [Role.PROCESSING_OFFICER, Role.AGENCY_LEADER, Role.INSPECTOR, Role.SYSTEM])
def test_only_citizens_and_the_reception_desk_may_submit(role: Role, local_stack) -> None:
    from motcua.service.submission import submit_dossier

    someone = Actor(subject="someone", role=role, agency_code=COMMUNE if role in OFFICIAL_ROLES else None)
    with pytest.raises(AccessDenied):
        submit_dossier(DossierSubmission.model_validate(submission()), someone, "a-key-of-theirs")
    assert _dossiers(local_stack.table_name) == []


def test_a_submission_needs_a_key_and_a_retry_under_it_is_the_same_dossier(local_stack) -> None:
    from motcua.service.submission import submit_dossier

    citizen = Actor(subject="citizen-an", role=Role.CITIZEN)
    body = DossierSubmission.model_validate(submission())
    with pytest.raises(IdempotencyKeyRequired):
        submit_dossier(body, citizen, None)
    first = submit_dossier(body, citizen, "use-case-key-1")
    again = submit_dossier(body, citizen, "use-case-key-1")
    assert again.id == first.id and again.receipt_code == first.receipt_code
    assert len(_dossiers(local_stack.table_name)) == 1
    changed = DossierSubmission.model_validate(
        submission(applicant={**submission()["applicant"], "full_name": "Trần Văn Bình"}))
    with pytest.raises(IdempotencyValidationError):  # the API answers it as IDEMPOTENCY_KEY_REUSED
        submit_dossier(changed, citizen, "use-case-key-1")
    desk = Actor(subject="officer-lan", role=Role.RECEPTION_OFFICER, agency_code=COMMUNE)
    at_the_counter = DossierSubmission.model_validate(submission(channel="counter"))
    assert submit_dossier(at_the_counter, desk, "desk-key-1").id != first.id
