"""The local API served over HTTP for a load test, in its OWN process (``benchmarks/load.py`` starts it).

Locust patches the standard library with gevent when it is imported; the server must not run under that
patching (threads, sockets and subprocesses would all be green), so it lives here, in a plain process:

1. DynamoDB Local (in memory, full JIT: a load test measures the steady state) and moto server on free
   ports on 127.0.0.1, the declared resources created, the catalogue seeded;
2. a signing key written to a temporary directory (the load test issues its users' tokens with it);
3. the HTTP adapter on a free 127.0.0.1 port with that key as the JWT authoriser, and the actions queue's
   poller, as ``make run`` serves them: every function in execution environments of its own (worker
   processes), up to ``--concurrency`` invocations of a function at once (capped by its declared reserved
   concurrency); the API's environments are started before the ready line (as provisioned concurrency
   would have them), so the load measures warm environments;
4. one JSON line written to ``--ready-file`` (atomically) once everything answers:
   ``{"url", "moto", "dynamodb", "table", "concurrency"}``; on the way out, ``--stats-file`` (if given) gets
   ``{function: {"concurrency", "peak_busy", "environments"}}``: how many invocations ran at once.

It stops on SIGTERM/SIGINT, when its parent goes away, or after ``--max-seconds`` whatever happens, and
stops what it started (engines included) on the way out.

Run alone: ``PYTHONPATH=.:functions .venv/bin/python benchmarks/_serve.py --ready-file /tmp/serve.json``.
"""

from __future__ import annotations

import _paths  # noqa: F401  (first: see benchmarks/_paths.py)

# isort: split

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

# Nothing here may reach a real AWS account: the developer's profile and session are dropped.
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_name, None)


def serve(ready_file: Path, max_seconds: float, concurrency: int, stats_file: Path | None = None) -> int:
    from infra import declaration
    from infra.local import stop_execution_environments, use_execution_environments, worker_pool
    from infra.local.cognito import PoolVerifier
    from infra.local.engines import free_port, start_engines
    from infra.local.env import Endpoints, local_environment
    from infra.local.http_adapter import HttpAdapter, http_routes
    from infra.local.pollers import QueuePoller, queue_pollers
    from infra.local.resources import client, create_all
    from infra.local.workers import LocalConcurrency, WorkerPool

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    parent = os.getppid()
    engines = start_engines(quick_start=False)
    adapter: HttpAdapter | None = None
    pollers: list[QueuePoller] = []
    pools: dict[str, WorkerPool] = {}
    try:
        endpoints = Endpoints(dynamodb=engines.dynamodb_endpoint, moto=engines.moto_endpoint)
        os.environ.update(local_environment(endpoints))
        resources = create_all(endpoints)
        from motcua.cli.catalogue_cmds import seed_catalogue  # after the environment: handlers read it at import

        seed_catalogue(resources.table_name)
        assert resources.user_pool is not None
        use_execution_environments(LocalConcurrency(concurrency))  # the environments inherit os.environ as set
        api = worker_pool(declaration.function("api"))
        api.prewarm()
        pools = {"api": api}
        adapter = HttpAdapter(http_routes(), port=free_port(), verifier=PoolVerifier(resources.user_pool)).start()
        actions = declaration.function("actions")
        urls = {name: (q.url, q.arn) for name, q in resources.queues.items()}
        pollers = [p.start() for p in queue_pollers(client("sqs", endpoints), urls, functions=[actions])]
        pools["actions"] = worker_pool(actions)
        ready = {"url": adapter.url, "moto": endpoints.moto, "dynamodb": endpoints.dynamodb,
                 "table": resources.table_name, "concurrency": api.concurrency}
        partial = ready_file.with_suffix(".partial")
        partial.write_text(json.dumps(ready), encoding="utf-8")
        partial.replace(ready_file)
        deadline = time.monotonic() + max_seconds
        while not stop.wait(0.5):
            if time.monotonic() > deadline or os.getppid() != parent:
                break
        return 0
    finally:
        for poller in pollers:
            poller.stop()
        if adapter is not None:
            adapter.stop()
        if stats_file is not None:
            stats = {name: {"concurrency": pool.concurrency, "peak_busy": pool.peak_busy, "environments": pool.size}
                     for name, pool in pools.items()}
            stats_file.write_text(json.dumps(stats), encoding="utf-8")
        stop_execution_environments()
        engines.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--max-seconds", type=float, default=900.0, help="stop by itself after this long")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="execution environments per function at most (default 1)")
    parser.add_argument("--stats-file", type=Path, help="where to write how many invocations ran at once")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)-7s %(name)s %(message)s")
    return serve(args.ready_file, args.max_seconds, args.concurrency, args.stats_file)


if __name__ == "__main__":
    sys.exit(main())
