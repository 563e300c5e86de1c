"""Submitting a dossier exactly once, whoever calls (the API today; a desk tool or a queue would call the same).

Who may submit is checked first, then the caller's key: Powertools idempotency on ``[owner, key]`` answers a
retry with the first attempt's dossier, and the dossier id derived from the same key (``DossierService.submit``)
guards the case where Powertools' record was lost with the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from pydantic import BaseModel, ConfigDict

from motcua.data.idempotency import CLIENT_RETRY_WINDOW_S, persistence_store
from motcua.domain.access import verified_national_id
from motcua.domain.actors import Actor
from motcua.domain.applicant import require_own_national_id
from motcua.domain.errors import idempotency_key_given
from motcua.service.actions import service
from motcua.service.dossiers import dossier_view, require_submitter
from schemas.api import DossierSubmission, DossierView


class SubmitCommand(BaseModel):
    """What makes a submission the same one: the citizen, their key, and the body (checked on retry)."""

    model_config = ConfigDict(defer_build=True)

    owner: str
    idempotency_key: str
    actor: Actor
    submission: DossierSubmission
    request_id: str | None = None


SUBMIT_IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="[owner, idempotency_key]",
    payload_validation_jmespath="submission",
    expires_after_seconds=CLIENT_RETRY_WINDOW_S,
    raise_on_no_idempotency_key=True,
)


def submit_dossier(submission: DossierSubmission, actor: Actor, idempotency_key: str | None,
                   request_id: str | None = None, claims: Mapping[str, Any] | None = None) -> DossierView:
    """The submission use case: its receipt code and appointment, the same dossier for a retry under the key.
    ``claims``: the verified token's, where a VNeID sign-in's national ID is (``verified_national_id``)."""
    require_submitter(actor)
    require_own_national_id(actor, submission.applicant.national_id, verified_national_id(claims))
    key = idempotency_key_given(idempotency_key)
    return _submit_once(command=SubmitCommand(owner=actor.subject, idempotency_key=key, actor=actor,
                                              submission=submission, request_id=request_id))


@idempotent_function(data_keyword_argument="command", persistence_store=persistence_store("submit-dossier"),
                     config=SUBMIT_IDEMPOTENCY, output_serializer=PydanticSerializer(DossierView))
def _submit_once(command: SubmitCommand) -> DossierView:
    return dossier_view(service.submit(command.submission, command.actor, command.request_id,
                                       idempotency_key=command.idempotency_key))
