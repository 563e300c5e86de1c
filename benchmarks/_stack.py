"""The local stack for a benchmark, in-process: the same engines, environment and resources as the tests.

Usage, from a benchmark that has put the repo root and ``functions/`` on ``sys.path`` first (see the top of
``benchmarks/submit.py``)::

    from benchmarks._stack import local_stack

    with local_stack(seed=True) as stack:
        from motcua.handlers import api  # import handlers INSIDE: they read the environment at import
        ...

It follows ``tests/conftest.py``: DynamoDB Local in memory and moto server on free ports, the handlers'
environment in ``os.environ`` (dummy credentials, a fixed region, the ``AWS_ENDPOINT_URL_*`` variables), the
declared resources created. Unlike the tests, DynamoDB Local runs with the JVM's full JIT (``quick_start``
off), as ``make run`` does: a benchmark runs long enough for the JIT to pay, and measures the steady state.
Everything started is stopped on the way out, whatever happens (and ``start_engines`` also registers an
``atexit`` stop and asks the kernel to kill the children if this process dies).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from infra.local.engines import Engines, start_engines
from infra.local.env import Endpoints, local_environment
from infra.local.resources import LocalResources, client, create_all

# Nothing a benchmark does may reach a real AWS account: the developer's profile and session are dropped.
_AWS_ACCOUNT_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


@dataclass
class BenchStack:
    """What the engines serve, and how long getting there took (reported, never part of a measurement)."""

    engines: Engines
    endpoints: Endpoints
    env: dict[str, str]
    resources: LocalResources
    startup_s: float

    @property
    def table_name(self) -> str:
        return self.resources.table_name

    def client(self, service: str) -> Any:
        """A plain boto3 client on the local engines (dummy credentials)."""
        return client(service, self.endpoints)


@contextmanager
def local_stack(*, seed: bool = False, quick_start: bool = False) -> Iterator[BenchStack]:
    """Engines started, environment set, resources created (and the catalogue seeded with ``seed``).

    On exit the engines are stopped and ``os.environ`` is restored, even after an exception or Ctrl-C.
    """
    saved = dict(os.environ)
    for name in _AWS_ACCOUNT_VARIABLES:
        os.environ.pop(name, None)
    started = time.perf_counter()
    engines: Engines | None = None
    try:
        engines = start_engines(quick_start=quick_start)
        endpoints = Endpoints(dynamodb=engines.dynamodb_endpoint, moto=engines.moto_endpoint)
        env = local_environment(endpoints)
        os.environ.update(env)
        resources = create_all(endpoints)
        if seed:
            from motcua.cli.catalogue_cmds import seed_catalogue  # only benchmarks that ask for it import motcua

            seed_catalogue(resources.table_name)
        yield BenchStack(engines, endpoints, env, resources, time.perf_counter() - started)
    finally:
        if engines is not None:
            engines.stop()
        os.environ.clear()
        os.environ.update(saved)
