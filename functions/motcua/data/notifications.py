"""Notifications' storage and delivery channels: outbox claims, delivery records, SES e-mail (with the Form 04
PDF attached to an apology), SNS SMS and SNS mobile push.

The only module of the notification path that touches boto3 or pynamodb (queues are in ``queues``).

Items (single table, see ``motcua.data.table``):

=====================  ==============================  =================================================
item                   pk                              sk
=====================  ==============================  =================================================
outbox event           ``OUTBOX#<event id>``           ``OUTBOX`` (written by ``repositories``; pending in
                                                       ``gsi1`` under ``OUTBOX#PENDING``)
delivery record        ``DOSSIER#<id>``                ``NOTIFY#<occurred_at>#<event id>#<recipient ref>#``
                                                       ``<channel>[#<installation id>]``
=====================  ==============================  =================================================

One record per (event, recipient, channel, device): an event may reach the citizen and, for SLA notices,
officials (docs/domain.md §4.8). ``recipient ref`` is a hash of the recipient's subject, not the subject itself.

A delivery record is listed across dossiers in ``gsi1`` under ``NOTIFY#<yyyy-mm-dd>`` (the event's day in
Asia/Ho_Chi_Minh), sorted like its sort key, so ``motcua outbox`` reads a day's deliveries with one query
and no partition grows without bound. It keeps the channel, the outcome, the template id, who was told
(``audience``: citizen, processing_officer, agency_leader) and a masked recipient, never the message text
nor an address: the text is re-rendered from the template when anyone needs it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from functools import lru_cache
from typing import Any, Literal

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from motcua.data import documents
from motcua.data.models import Item, ListingIndex
from motcua.data.transactions import OUTBOX_PENDING, StorageUnavailable

Channel = Literal["email", "sms", "push"]
# endpoint_removed: SNS reported the device's endpoint disabled or gone; the registration was removed and the
# message counts as handled (a dead device is not a failure to retry).
DeliveryStatus = Literal["sent", "failed", "endpoint_removed"]

DELIVERY_PREFIX = "NOTIFY#"


# --- models --------------------------------------------------------------------------------------------
# ``Meta(Item.Meta)`` without a table name of its own: the name is looked up on ``Item.Meta``, which
# ``models.bind`` sets, so these models follow the bound table like the ones in ``models``.

class _OutboxClaim(Item):
    """The outbox item (same keys as ``models.OutboxItem``) with the relay's claim attributes."""

    class Meta(Item.Meta):
        pass

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    pending = ListingIndex()
    type = UnicodeAttribute()
    doc = UnicodeAttribute()
    relayed_at = UnicodeAttribute(null=True)
    claimed_by = UnicodeAttribute(null=True)
    claim_expires = NumberAttribute(null=True)  # epoch seconds


class _Delivery(Item):
    class Meta(Item.Meta):
        pass

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    listing = ListingIndex()
    dossier_id = UnicodeAttribute()
    envelope_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    channel = UnicodeAttribute()
    status = UnicodeAttribute()
    template_id = UnicodeAttribute()
    recipient = UnicodeAttribute()  # masked: enough to tell which address, not to use it
    audience = UnicodeAttribute(null=True)  # citizen | processing_officer | agency_leader (older records: citizen)
    recipient_ref = UnicodeAttribute(null=True)  # hash of the recipient's subject
    device = UnicodeAttribute(null=True)  # push: the app installation
    attempts = NumberAttribute(default=0)
    updated_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    provider_message_id = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)


# --- the outbox, as the relay sees it ------------------------------------------------------------------

@dataclass(frozen=True)
class PendingEvent:
    id: str
    type: str
    occurred_at: str
    doc: str  # the envelope, as written with the change
    claimed_by: str | None
    claim_expires: int | None


def _pending_event(item: _OutboxClaim) -> PendingEvent:
    return PendingEvent(
        id=item.pk.removeprefix("OUTBOX#"), type=item.type, occurred_at=(item.gsi1sk or "").rsplit("#", 1)[0],
        doc=item.doc, claimed_by=item.claimed_by,
        claim_expires=int(item.claim_expires) if item.claim_expires is not None else None)


def pending_outbox(limit: int) -> Iterator[PendingEvent]:
    """Undelivered events, oldest first, at most ``limit`` (the index is eventually consistent: a claim
    is always checked against the item itself)."""
    for item in _OutboxClaim.pending.query(OUTBOX_PENDING, scan_index_forward=True, limit=limit):
        yield _pending_event(item)


def _is_condition_failure(error: Exception) -> bool:
    cause = getattr(error, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


def claim_outbox(event_id: str, owner: str, now_s: int, lease_s: int) -> bool:
    """Take the event for ``owner`` until ``now_s + lease_s``, if it is still pending and nobody else holds
    an unexpired claim on it. Exactly one of several concurrent callers gets ``True``."""
    item = _OutboxClaim(f"OUTBOX#{event_id}", "OUTBOX")
    condition = (_OutboxClaim.gsi1pk == OUTBOX_PENDING) & (
        _OutboxClaim.claim_expires.does_not_exist() | (_OutboxClaim.claim_expires < now_s))
    try:
        item.update(actions=[_OutboxClaim.claimed_by.set(owner), _OutboxClaim.claim_expires.set(now_s + lease_s)],
                    condition=condition)
    except UpdateError as error:
        if _is_condition_failure(error):
            return False
        raise StorageUnavailable({"reason": str(error.cause_response_code or "")}) from error
    return True


def mark_relayed(event_id: str, owner: str, at: datetime) -> bool:
    """The event is on the queue: drop it from the pending index. ``False`` if ``owner`` lost the claim."""
    item = _OutboxClaim(f"OUTBOX#{event_id}", "OUTBOX")
    try:
        item.update(actions=[_OutboxClaim.gsi1pk.remove(), _OutboxClaim.gsi1sk.remove(),
                             _OutboxClaim.claimed_by.remove(), _OutboxClaim.claim_expires.remove(),
                             _OutboxClaim.relayed_at.set(at.isoformat())],
                    condition=_OutboxClaim.claimed_by == owner)
    except UpdateError as error:
        if _is_condition_failure(error):
            return False
        raise StorageUnavailable({"reason": str(error.cause_response_code or "")}) from error
    return True


def release_claim(event_id: str, owner: str) -> None:
    """Give the event back at once (sending failed), instead of letting the lease run out."""
    item = _OutboxClaim(f"OUTBOX#{event_id}", "OUTBOX")
    try:
        item.update(actions=[_OutboxClaim.claimed_by.remove(), _OutboxClaim.claim_expires.remove()],
                    condition=_OutboxClaim.claimed_by == owner)
    except UpdateError as error:
        if not _is_condition_failure(error):
            raise StorageUnavailable({"reason": str(error.cause_response_code or "")}) from error


# --- delivery records ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeliveryRecord:
    dossier_id: str
    envelope_id: str
    event_type: str
    occurred_at: str
    channel: str
    status: str
    template_id: str
    recipient: str
    audience: str
    device: str | None
    attempts: int
    updated_at: str
    sent_at: str | None
    provider_message_id: str | None
    last_error: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def recipient_ref(subject: str) -> str:
    """Tells one recipient's records from another's without naming them."""
    return hashlib.sha256(subject.encode("utf-8")).hexdigest()[:16]


def _delivery_sort_key(occurred_at: str, envelope_id: str, ref: str, channel: str, device: str | None) -> str:
    return f"{occurred_at}#{envelope_id}#{ref}#{channel}" + (f"#{device}" if device else "")


def listing_partition(day: date) -> str:
    return f"{DELIVERY_PREFIX}{day.isoformat()}"


def record_delivery(*, dossier_id: str, envelope_id: str, event_type: str, occurred_at: datetime, day: date,
                    recipient: str, audience: str, channel: str, device: str | None, status: DeliveryStatus,
                    template_id: str, recipient_masked: str, at: datetime, provider_message_id: str | None = None,
                    error: str | None = None) -> None:
    """One item per (event, recipient, channel, device): each attempt updates it (status, attempts + 1, last
    error). ``recipient`` is the subject: only its hash is stored."""
    ref = recipient_ref(recipient)
    sort = _delivery_sort_key(occurred_at.isoformat(), envelope_id, ref, channel, device)
    item = _Delivery(f"DOSSIER#{dossier_id}", f"{DELIVERY_PREFIX}{sort}")
    actions: list[Any] = [
        _Delivery.gsi1pk.set(listing_partition(day)), _Delivery.gsi1sk.set(sort),
        _Delivery.dossier_id.set(dossier_id), _Delivery.envelope_id.set(envelope_id),
        _Delivery.event_type.set(event_type), _Delivery.occurred_at.set(occurred_at.isoformat()),
        _Delivery.channel.set(channel), _Delivery.status.set(status), _Delivery.template_id.set(template_id),
        _Delivery.recipient.set(recipient_masked), _Delivery.audience.set(audience),
        _Delivery.recipient_ref.set(ref), _Delivery.attempts.add(1), _Delivery.updated_at.set(at.isoformat()),
    ]
    if device:
        actions.append(_Delivery.device.set(device))
    if status == "sent":
        actions.append(_Delivery.sent_at.set(at.isoformat()))
    if provider_message_id is not None:
        actions.append(_Delivery.provider_message_id.set(provider_message_id))
    if error is not None:
        actions.append(_Delivery.last_error.set(error[:500]))
    try:
        item.update(actions=actions)
    except (UpdateError, PutError) as exc:
        raise StorageUnavailable({"reason": str(exc.cause_response_code or "")}) from exc


def _record(item: _Delivery) -> DeliveryRecord:
    return DeliveryRecord(
        dossier_id=item.dossier_id, envelope_id=item.envelope_id, event_type=item.event_type,
        occurred_at=item.occurred_at, channel=item.channel, status=item.status, template_id=item.template_id,
        recipient=item.recipient, audience=item.audience or "citizen", device=item.device,
        attempts=int(item.attempts or 0), updated_at=item.updated_at,
        sent_at=item.sent_at, provider_message_id=item.provider_message_id, last_error=item.last_error)


def deliveries_of_dossier(dossier_id: str, limit: int) -> list[DeliveryRecord]:
    """A dossier's deliveries, newest event first."""
    query = _Delivery.query(f"DOSSIER#{dossier_id}", _Delivery.sk.startswith(DELIVERY_PREFIX),
                            scan_index_forward=False, limit=limit)
    return [_record(item) for item in query]


def deliveries_of_day(day: date, limit: int) -> list[DeliveryRecord]:
    """One day's deliveries across dossiers, newest event first."""
    query = _Delivery.listing.query(listing_partition(day), scan_index_forward=False, limit=limit)
    return [_record(item) for item in query]


# --- channels ------------------------------------------------------------------------------------------

class DeliveryFailed(Exception):
    """The provider did not take the message (the code is the provider's, e.g. ``MessageRejected``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@lru_cache(maxsize=1)
def _sesv2() -> Any:
    return boto3.client("sesv2")


@lru_cache(maxsize=1)
def _sns() -> Any:
    return boto3.client("sns")


def _failure(error: ClientError | BotoCoreError) -> DeliveryFailed:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return DeliveryFailed(str(details.get("Code") or "ClientError"), str(details.get("Message") or error))
    return DeliveryFailed(type(error).__name__, str(error))


@dataclass(frozen=True)
class MailAttachment:
    file_name: str  # ASCII: what the citizen's mail client shows
    content: bytes
    mime_type: str = "application/pdf"


def read_document(key: str) -> bytes:
    """An official document (Form 04) from the documents bucket, for attaching; a failure fails the send."""
    try:
        return documents.get_pdf(key)
    except (ClientError, BotoCoreError) as error:
        failure = _failure(error)
        raise DeliveryFailed(f"Attachment{failure.code}", str(error)) from error


def mime_message(*, sender: str, to: str, subject: str, body: str, attachments: Sequence[MailAttachment]) -> bytes:
    """A multipart MIME message (stdlib ``email``): the UTF-8 text, then each attachment, base64."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.file_name)
    return message.as_bytes(policy=SMTP)


def send_email(*, sender: str, to: str, subject: str, body: str, attachments: Sequence[MailAttachment] = ()) -> str:
    """SES (API v2) mail: plain text, or with attachments a raw MIME message; returns SES's message id."""
    if attachments:
        content: dict[str, Any] = {"Raw": {"Data": mime_message(sender=sender, to=to, subject=subject, body=body,
                                                                attachments=attachments)}}
    else:
        content = {"Simple": {"Subject": {"Data": subject, "Charset": "UTF-8"},
                              "Body": {"Text": {"Data": body, "Charset": "UTF-8"}}}}
    try:
        response = _sesv2().send_email(FromEmailAddress=sender, Destination={"ToAddresses": [to]}, Content=content)
    except (ClientError, BotoCoreError) as error:
        raise _failure(error) from error
    return str(response["MessageId"])


def send_sms(*, phone_e164: str, text: str) -> str:
    """SNS SMS straight to a phone number, as a transactional message (AWS routes those for reliability
    rather than price); returns SNS's message id."""
    try:
        response = _sns().publish(
            PhoneNumber=phone_e164,
            Message=text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )
    except (ClientError, BotoCoreError) as error:
        raise _failure(error) from error
    return str(response["MessageId"])


class EndpointGone(DeliveryFailed):
    """SNS will not deliver to this platform endpoint any more (disabled by the platform, or deleted)."""


def _endpoint_gone(error: ClientError) -> bool:
    details = error.response.get("Error", {})
    code, message = str(details.get("Code", "")), str(details.get("Message", ""))
    # AWS: EndpointDisabled; a deleted endpoint: NotFound or InvalidParameter "No endpoint found ...".
    return code in ("EndpointDisabled", "NotFound") or (code == "InvalidParameter" and "endpoint" in message.lower()
                                                         and ("no endpoint" in message.lower()
                                                              or "does not exist" in message.lower()))


def send_push(*, endpoint_arn: str, message: str) -> str:
    """SNS mobile push to one platform endpoint; ``message`` is the per-platform JSON (``MessageStructure``
    json, see ``templates.push_message``). Raises ``EndpointGone`` for a dead endpoint."""
    try:
        response = _sns().publish(TargetArn=endpoint_arn, MessageStructure="json", Message=message)
    except ClientError as error:
        if _endpoint_gone(error):
            details = error.response.get("Error", {})
            raise EndpointGone(str(details.get("Code") or "EndpointGone"), str(details.get("Message") or "")) from error
        raise _failure(error) from error
    except BotoCoreError as error:
        raise _failure(error) from error
    return str(response["MessageId"])
