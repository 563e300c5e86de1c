"""Taking actions exactly once, from the API or from the actions queue.

Both paths call ``DossierService.act`` (one domain function) behind Powertools idempotency on a business
key: ``[caller, Idempotency-Key]`` for the API, ``[source_system, action_id]`` for queued messages, so a
retried request or a redelivered message changes the dossier once.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Literal

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from pydantic import BaseModel, ConfigDict

from motcua.data.idempotency import CLIENT_RETRY_WINDOW_S, REDRIVE_WINDOW_S, persistence_store
from motcua.data.repositories import AppliedKey, DossierNotFound
from motcua.domain.actors import Actor
from motcua.domain.commands import PAYLOADS, ActionBody, ActionName
from motcua.domain.errors import MotcuaError, NotFound, idempotency_key_given
from motcua.service.dossier_reads import reads
from motcua.service.dossiers import DossierService, dossier_view
from schemas.actions import ActionMessage
from schemas.api import DossierView
from schemas.common import ErrorBody


class ActionCommand(BaseModel):
    model_config = ConfigDict(defer_build=True)

    caller: str  # "api:<subject>" or "queue:<source system>"
    key: str  # the Idempotency-Key header, or the message's action_id
    dossier_id: str
    action: ActionName
    actor: Actor
    body: dict
    request_id: str | None = None


class ActionOutcome(BaseModel):
    """What a queued action came to; stored by idempotency so a redelivery answers the same."""

    model_config = ConfigDict(defer_build=True)

    result: Literal["applied", "rejected"]
    dossier: DossierView | None = None
    error: ErrorBody | None = None


API_IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="[caller, key]",
                                    payload_validation_jmespath="[dossier_id, action, body]",
                                    expires_after_seconds=CLIENT_RETRY_WINDOW_S, raise_on_no_idempotency_key=True)
# Queued actions may be redriven from the DLQ days later: remembered as long as a DLQ keeps them.
QUEUE_IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="[caller, key]",
                                      payload_validation_jmespath="[dossier_id, action, body]",
                                      expires_after_seconds=REDRIVE_WINDOW_S, raise_on_no_idempotency_key=True)

service = DossierService(reads=reads)  # the process's reads: the read-only groups share its clock


def _apply(command: ActionCommand, config: IdempotencyConfig) -> DossierView:
    body = PAYLOADS[command.action].model_validate(command.body)
    # The key is committed with the change: if an earlier attempt committed it and died before Powertools
    # recorded the outcome, this attempt cannot commit again (the marker's condition fails, or the domain
    # refuses the move first) and answers with the dossier as it stands instead of acting twice or refusing.
    request = json.dumps([command.dossier_id, command.action.value, command.body], sort_keys=True)
    applied = AppliedKey(key=f"{command.caller}#{command.key}", action=command.action.value,
                         expires_at=int(time.time()) + config.expires_after_seconds,
                         digest=hashlib.sha256(request.encode()).hexdigest())
    try:
        changed = service.act(command.dossier_id, command.action, body, command.actor, command.request_id,
                              applied=applied)
    except MotcuaError as error:
        if error.http_status < 500 and service.dossiers.applied(command.dossier_id, applied.key,
                                                                           applied.digest):
            return dossier_view(service.dossiers.get(command.dossier_id))
        raise
    return dossier_view(changed)


def act_from_api(dossier_id: str, action: ActionName, body: ActionBody, actor: Actor, idempotency_key: str | None,
                 request_id: str | None = None) -> DossierView:
    """An action a person takes through the API: once per their key (a retry answers the same)."""
    return _act_once_from_api(command=ActionCommand(
        caller=f"api:{actor.subject}", key=idempotency_key_given(idempotency_key), dossier_id=dossier_id,
        action=action, actor=actor, body=body.model_dump(mode="json", exclude_unset=True), request_id=request_id))


@idempotent_function(data_keyword_argument="command", persistence_store=persistence_store("api-action"),
                     config=API_IDEMPOTENCY, output_serializer=PydanticSerializer(DossierView))
def _act_once_from_api(command: ActionCommand) -> DossierView:
    return _apply(command, API_IDEMPOTENCY)


class PermanentMessageError(Exception):
    """The message can never succeed as sent (malformed, unknown dossier): it goes to the DLQ with this."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


@idempotent_function(data_keyword_argument="command", persistence_store=persistence_store("queued-action"),
                     config=QUEUE_IDEMPOTENCY, output_serializer=PydanticSerializer(ActionOutcome))
def act_from_queue(command: ActionCommand) -> ActionOutcome:
    try:
        return ActionOutcome(result="applied", dossier=_apply(command, QUEUE_IDEMPOTENCY))
    except DossierNotFound as error:
        raise PermanentMessageError(error.code, f"dossier {command.dossier_id} does not exist") from error
    except MotcuaError as error:
        if isinstance(error, NotFound) or error.http_status >= 500:
            raise  # not this message's fault: let SQS deliver it again
        # Conflicts with the stored record (stale version, forbidden move, a rule, the actor's rights):
        # refused, and the refusal kept on the dossier's trail.
        service.record_rejection(command.dossier_id, command.action.value, error, command.actor, command.request_id)
        return ActionOutcome(result="rejected", error=ErrorBody(**error.to_body()))


def command_from_message(message: ActionMessage, request_id: str | None) -> ActionCommand:
    return ActionCommand(caller=f"queue:{message.source_system}", key=message.action_id,
                         dossier_id=message.dossier_id, action=message.action, actor=message.actor,
                         body=message.payload, request_id=request_id or message.action_id)
