"""API models of a subject's notification settings and push devices (``/me/notification-settings``,
``/me/devices/{installation_id}``)."""

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from schemas.api import Email, Phone
from schemas.common import ApiModel

NotifyChannel = Literal["email", "sms", "push"]
PushPlatform = Literal["fcm", "apns"]


class NotificationSettingsIn(ApiModel):
    channels: list[NotifyChannel] = Field(
        default_factory=list, max_length=3,
        description="The channels to be told by; empty: every channel you have (e-mail and phone given on the "
                    "dossier, or your work contacts for officials; push to your registered devices)")
    work_email: Email | None = Field(default=None, description="Officials only: where SLA notices go by e-mail")
    work_phone: Phone | None = Field(default=None, description="Officials only: where SLA notices go by SMS")

    @field_validator("channels")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class DeviceView(ApiModel):
    installation_id: str
    platform: PushPlatform
    registered_at: datetime
    updated_at: datetime


class NotificationSettingsView(ApiModel):
    subject: str
    channels: list[NotifyChannel] = Field(description="Empty: not chosen, every channel you have is used")
    role: str = Field(description="From your token")
    agency_code: str | None = Field(default=None, description="From your token (officials)")
    work_email: str | None = None
    work_phone: str | None = None
    updated_at: datetime | None = Field(default=None, description="Absent: never saved (the defaults apply)")
    devices: list[DeviceView] = Field(default_factory=list)


class DeviceRegistration(ApiModel):
    platform: PushPlatform
    token: str = Field(min_length=8, max_length=4096, pattern=r"^[A-Za-z0-9:_.\-]+$",
                       description="The push token FCM or APNs gave the app on this installation")
