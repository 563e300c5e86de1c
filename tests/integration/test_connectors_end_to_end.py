"""The national connectors end to end on the local stack (docs/integrations.md): a dossier submitted through the
API is synced to the national portal (the whole dossier first, then each progress step) and paid online
through the national payment platform (the platform calling the API back over HTTP), each through its
emulator with faults injected (timeouts, 5xx, dropped connections, duplicated and forged callbacks): nothing
lost, nothing applied twice. Then the monthly index job (its handler, on DynamoDB Local) reads these records:
indicator 1.4 from the portal's acknowledgements, group 3b from the payment records.

One section per partner (fixtures and helpers), then the tests. A new leg (postal collection and return) adds
its section and its own test, and its records to the index test if it feeds an indicator.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from infra import declaration
from infra.local import load_handler, make_context
from infra.local.engines import free_port
from infra.local.http_adapter import HttpAdapter, http_routes
from infra.local.payment_platform import CALLBACK_FIELDS, PaymentPlatformEmulator, sign
from infra.local.payment_platform import provision as provision_payment
from motcua.cli import main
from motcua.cli.catalogue_cmds import seed_catalogue
from motcua.data import national_portal as acks
from motcua.domain.calendar import VN_TZ
from motcua.domain.index import Month
from motcua.observability import personal_data_in
from tests.integration.helpers import COMMUNE, bearer, submission, submit_headers
from tests.integration.test_national_sync import (  # the sync leg's helpers: one consumer path for both files
    FIRST,
    STEP,
    dlq_messages,
    drain,
    portal,  # noqa: F401 - the fixture (emulator emptied, short timeouts, no backoff wait)
    relay,
    steps,
    sync_events,
    sync_round,
)

CITIZEN = "citizen-hang"
DESK = ("officer-lan", "reception_officer", COMMUNE)
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)
LEADER = ("chairman-tuan", "agency_leader", COMMUNE)
PROCEDURE = "1.001266"  # a commune procedure with a fee (seed catalogue)
CALLBACK = "/payments/national/callback"
AMOUNT = 50000


@pytest.fixture(autouse=True)
def catalogue(clean_table: str) -> None:
    seed_catalogue(clean_table)


# --- what the connectors log, as written (before the logging layer masks it) ------------------------------------

_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_LIBRARIES = ("botocore", "boto3", "urllib3", "pynamodb", "s3transfer")  # at INFO they log no request bodies


@pytest.fixture
def raw_log_lines(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """Every log line of the test with its extra fields, as the code wrote it: read before the logging layer's
    masking filter runs (``observability.MaskingFilter``), so a line that relies on the masker to hide personal
    data shows it here; what is printed stays masked. The connectors' and emulators' loggers at DEBUG, the
    rest at INFO (as deployed)."""
    from motcua import observability

    caplog.set_level(logging.INFO)
    for name in ("motcua", "infra"):
        caplog.set_level(logging.DEBUG, logger=name)
    lines: list[tuple[str, str]] = []

    def note(record: logging.LogRecord) -> None:
        if not record.name.startswith(_LIBRARIES) and not getattr(record, "_noted", False):
            extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
            lines.append((record.name, f"{record.getMessage()} {extras!r} {record.exc_info or ''}"))
            record._noted = True

    mask, handle = observability.MaskingFilter.filter, logging.Logger.callHandlers

    def masking(self: logging.Filter, record: logging.LogRecord) -> bool:
        note(record)  # before it is masked
        return mask(self, record)

    def handling(self: logging.Logger, record: logging.LogRecord) -> None:
        note(record)  # the lines of loggers without the masking filter
        handle(self, record)

    monkeypatch.setattr(observability.MaskingFilter, "filter", masking)
    monkeypatch.setattr(logging.Logger, "callHandlers", handling)
    return lines


def assert_no_personal_data(lines: list[tuple[str, str]], *expected: str) -> None:
    """The PII guard's rule (``personal_data_in``) over every line; the connectors' own lines were there."""
    assert personal_data_in(json.dumps(submission(PROCEDURE), ensure_ascii=False))  # the rule sees what we sent
    found = [(name, hit) for name, text in lines for hit in personal_data_in(text)]
    assert found == [], found[:5]
    for words in expected:
        assert any(words in text for _, text in lines), words


# --- the dossier, through the API ------------------------------------------------------------------------------

def submit(api_client, subject: str = CITIZEN) -> dict:
    response = api_client.post("/dossiers", json=submission(PROCEDURE), headers=submit_headers(subject))
    assert response.status == 201, response.text
    return response.json()


def act(api_client, dossier_id: str, name: str, who: tuple[str, str, str], **body: Any) -> dict:
    response = api_client.post(f"/dossiers/{dossier_id}/actions/{name}", json=body,
                               headers={**bearer(*who), "idempotency-key": uuid.uuid4().hex})
    assert response.status == 200, (name, response.text)
    return response.json()


def to_awaiting_payment(api_client, dossier_id: str) -> None:
    act(api_client, dossier_id, "receive", DESK)
    act(api_client, dossier_id, "start_processing", PROCESSOR)
    view = act(api_client, dossier_id, "request_payment", PROCESSOR, amount_vnd=AMOUNT, description="Lệ phí")
    assert view["status"]["code"] == 6


def status_of(api_client, dossier_id: str) -> int:
    return api_client.get(f"/dossiers/{dossier_id}", headers=bearer(CITIZEN)).json()["status"]["code"]


def trail(api_client, dossier_id: str, action: str) -> list[dict]:
    items = api_client.get(f"/dossiers/{dossier_id}/history", headers=bearer(*LEADER)).json()["items"]
    return [e for e in items if e["action"] == action]


# --- the national portal (sync leg): the fixture `portal` and helpers of test_national_sync -------------------

def sync(local_stack) -> None:
    """The outbox relay, then the sync consumer until its queue is empty."""
    relay()
    drain(local_stack)


# --- the national payment platform (payment leg) -----------------------------------------------------------------

@pytest.fixture
def platform(local_stack) -> Iterator[PaymentPlatformEmulator]:
    """The emulator emptied, calling back the API served over HTTP by the local adapter (as in `make run`)."""
    emulator = local_stack.payment_platform
    emulator.reset()
    adapter = HttpAdapter(http_routes(), port=free_port()).start()
    provision_payment(emulator, local_stack.endpoints, callback_url=f"{adapter.url}{CALLBACK}")
    try:
        yield emulator
    finally:
        adapter.stop()
        provision_payment(emulator, local_stack.endpoints)


def payment_link(api_client, dossier_id: str):
    return api_client.post(f"/dossiers/{dossier_id}/payments", json={}, headers=bearer(CITIZEN))


def signed(emulator: PaymentPlatformEmulator, body: dict[str, Any], **changes: str) -> dict[str, Any]:
    """A callback body changed and signed with the platform's real key (a replay, not a forgery)."""
    changed = dict(body, **changes)
    changed["MaXacThuc"] = sign(emulator.state.checksum_key, [str(changed[n]) for n in CALLBACK_FIELDS])
    return changed


def audit_codes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.code for r in caplog.records if r.name == "motcua.payments" and getattr(r, "audit", False)]


# --- the index (the monthly job's handler, on DynamoDB Local) ---------------------------------------------------

def run_index_job(api_client, month: Month) -> dict[str, dict[str, Any]]:
    """The scheduled job's handler for ``month``, then the commune's indicators as the API serves them."""
    function = declaration.function("index")
    load_handler(function.handler)({"month": str(month)}, make_context(function))
    response = api_client.get(f"/indexes/{month}/{COMMUNE}")
    assert response.status == 200, response.text
    return {i["id"]: i for i in response.json()["result"]["indicators"]}


def fraction(indicator: dict[str, Any]) -> tuple[int, int] | None:
    if indicator["numerator"] is None:
        return None
    return int(float(indicator["numerator"])), int(float(indicator["denominator"]))


# --- the tests -----------------------------------------------------------------------------------------------------

def test_a_dossier_is_synced_and_paid_online_through_faults_nothing_lost_nothing_twice(
        api_client, local_stack, portal, platform, caplog, raw_log_lines) -> None:  # noqa: F811 - the fixture
    dossier = submit(api_client)
    dossier_id, code = dossier["id"], dossier["receipt_code"]

    # Sync, first message: a 5xx, an answer after the client gave up (applied), a dropped connection (applied).
    portal.set_faults(error_5xx=1, slow=1, drop=1, delay_s=3.0)
    sync(local_stack)
    received = portal.state.summary()["received"]
    assert received[0]["service"] == FIRST and received[-1]["answer"] == "00"
    whole = portal.state.dossiers[code]  # the whole dossier, in the portal's field names
    assert whole["MaTTHC"] == PROCEDURE and whole["MaHoSo"] == code and whole["NgayTiepNhan"].isdigit()
    assert steps(portal, code) == ["1"]

    # Progress messages, through faults again: each step once, in order.
    to_awaiting_payment(api_client, dossier_id)
    portal.set_faults(error_5xx=1, slow=1, delay_s=3.0)
    sync(local_stack)
    assert steps(portal, code) == ["1", "2", "4", "6"]

    # The payment link through the platform's 5xx and its timeout: the retry names the same order.
    platform.set_faults(error_5xx=1)
    assert payment_link(api_client, dossier_id).json()["code"] == "PAYMENT_GATEWAY_UNAVAILABLE"
    platform.set_faults(slow=1, delay_s=3.0)  # longer than the connection's read timeout (2 s)
    assert payment_link(api_client, dossier_id).status == 503
    platform.set_faults()
    link = payment_link(api_client, dossier_id)
    assert link.status == 200, link.text
    ref = link.json()["transaction_id"]
    assert list(platform.state.orders) == [ref]

    # A forged callback (a wrong checksum), sent by the platform over HTTP: refused, audited, nothing applied.
    platform.set_faults(forge=1)
    (forged,) = platform.pay(ref)
    assert forged["status"] == 401 and forged["body"]["code"] == "PAYMENT_CHECKSUM_INVALID"
    assert forged["body"]["message_vi"] and forged["body"]["message_en"]
    assert "PAYMENT_CHECKSUM_INVALID" in audit_codes(caplog)
    assert status_of(api_client, dossier_id) == 6

    # The real one, duplicated by the platform, the copies at once: verified, applied once, both answered as
    # accepted (a copy answered busy is resent by the platform until it is).
    platform.set_faults(duplicate_callbacks=1, concurrent=True)
    answers = platform.pay(ref)
    assert [(a["status"], a["body"]["MaLoi"]) for a in answers] == [(200, "00"), (200, "00")]
    assert status_of(api_client, dossier_id) == 4
    assert len(trail(api_client, dossier_id, "record_payment")) == 1

    # A replay: the used transaction with another platform reference, properly signed: refused and audited.
    replay = signed(platform, platform.callbacks_for(ref)[0], MaGiaoDich="GDREPLAY0001")
    refused = api_client.post(CALLBACK, json=replay)
    assert refused.status == 409 and refused.json()["code"] == "PAYMENT_ALREADY_CONFIRMED"
    assert "PAYMENT_ALREADY_CONFIRMED" in audit_codes(caplog)
    assert [e["details"]["code"] for e in trail(api_client, dossier_id, "action_rejected")] \
        == ["PAYMENT_ALREADY_CONFIRMED"]
    assert len(trail(api_client, dossier_id, "record_payment")) == 1

    # The payment's progress reaches the portal too; nothing was lost on the way, nothing sent twice.
    portal.set_faults(drop=1)
    sync(local_stack)
    assert steps(portal, code) == ["1", "2", "4", "6", "4"]
    assert portal.state.summary()["dossiers"][code]["TrangThaiHoSo"] == "4"
    assert len(sync_events(dossier_id)) == 1  # one sync record: the whole dossier's acceptance
    assert [a.service for a in acks.acks_of(dossier_id)] == [FIRST] + [STEP] * 5
    assert dlq_messages(local_stack) == []
    assert_no_personal_data(raw_log_lines, "payment callback refused", "payment confirmed", "synced",
                            "national portal unavailable")


def test_indicators_1_4_and_3b_come_from_the_acknowledgements_and_the_payment_records(
        api_client, local_stack, portal, platform, capsys, raw_log_lines) -> None:  # noqa: F811 - the fixture
    month = Month.of(datetime.now(VN_TZ))
    paid, desk, failed, late = (submit(api_client) for _ in range(4))
    codes = {d["receipt_code"] for d in (paid, desk, failed, late)}
    assert len(codes) == 4

    # The portal refuses `failed`'s records and does not answer for `late`'s.
    portal.set_faults(refuse=[failed["receipt_code"]], error_5xx=10_000, only=[late["receipt_code"]])
    relay()
    for _ in range(6):
        sync_round(local_stack)
    for d in (paid, desk, failed, late):
        to_awaiting_payment(api_client, d["id"])

    # `paid`: paid online, its callback duplicated. `desk`: a forged callback refused, then paid at the counter
    # (recorded as "online" by the official: a flag, not a payment record). `failed`: the platform says not
    # paid. `late`: paid online too.
    refs = {d["id"]: payment_link(api_client, d["id"]).json()["transaction_id"] for d in (paid, desk, failed, late)}
    platform.set_faults(duplicate_callbacks=1)
    assert {a["status"] for a in platform.pay(refs[paid["id"]])} == {200}
    platform.set_faults(forge=1)
    assert platform.pay(refs[desk["id"]])[0]["status"] == 401
    act(api_client, desk["id"], "record_payment", PROCESSOR, amount_vnd=AMOUNT, online=True, reference="UNC-0001")
    act(api_client, desk["id"], "resume_processing", PROCESSOR)
    assert platform.pay(refs[failed["id"]], "24")[0]["status"] == 200  # acknowledged; the transaction closed
    assert status_of(api_client, failed["id"]) == 6
    assert platform.pay(refs[late["id"]])[0]["status"] == 200

    indicators = run_index_job(api_client, month)
    # 1.4: synchronised / dossiers with the portal's answer: `paid` and `desk` accepted, `failed` refused;
    # `late`, never acknowledged, is not counted.
    assert fraction(indicators["1.4"]) == (2, 3)
    # 3b.3: paid online / paid: `paid` and `late` through the platform; `desk` paid but not online; `failed` not
    # paid (its refused payment and `desk`'s forged one count nowhere).
    assert fraction(indicators["3b.3"]) == (2, 3)

    # The records change, the figures follow: the portal answers `late` again, the operator redrives `failed`'s
    # refused record once the portal takes it, and `failed` is paid with a new link.
    portal.set_faults()
    drain(local_stack)
    assert main(["sync", "redrive"]) == 0
    capsys.readouterr()
    drain(local_stack)
    second = payment_link(api_client, failed["id"]).json()["transaction_id"]
    assert second != refs[failed["id"]]
    assert platform.pay(second)[0]["status"] == 200

    indicators = run_index_job(api_client, month)
    assert fraction(indicators["1.4"]) == (4, 4)
    assert fraction(indicators["3b.3"]) == (3, 4)
    assert json.loads(json.dumps(indicators["3b.3"]))["points"] not in (None, "0", "0.00")
    assert_no_personal_data(raw_log_lines, "national portal message parked in the DLQ", "monthly index computed")
