"""Online payment through the national payment platform's emulator (docs/integrations.md §2): the citizen's
link, the platform's signed callback moving the dossier 6 -> 4 with its receipt, a forged or wrong one
refused with its code and audited, a duplicated one applied once, faults of the platform, and group 3b
counted from the recorded events."""

from __future__ import annotations

import uuid

import pytest

from motcua.cli.catalogue_cmds import seed_catalogue
from motcua.data import payment_gateways
from motcua.domain.actions import paid_through_gateway
from tests.integration.helpers import COMMUNE, bearer, submission, submit_headers

DESK = ("officer-lan", "reception_officer", COMMUNE)
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)
LEADER = ("chairman-tuan", "agency_leader", COMMUNE)
CALLBACK = "/payments/national/callback"


@pytest.fixture(autouse=True)
def catalogue(clean_table: str, local_stack) -> None:
    seed_catalogue(clean_table)
    local_stack.payment_platform.reset()


def act(api_client, dossier_id: str, name: str, who, body: dict | None = None):
    headers = {**bearer(*who), "idempotency-key": uuid.uuid4().hex}
    response = api_client.post(f"/dossiers/{dossier_id}/actions/{name}", json=body or {}, headers=headers)
    assert response.status == 200, (name, response.text)
    return response.json()


def awaiting_payment(api_client, amount: int = 50000) -> str:
    response = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers("citizen-hang"))
    assert response.status == 201, response.text
    dossier_id = response.json()["id"]
    act(api_client, dossier_id, "receive", DESK)
    act(api_client, dossier_id, "start_processing", PROCESSOR)
    view = act(api_client, dossier_id, "request_payment", PROCESSOR,
               {"amount_vnd": amount, "description": "Lệ phí đăng ký"})
    assert view["status"]["code"] == 6
    return dossier_id


def link(api_client, dossier_id: str, who: str = "citizen-hang"):
    return api_client.post(f"/dossiers/{dossier_id}/payments", json={}, headers=bearer(who))


def status_of(api_client, dossier_id: str) -> int:
    return api_client.get(f"/dossiers/{dossier_id}", headers=bearer("citizen-hang")).json()["status"]["code"]


def history(api_client, dossier_id: str) -> list[dict]:
    return api_client.get(f"/dossiers/{dossier_id}/history", headers=bearer(*LEADER)).json()["items"]


def test_paid_online_through_the_platform(api_client, local_stack) -> None:
    platform = local_stack.payment_platform
    dossier_id = awaiting_payment(api_client)
    first = link(api_client, dossier_id)
    assert first.status == 200, first.text
    again = link(api_client, dossier_id)  # idempotent: the same open transaction, one order at the platform
    assert again.json() == first.json()
    ref = first.json()["transaction_id"]
    assert first.json()["payment_url"].startswith(platform.url) and ref in first.json()["payment_url"]
    assert platform.state.orders[ref]["SoTien"] == "50000"

    platform.set_faults(duplicate_callbacks=1)
    callbacks = platform.callbacks_for(ref)
    assert len(callbacks) == 2
    answers = [api_client.post(CALLBACK, json=body) for body in callbacks]
    assert [a.status for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json() and answers[0].json()["MaLoi"] == "00"
    assert status_of(api_client, dossier_id) == 4

    events = history(api_client, dossier_id)
    paid = [e for e in events if e["action"] == "record_payment"]
    assert len(paid) == 1  # applied once
    stored = payment_gateways.get_transaction(ref)
    assert stored is not None and stored.status == "paid"
    assert stored.gateway_transaction_id == callbacks[0]["MaGiaoDich"]
    # Group 3b's test of "paid online" holds for the recorded event (docs/integrations.md §2).
    assert paid_through_gateway(paid[0]["details"])

    replay = dict(callbacks[0], MaGiaoDich="GDOTHER")  # a used transaction, another platform reference
    from infra.local.payment_platform import CALLBACK_FIELDS, sign
    replay["MaXacThuc"] = sign(platform.state.checksum_key, [str(replay[n]) for n in CALLBACK_FIELDS])
    refused = api_client.post(CALLBACK, json=replay)
    assert refused.status == 409 and refused.json()["code"] == "PAYMENT_ALREADY_CONFIRMED"
    assert len([e for e in history(api_client, dossier_id) if e["action"] == "record_payment"]) == 1


def test_forged_wrong_and_unknown_callbacks_are_refused(api_client, local_stack) -> None:
    from infra.local.payment_platform import CALLBACK_FIELDS, sign

    platform = local_stack.payment_platform
    dossier_id = awaiting_payment(api_client)
    ref = link(api_client, dossier_id).json()["transaction_id"]

    platform.set_faults(forge=1)
    forged = api_client.post(CALLBACK, json=platform.callbacks_for(ref)[0])
    assert forged.status == 401 and forged.json()["code"] == "PAYMENT_CHECKSUM_INVALID"
    assert forged.json()["message_vi"] and forged.json()["message_en"]

    wrong = platform.callbacks_for(ref)[0]
    wrong["SoTien"] = "5000"
    wrong["MaXacThuc"] = sign(platform.state.checksum_key, [str(wrong[n]) for n in CALLBACK_FIELDS])
    answer = api_client.post(CALLBACK, json=wrong)
    assert answer.status == 422 and answer.json()["code"] == "PAYMENT_AMOUNT_MISMATCH"
    assert any(e["action"] == "action_rejected" and e["details"].get("code") == "PAYMENT_AMOUNT_MISMATCH"
               for e in history(api_client, dossier_id))  # audited on the dossier's trail

    unknown = dict(platform.callbacks_for(ref)[0], MaThamChieu="MC000000000000000000")
    unknown["MaXacThuc"] = sign(platform.state.checksum_key, [str(unknown[n]) for n in CALLBACK_FIELDS])
    assert api_client.post(CALLBACK, json=unknown).json()["code"] == "PAYMENT_TRANSACTION_UNKNOWN"
    assert api_client.post(CALLBACK, json={"MaThamChieu": ref}).json()["code"] == "PAYMENT_CALLBACK_MALFORMED"
    assert api_client.post("/payments/nowhere/callback", json={}).json()["code"] == "PAYMENT_GATEWAY_UNKNOWN"
    assert status_of(api_client, dossier_id) == 6  # nothing applied


def test_link_refusals_and_platform_faults(api_client, local_stack) -> None:
    platform = local_stack.payment_platform
    dossier_id = awaiting_payment(api_client)
    assert link(api_client, dossier_id, "citizen-an").json()["code"] == "PAYMENT_NOT_OWNER"
    platform.set_faults(error_5xx=1)
    unavailable = link(api_client, dossier_id)
    assert unavailable.status == 503 and unavailable.json()["code"] == "PAYMENT_GATEWAY_UNAVAILABLE"
    platform.set_faults(slow=1, delay_s=3.0)  # longer than the secret's read timeout (2 s)
    assert link(api_client, dossier_id).json()["code"] == "PAYMENT_GATEWAY_UNAVAILABLE"
    platform.set_faults()
    retried = link(api_client, dossier_id)  # the same reference: the platform keeps one order for it
    assert retried.status == 200, retried.text
    assert list(platform.state.orders) == [retried.json()["transaction_id"]]

    other = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers("citizen-hang"))
    assert link(api_client, other.json()["id"]).json()["code"] == "PAYMENT_NOT_DUE"
