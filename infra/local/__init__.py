"""The local stack: DynamoDB Local and moto server, plus a small Lambda runtime emulation.

``make run`` and the test harness both go through this package, so what a developer clicks through and
what the tests exercise are the same code path. The modules:

- ``engines``: start and stop DynamoDB Local (the real engine) and moto server, on 127.0.0.1 only;
- ``env``: the environment variables a handler sees locally (endpoints, names resolved from the
  declaration);
- ``resources``: the table, queues + DLQs, buckets, SES identities and schedules, from the declaration;
- ``http_adapter``: HTTP request -> API Gateway HTTP API (payload 2.0) event -> handler -> HTTP response;
- ``pollers``: SQS -> handler, as Lambda's event source mapping does;
- ``scheduler``: fires scheduled functions (moto stores schedules but never fires them);
- ``runner``: ``make run``.

This module holds what the three trigger emulations share: loading a handler from its declared
``module.attribute`` and invoking it with a Lambda-like context. By default (tests, in-process tools) a
function runs in this process, one invocation at a time; ``make run`` and the load benchmark call
``use_execution_environments`` first, and every function then runs in worker processes of its own, several
invocations at once as Lambda's concurrency does (``infra.local.workers``).
"""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from infra import declaration

if TYPE_CHECKING:
    from infra.local.workers import LocalConcurrency, WorkerPool

REGION = "ap-southeast-1"
ACCOUNT_ID = "123456789012"  # moto's default account: ARNs and queue URLs it returns carry it

Handler = Callable[[Any, Any], Any]


def function_arn(function_name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{declaration.SERVICE}-{function_name}"


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    identity: Any = None
    client_context: Any = None
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def make_context(function: declaration.Function) -> LambdaContext:
    return LambdaContext(
        function_name=f"{declaration.SERVICE}-{function.name}",
        memory_limit_in_mb=function.memory_mb,
        invoked_function_arn=function_arn(function.name),
        timeout_s=function.timeout_s,
    )


def load_handler(dotted: str) -> Handler:
    """``"package.module.attribute"`` -> the callable, as the Lambda runtime resolves ``handler``."""
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        raise ValueError(f"handler {dotted!r} is not of the form module.attribute")
    handler = getattr(importlib.import_module(module_name), attribute)
    if not callable(handler):
        raise TypeError(f"handler {dotted!r} is not callable")
    return handler  # type: ignore[no-any-return]


class Invocable(Protocol):
    """What a trigger emulation calls: an in-process ``Invoker`` or a ``WorkerPool`` of environments."""

    @property
    def function(self) -> declaration.Function: ...

    def __call__(self, event: Any) -> Any: ...


class Invoker:
    """Invokes one declared function in this process, one event at a time.

    A Lambda execution environment handles a single event at a time, and module-level state such as a
    Powertools resolver's ``current_event`` relies on it. The HTTP adapter serves requests on several
    threads and a poller or the scheduler may fire the same function meanwhile, so calls are serialised
    per function (reserved concurrency 1, in effect). Functions given the same ``lock`` take turns together.
    """

    def __init__(self, function: declaration.Function, handler: Handler | None = None,
                 lock: threading.Lock | None = None) -> None:
        self.function = function
        self._handler = handler
        self._lock = lock or threading.Lock()

    @property
    def handler(self) -> Handler:
        # Imported on first use: the stack can start (and say so) while a handler module is still missing.
        if self._handler is None:
            self._handler = load_handler(self.function.handler)
        return self._handler

    def __call__(self, event: Any) -> Any:
        handler = self.handler
        with self._lock:
            return handler(event, make_context(self.function))


_invokers: dict[tuple[str, str], Invocable] = {}
_invokers_lock = threading.Lock()
# Powertools keeps the event being resolved on a class attribute every resolver shares
# (``BaseRouter.current_event``). In the cloud each HTTP function has a process of its own; in-process they
# share one, so they take turns together, or a request could read another function's caller.
_http_lock = threading.Lock()
_concurrency: LocalConcurrency | None = None  # set: functions run in worker pools


def use_execution_environments(concurrency: LocalConcurrency | None = None) -> None:
    """From now on ``invoker_for`` gives each function a pool of execution environments (worker processes), up
    to ``concurrency`` of it at once (default: ``MOTCUA_LOCAL_CONCURRENCY``, capped by the declared reserved
    concurrency). Call it once the handlers' environment is in ``os.environ``: environments inherit it."""
    from infra.local.workers import LocalConcurrency

    global _concurrency
    with _invokers_lock:
        if _invokers:
            raise RuntimeError("use_execution_environments before any function is invoked")
        _concurrency = concurrency or LocalConcurrency.from_environment()


def stop_execution_environments() -> None:
    """Close every pool's environments; ``invoker_for`` is back to in-process invokers."""
    global _concurrency
    with _invokers_lock:
        invokers = list(_invokers.values())
        _invokers.clear()
        _concurrency = None
    for invoker in invokers:
        stop = getattr(invoker, "stop", None)
        if stop is not None:
            stop()


def worker_pool(function: declaration.Function) -> WorkerPool:
    """The function's pool of environments (``use_execution_environments`` must have been called)."""
    from infra.local.workers import WorkerPool

    pool = invoker_for(function)
    if not isinstance(pool, WorkerPool):
        raise RuntimeError("functions run in process: call use_execution_environments first")
    return pool


def invoker_for(function: declaration.Function) -> Invocable:
    """The one invoker of a function, shared by its triggers (so that they share its concurrency too)."""
    key = (function.name, function.handler)
    with _invokers_lock:
        if key not in _invokers:
            if _concurrency is not None:
                from infra.local.workers import WorkerPool

                _invokers[key] = WorkerPool(function, _concurrency.of(function))
            else:
                http = any(isinstance(t, declaration.HttpTrigger) for t in function.triggers)
                _invokers[key] = Invoker(function, lock=_http_lock if http else None)
        return _invokers[key]
