"""Notification settings and push devices through the API, on DynamoDB Local and moto SNS: what is stored,
what SNS holds, officials found by agency and role with one query, the personal-data export."""

from __future__ import annotations

import uuid

import pytest

from motcua.data import contacts
from tests.integration.helpers import COMMUNE, bearer, subject_of

OTHER = "000.20.02.H36"
CITIZEN = ("citizen-hang",)
LEADER = ("chairman-tuan", "agency_leader", COMMUNE)
OFFICER = ("officer-minh", "processing_officer", COMMUNE)


def token() -> str:
    return f"fcm-{uuid.uuid4().hex}:{uuid.uuid4().hex}"


def endpoint(local_stack, arn: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        return local_stack.client("sns").get_endpoint_attributes(EndpointArn=arn)["Attributes"]
    except ClientError:
        return None


def test_settings_default_then_saved_and_officials_take_role_and_agency_from_their_token(api_client) -> None:
    fresh = api_client.get("/me/notification-settings", headers=bearer(*CITIZEN))
    assert fresh.status == 200, fresh.text
    assert fresh.json()["channels"] == [] and fresh.json().get("updated_at") is None

    saved = api_client.put("/me/notification-settings", json={"channels": ["sms", "push", "sms"]},
                           headers=bearer(*CITIZEN))
    assert saved.status == 200, saved.text
    assert saved.json()["channels"] == ["sms", "push"] and saved.json()["role"] == "citizen"
    assert api_client.get("/me/notification-settings", headers=bearer(*CITIZEN)).json()["channels"] == ["sms", "push"]

    # Citizens are told at the contacts on each dossier: a work address is for officials.
    refused = api_client.put("/me/notification-settings", json={"work_email": "hang@example.vn"},
                             headers=bearer(*CITIZEN))
    assert (refused.status, refused.json()["code"]) == (422, "CONTACT_FIELDS_OFFICIALS_ONLY")
    missing = api_client.put("/me/notification-settings", json={"channels": ["email"]}, headers=bearer(*LEADER))
    assert (missing.status, missing.json()["code"]) == (422, "CONTACT_MISSING")

    leader = api_client.put("/me/notification-settings",
                            json={"channels": ["email"], "work_email": "Tuan.Le@XuanHuong.gov.vn",
                                  "work_phone": "0987 654 321"}, headers=bearer(*LEADER))
    assert leader.status == 200, leader.text
    body = leader.json()
    assert (body["role"], body["agency_code"]) == ("agency_leader", COMMUNE)
    assert (body["work_email"], body["work_phone"]) == ("tuan.le@xuanhuong.gov.vn", "+84987654321")
    api_client.put("/me/notification-settings", json={"work_phone": "0987000111"}, headers=bearer(*OFFICER))
    api_client.put("/me/notification-settings", json={"work_phone": "0987000222"},
                   headers=bearer("leader-other", "agency_leader", OTHER))
    assert [s.subject for s in contacts.officials_of(COMMUNE, "agency_leader")] == [subject_of("chairman-tuan")]
    assert [s.subject for s in contacts.officials_of(COMMUNE, "processing_officer")] == [subject_of("officer-minh")]
    assert contacts.officials_of(COMMUNE, "citizen") == []  # citizens are in no agency's directory

    # A leader moved to another agency: their next save moves them in the directory.
    api_client.put("/me/notification-settings", json={"work_phone": "0987654321"},
                   headers=bearer("chairman-tuan", "agency_leader", OTHER))
    assert contacts.officials_of(COMMUNE, "agency_leader") == []
    assert sorted(s.subject for s in contacts.officials_of(OTHER, "agency_leader")) == sorted(
        [subject_of("chairman-tuan"), subject_of("leader-other")])
    inspector = api_client.get("/me/notification-settings", headers=bearer("inspector-y", "inspector"))
    assert inspector.status == 403


def test_a_device_registers_once_per_token_updates_on_a_new_token_and_is_removed(api_client, local_stack) -> None:
    installation = uuid.uuid4().hex
    first_token = token()
    first = api_client.put(f"/me/devices/{installation}", json={"platform": "fcm", "token": first_token},
                           headers=bearer(*CITIZEN))
    assert first.status == 200, first.text
    (stored,) = contacts.devices_of(subject_of("citizen-hang"))
    assert stored.platform == "fcm" and "/GCM/motcua-fcm/" in stored.endpoint_arn
    assert endpoint(local_stack, stored.endpoint_arn)["Token"] == first_token
    assert first_token not in repr(stored)  # only its hash is kept

    again = api_client.put(f"/me/devices/{installation}", json={"platform": "fcm", "token": first_token},
                           headers=bearer(*CITIZEN))
    assert again.status == 200 and again.json() == first.json()  # idempotent: nothing changed
    assert contacts.devices_of(subject_of("citizen-hang")) == [stored]

    # SNS disabled it meanwhile, the app got a new token: the same endpoint, updated and enabled again.
    local_stack.client("sns").set_endpoint_attributes(EndpointArn=stored.endpoint_arn,
                                                       Attributes={"Enabled": "false"})
    new_token = token()
    updated = api_client.put(f"/me/devices/{installation}", json={"platform": "fcm", "token": new_token},
                             headers=bearer(*CITIZEN))
    assert updated.status == 200, updated.text
    (changed,) = contacts.devices_of(subject_of("citizen-hang"))
    assert changed.endpoint_arn == stored.endpoint_arn and changed.token_sha256 != stored.token_sha256
    attributes = endpoint(local_stack, stored.endpoint_arn)
    assert (attributes["Token"], attributes["Enabled"]) == (new_token, "true")
    assert updated.json()["registered_at"] == first.json()["registered_at"]

    # The same installation moves to iOS: a new endpoint on the APNs application, the old one deleted.
    moved = api_client.put(f"/me/devices/{installation}", json={"platform": "apns", "token": "a" * 64},
                           headers=bearer(*CITIZEN))
    assert moved.status == 200, moved.text
    (ios,) = contacts.devices_of(subject_of("citizen-hang"))
    assert "/APNS/motcua-apns/" in ios.endpoint_arn and endpoint(local_stack, stored.endpoint_arn) is None

    bad = api_client.put("/me/devices/x", json={"platform": "fcm", "token": token()}, headers=bearer(*CITIZEN))
    assert bad.status == 422

    removed = api_client.delete(f"/me/devices/{installation}", headers=bearer(*CITIZEN))
    assert removed.status == 200, removed.text
    assert removed.json()["devices"] == []
    assert contacts.devices_of(subject_of("citizen-hang")) == [] and endpoint(local_stack, ios.endpoint_arn) is None
    assert api_client.delete(f"/me/devices/{installation}", headers=bearer(*CITIZEN)).status == 200


def test_a_phone_that_changes_hands_stops_receiving_its_former_users_notices(api_client) -> None:
    """One push token, one phone: when another person registers it, the previous registration goes, else the
    first person's notices (receipt codes, procedures) would reach the second person's screen."""
    shared = token()
    first = api_client.put(f"/me/devices/{uuid.uuid4().hex}", json={"platform": "fcm", "token": shared},
                           headers=bearer("citizen-lan"))
    assert first.status == 200, first.text
    (held,) = contacts.devices_of(subject_of("citizen-lan"))
    second = api_client.put(f"/me/devices/{uuid.uuid4().hex}", json={"platform": "fcm", "token": shared},
                            headers=bearer("citizen-binh"))
    assert second.status == 200, second.text
    assert contacts.devices_of(subject_of("citizen-lan")) == []
    (now_held,) = contacts.devices_of(subject_of("citizen-binh"))
    assert now_held.endpoint_arn == held.endpoint_arn  # SNS keeps one endpoint per token

    # The first person logs in again on that phone: it is theirs again, and only theirs.
    again = api_client.put(f"/me/devices/{held.installation_id}", json={"platform": "fcm", "token": shared},
                           headers=bearer("citizen-lan"))
    assert again.status == 200, again.text
    assert [d.installation_id for d in contacts.devices_of(subject_of("citizen-lan"))] == [held.installation_id]
    assert contacts.devices_of(subject_of("citizen-binh")) == []


@pytest.mark.usefixtures("catalogue")
def test_the_export_holds_the_settings_and_devices(api_client) -> None:
    api_client.put("/me/notification-settings", json={"channels": ["push"]}, headers=bearer(*CITIZEN))
    installation = uuid.uuid4().hex
    api_client.put(f"/me/devices/{installation}", json={"platform": "fcm", "token": token()},
                   headers=bearer(*CITIZEN))
    exported = api_client.get("/me/export", headers=bearer(*CITIZEN)).json()
    assert exported["notification_settings"]["channels"] == ["push"]
    assert [d["installation_id"] for d in exported["devices"]] == [installation]
    assert exported["devices"][0]["endpoint_arn"].startswith("arn:aws:sns:")
    other = api_client.get("/me/export", headers=bearer("citizen-an")).json()
    assert other["notification_settings"] is None and other["devices"] == []
