"""Postal collection and return: the pure port (ordering, checksums), the 9 -> 10 move at the carrier's delivery
time, and the VNPost adapter against the local emulator with its faults (docs/integrations.md §3)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from infra.local.vnpost import VnpostEmulator, start_vnpost
from motcua.data.postal import CarrierConnection, VnpostClient, tracking_update
from motcua.domain import commands as a
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.postal import (
    CarrierMapping,
    CarrierRefused,
    CarrierUnavailable,
    PostalOrder,
    Receiver,
    TrackingUpdate,
    checksum,
    delivered_at,
    is_newer,
    latest,
    verify_checksum,
)
from motcua.domain.status import DossierStatus as S
from motcua.domain.status import ForbiddenTransition
from motcua.domain.workflow import deliver_by_post
from tests.unit.test_workflow import DESK, PROCESSOR, act, at, run, submitted

CARRIER = Actor(subject="postal-vnpost", role=Role.SYSTEM)
MAPPING = CarrierMapping()
RECEIVER = Receiver(full_name="Nguyễn Thị Hằng", phone="0912345678", address="12 Lê Lợi, Huế")


def update(status: str, minute: int, sequence: int = 0) -> TrackingUpdate:
    return TrackingUpdate(client_code="d-R", order_code="EV1VN", status_code=status,
                          occurred_at=datetime(2026, 3, 6, 9, minute, tzinfo=VN_TZ), sequence=sequence)


# --- the pure port ---------------------------------------------------------------------------------------------

def test_the_latest_step_wins_whatever_order_and_however_often_steps_arrive() -> None:
    steps = [update("10", 0, 1), update("20", 10, 2), update("30", 20, 3), update("50", 30, 4)]
    for arrival in (steps, list(reversed(steps)), steps + steps, [steps[2], steps[0], steps[3], steps[1], steps[3]]):
        current: TrackingUpdate | None = None
        applied = []
        for step in arrival:
            if is_newer(current, step):
                current = step
                applied.append(step.status_code)
        assert current == steps[-1]
        assert len(applied) == len(set(applied))  # nothing applied twice
    assert latest(list(reversed(steps))) == steps[-1]
    # the same instant: the carrier's sequence decides
    assert is_newer(update("30", 20, 3), update("40", 20, 4)) and not is_newer(update("40", 20, 4), update("30", 20, 3))


def test_the_delivery_time_is_the_carriers_not_the_time_it_was_heard() -> None:
    steps = [update("50", 30, 4), update("30", 20, 3), update("50", 30, 4)]
    assert delivered_at(steps, MAPPING) == datetime(2026, 3, 6, 9, 30, tzinfo=VN_TZ)
    assert delivered_at([update("60", 30)], MAPPING) is None
    assert MAPPING.stage("99") == "in_transit"  # an unknown code never ends an order


def test_checksums_verify_only_the_exact_body_with_the_key() -> None:
    body = b'{"ItemCode":"EV1VN","StatusCode":"50"}'
    good = checksum("k" * 24, body)
    assert verify_checksum("k" * 24, body, good) and verify_checksum("k" * 24, body, good.upper())
    assert not verify_checksum("k" * 24, body + b" ", good)
    assert not verify_checksum("j" * 24, body, good)
    assert not verify_checksum("k" * 24, body, None) and not verify_checksum("k" * 24, body, "")


def test_a_receiver_never_shows_in_a_repr() -> None:
    assert "Hằng" not in repr(RECEIVER) and "0912" not in str(RECEIVER)
    assert "Hằng" not in repr(PostalOrder(dossier_id="d", kind="return", receipt_code="X", receiver=RECEIVER,
                                          documents=("a.pdf",), sender_name="UBND"))


# --- 9 -> 10 at the carrier's delivery time ---------------------------------------------------------------------

def decided():
    dossier = run(submitted(), (a.ActionName.RECEIVE, DESK, at(3), {}),
                  (a.ActionName.START_PROCESSING, PROCESSOR, at(3, 10), {}))
    dossier, _ = act(dossier, a.ActionName.DECIDE, PROCESSOR, at(4),
                     result_documents=["results/" + "a" * 32 + "/giay-khai-sinh.pdf"], electronic=False)
    return dossier


def test_delivery_by_post_returns_the_dossier_at_the_delivery_time() -> None:
    dossier = decided()
    delivered = at(6, 9, 30)
    changed, events = deliver_by_post(dossier, delivered, "vnpost", "EV1VN", CARRIER, at(6, 11))
    assert changed.status is S.RETURNED and changed.returned_at == delivered
    assert changed.result is not None and changed.result.return_method == "post"
    assert [(e.action, e.from_status, e.to_status) for e in events] == [("return_result", S.DECIDED, S.RETURNED)]
    assert events[0].details["order_code"] == "EV1VN"
    with pytest.raises(ForbiddenTransition):  # once: a second delivery confirmation is refused
        deliver_by_post(changed, delivered, "vnpost", "EV1VN", CARRIER, at(6, 12))
    with pytest.raises(ForbiddenTransition):  # only a decided dossier is delivered
        deliver_by_post(submitted(), delivered, "vnpost", "EV1VN", CARRIER, at(6, 12))


# --- the adapter against the emulator ---------------------------------------------------------------------------

class _Callbacks(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CallbackHandler)
        self.received: list[tuple[bytes, str | None]] = []


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _Callbacks

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append((body, self.headers.get(MAPPING.checksum_header)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def vnpost():
    callbacks = _Callbacks()
    thread = threading.Thread(target=callbacks.serve_forever, daemon=True)
    thread.start()
    emulator = start_vnpost(callback_url=f"http://127.0.0.1:{callbacks.server_port}/postal/vnpost/callback")
    yield emulator, callbacks
    emulator.stop()
    callbacks.shutdown()
    callbacks.server_close()


def client(emulator: VnpostEmulator, **overrides: Any) -> VnpostClient:
    return VnpostClient(CarrierConnection(**{**emulator.connection(), "read_timeout_s": 0.5, **overrides}), MAPPING)


def order() -> PostalOrder:
    return PostalOrder(dossier_id="d" * 32, kind="return", receipt_code="000.20.01.H36-260302-0001",
                       receiver=RECEIVER, documents=("giay-khai-sinh.pdf",), sender_name="UBND xã")


def test_an_order_survives_5xx_and_timeouts_and_is_created_once(vnpost) -> None:
    emulator, _ = vnpost
    carrier = client(emulator)
    emulator.set_faults(error_5xx=1, slow=1, delay_s=1.5)
    with pytest.raises(CarrierUnavailable):
        carrier.create_order(order())  # 503: nothing applied
    with pytest.raises(CarrierUnavailable):
        carrier.create_order(order())  # applied, but the answer comes after the read timeout
    answer = carrier.create_order(order())  # the retry: the same order, not a second
    state = emulator.state.summary()
    assert list(state["orders"]) == [order().client_code] and state["creates"] == 2
    assert state["orders"][order().client_code]["ItemCode"] == answer.order_code
    assert "000.20.01.H36-260302-0001" in state["orders"][order().client_code]["PackageContent"]


def test_a_refused_order_is_refused_not_retried_and_a_bad_account_is_unavailable(vnpost) -> None:
    emulator, _ = vnpost
    with pytest.raises(CarrierRefused):
        client(emulator, customer_code="WRONG").create_order(order())
    with pytest.raises(CarrierUnavailable):
        client(emulator, password="x" * 20).create_order(order())


def test_callbacks_signed_duplicated_and_out_of_order_resolve_to_the_latest_once(vnpost) -> None:
    emulator, callbacks = vnpost
    item = client(emulator).create_order(order()).order_code
    emulator.set_faults(duplicate_callbacks=True, out_of_order=True)
    base = datetime(2026, 3, 6, 9, 0, tzinfo=VN_TZ)
    for i, status in enumerate(("20", "30", "40", "50")):
        emulator.advance(item, status, (base + timedelta(minutes=10 * i)).isoformat())
    assert callbacks.received == []  # held back
    emulator.flush()
    assert len(callbacks.received) == 8
    key = emulator.callback_key()["checksum_key"]
    current: TrackingUpdate | None = None
    applied = []
    for body, signature in callbacks.received:
        assert verify_checksum(key, body, signature)
        assert not verify_checksum(key, body.replace(b'"Sequence"', b'"sequence"'), signature)
        step = tracking_update(json.loads(body))
        if is_newer(current, step):
            current = step
            applied.append(step.status_code)
    assert applied == ["50"]  # the newest came first: the late older steps change nothing
    assert current is not None and current.occurred_at == base + timedelta(minutes=30)
    # polling reads the same steps, in whatever order, and ends at the same delivery time
    polled = client(emulator).tracking(item)
    assert [s.status_code for s in polled] == ["20", "30", "40", "50"]
    assert delivered_at(polled, MAPPING) == base + timedelta(minutes=30)


def test_cancel_before_collection_only(vnpost) -> None:
    emulator, _ = vnpost
    carrier = client(emulator)
    item = carrier.create_order(order()).order_code
    carrier.cancel_order(item)
    assert emulator.state.summary()["orders"][order().client_code]["cancelled"] is True
    second = order().model_copy(update={"kind": "collection"})
    item2 = carrier.create_order(second).order_code
    emulator.advance(item2, "20")
    with pytest.raises(CarrierRefused):
        carrier.cancel_order(item2)
    with pytest.raises(CarrierRefused):
        carrier.cancel_order("EVNONEVN")
