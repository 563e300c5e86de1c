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


# --- racing callbacks (docs/integrations.md §2: applied once per transaction) ---------------------------------

def _paid_events(api_client, dossier_id: str) -> list[dict]:
    return [e for e in history(api_client, dossier_id) if e["action"] == "record_payment"]


def test_two_racing_callbacks_apply_once_and_the_loser_is_answered(api_client, local_stack, monkeypatch) -> None:
    """Both notifications read the pending transaction before either writes (a barrier after each thread's first
    read makes the race certain), then both apply against DynamoDB Local at once: one wins the version-guarded
    transaction, the other is answered as applied (or busy, to be resent), never refused, never applied twice."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from motcua.handlers.api import payments

    service = payments()  # the api's payment service (made on the payment routes' first request)

    platform = local_stack.payment_platform
    dossier_id = awaiting_payment(api_client)
    ref = link(api_client, dossier_id).json()["transaction_id"]
    platform.set_faults(duplicate_callbacks=1)
    bodies = platform.callbacks_for(ref)
    assert len(bodies) == 2

    real_get = payment_gateways.get_transaction
    both_read = threading.Barrier(2, timeout=30)
    first_read = threading.local()

    def racing_get(transaction_id: str):
        found = real_get(transaction_id)
        if not getattr(first_read, "done", False):
            first_read.done = True
            both_read.wait()  # neither applies before both have read "pending"
        return found

    monkeypatch.setattr(payment_gateways, "get_transaction", racing_get)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda body: service.callback("national", body, None), bodies))
    monkeypatch.setattr(payment_gateways, "get_transaction", real_get)

    statuses = sorted(o.status for o in outcomes)
    assert statuses in ([200, 200], [200, 503]), [(o.status, o.body) for o in outcomes]
    for outcome in outcomes:
        if outcome.status == 503:  # retryable: a stable code, both languages, Retry-After
            assert outcome.code == "PAYMENT_CALLBACK_IN_PROGRESS" and outcome.headers["Retry-After"].isdigit()
            assert outcome.body["message_vi"] and outcome.body["message_en"]
        else:
            assert outcome.body["MaLoi"] == "00"
    assert len(_paid_events(api_client, dossier_id)) == 1  # applied exactly once
    assert not [e for e in history(api_client, dossier_id) if e["action"] == "action_rejected"]  # none refused
    assert status_of(api_client, dossier_id) == 4
    # The platform resending the busy one (or either) now gets the idempotent answer.
    assert api_client.post(CALLBACK, json=bodies[1]).json()["MaLoi"] == "00"
    assert len(_paid_events(api_client, dossier_id)) == 1


def test_concurrent_callbacks_through_two_execution_environments(api_client, local_stack) -> None:
    """The api function in two execution environments (worker processes, as Lambda runs them) behind the local
    HTTP adapter, a notification sent many times at once for each of several dossiers: no 500, every answer the
    idempotent success or the retryable busy one, each payment applied once."""
    import json as jsonlib
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from infra import declaration
    from infra.local.engines import free_port
    from infra.local.http_adapter import HttpAdapter, Route
    from infra.local.workers import WorkerPool

    api = next(f for f in declaration.FUNCTIONS if f.name == "api")
    pool = WorkerPool(api, 2)
    adapter = HttpAdapter([Route(pool, "/payments/{gateway}/callback", authorised=False, method="POST")],
                          port=free_port()).start()

    def send(body: dict) -> tuple[int, dict, str | None]:
        request = urllib.request.Request(f"{adapter.url}{CALLBACK}", data=jsonlib.dumps(body).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, jsonlib.loads(response.read()), response.headers.get("Retry-After")
        except urllib.error.HTTPError as error:
            return error.code, jsonlib.loads(error.read() or b"{}"), error.headers.get("Retry-After")

    try:
        platform = local_stack.payment_platform
        dossiers = [awaiting_payment(api_client) for _ in range(3)]
        refs = [link(api_client, d).json()["transaction_id"] for d in dossiers]
        send({"MaThamChieu": "warm-up"})  # both environments' cold start out of the race
        with ThreadPoolExecutor(2) as warm:
            list(warm.map(send, [{}, {}]))
        answers = []
        with ThreadPoolExecutor(4) as senders:
            for ref in refs:
                body = platform.callbacks_for(ref)[0]
                answers += list(senders.map(send, [body] * 4))
        assert pool.peak_busy == 2  # the environments did overlap
    finally:
        adapter.stop()
        pool.stop()
    assert all(status in (200, 503) for status, _, _ in answers), answers
    assert any(status == 200 for status, _, _ in answers)
    for status, body, retry_after in answers:
        if status == 503:
            assert body["code"] == "PAYMENT_CALLBACK_IN_PROGRESS" and retry_after and retry_after.isdigit()
        else:
            assert body["MaLoi"] == "00"
    for dossier_id in dossiers:
        assert len(_paid_events(api_client, dossier_id)) == 1
        assert status_of(api_client, dossier_id) == 4
