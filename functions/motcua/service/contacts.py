"""A subject's notification settings and push devices: ``/me/notification-settings``, ``/me/devices``.

Citizens choose channels; their addresses are the ones on each dossier. Officials also give a work e-mail
and phone, and their role and agency are copied from their token (the notifier finds an agency's leaders
by them, docs/domain.md §4.8). A device is an app installation: ``PUT`` registers its push token as an SNS platform
endpoint (the same token again changes nothing; a new token updates the endpoint), ``DELETE`` removes both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from motcua.data import contacts
from motcua.domain.access import require_role
from motcua.domain.actors import OFFICIAL_ROLES, Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.errors import Conflict, InvalidInput, MotcuaError
from motcua.settings import environment
from schemas.contacts import DeviceRegistration, DeviceView, NotificationSettingsIn, NotificationSettingsView

# Who has settings: citizens and the officials who work dossiers (inspectors and the system are told nothing).
ALLOWED_ROLES = (Role.CITIZEN, *sorted(OFFICIAL_ROLES))
MAX_DEVICES = 10  # per subject: phones and tablets, not a fleet


class ContactFieldsOfficialsOnly(InvalidInput):
    code = "CONTACT_FIELDS_OFFICIALS_ONLY"
    http_status = 422
    message_vi = "Chỉ cán bộ, công chức khai báo thư điện tử và số điện thoại công vụ; công dân nhận thông báo " \
                 "theo thông tin liên hệ trên hồ sơ."
    message_en = "Only officials give a work e-mail and phone; citizens are told at the contacts on each dossier."


class ContactMissing(InvalidInput):
    code = "CONTACT_MISSING"
    http_status = 422
    message_vi = "Kênh đã chọn cần thư điện tử hoặc số điện thoại công vụ tương ứng."
    message_en = "A chosen channel needs its work e-mail or phone."


class DeviceLimitReached(Conflict):
    code = "DEVICE_LIMIT_REACHED"
    message_vi = "Đã đăng ký quá số thiết bị cho phép; hãy gỡ một thiết bị cũ."
    message_en = "Too many devices are registered; remove an old one first."


class PushNotConfigured(MotcuaError):
    code = "PUSH_NOT_CONFIGURED"
    http_status = 503
    message_vi = "Hệ thống chưa cấu hình thông báo đẩy cho nền tảng này."
    message_en = "Push notifications are not configured for this platform."


def _now() -> datetime:
    return datetime.now(VN_TZ)


def application_arn_from_env(platform: str) -> str | None:
    """The SNS platform application of ``platform`` (``PUSH_FCM_APPLICATION_ARN``, ``PUSH_APNS_...``)."""
    return environment().push_application_arn(platform)


def _device_view(device: contacts.Device) -> DeviceView:
    return DeviceView(installation_id=device.installation_id, platform=device.platform,  # type: ignore[arg-type]
                      registered_at=device.registered_at, updated_at=device.updated_at)


@dataclass
class ContactService:
    clock: Callable[[], datetime] = field(default=_now)
    application_arn: Callable[[str], str | None] = field(default=application_arn_from_env)

    def view(self, actor: Actor) -> NotificationSettingsView:
        require_role(actor, *ALLOWED_ROLES)
        saved = contacts.get_settings(actor.subject)
        devices = [_device_view(d) for d in contacts.devices_of(actor.subject)]
        if saved is None:
            return NotificationSettingsView(subject=actor.subject, channels=[], role=actor.role.value,
                                            agency_code=actor.agency_code, devices=devices)
        return NotificationSettingsView(
            subject=actor.subject, channels=list(saved.channels), role=actor.role.value,  # type: ignore[arg-type]
            agency_code=actor.agency_code, work_email=saved.work_email, work_phone=saved.work_phone,
            updated_at=saved.updated_at, devices=devices)

    def save(self, actor: Actor, body: NotificationSettingsIn) -> NotificationSettingsView:
        require_role(actor, *ALLOWED_ROLES)
        official = actor.is_official
        if not official and (body.work_email or body.work_phone):
            raise ContactFieldsOfficialsOnly()
        if official:
            missing = [c for c, value in (("email", body.work_email), ("sms", body.work_phone))
                       if c in body.channels and not value]
            if missing:
                raise ContactMissing({"channels": missing})
        contacts.put_settings(contacts.ContactSettings(
            subject=actor.subject, channels=tuple(body.channels), role=actor.role.value,
            agency_code=actor.agency_code, updated_at=self.clock(), work_email=body.work_email,
            work_phone=body.work_phone), staff=official)
        return self.view(actor)

    def register_device(self, actor: Actor, installation_id: str, body: DeviceRegistration) -> DeviceView:
        require_role(actor, *ALLOWED_ROLES)
        application = self.application_arn(body.platform)
        if application is None:
            raise PushNotConfigured({"platform": body.platform})
        existing = contacts.get_device(actor.subject, installation_id)
        digest = contacts.token_hash(body.token)
        same_token = existing is not None and existing.platform == body.platform and existing.token_sha256 == digest
        if same_token and existing is not None and (existing.role, existing.agency_code) == (actor.role.value,
                                                                                             actor.agency_code):
            return _device_view(existing)  # the same token again: nothing to change (the app re-registers often)
        if existing is None and len(contacts.devices_of(actor.subject, limit=MAX_DEVICES + 1)) >= MAX_DEVICES:
            raise DeviceLimitReached({"max_devices": MAX_DEVICES})
        reuse = existing.endpoint_arn if existing is not None and existing.platform == body.platform else None
        if existing is not None and reuse is None:  # another platform: the old endpoint belongs to the old app
            contacts.delete_endpoints([existing.endpoint_arn])
        now = self.clock()
        # Same token, new role or agency (from the token): only the registration changes, SNS holds the same.
        endpoint = reuse if same_token and reuse else contacts.register_endpoint(application, body.token, reuse)
        device = contacts.Device(
            subject=actor.subject, installation_id=installation_id, platform=body.platform, endpoint_arn=endpoint,
            token_sha256=digest, role=actor.role.value, agency_code=actor.agency_code,
            registered_at=existing.registered_at if existing is not None else now, updated_at=now)
        contacts.put_device(device)
        previous = contacts.claim_token(digest, actor.subject, installation_id)
        if previous is not None:  # the phone changed hands: its former holder's notices must stop reaching it
            contacts.delete_device(*previous, token_sha256=digest)
        return _device_view(device)

    def remove_device(self, actor: Actor, installation_id: str) -> None:
        """Idempotent: removing a device that is not (or no longer) registered is no error."""
        require_role(actor, *ALLOWED_ROLES)
        existing = contacts.get_device(actor.subject, installation_id)
        if existing is None:
            return
        if contacts.delete_device(actor.subject, installation_id, endpoint_arn=existing.endpoint_arn):
            contacts.delete_endpoints([existing.endpoint_arn])

    def export(self, actor: Actor) -> dict[str, Any]:
        """What is held about the subject for notifications: their settings and their devices, as stored."""
        saved = contacts.get_settings(actor.subject)
        return {"notification_settings": saved.as_dict() if saved is not None else None,
                "devices": [d.as_dict() for d in contacts.devices_of(actor.subject)]}
