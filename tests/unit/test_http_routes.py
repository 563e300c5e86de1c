"""The HTTP API is several functions (``infra/declaration.py``): every route a function's resolver serves is
routed to that function, with the authoriser exactly where the route documents a bearer token, and a path
no resolver serves reaches the catch-all's function (which answers the standard 404).

API Gateway's choice among the declared routes is the local adapter's (``infra.local.http_adapter``), which
``tests/integration/test_local_stack.py`` holds to API Gateway's precedence.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra import declaration
from infra.local.http_adapter import http_routes, match_route

ROOT = Path(__file__).resolve().parents[2]
# Path parameters filled with what no literal segment is: a 32-digit hex id.
SAMPLE = "0123456789abcdef0123456789abcdef"

SERVED = """
import json
from schemas.generate_openapi import function_documents
print(json.dumps({name: [[method, path, bool(operation.get("security"))]
                         for path, operations in document["paths"].items()
                         for method, operation in operations.items()]
                  for name, document in function_documents().items()}))
"""


@pytest.fixture(scope="module")
def served() -> dict[str, list[tuple[str, str, bool]]]:
    # A subprocess: importing the handlers binds a table, which must not be this test session's.
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'functions'}"}
    result = subprocess.run([sys.executable, "-c", SERVED], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return {name: [tuple(route) for route in routes] for name, routes in json.loads(result.stdout).items()}


def test_every_http_function_serves_routes_and_every_route_reaches_its_function(served) -> None:
    http_functions = {f.name for f in declaration.FUNCTIONS
                      if any(isinstance(t, declaration.HttpTrigger) for t in f.triggers)}
    assert set(served) == http_functions and len(http_functions) > 1
    routes = http_routes()
    misrouted = []
    for name, operations in served.items():
        assert operations, f"{name} serves no route"
        for method, path, secured in operations:
            concrete = re.sub(r"\{\w+\}", SAMPLE, path)
            route, _ = match_route(routes, method, concrete)
            if route is None or route.invoker.function.name != name or route.authorised != secured:
                misrouted.append((method, path, name, route and (route.invoker.function.name, route.authorised)))
    assert misrouted == []


def test_each_route_key_is_declared_once() -> None:
    keys = [f"{t.method} {t.path}" for f in declaration.FUNCTIONS for t in f.triggers
            if isinstance(t, declaration.HttpTrigger)]
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


@pytest.mark.parametrize("method, path", [("GET", "/nowhere"), ("POST", "/procedures"), ("DELETE", "/health"),
                                          ("GET", "/documents/x/other"), ("GET", "/indexes")])
def test_a_path_or_method_no_group_serves_reaches_the_authorised_catch_all(method: str, path: str) -> None:
    route, _ = match_route(http_routes(), method, path)
    assert route is not None and route.route_key == "ANY /{proxy+}" and route.authorised
    assert route.invoker.function.name == "api"
