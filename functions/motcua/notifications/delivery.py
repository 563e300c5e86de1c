"""The notifier's work for one queued event: read the dossier, render the notice, send it by each of the
citizen's channels, record each delivery.

Idempotent per (event id, channel), with Powertools idempotency in the notifier's own store: when e-mail
went out and SMS failed, SQS delivers the message again and only the SMS is tried again; a duplicate of
the message (standard queues deliver at least once, the relay too) sends nothing twice. A channel that
fails fails the whole message (partial batch failure), so SQS retries it and after the queue's
``max_receive_count`` moves it to the DLQ. Nothing here writes to the dossier: a failed notice never
blocks or changes it.

The dossier is read for the applicant's contact details (events carry none). The delivery records are
the trail of that use: which event, which channel, which template, a masked recipient, the outcome.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from pydantic import BaseModel, ConfigDict, ValidationError

from motcua.data import notifications
from motcua.data.idempotency import persistence_store
from motcua.data.repositories import DossierNotFound, DossierRepository
from motcua.domain.calendar import VN_TZ
from motcua.domain.dossier import Applicant, Dossier
from motcua.notifications.templates import DossierFacts, Rendered, compose
from schemas.events import ApologyIssued, EventEnvelope, SlaTimerFired, StatusChanged

logger = Logger(child=True)

ChannelName = Literal["email", "sms"]

# Redriven messages may come back days later (DLQ retention is 14 days): remember deliveries that long.
NOTIFIER_IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="[envelope_id, channel]",
                                         expires_after_seconds=14 * 24 * 3600, raise_on_no_idempotency_key=True)

_DATA_MODELS: dict[str, type[BaseModel]] = {
    "dossier.status_changed": StatusChanged,
    "dossier.apology_issued": ApologyIssued,
    "dossier.sla_warning": SlaTimerFired,
    "dossier.sla_breached": SlaTimerFired,
}


class PermanentNotificationError(Exception):
    """The message can never be delivered as sent (malformed, unknown dossier): DLQ with this reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


class DeliveryIncomplete(Exception):
    """At least one channel failed: the message goes back to SQS (the others are remembered as sent)."""

    def __init__(self, failures: dict[str, str]) -> None:
        super().__init__(", ".join(f"{channel}: {code}" for channel, code in sorted(failures.items())))
        self.failures = failures


class DeliveryTask(BaseModel):
    """One notice on one channel: the idempotency payload (keyed on event id + channel)."""

    envelope_id: str
    channel: ChannelName
    dossier_id: str
    event_type: str
    occurred_at: str  # ISO 8601 with offset
    template_id: str
    address: str
    sender: str
    subject: str
    text: str
    email_body: str


class DeliveryOutcome(BaseModel):
    """Stored by idempotency (no personal data): what a repeated delivery answers without sending."""

    channel: ChannelName
    provider_message_id: str


@dataclass
class NotifyResult:
    envelope_id: str
    event_type: str
    template_id: str | None = None  # None: not an event citizens are told about
    sent: dict[str, str] = field(default_factory=dict)  # channel -> provider message id


def mask_address(channel: ChannelName, address: str) -> str:
    """Enough to tell which address was used, not enough to use it."""
    if channel == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return address[:5] + "*" * max(0, len(address) - 7) + address[-2:]


def channels_for(applicant: Applicant) -> list[tuple[ChannelName, str]]:
    """The channels the applicant gave: e-mail when they left an address, SMS to their phone (E.164, as
    stored at submission). App push: no endpoint is stored for anyone yet (see the package docstring)."""
    found: list[tuple[ChannelName, str]] = []
    if applicant.email:
        found.append(("email", applicant.email))
    if applicant.phone:
        found.append(("sms", applicant.phone))
    return found


class _OtherData(BaseModel):
    model_config = ConfigDict(extra="allow")


def parse_envelope(body: str) -> EventEnvelope[Any]:
    """The queued envelope, its data typed when citizens are notified of its type (else kept as is)."""
    try:
        raw = json.loads(body)
    except json.JSONDecodeError as error:
        raise PermanentNotificationError("MESSAGE_INVALID", f"not JSON: {error}") from error
    if not isinstance(raw, dict):
        raise PermanentNotificationError("MESSAGE_INVALID", "the envelope is not a JSON object")
    model = _DATA_MODELS.get(str(raw.get("type")), _OtherData)
    try:
        return EventEnvelope[model].model_validate(raw)  # type: ignore[valid-type]
    except ValidationError as error:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in error.errors()})
        raise PermanentNotificationError("MESSAGE_INVALID", f"invalid envelope fields: {fields}") from error


def _facts(dossier: Dossier) -> DossierFacts:
    return DossierFacts(receipt_code=dossier.receipt_code, procedure_name_vi=dossier.procedure_name_vi,
                        full_name=dossier.applicant.full_name, appointment_at=dossier.appointment_at,
                        payment_amount_vnd=dossier.payment.amount_vnd if dossier.payment else None,
                        stop_reason=dossier.stop_reason)


def _now() -> datetime:
    return datetime.now(UTC)


def _send(task: DeliveryTask) -> str:
    if task.channel == "email":
        return notifications.send_email(sender=task.sender, to=task.address, subject=task.subject,
                                        body=task.email_body)
    return notifications.send_sms(phone_e164=task.address, text=task.text)


def _record(task: DeliveryTask, status: notifications.DeliveryStatus, *, message_id: str | None = None,
            error: str | None = None) -> None:
    occurred_at = datetime.fromisoformat(task.occurred_at)
    notifications.record_delivery(
        dossier_id=task.dossier_id, envelope_id=task.envelope_id, event_type=task.event_type,
        occurred_at=occurred_at, day=occurred_at.astimezone(VN_TZ).date(), channel=task.channel, status=status,
        template_id=task.template_id, recipient_masked=mask_address(task.channel, task.address), at=_now(),
        provider_message_id=message_id, error=error)


@idempotent_function(data_keyword_argument="task", persistence_store=persistence_store("notifier"),
                     config=NOTIFIER_IDEMPOTENCY, output_serializer=PydanticSerializer(DeliveryOutcome))
def deliver(task: DeliveryTask) -> DeliveryOutcome:
    """Send one notice on one channel and record it. Raises ``DeliveryFailed`` (recorded as failed) so
    the idempotency record is dropped and a redelivery tries again."""
    try:
        message_id = _send(task)
    except notifications.DeliveryFailed as error:
        _record(task, "failed", error=str(error))
        raise
    _record(task, "sent", message_id=message_id)
    return DeliveryOutcome(channel=task.channel, provider_message_id=message_id)


def notify(body: str, *, sender: str) -> NotifyResult:
    envelope = parse_envelope(body)
    result = NotifyResult(envelope_id=envelope.id, event_type=envelope.type)
    if envelope.type not in _DATA_MODELS:
        logger.info("event type not notified to citizens", extra={"event_type": envelope.type})
        return result
    data = envelope.data.model_dump()
    try:
        dossier = DossierRepository().get(data["dossier_id"])
    except DossierNotFound as error:
        raise PermanentNotificationError(error.code, f"dossier {data['dossier_id']} does not exist") from error
    rendered: Rendered | None = compose(envelope.type, data, _facts(dossier))
    if rendered is None:
        return result
    result.template_id = rendered.template_id
    failures: dict[str, str] = {}
    for channel, address in channels_for(dossier.applicant):
        task = DeliveryTask(
            envelope_id=envelope.id, channel=channel, dossier_id=dossier.id, event_type=envelope.type,
            occurred_at=envelope.occurred_at.isoformat(), template_id=rendered.template_id, address=address,
            sender=sender, subject=rendered.subject, text=rendered.text, email_body=rendered.email_body)
        try:  # every channel is tried, whatever happened to the previous one
            outcome = deliver(task=task)
        except notifications.DeliveryFailed as error:
            failures[channel] = error.code
        except IdempotencyAlreadyInProgressError:
            failures[channel] = "IN_PROGRESS"  # a duplicate of this message is being delivered right now
        else:
            result.sent[channel] = outcome.provider_message_id
    if failures:
        raise DeliveryIncomplete(failures)
    return result
