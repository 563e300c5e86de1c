"""Public tracking holds each client to its lookup limit, on DynamoDB Local through the API handler.

Receipt codes are sequential (agency, day, sequence), so without a per-client limit one caller could walk
through every dossier's status. Given a small limit, when one address looks up more than it allows, then it
gets 429 with the standard error body, while another address and the next window are served.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from motcua.domain.calendar import VN_TZ
from tests.integration.helpers import submission, submit_headers

LIMIT = 3


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TRACK_LOOKUPS_PER_HOUR", str(LIMIT))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    from motcua.service.actions import service

    now = [datetime(2026, 12, 7, 9, 10, tzinfo=VN_TZ)]
    monkeypatch.setattr(service, "clock", lambda: now[0])
    return now


def test_one_address_gets_its_limit_then_429_others_and_the_next_hour_are_served(
    api_client, catalogue, small_limit, clock
) -> None:
    created = api_client.post("/dossiers", json=submission(), headers=submit_headers())
    assert created.status == 201, created.text
    path = f"/track/{created.json()['receipt_code']}"
    for _ in range(LIMIT):
        assert api_client.get(path, source_ip="198.51.100.7").status == 200
    refused = api_client.get(path, source_ip="198.51.100.7")
    assert refused.status == 429
    body = refused.json()
    assert body["code"] == "RATE_LIMITED" and body["message_vi"] and body["message_en"]
    assert body["details"]["limit"] == LIMIT and body["details"]["retry_after_s"] == 50 * 60
    assert refused.header("retry-after") == str(50 * 60)  # the same wait, where HTTP clients look for it
    # Misses count too: enumeration finds mostly codes that do not exist.
    assert api_client.get("/track/000.20.01.H36-261207-9999", source_ip="198.51.100.7").status == 429

    assert api_client.get(path, source_ip="198.51.100.8").status == 200
    clock[0] += timedelta(hours=1)
    assert api_client.get(path, source_ip="198.51.100.7").status == 200


def test_the_counter_never_stores_the_address(api_client, small_limit, clock, local_stack) -> None:
    import boto3

    api_client.get("/track/000.20.01.H36-261207-0001", source_ip="203.0.113.99")
    table = boto3.resource("dynamodb").Table(local_stack.table_name)
    items = table.scan()["Items"]
    counters = [i for i in items if str(i["pk"]).startswith("RATE#track#")]
    assert counters
    assert not [i for i in counters if "203.0.113.99" in repr(i)]
    assert all(int(i["expiration"]) > int(clock[0].timestamp()) for i in counters)
