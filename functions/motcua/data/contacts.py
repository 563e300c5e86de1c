"""Whom to notify and how: each subject's notification settings and registered devices (app push).

Items (single table, see ``motcua.data.table``):

=====================  ==============================  =================================================
item                   pk                              sk
=====================  ==============================  =================================================
notification settings  ``CONTACT#<subject>``           ``SETTINGS`` (officials: in ``gsi2`` under
                                                       ``STAFF#<agency>#<role>``, sorted by subject)
device registration    ``CONTACT#<subject>``           ``DEVICE#<installation id>``
push token holder      ``PUSHTOKEN#<token sha-256>``   ``HOLDER`` (who registered the token last)
=====================  ==============================  =================================================

``gsi2`` is the agency's work list; officials' settings join it under their own partition prefix, so an
agency's leaders are one query (``officials_of``), never a scan. Role and agency are copied from the token
when the official saves their settings: the token is the authority, the item only a directory of it.

A device keeps its platform, the SNS platform endpoint ARN, a hash of its push token (enough to tell a new
token from the same one; the token itself lives in SNS, which needs it) and the role and agency it was
registered under.

A push token belongs to one phone, and SNS gives one endpoint per token: when another person registers the
same token (a shared phone, a new login), the previous holder's registration is removed, or that person's
notices would reach the phone of someone else.

The SNS calls that manage platform endpoints are here too: only ``motcua.data`` touches boto3.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, QueryError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from motcua.data.models import Item
from motcua.data.transactions import StorageUnavailable
from motcua.domain.errors import MotcuaError

SETTINGS_SK = "SETTINGS"
DEVICE_PREFIX = "DEVICE#"


def _pk(subject: str) -> str:
    return f"CONTACT#{subject}"


def staff_partition(agency_code: str, role: str) -> str:
    return f"STAFF#{agency_code}#{role}"


class _StaffIndex(GlobalSecondaryIndex):
    """``gsi2``: officials' settings by agency and role (``STAFF#<agency>#<role>`` / ``<subject>``)."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class _SettingsItem(Item):
    class Meta(Item.Meta):  # follows ``models.bind`` like the models in ``models``
        pass

    gsi2pk = UnicodeAttribute(null=True)  # officials only: STAFF#<agency>#<role>
    gsi2sk = UnicodeAttribute(null=True)  # <subject>
    staff = _StaffIndex()
    doc = UnicodeAttribute()


class _DeviceItem(Item):
    class Meta(Item.Meta):
        pass

    platform = UnicodeAttribute()
    endpoint_arn = UnicodeAttribute()
    token_sha256 = UnicodeAttribute()
    role = UnicodeAttribute()
    agency_code = UnicodeAttribute(null=True)
    registered_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class _TokenHolderItem(Item):
    class Meta(Item.Meta):
        pass

    subject = UnicodeAttribute()
    installation_id = UnicodeAttribute()


@dataclass(frozen=True)
class ContactSettings:
    """What a subject chose. ``channels`` empty: not chosen (every channel they have). Officials also give
    a work e-mail and phone (E.164); ``role`` and ``agency_code`` are their token's."""

    subject: str
    channels: tuple[str, ...]
    role: str
    agency_code: str | None
    updated_at: datetime
    work_email: str | None = None
    work_phone: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["channels"] = list(self.channels)
        out["updated_at"] = self.updated_at.isoformat()
        return out


@dataclass(frozen=True)
class Device:
    subject: str
    installation_id: str
    platform: str  # "fcm" | "apns"
    endpoint_arn: str
    token_sha256: str
    # The token's role and agency when registered: a citizen's notices never go to a device an official
    # registered for work (an official may own counter dossiers), nor officials' to a citizen's.
    role: str
    agency_code: str | None
    registered_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["registered_at"] = self.registered_at.isoformat()
        out["updated_at"] = self.updated_at.isoformat()
        return out


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _storage_error(error: Exception) -> StorageUnavailable:
    return StorageUnavailable({"reason": str(getattr(error, "cause_response_code", "") or "")})


# --- settings ------------------------------------------------------------------------------------------

def _settings(item: _SettingsItem) -> ContactSettings:
    raw = json.loads(item.doc)
    return ContactSettings(subject=raw["subject"], channels=tuple(raw.get("channels") or ()), role=raw["role"],
                           agency_code=raw.get("agency_code"), updated_at=datetime.fromisoformat(raw["updated_at"]),
                           work_email=raw.get("work_email"), work_phone=raw.get("work_phone"))


def get_settings(subject: str) -> ContactSettings | None:
    try:
        return _settings(_SettingsItem.get(_pk(subject), SETTINGS_SK, consistent_read=True))
    except DoesNotExist:
        return None


def put_settings(settings: ContactSettings, *, staff: bool) -> None:
    """Write the settings whole; ``staff``: list them under their agency and role (officials)."""
    item = _SettingsItem(_pk(settings.subject), SETTINGS_SK, doc=json.dumps(settings.as_dict(), ensure_ascii=False))
    if staff and settings.agency_code:
        item.gsi2pk, item.gsi2sk = staff_partition(settings.agency_code, settings.role), settings.subject
    try:
        item.save()
    except PutError as error:
        raise _storage_error(error) from error


def officials_of(agency_code: str, role: str, limit: int = 100) -> list[ContactSettings]:
    """The officials of one agency in one role who saved their settings (``gsi2``: one query)."""
    try:
        return [_settings(item) for item in _SettingsItem.staff.query(staff_partition(agency_code, role), limit=limit)]
    except QueryError as error:
        raise _storage_error(error) from error


# --- devices -------------------------------------------------------------------------------------------

def _device(item: _DeviceItem) -> Device:
    return Device(subject=item.pk.removeprefix("CONTACT#"), installation_id=item.sk.removeprefix(DEVICE_PREFIX),
                  platform=item.platform, endpoint_arn=item.endpoint_arn, token_sha256=item.token_sha256,
                  role=item.role, agency_code=item.agency_code,
                  registered_at=datetime.fromisoformat(item.registered_at),
                  updated_at=datetime.fromisoformat(item.updated_at))


def get_device(subject: str, installation_id: str) -> Device | None:
    try:
        return _device(_DeviceItem.get(_pk(subject), DEVICE_PREFIX + installation_id, consistent_read=True))
    except DoesNotExist:
        return None


def devices_of(subject: str, limit: int = 50) -> list[Device]:
    try:
        return [_device(i) for i in _DeviceItem.query(_pk(subject), _DeviceItem.sk.startswith(DEVICE_PREFIX),
                                                       consistent_read=True, limit=limit)]
    except QueryError as error:
        raise _storage_error(error) from error


def put_device(device: Device) -> None:
    item = _DeviceItem(_pk(device.subject), DEVICE_PREFIX + device.installation_id, platform=device.platform,
                       endpoint_arn=device.endpoint_arn, token_sha256=device.token_sha256, role=device.role,
                       agency_code=device.agency_code, registered_at=device.registered_at.isoformat(),
                       updated_at=device.updated_at.isoformat())
    try:
        item.save()
    except PutError as error:
        raise _storage_error(error) from error


def claim_token(digest: str, subject: str, installation_id: str) -> tuple[str, str] | None:
    """Record (``subject``, ``installation_id``) as the holder of the push token hashed as ``digest``; returns
    the previous holder when it was another registration (to be removed), else None. Compare-and-set on the
    holder read, so of two registrations racing for one token each sees the other as the previous one."""
    key = (f"PUSHTOKEN#{digest}", "HOLDER")
    for _ in range(3):
        try:
            current: _TokenHolderItem | None = _TokenHolderItem.get(*key, consistent_read=True)
        except DoesNotExist:
            current = None
        if current is not None and (current.subject, current.installation_id) == (subject, installation_id):
            return None
        condition = (_TokenHolderItem.pk.does_not_exist() if current is None else
                     (_TokenHolderItem.subject == current.subject)
                     & (_TokenHolderItem.installation_id == current.installation_id))
        try:
            _TokenHolderItem(*key, subject=subject, installation_id=installation_id).save(condition=condition)
        except PutError as error:
            if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
                continue  # another registration of the token won meanwhile: read it again
            raise _storage_error(error) from error
        return None if current is None else (current.subject, current.installation_id)
    raise StorageUnavailable({"reason": "push token holder kept changing"})


def delete_device(subject: str, installation_id: str, *, endpoint_arn: str | None = None,
                  token_sha256: str | None = None) -> bool:
    """Remove a registration; with ``endpoint_arn`` (``token_sha256``), only while it still points at that
    endpoint (holds that token): a device registered again meanwhile keeps its new one. ``False`` when there
    was nothing (so) to remove."""
    item = _DeviceItem(_pk(subject), DEVICE_PREFIX + installation_id)
    condition = _DeviceItem.pk.exists()
    if endpoint_arn:
        condition &= _DeviceItem.endpoint_arn == endpoint_arn
    if token_sha256:
        condition &= _DeviceItem.token_sha256 == token_sha256
    try:
        item.delete(condition=condition)
    except DeleteError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise _storage_error(error) from error
    return True


# --- SNS platform endpoints ------------------------------------------------------------------------------

class PushRegistrationFailed(MotcuaError):
    """SNS refused the device's token (or did not answer): nothing was stored."""

    code = "PUSH_REGISTRATION_FAILED"
    http_status = 503
    message_vi = "Chưa đăng ký được thiết bị nhận thông báo. Vui lòng thử lại sau."
    message_en = "The device could not be registered for push notifications. Please retry later."


@lru_cache(maxsize=1)
def _sns() -> Any:
    return boto3.client("sns")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# SNS answers a CreatePlatformEndpoint for a token it already holds with other attributes by naming the
# endpoint in its error message (AWS's documented registration pattern parses it).
_EXISTING = re.compile(r"Endpoint (arn:[^ ]+) already exists with the same [Tt]oken")


def _create_endpoint(application_arn: str, token: str) -> str:
    try:
        return str(_sns().create_platform_endpoint(PlatformApplicationArn=application_arn, Token=token)["EndpointArn"])
    except ClientError as error:
        found = _EXISTING.search(str(error.response.get("Error", {}).get("Message", "")))
        if _code(error) == "InvalidParameter" and found:
            return found.group(1)
        raise


def register_endpoint(application_arn: str, token: str, existing_arn: str | None) -> str:
    """The platform endpoint for ``token``, enabled: AWS's pattern for mobile token management. Creates it
    when there is none (or SNS lost it), updates the token of an existing one, re-enables a disabled one.
    Calling it again with the same token changes nothing."""
    try:
        arn = existing_arn or _create_endpoint(application_arn, token)
        try:
            attributes = _sns().get_endpoint_attributes(EndpointArn=arn)["Attributes"]
        except ClientError as error:
            if _code(error) != "NotFound":
                raise
            arn = _create_endpoint(application_arn, token)
            attributes = _sns().get_endpoint_attributes(EndpointArn=arn)["Attributes"]
        if attributes.get("Token") != token or str(attributes.get("Enabled", "true")).lower() != "true":
            _sns().set_endpoint_attributes(EndpointArn=arn, Attributes={"Token": token, "Enabled": "true"})
        return arn
    except (ClientError, BotoCoreError) as error:
        reason = _code(error) if isinstance(error, ClientError) else type(error).__name__
        raise PushRegistrationFailed({"reason": reason}) from error


def delete_endpoints(arns: Iterable[str]) -> None:
    """Delete platform endpoints (idempotent in SNS: an unknown one is no error)."""
    for arn in arns:
        try:
            _sns().delete_endpoint(EndpointArn=arn)
        except ClientError as error:
            if _code(error) not in ("NotFound", "InvalidParameter"):
                raise
