"""Least privilege of the national connectors (docs/integrations.md): given the real declaration, when the stack
is synthesised, then each connector's function holds exactly the grants of its part and no other function
holds them.

- ``national-sync``: consumes its FIFO queue, parks in its DLQ, reads the national portal's connection secret;
- ``national-intake``: consumes its queue, parks in its DLQ, reads no secret (it submits, it calls no partner);
- ``outbox-relay``: the only sender to ``national-sync``;
- ``api``: the only reader of the payment gateways' secrets (tests/infra/test_secrets.py), it takes their
  callbacks, and it touches no connector queue.

A new connector (postal) adds its row to ``CONNECTOR_GRANTS`` and its queue's senders to ``QUEUE_SENDERS``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra import declaration as d
from tests.infra import synthesise
from tests.infra.test_stack import as_list, function_by_handler, role_statements

CONSUME = frozenset({"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                     "sqs:GetQueueUrl", "sqs:ReceiveMessage"})
SEND = frozenset({"sqs:SendMessage"})
READ_SECRET = frozenset({"secretsmanager:GetSecretValue"})

# function -> the grants beyond its logs, traces and the table: (resource, actions), resource as "queue:<name>",
# "queue:<name>-dlq" or "secret:<pattern>".
CONNECTOR_GRANTS: dict[str, set[tuple[str, frozenset[str]]]] = {
    "national-sync": {("queue:national-sync", CONSUME), ("queue:national-sync-dlq", SEND),
                      ("secret:motcua/national-portal/*", READ_SECRET)},
    "national-intake": {("queue:national-intake", CONSUME), ("queue:national-intake-dlq", SEND)},
}
# connector queue -> the functions that may send to it (the integration platform sends to intake from outside)
QUEUE_SENDERS: dict[str, set[str]] = {"national-sync": {"outbox-relay"}, "national-intake": set(),
                                      "national-sync-dlq": {"national-sync"},
                                      "national-intake-dlq": {"national-intake"}}
CONNECTOR_SECRETS: dict[str, set[str]] = {"motcua/national-portal/*": {"national-sync"},
                                          "motcua/payment/*": {"api"}}


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    return synthesise("project").require()


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _resource_name(resource: Any) -> str:
    """``queue:<declared name>`` for a queue's ARN, ``secret:<pattern>`` for a secret's, else the JSON."""
    text = json.dumps(resource)
    if ":secret:" in text:
        return "secret:" + text.rsplit(":secret:", 1)[-1].removesuffix('"]]}')
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        logical_id = resource["Fn::GetAtt"][0]
        for queue in d.QUEUES:
            for name, suffix in ((queue.name, ""), (f"{queue.name}-dlq", "Dlq")):
                if re.fullmatch(f"Queues{_camel(queue.name)}{suffix}[0-9A-F]{{8}}", logical_id):
                    return f"queue:{name}"
    return text


def grants(template: dict[str, Any], function: str) -> set[tuple[str, frozenset[str]]]:
    """The function's queue and secret grants, per resource (statements of the same resource merged)."""
    logical_id, _ = function_by_handler(template, d.function(function).handler)
    merged: dict[str, set[str]] = {}
    for statement in role_statements(template, logical_id):
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        if not any(a.startswith(("sqs:", "secretsmanager:")) for a in actions):
            continue
        assert all(a.startswith(("sqs:", "secretsmanager:")) for a in actions), statement
        for resource in as_list(statement["Resource"]):
            assert resource != "*", (function, statement)  # never every queue or every secret
            merged.setdefault(_resource_name(resource), set()).update(actions)
    return {(resource, frozenset(actions)) for resource, actions in merged.items()}


@pytest.mark.parametrize("function", sorted(CONNECTOR_GRANTS))
def test_each_connector_holds_exactly_its_grants(project: dict[str, Any], function: str) -> None:
    assert grants(project, function) == CONNECTOR_GRANTS[function]


@pytest.mark.parametrize("queue", sorted(QUEUE_SENDERS))
def test_only_the_declared_functions_send_to_or_consume_a_connector_queue(project: dict[str, Any],
                                                                          queue: str) -> None:
    senders, consumers = set(), set()
    for function in d.FUNCTIONS:
        for resource, actions in grants(project, function.name):
            if resource == f"queue:{queue}":
                if actions & SEND:
                    senders.add(function.name)
                if actions & CONSUME:
                    consumers.add(function.name)
    assert senders == QUEUE_SENDERS[queue]
    expected_consumers = {f for f, g in CONNECTOR_GRANTS.items() if (f"queue:{queue}", CONSUME) in g}
    assert consumers == expected_consumers


@pytest.mark.parametrize("secret", sorted(CONNECTOR_SECRETS))
def test_a_partners_connection_secret_is_read_by_its_connector_alone(project: dict[str, Any], secret: str) -> None:
    readers = {f.name for f in d.FUNCTIONS if (f"secret:{secret}", READ_SECRET) in grants(project, f.name)}
    assert readers == CONNECTOR_SECRETS[secret]
    others = {f.name for f in d.FUNCTIONS
              for resource, _ in grants(project, f.name) if resource == f"secret:{secret}"}
    assert others == readers  # nobody holds any other action on it either


def test_the_api_takes_the_payment_callbacks_but_touches_no_connector_queue(project: dict[str, Any]) -> None:
    api = grants(project, "api")
    assert not [r for r, _ in api if r.removeprefix("queue:").removesuffix("-dlq") in QUEUE_SENDERS]
    assert ("secret:motcua/payment/*", READ_SECRET) in api
