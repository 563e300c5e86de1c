"""The local runtime runs several invocations of a function at once, each in an execution environment of its
own (a worker process), as Lambda's concurrency does; `make run` and the load benchmark run this way.

The handlers are real modules (``tests.integration.local_handlers``) imported by each environment, so what is
proven is the process model itself: overlap, isolation, a handler's failure, a timeout, a crash.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra import declaration
from infra.declaration import Function, HttpTrigger
from infra.local.engines import free_port
from infra.local.http_adapter import HttpAdapter, Route, access_line, dispatch
from infra.local.workers import EnvironmentLost, InvocationFailed, InvocationTimedOut, WorkerPool
from motcua.cli.catalogue_cmds import seed_catalogue
from tests.integration.helpers import COMMUNE, submission, submit_headers

HANDLERS = "tests.integration.local_handlers"


def _function(name: str, timeout_s: int = 29) -> Function:
    return Function(name=name, handler=f"{HANDLERS}.{name}", description="test",
                    triggers=(HttpTrigger(authorised=False),), permissions=(), timeout_s=timeout_s)


@pytest.fixture
def pools() -> Iterator[list[WorkerPool]]:
    """Pools made by a test, all stopped after it (their processes end)."""
    made: list[WorkerPool] = []
    yield made
    for pool in made:
        pool.stop()


def _pool(pools: list[WorkerPool], function: Function, concurrency: int) -> WorkerPool:
    pool = WorkerPool(function, concurrency)
    pools.append(pool)
    return pool


def _get(url: str) -> tuple[int, Any]:
    with urllib.request.urlopen(url, timeout=120) as response:  # loopback only
        return response.status, json.loads(response.read())


def test_two_requests_to_one_function_are_served_at_once(pools, tmp_path: Path, caplog) -> None:
    # Each invocation waits until both are inside at the same time: served one after the other, the first
    # would give up alone (saw 1) before the second began.
    pool = _pool(pools, _function("rendezvous"), concurrency=2)
    routes = [Route(pool, authorised=False)]
    adapter = HttpAdapter(routes, port=free_port()).start()
    caplog.set_level(logging.INFO, logger="infra.local")
    try:
        url = f"{adapter.url}/meet?dir={tmp_path}&expected=2"
        with ThreadPoolExecutor(max_workers=2) as clients:
            answers = list(clients.map(lambda _: _get(url), range(2)))
    finally:
        adapter.stop()
    assert [status for status, _ in answers] == [200, 200]
    assert [body["saw"] for _, body in answers] == [2, 2]
    # Two environments, each its own process with its own module state.
    assert len({body["pid"] for _, body in answers}) == 2
    assert [body["invocations_here"] for _, body in answers] == [1, 1]
    assert pool.size == 2 and pool.peak_busy == 2
    # The access line keeps its format, one per request, values masked.
    lines = [r.getMessage() for r in caplog.records if r.name == "infra.local" and " -> " in r.getMessage()]
    expected = re.escape(access_line(routes, "GET", "/meet?dir=x&expected=2")) + r" -> 200 \(\d+ ms\)"
    assert len(lines) == 2 and all(re.fullmatch(expected, line) for line in lines), lines


def test_a_function_at_concurrency_one_serves_one_event_at_a_time(pools, tmp_path: Path) -> None:
    # Three callers at once, one environment: no invocation ever sees another inside with it.
    pool = _pool(pools, _function("probe"), concurrency=1)
    with ThreadPoolExecutor(max_workers=3) as callers:
        answers = list(callers.map(lambda _: pool({"dir": str(tmp_path), "stay_s": 0.2}), range(3)))
    assert [a["inside"] for a in answers] == [1, 1, 1]
    assert len({a["pid"] for a in answers}) == 1  # the warm environment, reused
    assert pool.peak_busy == 1 and pool.size == 1


def test_environments_start_on_demand_and_the_warm_one_is_reused(pools, tmp_path: Path) -> None:
    pool = _pool(pools, _function("probe"), concurrency=4)
    first = pool({"dir": str(tmp_path), "stay_s": 0})
    again = pool({"dir": str(tmp_path), "stay_s": 0})
    assert first["pid"] == again["pid"] and pool.size == 1  # one after the other: one environment is enough
    assert pool.prewarm() == 4  # as provisioned concurrency would have them
    assert pool.prewarm(2) == 4  # never fewer, never more than the concurrency
    barrier = threading.Barrier(4)

    def call(_: int) -> dict[str, Any]:
        barrier.wait()
        return pool({"dir": str(tmp_path), "stay_s": 0})

    with ThreadPoolExecutor(max_workers=4) as callers:
        answers = list(callers.map(call, range(4)))
    assert len(answers) == 4 and pool.size == 4  # four at once took no fifth environment


def test_a_handler_error_a_timeout_and_a_crash(pools) -> None:
    pool = _pool(pools, _function("fails", timeout_s=1), concurrency=1)
    warm = pool({})
    assert warm["function_name"] == f"{declaration.SERVICE}-fails" and 0 < warm["remaining_ms"] <= 1000
    # The handler's exception reaches the caller with the environment's traceback; the environment goes on.
    with pytest.raises(InvocationFailed, match="ValueError: handler bug") as raised:
        pool({"boom": True})
    assert 'local_handlers.py", line' in raised.value.remote_traceback
    assert pool({})["pid"] == warm["pid"]
    # Past the function's timeout the environment is stopped, and the next invocation gets a new one.
    with pytest.raises(InvocationTimedOut):
        pool({"sleep_s": 30})
    after_timeout = pool({})
    assert after_timeout["pid"] != warm["pid"] and pool.size == 1
    # An environment that dies mid-invocation fails that invocation only.
    with pytest.raises(EnvironmentLost, match="exit 3"):
        pool({"exit": True})
    assert pool({})["pid"] != after_timeout["pid"]


def test_a_handler_that_does_not_import_fails_the_invocation_not_the_pool(pools) -> None:
    broken = Function(name="broken", handler=f"{HANDLERS}_missing.handler", description="test", triggers=(),
                      permissions=())
    pool = _pool(pools, broken, concurrency=2)
    with pytest.raises(InvocationFailed, match="ModuleNotFoundError"):
        pool({})
    assert pool.size == 0


def test_an_error_in_an_environment_is_the_gateways_500(pools) -> None:
    pool = _pool(pools, _function("fails"), concurrency=1)
    routes = [Route(pool, authorised=False)]

    def get(path: str) -> Any:
        return dispatch(routes, {"method": "GET", "path": path, "headers": {}, "body": None})

    assert get("/boom").status == 500
    # A result Lambda's runtime cannot marshal is the function's error too.
    assert get("/unmarshallable").status == 500
    fine = get("/fine")
    assert fine.status == 200 and fine.json()["pid"] > 0


def test_receipt_codes_stay_unique_under_concurrent_submits(pools, clean_table: str) -> None:
    # The declared API in four environments at once, against DynamoDB Local: every submission answered 201
    # with its own code, the day's sequence without gaps, each code stored for the dossier it was answered for.
    seed_catalogue(clean_table)
    api = declaration.function("api")
    pool = _pool(pools, api, concurrency=4)
    pool.prewarm()
    routes = [Route(pool, t.path, t.authorised, t.method) for t in api.triggers if isinstance(t, HttpTrigger)]
    # Signed in before the burst.
    headers = [{**submit_headers(f"citizen-{n}"), "content-type": "application/json"} for n in range(16)]

    def submit(n: int) -> tuple[int, dict[str, Any]]:
        answer = dispatch(routes, {"method": "POST", "path": "/dossiers", "headers": headers[n],
                                   "body": json.dumps(submission("1.001266", agency_code=COMMUNE))})
        return answer.status, answer.json()

    with ThreadPoolExecutor(max_workers=8) as clients:
        answers = list(clients.map(submit, range(16)))
    assert [status for status, _ in answers] == [201] * 16, answers
    codes = [body["receipt_code"] for _, body in answers]
    assert len(set(codes)) == 16
    assert sorted(int(code.rsplit("-", 1)[1]) for code in codes) == list(range(1, 17))
    table = boto3.resource("dynamodb").Table(clean_table)
    for _, body in answers:
        item = table.get_item(Key={"pk": f"RECEIPT#{body['receipt_code']}", "sk": "RECEIPT"}, ConsistentRead=True)
        assert item["Item"]["dossier_id"] == body["id"]
