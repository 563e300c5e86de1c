"""The API served over real HTTP on 127.0.0.1 (the local adapter with the JWT authoriser), for fuzzing."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from infra.local.http_adapter import HttpAdapter, http_routes
from tests.integration.helpers import verifier


@pytest.fixture(scope="session")
def live_api(local_stack) -> Iterator[str]:
    from motcua.cli.catalogue_cmds import seed_catalogue

    seed_catalogue(local_stack.table_name)
    adapter = HttpAdapter(http_routes(), port=0, verifier=verifier()).start()
    # Warm the function once (imports, calendar tables) so no generated case pays the cold start.
    urllib.request.urlopen(f"{adapter.url}/procedures", timeout=120).read()
    try:
        yield adapter.url
    finally:
        adapter.stop()


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    from tests.api import test_fuzz

    if test_fuzz.CASES_RUN:
        terminalreporter.write_line(f"schemathesis: {len(test_fuzz.CASES_RUN)} generated cases sent to the API")
