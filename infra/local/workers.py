"""Lambda's concurrency, locally: a pool of execution environments (worker processes) per function.

Lambda runs each concurrent invocation of a function in an execution environment of its own: an environment
imports the handler once (its cold start) and then serves one event at a time; when every environment is busy
a new one starts, up to the function's concurrency. ``WorkerPool`` does the same with processes
(``infra.local.worker``): an invocation takes an idle environment (the one used last, as Lambda favours warm
ones), else starts one if the pool is below its concurrency, else waits for one to be free (Lambda would
throttle instead; locally a request waits, so a load beyond the concurrency queues rather than fails).

Processes, not threads: module-level state (a Powertools resolver's ``current_event``, clients, caches) is the
environment's own, exactly as deployed, and the functions no longer take turns in one interpreter.

The concurrency per function comes from ``MOTCUA_LOCAL_CONCURRENCY``: a number for every function and/or
``name=number`` for some (``"4"``, ``"2,api=8"``); default ``DEFAULT_CONCURRENCY``. A function's declared
``reserved_concurrency`` caps it, as it caps the function deployed (a sweep declared at 1 never overlaps itself).

Each invocation runs under the function's timeout: past it the environment is killed (as Lambda ends a timed-out
invocation's environment) and the invocation fails with ``InvocationTimedOut``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from infra import declaration

log = logging.getLogger("infra.local")

DEFAULT_CONCURRENCY = 4
CONCURRENCY_VARIABLE = "MOTCUA_LOCAL_CONCURRENCY"
COLD_START_TIMEOUT_S = 180.0  # importing a handler on a loaded 2-core machine; Lambda's own init limit is 10 s
TIMEOUT_GRACE_S = 1.0  # the parent's margin over the function's timeout (the handler's own clock runs first)
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class InvocationFailed(RuntimeError):
    """The handler raised in its environment; the message carries the environment's traceback."""

    def __init__(self, function: str, error: Mapping[str, str]) -> None:
        self.error_type = str(error.get("type", "Exception"))
        self.error_message = str(error.get("message", ""))
        self.remote_traceback = str(error.get("traceback", ""))
        super().__init__(f"{function}: {self.error_type}: {self.error_message}\n"
                         f"--- in the execution environment ---\n{self.remote_traceback}")


class InvocationTimedOut(RuntimeError):
    pass


class _PoolFull(Exception):
    pass


class EnvironmentLost(RuntimeError):
    """The environment's process ended during an invocation (it crashed, or exited)."""


@dataclass(frozen=True)
class LocalConcurrency:
    """How many environments each function may run at once locally."""

    default: int = DEFAULT_CONCURRENCY
    per_function: Mapping[str, int] | None = None

    @classmethod
    def parse(cls, text: str | None) -> LocalConcurrency:
        """``"4"``, ``"api=8"``, ``"2,api=8,actions=1"``; empty: the default."""
        default, per_function = DEFAULT_CONCURRENCY, {}
        for item in (text or "").split(","):
            item = item.strip()
            if not item:
                continue
            name, _, value = item.rpartition("=")
            try:
                number = int(value)
            except ValueError:
                raise ValueError(f"{CONCURRENCY_VARIABLE}: {item!r} is not a number or name=number") from None
            if number < 1:
                raise ValueError(f"{CONCURRENCY_VARIABLE}: {item!r}: at least 1")
            if name:
                per_function[name.strip()] = number
            else:
                default = number
        return cls(default, per_function)

    @classmethod
    def from_environment(cls) -> LocalConcurrency:
        return cls.parse(os.environ.get(CONCURRENCY_VARIABLE))

    def of(self, function: declaration.Function) -> int:
        wanted = (self.per_function or {}).get(function.name, self.default)
        reserved = function.reserved_concurrency
        return max(1, min(wanted, reserved) if reserved is not None else wanted)


class _Environment:
    """One worker process and the parent's end of its socket."""

    def __init__(self, function: declaration.Function) -> None:
        self.function = function
        parent_end, child_end = socket.socketpair()
        try:
            self.process = subprocess.Popen(  # noqa: S603 - a fixed argv, no shell
                [sys.executable, "-m", "infra.local.worker", str(child_end.fileno())],
                cwd=_REPO_ROOT, stdin=subprocess.DEVNULL, pass_fds=(child_end.fileno(),),
                # A process group of its own, so Ctrl-C reaches `make run` only (which closes its environments); the
                # same session, so the same scheduling (autogroup) as the process that started it.
                process_group=0)
        finally:
            child_end.close()
        self.connection = Connection(parent_end.detach())
        self.connection.send_bytes(json.dumps({
            "function": {"name": function.name, "handler": function.handler, "memory_mb": function.memory_mb,
                         "timeout_s": function.timeout_s},
            "sys_path": [p for p in sys.path if p],
            "log_level": logging.getLogger().getEffectiveLevel(),
        }).encode("utf-8"))
        try:
            answer = self._receive(COLD_START_TIMEOUT_S, "start")
        except BaseException:
            self.close(wait_s=0)
            raise
        if "error" in answer:
            self.close()
            raise InvocationFailed(function.name, answer["error"])

    def _receive(self, timeout_s: float, what: str) -> dict[str, Any]:
        if not self.connection.poll(timeout_s):
            self.close(wait_s=0)
            raise InvocationTimedOut(f"{self.function.name}: no answer to {what} within {timeout_s:.0f} s "
                                     "(the environment was stopped)")
        try:
            return json.loads(self.connection.recv_bytes())  # type: ignore[no-any-return]
        except (EOFError, OSError):
            code = self.process.wait(5)
            self.close(wait_s=0)
            raise EnvironmentLost(f"{self.function.name}: the execution environment ended (exit {code}) "
                                  f"during {what}") from None

    def invoke(self, payload: bytes) -> Any:
        """One event (as JSON) in, the handler's result out."""
        self.connection.send_bytes(payload)
        answer = self._receive(self.function.timeout_s + TIMEOUT_GRACE_S, "an invocation")
        if "error" in answer:
            raise InvocationFailed(self.function.name, answer["error"])
        return answer["result"]

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and not self.connection.closed

    def close(self, wait_s: float = 5.0) -> None:
        if not self.connection.closed:
            self.connection.close()  # the worker reads end of file and exits
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(wait_s)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


class WorkerPool:
    """Up to ``concurrency`` execution environments of one function, started on demand."""

    def __init__(self, function: declaration.Function, concurrency: int) -> None:
        if concurrency < 1:
            raise ValueError("concurrency: at least 1")
        self.function = function
        self.concurrency = concurrency
        self._idle: list[_Environment] = []
        self._count = 0  # environments running or starting
        self._busy_peak = 0
        self._busy = 0
        self._closed = False
        self._changed = threading.Condition()

    @property
    def size(self) -> int:
        """Environments running now (busy or idle)."""
        with self._changed:
            return self._count

    @property
    def peak_busy(self) -> int:
        """The most invocations that ran at once."""
        with self._changed:
            return self._busy_peak

    def _take(self, *, warm: bool = True) -> _Environment:
        """An environment for one invocation: an idle one (unless ``warm`` is False), else a new one if the pool
        is below its concurrency, else the first to be given back."""
        with self._changed:
            while True:
                if self._closed:
                    raise RuntimeError(f"{self.function.name}: the local runtime is stopping")
                while warm and self._idle:
                    environment = self._idle.pop()  # the last used: the warmest
                    if environment.alive:
                        self._count_busy(+1)
                        return environment
                    self._count -= 1
                if self._count < self.concurrency:
                    self._count += 1
                    self._count_busy(+1)
                    break
                if not warm:
                    raise _PoolFull
                self._changed.wait()
        try:
            return _Environment(self.function)  # outside the lock: other invocations go on meanwhile
        except BaseException:
            with self._changed:
                self._count -= 1
                self._count_busy(-1)
                self._changed.notify()
            raise

    def _count_busy(self, delta: int) -> None:
        self._busy += delta
        self._busy_peak = max(self._busy_peak, self._busy)

    def _give_back(self, environment: _Environment, healthy: bool) -> None:
        with self._changed:
            self._count_busy(-1)
            keep = healthy and environment.alive and not self._closed
            if keep:
                self._idle.append(environment)
            else:
                self._count -= 1
            self._changed.notify()
        if not keep:
            environment.close()

    def __call__(self, event: Any) -> Any:
        payload = json.dumps(event, ensure_ascii=False).encode("utf-8")  # before an environment is taken
        environment = self._take()
        healthy = False
        try:
            result = environment.invoke(payload)
            healthy = True
            return result
        except InvocationFailed:
            healthy = True  # the handler raised; its environment goes on serving, as Lambda's does
            raise
        finally:
            self._give_back(environment, healthy)

    def prewarm(self, count: int | None = None) -> int:
        """Start environments, in parallel, until ``count`` (default and at most: the concurrency) are running, as
        provisioned concurrency has them ready before the first request; returns how many are running."""
        wanted = self.concurrency if count is None else min(count, self.concurrency)
        started: list[_Environment] = []
        errors: list[BaseException] = []

        def start() -> None:
            try:
                started.append(self._take(warm=False))
            except _PoolFull:
                pass
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=start, daemon=True) for _ in range(max(0, wanted - self.size))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for environment in started:
            self._give_back(environment, healthy=True)
        if errors:
            raise errors[0]
        return self.size

    def stop(self) -> None:
        """Close every idle environment; busy ones close as their invocation ends (or are killed by then)."""
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._changed.notify_all()
        for environment in idle:
            environment.close()
