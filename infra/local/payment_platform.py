"""A local emulator of the national payment platform's contract (docs/integrations.md §2).

A test double for an external partner, not an AWS service: it answers the order endpoint the adapter
(``motcua.data.payment_gateways.NationalPaymentPlatform``) calls, with the field names, result codes,
checksum and error answers documented there, "pays" an order on request (``pay``: the signed callback the
platform sends), and misbehaves on purpose (``Faults``): answer late (the client times out), answer 5xx,
send a callback twice (one after the other, or at once: ``concurrent``), forge a callback's checksum; a
callback answered 503 with ``Retry-After`` is sent again, as the platform does. Started by the local stack
(``make run``) and the test harness in a thread of their own process, on a free port; its merchant code and
checksum key are made at start and handed over in the local Secrets Manager (moto), as operators do in the cloud.

Control (local only): ``GET /_emulator/state``, ``POST /_emulator/faults`` (a ``Faults`` JSON),
``POST /_emulator/pay`` (``{"MaThamChieu": ..., "MaKetQua": "00"}``: the callback is sent to the callback URL
given at provisioning), ``POST /_emulator/reset``. It never logs a request body.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import ThreadingHTTPServer
from typing import Any

from infra.local.emulators import JsonRequestHandler
from infra.local.servers import LocalServer

log = logging.getLogger("motcua.local.payment_platform")

CREATE_PATH = "/api/thanhtoan/taogiaodich"
PAY_PAGE = "/thanhtoan"
OK = "00"
REFUSED_CHECKSUM = "07"
REFUSED_INVALID = "02"
REFUSED_DUPLICATE = "03"  # the same MaThamChieu with another amount
CREATE_FIELDS = ("MaDoiTac", "MaThamChieu", "SoTien", "ThoiGianGD")
CALLBACK_FIELDS = ("MaDoiTac", "MaThamChieu", "MaGiaoDich", "SoTien", "MaKetQua", "ThoiGianThanhToan")
REQUIRED = ("MaDoiTac", "MaThamChieu", "SoTien", "NoiDungThanhToan", "ThoiGianGD", "MaXacThuc")
_VN = timezone(timedelta(hours=7))
RESENDS = 3  # a callback answered 503 with Retry-After is sent again, this many times at most
RESEND_WAIT_CAP_S = 0.5  # locally the wait is capped (the answer asks for seconds)


def sign(key: str, values: list[str]) -> str:
    """HMAC-SHA256 over the values joined by ``|``, lower-case hex (docs/integrations.md §2)."""
    return hmac.new(key.encode(), "|".join(values).encode(), hashlib.sha256).hexdigest()


@dataclass
class Faults:
    slow: int = 0  # answer the next order requests after ``delay_s`` (longer than the client's read timeout)
    delay_s: float = 10.0
    error_5xx: int = 0  # answer 503 to the next order requests
    duplicate_callbacks: int = 0  # the next payments send their callback twice
    concurrent: bool = False  # a duplicated callback's copies are sent at once (racing), not one after the other
    forge: int = 0  # the next callbacks carry a wrong checksum


@dataclass
class PlatformState:
    merchant_code: str
    checksum_key: str
    callback_url: str = ""
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # MaThamChieu -> the order as received
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # sent: MaThamChieu, status, answer
    faults: Faults = field(default_factory=Faults)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> dict[str, Any]:
        return {"orders": sorted(self.orders), "callbacks": list(self.callbacks), "faults": asdict(self.faults)}


class _Handler(JsonRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("payment platform emulator: %s", self.command)

    def do_GET(self) -> None:
        if self.path == "/_emulator/state":
            self.send_json(200, self.server.state.summary())
        elif self.path.startswith(PAY_PAGE):
            self.send_json(200, {"page": "the platform's payment page (emulated)"})
        else:
            self.send_json(404, {"MaLoi": "404", "MoTa": "Không tìm thấy"})

    def do_POST(self) -> None:
        body = self.json_body()
        emulator = self.server.emulator
        if self.path == CREATE_PATH:
            self._create(body)
        elif self.path == "/_emulator/faults":
            emulator.set_faults(**body)
            self.send_json(200, {"ok": True})
        elif self.path == "/_emulator/pay":
            self.send_json(200, {"answers": emulator.pay(str(body.get("MaThamChieu", "")),
                                                     str(body.get("MaKetQua", OK)))})
        elif self.path == "/_emulator/reset":
            emulator.reset()
            self.send_json(200, {"ok": True})
        else:
            self.send_json(404, {"MaLoi": "404", "MoTa": "Không tìm thấy"})

    def _create(self, body: dict[str, Any]) -> None:
        state = self.server.state
        with state.lock:
            faults = state.faults
            slow = faults.slow > 0
            failing = not slow and faults.error_5xx > 0
            if slow:
                faults.slow -= 1
            elif failing:
                faults.error_5xx -= 1
        if failing:
            self.send_json(503, {"MaLoi": "503", "MoTa": "Hệ thống bận"})
            return
        if slow:
            time.sleep(faults.delay_s)
        answer = self._order(body)
        self.send_json(200, answer)

    def _order(self, body: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
        if any(not body.get(name) for name in REQUIRED) or not str(body.get("SoTien")).isdigit():
            return {"MaLoi": REFUSED_INVALID, "MoTa": "Thiếu trường hoặc sai định dạng"}
        if body["MaDoiTac"] != state.merchant_code or not hmac.compare_digest(
                sign(state.checksum_key, [str(body[n]) for n in CREATE_FIELDS]), str(body["MaXacThuc"])):
            return {"MaLoi": REFUSED_CHECKSUM, "MoTa": "Sai mã xác thực"}
        ref = str(body["MaThamChieu"])
        with state.lock:
            known = state.orders.get(ref)
            if known is not None and known["SoTien"] != body["SoTien"]:
                return {"MaLoi": REFUSED_DUPLICATE, "MoTa": "Trùng mã tham chiếu"}
            state.orders.setdefault(ref, dict(body))
        host, port = self.server.host, self.server.server_address[1]
        return {"MaLoi": OK, "MoTa": "Thành công", "MaThamChieu": ref,
                "UrlThanhToan": f"http://{host}:{port}{PAY_PAGE}?ref={ref}"}


class _Server(ThreadingHTTPServer):
    state: PlatformState
    emulator: PaymentPlatformEmulator
    host: str = "127.0.0.1"


class PaymentPlatformEmulator(LocalServer[_Server]):
    @property
    def state(self) -> PlatformState:
        return self.server.state

    def connection(self) -> dict[str, Any]:
        """The secret's value (``motcua.data.payment_gateways.PaymentConnection``) for this emulator."""
        return {"url": self.url, "create_path": CREATE_PATH, "merchant_code": self.state.merchant_code,
                "checksum_key": self.state.checksum_key, "read_timeout_s": 2.0}

    def set_faults(self, **faults: Any) -> None:
        with self.state.lock:
            self.state.faults = Faults(**faults)

    def reset(self) -> None:
        old = self.state
        self.server.state = PlatformState(old.merchant_code, old.checksum_key, old.callback_url)

    def callbacks_for(self, ref: str, result: str = OK, at: datetime | None = None) -> list[dict[str, Any]]:
        """The callback bodies the platform sends for paying order ``ref`` (two when duplicating, a wrong
        checksum when forging; faults used up)."""
        state = self.state
        with state.lock:
            order = state.orders.get(ref)
            if order is None:
                raise KeyError(ref)
            times = 2 if state.faults.duplicate_callbacks > 0 else 1
            forge = state.faults.forge > 0
            state.faults.duplicate_callbacks = max(0, state.faults.duplicate_callbacks - 1)
            state.faults.forge = max(0, state.faults.forge - 1)
        body = {"MaDoiTac": state.merchant_code, "MaThamChieu": ref, "MaGiaoDich": "GD" + secrets.token_hex(6).upper(),
                "SoTien": order["SoTien"], "MaKetQua": result,
                "ThoiGianThanhToan": (at or datetime.now(_VN)).astimezone(_VN).strftime("%Y%m%d%H%M%S"),
                "MaNganHang": "NCB"}
        body["MaXacThuc"] = sign("forged" + secrets.token_hex(4) if forge else state.checksum_key,
                                 [str(body[n]) for n in CALLBACK_FIELDS])
        return [dict(body) for _ in range(times)]

    def pay(self, ref: str, result: str = OK) -> list[dict[str, Any]]:
        """Pay order ``ref``: its callbacks are POSTed to the callback URL (the copies of a duplicated one at once
        under ``concurrent``), each resent, as the platform does, while it is answered 503 with ``Retry-After``
        (waiting at most ``RESEND_WAIT_CAP_S``, up to ``RESENDS`` times); the final answers, as received."""
        with self.state.lock:
            concurrent = self.state.faults.concurrent
        bodies = self.callbacks_for(ref, result)
        if concurrent and len(bodies) > 1:
            with ThreadPoolExecutor(len(bodies)) as senders:
                return list(senders.map(lambda body: self._send(ref, body), bodies))
        return [self._send(ref, body) for body in bodies]

    def _send(self, ref: str, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(RESENDS + 1):
            request = urllib.request.Request(  # noqa: S310 - the local API's URL, given at provisioning
                self.state.callback_url, data=json.dumps(body).encode(), method="POST",
                headers={"Content-Type": "application/json"})
            retry_after = None
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - a local URL
                    status, text = response.status, response.read()
            except urllib.error.HTTPError as error:
                status, text, retry_after = error.code, error.read(), error.headers.get("Retry-After")
            answer = {"status": status, "body": json.loads(text or b"{}")}
            with self.state.lock:
                self.state.callbacks.append({"MaThamChieu": ref, "attempt": attempt + 1, **answer})
            if status != 503 or not retry_after or not retry_after.isdigit():
                break
            time.sleep(min(float(retry_after), RESEND_WAIT_CAP_S))
        return answer


def provision(emulator: PaymentPlatformEmulator, endpoints: Any, callback_url: str = "", **overrides: Any) -> None:
    """Hand the emulator's connection over as operators do in the cloud: the secret
    ``<prefix>national`` (``infra.local.env.secret_prefix("payment")``), in moto's Secrets Manager."""
    from infra.local.env import secret_prefix
    from infra.local.resources import client, put_secret

    emulator.state.callback_url = callback_url
    put_secret(client("secretsmanager", endpoints), f"{secret_prefix('payment')}national",
               {**emulator.connection(), **overrides})


def start_payment_platform(port: int = 0, host: str = "127.0.0.1") -> PaymentPlatformEmulator:
    """Listening on ``port`` (0: a free one) in a daemon thread, with a merchant code and key made now."""
    emulator = PaymentPlatformEmulator(_Server, _Handler, port, name="payment-platform-emulator", host=host)
    server = emulator.server
    server.host, server.emulator = host, emulator
    server.state = PlatformState(merchant_code=f"MC{secrets.token_hex(3).upper()}",
                                 checksum_key=secrets.token_urlsafe(24))
    emulator.start()
    log.info("payment platform emulator on %s", emulator.url)
    return emulator
