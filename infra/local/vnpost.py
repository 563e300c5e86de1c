"""A local emulator of VNPost's order and tracking contract (docs/integrations.md §3).

A test double for an external partner, not an AWS service: it answers what the adapter
(``motcua.data.postal.VnpostClient``) calls, with the field names, status codes, checksums and error answers
documented there, and misbehaves on purpose (``Faults``): answer late (after applying: the client times out
and sends again), answer 5xx (without applying), send each callback twice, send a step's callbacks out of
order. Orders are idempotent per the client's ``OrderCode`` (a second create answers the first order).

Steps are moved on by the control endpoint ``POST /_emulator/advance`` ``{"ItemCode", "StatusCode", "At"}``
(as a postman would): the step is added to the order's tracking (``GET {tracking_path}?ItemCode=``) and posted
to the callback URL, signed with HMAC-SHA256 of the raw body in the checksum header.

Control (local only): ``GET /_emulator/state``, ``POST /_emulator/faults``, ``POST /_emulator/advance``,
``POST /_emulator/flush`` (callbacks held back by ``out_of_order`` are sent, newest first),
``POST /_emulator/reset``. It never logs a request body: orders carry the receiver's personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.local.emulators import JsonRequestHandler
from infra.local.servers import LocalServer

log = logging.getLogger("motcua.local.vnpost")

TOKEN_PATH = "/serviceApi/v1/getToken"  # noqa: S105 - a path, not a secret
ORDER_PATH = "/serviceApi/v1/createOrder"
CANCEL_PATH = "/serviceApi/v1/cancelOrder"
TRACKING_PATH = "/serviceApi/v1/getTracking"
CHECKSUM_HEADER = "X-Checksum"
ACCEPTED = "00"
INVALID = "01"  # a missing or malformed field
UNKNOWN = "02"  # no such order
NOT_CANCELLABLE = "03"  # collected already: too late to cancel
UNAUTHORISED = "401"
ORDER_REQUIRED = ("OrderCode", "SenderFullname", "ReceiverFullname", "ReceiverTel", "ReceiverAddress",
                  "PackageContent")
STATUS_CODES = ("10", "20", "30", "40", "50", "60", "70", "90")


@dataclass
class Faults:
    """Misbehaviour for the next requests (counts go down as they are used)."""

    slow: int = 0  # apply, then answer after ``delay_s`` (longer than the client's read timeout)
    delay_s: float = 12.0
    error_5xx: int = 0  # answer 503, apply nothing
    duplicate_callbacks: bool = False  # every callback posted twice
    out_of_order: bool = False  # callbacks held back until ``flush``, then sent newest first
    callback_fail: int = 0  # callbacks not delivered at all (polling must catch up)


@dataclass
class Order:
    order_code: str
    item_code: str
    fields: dict[str, Any]
    steps: list[dict[str, Any]] = field(default_factory=list)
    cancelled: bool = False


@dataclass
class VnpostState:
    username: str
    password: str
    customer_code: str
    checksum_key: str
    callback_url: str = ""
    tokens: set[str] = field(default_factory=set)
    orders: dict[str, Order] = field(default_factory=dict)  # OrderCode -> order
    creates: int = 0  # create requests applied (a retried create of the same OrderCode counts, makes none)
    callbacks_sent: int = 0
    held: list[bytes] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sequence: int = 0

    def summary(self) -> dict[str, Any]:
        """What a test reads back (no personal data: codes, statuses, counts)."""
        with self.lock:
            return {"orders": {k: {"ItemCode": o.item_code, "cancelled": o.cancelled,
                                   "steps": [s["StatusCode"] for s in o.steps],
                                   "PackageContent": o.fields.get("PackageContent")}
                               for k, o in self.orders.items()},
                    "creates": self.creates, "callbacks_sent": self.callbacks_sent, "held": len(self.held),
                    "faults": asdict(self.faults)}


def sign(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


class _Handler(JsonRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _authorised(self) -> bool:
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        with self.server.state.lock:
            return token in self.server.state.tokens

    def _fault(self) -> str | None:
        state = self.server.state
        with state.lock:
            for name in ("error_5xx", "slow"):
                if getattr(state.faults, name) > 0:
                    setattr(state.faults, name, getattr(state.faults, name) - 1)
                    return name
        return None

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/_emulator/state":
            self.send_json(200, self.server.state.summary())
        elif url.path == TRACKING_PATH:
            if not self._authorised():
                self.send_json(401, {"Code": UNAUTHORISED, "Message": "Token không hợp lệ"})
                return
            if self._fault() == "error_5xx":
                self.send_json(503, {"Code": "503", "Message": "Hệ thống đang bận"})
                return
            item = (parse_qs(url.query).get("ItemCode") or [""])[0]
            order = self.server.find_item(item)
            if order is None:
                self.send_json(200, {"Code": UNKNOWN, "Message": "Không tìm thấy bưu gửi"})
                return
            with self.server.state.lock:
                steps = [dict(s) for s in order.steps]
            self.send_json(200, {"Code": ACCEPTED, "Message": "Thành công", "Data": steps})
        else:
            self.send_json(404, {"Code": "404", "Message": "not found"})

    def do_POST(self) -> None:
        state = self.server.state
        body = self.json_body()
        path = urlsplit(self.path).path
        if path == "/_emulator/faults":
            with state.lock:
                state.faults = Faults(**body)
            self.send_json(200, {"ok": True})
        elif path == "/_emulator/reset":
            self.server.reset()
            self.send_json(200, {"ok": True})
        elif path == "/_emulator/advance":
            self.send_json(200, self.server.advance(str(body.get("ItemCode")), str(body.get("StatusCode")),
                                                body.get("At")))
        elif path == "/_emulator/flush":
            self.send_json(200, {"sent": self.server.flush()})
        elif path == TOKEN_PATH:
            if body.get("Username") == state.username and body.get("Password") == state.password:
                token = secrets.token_hex(16)
                with state.lock:
                    state.tokens.add(token)
                self.send_json(200, {"Code": ACCEPTED, "Token": token})
            else:
                self.send_json(200, {"Code": UNAUTHORISED, "Message": "Sai tên đăng nhập hoặc mật khẩu"})
        elif path in (ORDER_PATH, CANCEL_PATH):
            if not self._authorised():
                self.send_json(401, {"Code": UNAUTHORISED, "Message": "Token không hợp lệ"})
                return
            fault = self._fault()
            if fault == "error_5xx":
                self.send_json(503, {"Code": "503", "Message": "Hệ thống đang bận"})
                return
            answer = self._create(body) if path == ORDER_PATH else self._cancel(body)
            if fault == "slow":
                time.sleep(state.faults.delay_s)
            self.send_json(200, answer)
        else:
            self.send_json(404, {"Code": "404", "Message": "not found"})

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
        missing = [n for n in ORDER_REQUIRED if body.get(n) in (None, "")]
        if body.get("CustomerCode") != state.customer_code:
            missing.append("CustomerCode")
        if missing:
            return {"Code": INVALID, "Message": "Dữ liệu không hợp lệ", "Fields": missing}
        with state.lock:
            state.creates += 1
            code = str(body["OrderCode"])
            order = state.orders.get(code)
            if order is None:  # idempotent per OrderCode: a retried create answers the first order
                order = Order(code, "EV" + secrets.token_hex(5).upper() + "VN", dict(body))
                state.orders[code] = order
        return {"Code": ACCEPTED, "Message": "Thành công", "Data": {"OrderCode": code, "ItemCode": order.item_code,
                                                                     "TotalFee": 28000}}

    def _cancel(self, body: dict[str, Any]) -> dict[str, Any]:
        order = self.server.find_item(str(body.get("ItemCode")))
        if order is None:
            return {"Code": UNKNOWN, "Message": "Không tìm thấy bưu gửi"}
        with self.server.state.lock:
            if any(s["StatusCode"] not in ("10", "90") for s in order.steps):
                return {"Code": NOT_CANCELLABLE, "Message": "Bưu gửi đã được chấp nhận, không thể hủy"}
            order.cancelled = True
        return {"Code": ACCEPTED, "Message": "Thành công"}


class _Server(ThreadingHTTPServer):
    state: VnpostState

    def reset(self) -> None:
        old = self.state
        self.state = VnpostState(old.username, old.password, old.customer_code, old.checksum_key, old.callback_url)

    def find_item(self, item_code: str) -> Order | None:
        with self.state.lock:
            return next((o for o in self.state.orders.values() if o.item_code == item_code), None)

    def advance(self, item_code: str, status_code: str, at: str | None) -> dict[str, Any]:
        order = self.find_item(item_code)
        if order is None or status_code not in STATUS_CODES:
            return {"Code": UNKNOWN}
        state = self.state
        with state.lock:
            state.sequence += 1
            step = {"OrderCode": order.order_code, "ItemCode": order.item_code, "StatusCode": status_code,
                    "StatusTime": at or datetime.now().astimezone().isoformat(timespec="seconds"),
                    "Sequence": state.sequence}
            order.steps.append(step)
            body = json.dumps(step, ensure_ascii=False).encode()
            faults = state.faults
            if faults.callback_fail > 0:
                faults.callback_fail -= 1
                return {"Code": ACCEPTED, "callback": "dropped"}
            if faults.out_of_order:
                state.held.append(body)
                return {"Code": ACCEPTED, "callback": "held"}
            copies = 2 if faults.duplicate_callbacks else 1
        for _ in range(copies):
            self._post_callback(body)
        return {"Code": ACCEPTED, "callback": f"sent x{copies}"}

    def flush(self) -> int:
        with self.state.lock:
            held, self.state.held = self.state.held, []
            copies = 2 if self.state.faults.duplicate_callbacks else 1
        for body in reversed(held):
            for _ in range(copies):
                self._post_callback(body)
        return len(held)

    def _post_callback(self, body: bytes) -> None:
        state = self.state
        if not state.callback_url:
            return
        request = urllib.request.Request(state.callback_url,  # noqa: S310 - the local stack's own URL
                                         data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", CHECKSUM_HEADER: sign(state.checksum_key, body)})
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - the local stack's own URL
                pass
        except OSError as error:  # the carrier does not retry (UNSURE): polling catches up
            log.warning("callback not delivered: %s", type(error).__name__)
        with state.lock:
            state.callbacks_sent += 1


class VnpostEmulator(LocalServer[_Server]):
    @property
    def state(self) -> VnpostState:
        return self.server.state

    def connection(self) -> dict[str, str]:
        """The connection secret's value (``motcua.data.postal.CarrierConnection``) for this emulator."""
        s = self.state
        return {"url": self.url, "token_path": TOKEN_PATH, "order_path": ORDER_PATH, "cancel_path": CANCEL_PATH,
                "tracking_path": TRACKING_PATH, "username": s.username, "password": s.password,
                "customer_code": s.customer_code}

    def callback_key(self) -> dict[str, str]:
        """The callback key secret's value (``motcua.data.postal.CallbackKey``): the api's, not the consumer's."""
        return {"checksum_key": self.state.checksum_key}

    def set_faults(self, **faults: Any) -> None:
        with self.state.lock:
            self.state.faults = Faults(**faults)

    def set_callback_url(self, url: str) -> None:
        self.state.callback_url = url

    def advance(self, item_code: str, status_code: str, at: str | None = None) -> dict[str, Any]:
        return self.server.advance(item_code, status_code, at)

    def flush(self) -> int:
        return self.server.flush()

    def reset(self) -> None:
        self.server.reset()


def provision(emulator: VnpostEmulator, endpoints: Any, callback_url: str | None = None, **overrides: Any) -> None:
    """Hand the emulator's connection over as operators do in the cloud, in moto's Secrets Manager: the
    connection ``<prefix>vnpost`` (``infra.local.env.secret_prefix('postal')``) and the callback key
    ``secret_prefix('postal-callback') + 'vnpost'``. ``callback_url``: where its callbacks go (the API's
    ``/postal/vnpost/callback``)."""
    from infra.local.env import secret_prefix
    from infra.local.resources import client, put_secret

    secrets_manager = client("secretsmanager", endpoints)
    put_secret(secrets_manager, f"{secret_prefix('postal')}vnpost", {**emulator.connection(), **overrides})
    put_secret(secrets_manager, f"{secret_prefix('postal-callback')}vnpost", emulator.callback_key())
    if callback_url is not None:
        emulator.set_callback_url(callback_url)


def start_vnpost(port: int = 0, host: str = "127.0.0.1", callback_url: str = "") -> VnpostEmulator:
    """Listening on ``port`` (0: a free one) in a daemon thread, with credentials and checksum key made now."""
    emulator = VnpostEmulator(_Server, _Handler, port, name="vnpost-emulator", host=host)
    server = emulator.server
    server.state = VnpostState(username=f"motcua-{secrets.token_hex(4)}", password=secrets.token_urlsafe(18),
                               customer_code=f"C{secrets.token_hex(3).upper()}",
                               checksum_key=secrets.token_urlsafe(24), callback_url=callback_url)
    emulator.start()
    log.info("VNPost emulator on %s", emulator.url)
    return emulator
