"""Citizens' feedback from the API, exactly once: one Powertools persistence store per idempotent
function, on a business key (the citizen and their Idempotency-Key; the caller and theirs for a step).

The service shares the dossier core's repositories and clock (``motcua.service.dossier_reads.reads``, which
``motcua.service.actions.service`` is built on): a test freezing that clock freezes this one too.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from pydantic import BaseModel, ConfigDict

from motcua.data.idempotency import CLIENT_RETRY_WINDOW_S, persistence_store
from motcua.domain.actors import Actor
from motcua.domain.errors import idempotency_key_given
from motcua.domain.feedback import FeedbackAction
from motcua.service.dossier_reads import reads as _dossier_reads
from motcua.service.feedback import STEP_BODIES, FeedbackService, feedback_view
from schemas.feedback import FeedbackIn, FeedbackStepBody, FeedbackView


class FileCommand(BaseModel):
    model_config = ConfigDict(defer_build=True)

    owner: str
    idempotency_key: str
    actor: Actor
    feedback: FeedbackIn
    request_id: str | None = None


class StepCommand(BaseModel):
    model_config = ConfigDict(defer_build=True)

    caller: str
    key: str
    feedback_id: str
    action: FeedbackAction
    actor: Actor
    body: dict
    request_id: str | None = None


FILE_IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="[owner, idempotency_key]",
                                     payload_validation_jmespath="feedback",
                                     expires_after_seconds=CLIENT_RETRY_WINDOW_S, raise_on_no_idempotency_key=True)
STEP_IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="[caller, key]",
                                     payload_validation_jmespath="[feedback_id, action, body]",
                                     expires_after_seconds=CLIENT_RETRY_WINDOW_S, raise_on_no_idempotency_key=True)

# The dossier core's repositories and clock: a test freezing that clock freezes this one too.
service = FeedbackService(dossiers=_dossier_reads.dossiers, catalogue=_dossier_reads.catalogue,
                          clock=lambda: _dossier_reads.clock())


def file_feedback(feedback: FeedbackIn, actor: Actor, idempotency_key: str | None,
                  request_id: str | None = None) -> FeedbackView:
    """Filing feedback: once per the citizen's key (a retry answers the same)."""
    return _file_once(command=FileCommand(owner=actor.subject, idempotency_key=idempotency_key_given(idempotency_key),
                                          actor=actor, feedback=feedback, request_id=request_id))


def take_feedback_step(feedback_id: str, action: FeedbackAction, body: FeedbackStepBody, actor: Actor,
              idempotency_key: str | None, request_id: str | None = None) -> FeedbackView:
    """A step an official (or the citizen) takes on a feedback: once per their key."""
    return _step_once(command=StepCommand(
        caller=f"api:{actor.subject}", key=idempotency_key_given(idempotency_key), feedback_id=feedback_id,
        action=action, actor=actor, body=body.model_dump(mode="json", exclude_unset=True), request_id=request_id))


@idempotent_function(data_keyword_argument="command", persistence_store=persistence_store("file-feedback"),
                     config=FILE_IDEMPOTENCY, output_serializer=PydanticSerializer(FeedbackView))
def _file_once(command: FileCommand) -> FeedbackView:
    fb = service.file(command.feedback, command.actor, command.request_id, command.idempotency_key)
    return feedback_view(fb, service.feedback.history(fb.id), service.clock())


@idempotent_function(data_keyword_argument="command", persistence_store=persistence_store("feedback-step"),
                     config=STEP_IDEMPOTENCY, output_serializer=PydanticSerializer(FeedbackView))
def _step_once(command: StepCommand) -> FeedbackView:
    body = STEP_BODIES[command.action].model_validate(command.body)
    fb = service.act(command.feedback_id, command.action, body, command.actor, command.request_id)
    return feedback_view(fb, service.feedback.history(fb.id), service.clock())
