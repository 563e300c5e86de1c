"""The notifier's work for one queued event: read the dossier, find who is told (the citizen; for SLA notices
also the officials), render each one's notice, send it by each of their channels, record each delivery.

Who and how (``recipients``):

* the **citizen** (the dossier's owner): every event of ``templates.compose``. Addresses are the applicant's
  on the dossier (e-mail when given, SMS to the phone), plus app push to the devices the citizen registered.
  If they saved notification settings, only the channels they chose; otherwise every channel they have.
  An apology's e-mail carries the Form 04 PDF (``letter_key``) as an attachment.
* **officials**, for SLA notices (``templates.OFFICIAL_EVENTS``, ``OFFICIAL_ADDRESSEES``): the
  dossier's processing officer and the leaders of the agency handling it (``Dossier.current_agency``), at
  the work e-mail, phone and devices of their saved settings, by the channels they chose.

Idempotent per (event id, recipient, channel, device), with Powertools idempotency in the notifier's own
store: when one delivery went out and another failed, SQS delivers the message again and only the failed
one is tried again; a duplicate of the message (standard queues deliver at least once, the relay too)
sends nothing twice and, as recipients are resolved again, misses nobody. A failed delivery fails the
whole message (partial batch failure), so SQS retries it and after the queue's ``max_receive_count`` moves
it to the DLQ. A push endpoint SNS reports disabled or gone is removed from the registrations and recorded
as ``endpoint_removed``: not a failure. Nothing here writes to the dossier: a failed notice never blocks it.

The delivery records are the trail of the use of contact details: which event, whom (audience and a hash),
which channel, which template, a masked recipient, the outcome.
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

from motcua.data import contacts, notifications
from motcua.data.idempotency import REDRIVE_WINDOW_S, persistence_store
from motcua.data.repositories import DossierNotFound, DossierRepository
from motcua.domain import sla
from motcua.domain.calendar import VN_TZ
from motcua.domain.dossier import Applicant, Dossier
from motcua.domain.events import ApologyIssued, EventEnvelope, SlaTimerFired, StatusChanged, StepTimerFired
from motcua.notifications.templates import (
    OFFICIAL_EVENTS,
    STEP_EVENTS,
    DossierFacts,
    Rendered,
    compose,
    compose_for_official,
    compose_step_notice,
    push_message,
)

logger = Logger(child=True)

ChannelName = Literal["email", "sms", "push"]
Audience = Literal["citizen", "reception_officer", "processing_officer", "agency_leader"]

# Redriven messages may come back days later: deliveries are remembered as long as a DLQ keeps them.
# ``device`` is empty except for push, where each of a recipient's devices is its own delivery.
NOTIFIER_IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="[envelope_id, recipient, channel, device]",
                                         expires_after_seconds=REDRIVE_WINDOW_S, raise_on_no_idempotency_key=True)

_DATA_MODELS: dict[str, type[BaseModel]] = {
    "dossier.status_changed": StatusChanged,
    "dossier.apology_issued": ApologyIssued,
    sla.WARNING_EVENT: SlaTimerFired,
    sla.BREACH_EVENT: SlaTimerFired,
    **dict.fromkeys(STEP_EVENTS, StepTimerFired),
}


class PermanentNotificationError(Exception):
    """The message can never be delivered as sent (malformed, unknown dossier): DLQ with this reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


class DeliveryIncomplete(Exception):
    """At least one delivery failed: the message goes back to SQS (the others are remembered as sent)."""

    def __init__(self, failures: dict[str, str]) -> None:
        super().__init__(", ".join(f"{target}: {code}" for target, code in sorted(failures.items())))
        self.failures = failures


class DeliveryTask(BaseModel):
    """One notice to one recipient on one channel (and device): the idempotency payload."""

    model_config = ConfigDict(defer_build=True)

    envelope_id: str
    recipient: str  # the subject told (hashed into the key and the record, never stored as is)
    audience: Audience
    channel: ChannelName
    device: str = ""  # push: the installation id
    dossier_id: str
    receipt_code: str
    event_type: str
    occurred_at: str  # ISO 8601 with offset
    template_id: str
    address: str  # e-mail, E.164 phone, or the platform endpoint ARN
    platform: str | None = None  # push: fcm | apns
    sender: str
    subject: str
    text: str
    email_body: str
    attachment_key: str | None = None  # the Form 04 PDF in the documents bucket (apology e-mail)


class DeliveryOutcome(BaseModel):
    """Stored by idempotency (no personal data): what a repeated delivery answers without sending."""

    model_config = ConfigDict(defer_build=True)

    channel: ChannelName
    provider_message_id: str
    status: str = "sent"


@dataclass(frozen=True)
class Recipient:
    """Someone to tell and where: addresses, devices, and the channels they chose (empty: all they have)."""

    subject: str
    audience: Audience
    email: str | None = None
    phone: str | None = None
    devices: tuple[contacts.Device, ...] = ()
    chosen: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    channel: ChannelName
    address: str
    device: str = ""
    platform: str | None = None


@dataclass
class NotifyResult:
    envelope_id: str
    event_type: str
    template_id: str | None = None  # the first notice's; None: nobody is told of this event
    sent: dict[str, str] = field(default_factory=dict)  # "<audience>/<channel>[/<device>]" -> provider id
    removed: list[str] = field(default_factory=list)  # dead push endpoints dropped


def mask_address(channel: ChannelName, address: str, device: str = "") -> str:
    """Enough to tell which address was used, not enough to use it."""
    if channel == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if channel == "push":
        return f"device:{device[:4]}***"
    return address[:5] + "*" * max(0, len(address) - 7) + address[-2:]


def channels_for(applicant: Applicant) -> list[tuple[ChannelName, str]]:
    """The contacts the applicant gave on the dossier: e-mail when they left one, SMS to their phone (E.164)."""
    found: list[tuple[ChannelName, str]] = []
    if applicant.email:
        found.append(("email", applicant.email))
    if applicant.phone:
        found.append(("sms", applicant.phone))
    return found


def targets_for(recipient: Recipient) -> list[Target]:
    """Every channel the recipient has, narrowed to the ones they chose when they chose any."""
    found: list[Target] = []
    if recipient.email:
        found.append(Target("email", recipient.email))
    if recipient.phone:
        found.append(Target("sms", recipient.phone))
    found += [Target("push", d.endpoint_arn, d.installation_id, d.platform) for d in recipient.devices]
    if recipient.chosen:
        found = [t for t in found if t.channel in recipient.chosen]
    return found


def citizen_of(dossier: Dossier) -> Recipient:
    """The dossier's owner at the applicant's contacts, with their devices and choice. An official who
    submitted at the counter owns the dossier too: their own settings and work devices are not used then."""
    settings = contacts.get_settings(dossier.owner)
    citizen = settings is None or settings.role == "citizen"
    devices = tuple(d for d in contacts.devices_of(dossier.owner) if d.role == "citizen") if citizen else ()
    applicant = dict(channels_for(dossier.applicant))
    return Recipient(subject=dossier.owner, audience="citizen", email=applicant.get("email"),
                     phone=applicant.get("sms"), devices=devices,
                     chosen=settings.channels if settings is not None and citizen else ())


def _official(subject: str, audience: Audience, agency: str,
              settings: contacts.ContactSettings | None) -> Recipient:
    devices = tuple(d for d in contacts.devices_of(subject) if (d.role, d.agency_code) == (audience, agency))
    if settings is None:
        return Recipient(subject=subject, audience=audience, devices=devices)
    return Recipient(subject=subject, audience=audience, email=settings.work_email, phone=settings.work_phone,
                     devices=devices, chosen=settings.channels)


def officials_of(dossier: Dossier) -> list[Recipient]:
    """The processing officer (if any yet) and the leaders of the agency handling the dossier, once each."""
    agency = dossier.current_agency
    found: dict[str, Recipient] = {}
    officer = dossier.processing_officer
    if officer:
        settings = contacts.get_settings(officer)
        # Saved settings say where they work now: an officer since moved to another agency or role gets no
        # work e-mail or SMS about this one (only devices registered for this agency, if any).
        if settings is not None and (settings.role, settings.agency_code) != ("processing_officer", agency):
            settings = None
        found[officer] = _official(officer, "processing_officer", agency, settings)
    for leader in contacts.officials_of(agency, "agency_leader"):
        found.setdefault(leader.subject, _official(leader.subject, "agency_leader", agency, leader))
    return list(found.values())


def step_recipients(data: dict[str, Any]) -> list[Recipient]:
    """Who a step notice reaches: the step's officers named in it, each at the settings of their role at the
    step's agency; none named (escalated, or nobody assigned): the agency's leaders."""
    agency = str(data["agency_code"])
    found: dict[str, Recipient] = {}
    for subject in data.get("recipients") or ():
        settings = contacts.get_settings(subject)
        if settings is None or settings.agency_code != agency or settings.role not in STEP_ROLES:
            continue  # moved elsewhere since: their work channels are not this agency's
        found[subject] = _official(subject, settings.role, agency, settings)  # type: ignore[arg-type]
    if not found:
        for leader in contacts.officials_of(agency, "agency_leader"):
            found.setdefault(leader.subject, _official(leader.subject, "agency_leader", agency, leader))
    return list(found.values())


STEP_ROLES = frozenset({"reception_officer", "processing_officer", "agency_leader"})


class _OtherData(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="allow")


def parse_envelope(body: str) -> EventEnvelope[Any]:
    """The queued envelope, its data typed when its type is notified (else kept as is)."""
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
    apology = dossier.apology
    return DossierFacts(receipt_code=dossier.receipt_code, procedure_name_vi=dossier.procedure_name_vi,
                        full_name=dossier.applicant.full_name, appointment_at=dossier.appointment_at,
                        payment_amount_vnd=dossier.payment.amount_vnd if dossier.payment else None,
                        stop_reason=dossier.stop_reason,
                        apology_new_appointment_at=apology.new_appointment_at if apology else None,
                        apology_drafted_by_system=apology is not None and apology.issued_by == "system")


def _now() -> datetime:
    return datetime.now(UTC)


def _letter_file_name(receipt_code: str) -> str:
    return f"Mau04-thu-xin-loi-{receipt_code}.pdf"


def _send(task: DeliveryTask) -> str:
    if task.channel == "email":
        attachments = []
        if task.attachment_key:
            attachments.append(notifications.MailAttachment(_letter_file_name(task.receipt_code),
                                                            notifications.read_document(task.attachment_key)))
        return notifications.send_email(sender=task.sender, to=task.address, subject=task.subject,
                                        body=task.email_body, attachments=attachments)
    if task.channel == "push":
        rendered = Rendered(template_id=task.template_id, subject=task.subject, text=task.text, email_body="")
        return notifications.send_push(endpoint_arn=task.address, message=push_message(
            rendered, {"dossier_id": task.dossier_id, "receipt_code": task.receipt_code,
                       "template_id": task.template_id, "event_type": task.event_type}))
    return notifications.send_sms(phone_e164=task.address, text=task.text)


def _record(task: DeliveryTask, status: notifications.DeliveryStatus, *, message_id: str | None = None,
            error: str | None = None) -> None:
    occurred_at = datetime.fromisoformat(task.occurred_at)
    notifications.record_delivery(
        dossier_id=task.dossier_id, envelope_id=task.envelope_id, event_type=task.event_type,
        occurred_at=occurred_at, day=occurred_at.astimezone(VN_TZ).date(), recipient=task.recipient,
        audience=task.audience, channel=task.channel, device=task.device or None, status=status,
        template_id=task.template_id, recipient_masked=mask_address(task.channel, task.address, task.device),
        at=_now(), provider_message_id=message_id, error=error)


@idempotent_function(data_keyword_argument="task", persistence_store=persistence_store("notifier"),
                     config=NOTIFIER_IDEMPOTENCY, output_serializer=PydanticSerializer(DeliveryOutcome))
def deliver(task: DeliveryTask) -> DeliveryOutcome:
    """Send one notice and record it. Raises ``DeliveryFailed`` (recorded as failed) so the idempotency
    record is dropped and a redelivery tries again; a dead push endpoint is removed, not retried."""
    try:
        message_id = _send(task)
    except notifications.EndpointGone as error:
        # The app was uninstalled or the token expired: SNS will not deliver there again. Drop the
        # registration (unless the device registered a new endpoint meanwhile) and the endpoint.
        if contacts.delete_device(task.recipient, task.device, endpoint_arn=task.address):
            contacts.delete_endpoints([task.address])
        _record(task, "endpoint_removed", error=str(error))
        return DeliveryOutcome(channel=task.channel, provider_message_id="", status="endpoint_removed")
    except notifications.DeliveryFailed as error:
        _record(task, "failed", error=str(error))
        raise
    _record(task, "sent", message_id=message_id)
    return DeliveryOutcome(channel=task.channel, provider_message_id=message_id)


def _notices(envelope: EventEnvelope[Any], data: dict[str, Any], dossier: Dossier) -> list[tuple[Recipient, Rendered]]:
    """Who is told of this event, with what: the citizen (``compose``), and for SLA notices the officials."""
    facts = _facts(dossier)
    notices: list[tuple[Recipient, Rendered]] = []
    rendered = compose(envelope.type, data, facts)
    if rendered is not None:
        notices.append((citizen_of(dossier), rendered))
    if envelope.type in STEP_EVENTS:
        for official in step_recipients(data):
            step_notice = compose_step_notice(envelope.type, data, facts, official.audience)
            if step_notice is not None:
                notices.append((official, step_notice))
    if envelope.type in OFFICIAL_EVENTS:
        for official in officials_of(dossier):
            for_them = compose_for_official(envelope.type, data, facts, official.audience)
            if for_them is not None:
                notices.append((official, for_them))
    return notices


def notify(body: str, *, sender: str) -> NotifyResult:
    envelope = parse_envelope(body)
    result = NotifyResult(envelope_id=envelope.id, event_type=envelope.type)
    if envelope.type not in _DATA_MODELS:
        logger.info("event type not notified", extra={"event_type": envelope.type})
        return result
    data = envelope.data.model_dump()
    try:
        dossier = DossierRepository().get(data["dossier_id"])
    except DossierNotFound as error:
        raise PermanentNotificationError(error.code, f"dossier {data['dossier_id']} does not exist") from error
    notices = _notices(envelope, data, dossier)
    if not notices:
        return result
    result.template_id = notices[0][1].template_id
    letter = data.get("letter_key") if envelope.type == "dossier.apology_issued" else None
    failures: dict[str, str] = {}
    for recipient, rendered in notices:
        for target in targets_for(recipient):
            task = DeliveryTask(
                envelope_id=envelope.id, recipient=recipient.subject, audience=recipient.audience,
                channel=target.channel, device=target.device, dossier_id=dossier.id,
                receipt_code=dossier.receipt_code, event_type=envelope.type,
                occurred_at=envelope.occurred_at.isoformat(), template_id=rendered.template_id,
                address=target.address, platform=target.platform, sender=sender, subject=rendered.subject,
                text=rendered.text, email_body=rendered.email_body,
                attachment_key=letter if target.channel == "email" and recipient.audience == "citizen" else None)
            label = "/".join(p for p in (recipient.audience, target.channel, target.device) if p)
            try:  # every delivery is tried, whatever happened to the previous one
                outcome = deliver(task=task)
            except notifications.DeliveryFailed as error:
                failures[label] = error.code
            except IdempotencyAlreadyInProgressError:
                failures[label] = "IN_PROGRESS"  # a duplicate of this message is being delivered right now
            else:
                if outcome.status == "endpoint_removed":
                    result.removed.append(label)
                else:
                    result.sent[label] = outcome.provider_message_id
    if failures:
        raise DeliveryIncomplete(failures)
    return result
