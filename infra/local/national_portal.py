"""A local emulator of the national public service portal's sync contract (docs/integrations.md §1).

A test double for an external partner, not an AWS service: it answers the endpoints the adapter
(``motcua.data.national_portal.PortalClient``) calls, with the field names, answer codes and error answers
documented there, and it can misbehave on purpose (``Faults``): answer late (after applying: the client
times out and sends again), answer 5xx (without applying), drop the connection after applying, expire the
sessions, refuse a dossier's records. Started by the local stack (``make run``) and the test harness in a
thread of their own process, on a free port; its credentials are made at start and handed over in the
local Secrets Manager (moto), as operators do in the cloud.

Control (local only): ``GET /_emulator/state``, ``POST /_emulator/faults`` (a ``Faults`` JSON),
``POST /_emulator/reset``. It never logs a request body: the records carry the applicant's personal data.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from infra.local.emulators import JsonRequestHandler
from infra.local.servers import LocalServer

log = logging.getLogger("motcua.local.national_portal")

AUTH_PATH = "/api/auth"
INTEGRATION_PATH = "/api/integration"
ACCEPTED = "00"
SESSION_EXPIRED = "401"
REFUSED_INVALID = "02"  # a record without a required field or with a malformed one
REFUSED_UNKNOWN = "03"  # progress for a dossier the portal does not hold
REFUSED_UNIT = "01"  # a unit code (madonvi) the account may not sync for

# Required per record; the rest of the documented fields are optional (docs/integrations.md §1).
DOSSIER_REQUIRED = ("MaHoSo", "MaTTHC", "TenTTHC", "LoaiDoiTuong", "NgayTiepNhan", "NgayHenTra", "TrangThaiHoSo",
                    "HinhThuc", "DonViXuLy")
PROGRESS_REQUIRED = ("MaHoSo", "NguoiXuLy", "ThoiDiemXuLy", "NoiDungXuLy", "TrangThai")
DATE_FIELDS = ("NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy", "ThoiDiemXuLy", "NgayBatDau",
               "NgayKetThucTheoQuyDinh")
_DATE = re.compile(r"^\d{14}$")
STATUS_CODES = frozenset(str(code) for code in range(1, 11))


@dataclass
class Faults:
    """Misbehaviour for the next requests to the integration endpoint (counts go down as they are used);
    ``only`` limits them to the records of these MaHoSo."""

    slow: int = 0  # apply, then answer after ``delay_s`` (longer than the client's read timeout)
    delay_s: float = 12.0
    error_5xx: int = 0  # answer 503, apply nothing
    drop: int = 0  # apply, then close the connection without an answer
    expire_sessions: bool = False  # every session issued so far stops being valid
    refuse: list[str] = field(default_factory=list)  # MaHoSo whose records are refused (REFUSED_INVALID)
    only: list[str] = field(default_factory=list)


@dataclass
class Received:
    service: str
    ma_ho_so: str
    trang_thai: str
    updating: bool
    answer: str


@dataclass
class PortalState:
    username: str
    password: str
    unit_code: str
    dstcode: str
    sessions: set[str] = field(default_factory=set)
    dossiers: dict[str, dict[str, Any]] = field(default_factory=dict)  # MaHoSo -> the last whole record
    progress: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # MaHoSo -> steps, as received
    received: list[Received] = field(default_factory=list)  # every integration request's records, in order
    faults: Faults = field(default_factory=Faults)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> dict[str, Any]:
        """What a test reads back: statuses and steps per dossier, and every record received (no personal
        data: receipt codes, statuses, step names)."""
        with self.lock:
            return {
                "dossiers": {k: {"TrangThaiHoSo": v.get("TrangThaiHoSo"), "updates": v.get("_updates", 0)}
                             for k, v in self.dossiers.items()},
                "progress": {k: [{"TrangThai": s.get("TrangThai"), "NoiDungXuLy": s.get("NoiDungXuLy"),
                                  "ThoiDiemXuLy": s.get("ThoiDiemXuLy")} for s in v]
                             for k, v in self.progress.items()},
                "received": [asdict(r) for r in self.received],
            }


def _missing(record: dict[str, Any], required: tuple[str, ...]) -> list[str]:
    problems = [name for name in required if record.get(name) in (None, "")]
    problems += [name for name in DATE_FIELDS if record.get(name) and not _DATE.match(str(record[name]))]
    for name in ("TrangThaiHoSo", "TrangThai"):
        if name in record and str(record[name]) not in STATUS_CODES:
            problems.append(name)
    return problems


def _same_step(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(k) == b.get(k) for k in ("MaHoSo", "ThoiDiemXuLy", "TrangThai", "NoiDungXuLy"))


class _Handler(JsonRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/_emulator/state":
            self.send_json(200, self.server.state.summary())
        else:
            self.send_json(404, {"error_code": "404", "message": "not found"})

    def do_POST(self) -> None:
        state = self.server.state
        body = self.json_body()
        if self.path == "/_emulator/faults":
            with state.lock:
                state.faults = Faults(**body)
                if state.faults.expire_sessions:
                    state.sessions.clear()
            self.send_json(200, {"ok": True})
        elif self.path == "/_emulator/reset":
            self.server.reset()
            self.send_json(200, {"ok": True})
        elif self.path == AUTH_PATH:
            self._auth(body)
        elif self.path == INTEGRATION_PATH:
            self._integration(body)
        else:
            self.send_json(404, {"error_code": "404", "message": "not found"})

    def _auth(self, body: dict[str, Any]) -> None:
        state = self.server.state
        if (self.headers.get("dstcode", "") != state.dstcode or body.get("username") != state.username
                or body.get("password") != state.password):
            self.send_json(200, {"error_code": 401, "message": "Sai tên đăng nhập hoặc mật khẩu"})
            return
        session = secrets.token_hex(16)
        with state.lock:
            state.sessions.add(session)
        self.send_json(200, {"error_code": 0, "session": session})

    def _integration(self, body: dict[str, Any]) -> None:
        state = self.server.state
        records = [r for r in body.get("data") or [] if isinstance(r, dict)]
        codes = [str(r.get("MaHoSo", "")) for r in records]
        service = str(body.get("service", ""))
        updating = str(body.get("isUpdating", "False")) == "True"
        with state.lock:
            faults = state.faults
            # Faults hit requests the portal would process: an expired session is answered at once.
            targeted = body.get("session") in state.sessions and (
                not faults.only or any(c in faults.only for c in codes))
            fault = None
            if targeted:
                for name in ("error_5xx", "slow", "drop"):
                    if getattr(faults, name) > 0:
                        setattr(faults, name, getattr(faults, name) - 1)
                        fault = name
                        break
        if fault == "error_5xx":
            self._note(service, records, updating, "503")
            self.send_json(503, {"error_code": "503", "message": "Hệ thống đang bận"})
            return
        answer = self._apply(service, body, records, updating)
        if fault == "slow":
            time.sleep(faults.delay_s)
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(2)  # applied, but the client never hears it
            return
        self.send_json(200, answer)

    def _note(self, service: str, records: list[dict[str, Any]], updating: bool, answer: str) -> None:
        with self.server.state.lock:
            for r in records:
                self.server.state.received.append(Received(
                    service, str(r.get("MaHoSo", "")), str(r.get("TrangThaiHoSo", r.get("TrangThai", ""))), updating,
                    answer))

    def _apply(self, service: str, body: dict[str, Any], records: list[dict[str, Any]],
               updating: bool) -> dict[str, Any]:
        state = self.server.state
        with state.lock:
            valid_session = body.get("session") in state.sessions
        if not valid_session:
            answer = {"error_code": SESSION_EXPIRED, "message": "Phiên làm việc không hợp lệ hoặc đã hết hạn"}
        elif body.get("madonvi") != state.unit_code or self.headers.get("dstcode", "") != state.dstcode:
            answer = {"error_code": REFUSED_UNIT, "message": "Mã đơn vị không hợp lệ"}
        elif not records or service not in ("DongBoHoSoMC", "CapNhatTienDoHoSoMC"):
            answer = {"error_code": REFUSED_INVALID, "message": "Dữ liệu không hợp lệ"}
        else:
            answer = self._records(service, records, updating)
        self._note(service, records, updating, str(answer["error_code"]))
        return answer

    def _records(self, service: str, records: list[dict[str, Any]], updating: bool) -> dict[str, Any]:
        state = self.server.state
        required = DOSSIER_REQUIRED if service == "DongBoHoSoMC" else PROGRESS_REQUIRED
        with state.lock:
            for record in records:
                code = str(record.get("MaHoSo", ""))
                problems = _missing(record, required)
                if code in state.faults.refuse or problems:
                    return {"error_code": REFUSED_INVALID, "message": "Dữ liệu không hợp lệ",
                            "fields": problems or ["MaHoSo"]}
                if service == "CapNhatTienDoHoSoMC" and code not in state.dossiers:
                    return {"error_code": REFUSED_UNKNOWN, "message": "Không tìm thấy hồ sơ"}
            for record in records:
                code = str(record["MaHoSo"])
                if service == "DongBoHoSoMC":
                    # A second DongBoHoSoMC without isUpdating is acknowledged again, not applied twice.
                    if code in state.dossiers and not updating:
                        continue
                    updates = state.dossiers.get(code, {}).get("_updates", -1) + 1
                    state.dossiers[code] = {**record, "_updates": updates}
                else:
                    # A step is the same step when its dossier, instant and status are (UNSURE: the portal's own
                    # key for a step is not documented); the same step again is acknowledged, not added.
                    steps = state.progress.setdefault(code, [])
                    if not any(_same_step(s, record) for s in steps):
                        steps.append(dict(record))
                    state.dossiers[code]["TrangThaiHoSo"] = record["TrangThai"]
        return {"error_code": ACCEPTED, "message": "Thành công", "reference": secrets.token_hex(8)}


class _Server(ThreadingHTTPServer):
    state: PortalState

    def reset(self) -> None:
        old = self.state
        self.state = PortalState(old.username, old.password, old.unit_code, old.dstcode)


class NationalPortalEmulator(LocalServer[_Server]):
    @property
    def state(self) -> PortalState:
        return self.server.state

    def connection(self) -> dict[str, str]:
        """The secret's value (``motcua.data.national_portal.PortalConnection``) for this emulator."""
        s = self.state
        return {"url": self.url, "auth_path": AUTH_PATH, "integration_path": INTEGRATION_PATH, "username": s.username,
                "password": s.password, "unit_code": s.unit_code, "dstcode": s.dstcode}

    def set_faults(self, **faults: Any) -> None:
        with self.state.lock:
            self.state.faults = Faults(**faults)
            if self.state.faults.expire_sessions:
                self.state.sessions.clear()

    def reset(self) -> None:
        self.server.reset()


def provision(emulator: NationalPortalEmulator, endpoints: Any, **overrides: Any) -> None:
    """Hand the emulator's connection to the consumer as operators do in the cloud: the secret
    ``<prefix>connection`` (``infra.local.env.secret_prefix``), in moto's Secrets Manager."""
    from infra.local.env import secret_prefix
    from infra.local.resources import client, put_secret

    put_secret(client("secretsmanager", endpoints), f"{secret_prefix('national-portal')}connection",
               {**emulator.connection(), **overrides})


def start_national_portal(port: int = 0, host: str = "127.0.0.1",
                          unit_code: str = "000.00.00.H00") -> NationalPortalEmulator:
    """Listening on ``port`` (0: a free one) in a daemon thread, with credentials made now."""
    emulator = NationalPortalEmulator(_Server, _Handler, port, name="national-portal-emulator", host=host)
    server = emulator.server
    server.state = PortalState(username=f"motcua-{secrets.token_hex(4)}", password=secrets.token_urlsafe(18),
                               unit_code=unit_code, dstcode=secrets.token_hex(4))
    emulator.start()
    log.info("national portal emulator on %s", emulator.url)
    return emulator
