"""The ``secret`` reference and permission kinds (the agencies' signing keys in Secrets Manager).

Given the real declaration (the API and the actions consumer sign electronic results, the feedback API's
document verification reads the trust roots kept under the same prefix), when the stack is synthesised, then
exactly those functions may read the secrets under ``motcua/signing/`` and nothing else of Secrets Manager,
and they are told the prefix; locally the prefix is empty (keys come from the local CA).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import declaration as d
from infra.local.env import Endpoints, resolve
from tests.infra import synthesise
from tests.infra.test_stack import as_list, function_by_handler, role_statements

READERS = ("api", "actions", "api-feedback")


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    return synthesise("project").require()


def _secret_statements(template: dict[str, Any], function: str) -> list[dict[str, Any]]:
    logical_id, _ = function_by_handler(template, d.function(function).handler)
    return [s for s in role_statements(template, logical_id)
            if any(a.startswith("secretsmanager:") for a in as_list(s["Action"]))]


def _families(template: dict[str, Any], function: str) -> list[str]:
    """The secret name patterns a function may read (CDK merges statements of the same actions)."""
    return sorted(json.dumps(resource).rsplit(":secret:", 1)[-1].removesuffix('"]]}')
                  for statement in _secret_statements(template, function)
                  for resource in as_list(statement["Resource"]))


@pytest.mark.parametrize("function", READERS)
def test_readers_read_only_the_signing_secrets(project: dict[str, Any], function: str) -> None:
    for statement in _secret_statements(project, function):
        assert as_list(statement["Action"]) == ["secretsmanager:GetSecretValue"]
    # Besides the signing keys, only the api reads other families: the payment gateways' connections and the
    # postal carriers' callback keys (not their connections).
    expected = (["motcua/payment/*", "motcua/postal-callback/*", "motcua/signing/*"] if function == "api"
                else ["motcua/signing/*"])
    assert _families(project, function) == expected
    _, spec = function_by_handler(project, d.function(function).handler)
    assert spec["Properties"]["Environment"]["Variables"]["SIGNING_SECRET_PREFIX"] == "motcua/signing/"


def test_only_the_api_reads_the_payment_gateways_connections(project: dict[str, Any]) -> None:
    readers = [f.name for f in d.FUNCTIONS if "motcua/payment/*" in _families(project, f.name)]
    assert readers == ["api"]  # not api-public: its cold start stays light, and it takes no callback
    _, spec = function_by_handler(project, d.function("api").handler)
    assert spec["Properties"]["Environment"]["Variables"]["PAYMENT_SECRET_PREFIX"] == "motcua/payment/"


def test_the_postal_connections_are_the_postal_functions_alone_and_the_callback_keys_the_apis(
        project: dict[str, Any]) -> None:
    connections = [f.name for f in d.FUNCTIONS if "motcua/postal/*" in _families(project, f.name)]
    keys = [f.name for f in d.FUNCTIONS if "motcua/postal-callback/*" in _families(project, f.name)]
    assert connections == ["postal"] and keys == ["api"]
    assert _families(project, "postal") == ["motcua/postal/*"]
    _, spec = function_by_handler(project, d.function("postal").handler)
    assert spec["Properties"]["Environment"]["Variables"]["POSTAL_SECRET_PREFIX"] == "motcua/postal/"


def test_functions_without_the_permission_read_no_secret(project: dict[str, Any]) -> None:
    others = [f.name for f in d.FUNCTIONS if not any(p.kind == "secret" for p in f.permissions)]
    assert others and "sla" in others
    for name in others:
        assert _secret_statements(project, name) == [], name


def test_locally_the_secret_prefix_is_empty() -> None:
    endpoints = Endpoints(dynamodb="http://127.0.0.1:1", moto="http://127.0.0.1:2")
    assert resolve(d.Ref("secret", "signing"), endpoints) == ""
