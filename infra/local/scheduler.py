"""Fire scheduled functions locally: moto stores EventBridge Scheduler schedules but never fires them.

Each ScheduleTrigger with ``local_every_s`` is fired every that many seconds (a laptop does not wait for
``cron(5 0 1 * ? *)``); any trigger can be fired on demand with ``fire`` or
``python -m infra.local fire FUNCTION``. The event is the one the stack's schedules send as their input.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from infra import declaration
from infra.declaration import Function, ScheduleTrigger
from infra.local import ACCOUNT_ID, REGION, Invocable, invoker_for
from infra.local.resources import SCHEDULE_GROUP, schedule_name

log = logging.getLogger("infra.local")


def schedule_arn(name: str) -> str:
    return f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/{SCHEDULE_GROUP}/{name}"


def schedule_event(function: Function, index: int = 0, at: datetime | None = None) -> dict[str, Any]:
    """The Scheduler-shaped event a scheduled function receives (``time`` is the scheduled time)."""
    at = at or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT_ID,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [schedule_arn(schedule_name(function, index))],
        "detail": {},
    }


def schedule_triggers(function: Function) -> list[ScheduleTrigger]:
    return [t for t in function.triggers if isinstance(t, ScheduleTrigger)]


def fire(function: Function | str, index: int = 0, invoker: Invocable | None = None) -> Any:
    """Invoke a scheduled function now with its ``index``-th schedule's event; returns its result."""
    if isinstance(function, str):
        function = declaration.function(function)
    if index >= len(schedule_triggers(function)):
        raise ValueError(f"{function.name} has no schedule #{index}")
    invoker = invoker or invoker_for(function)
    return invoker(schedule_event(function, index))


@dataclass
class _Timer:
    function: Function
    index: int
    every_s: int


class LocalScheduler:
    """One thread per fired schedule; each fires every ``local_every_s`` seconds until stopped."""

    def __init__(
        self,
        functions: Iterable[Function] | None = None,
        invoker_factory: Callable[[Function], Invocable] = invoker_for,
    ) -> None:
        self._stop = threading.Event()
        self._invoker_factory = invoker_factory
        self.timers = [
            _Timer(function, index, trigger.local_every_s)
            for function in (declaration.FUNCTIONS if functions is None else functions)
            for index, trigger in enumerate(schedule_triggers(function))
            if trigger.local_every_s
        ]
        self._threads = [
            threading.Thread(target=self._run, args=(timer,), name=f"schedule-{timer.function.name}", daemon=True)
            for timer in self.timers
        ]

    def start(self) -> LocalScheduler:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout_s)

    def _run(self, timer: _Timer) -> None:
        # The first firing waits one interval, as a rate() schedule's does.
        while not self._stop.wait(timer.every_s):
            try:
                fire(timer.function, timer.index, self._invoker_factory(timer.function))
                log.debug("fired schedule %s", schedule_name(timer.function, timer.index))
            except Exception:
                log.exception("scheduled %s failed", timer.function.name)
