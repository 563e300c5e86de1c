"""Client input at its edges never gives a 5xx: path ids of any length, dates at the calendar's ends, JSON
numbers too long to convert, media types in any case. Every one is a 4xx with the standard error body."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.cli.catalogue_cmds import seed_catalogue
from schemas.common import ErrorBody
from tests.integration.helpers import COMMUNE, bearer, submission, submit_headers

OPENAPI = json.loads((Path(__file__).parents[2] / "schemas" / "openapi.json").read_text(encoding="utf-8"))


# Issued when used: issuing registers the subject in the table (the sign-in trigger), emptied before each test.
def official() -> dict:
    return bearer("chairman-tuan", "agency_leader", COMMUNE)


def citizen() -> dict:
    return bearer("citizen-an")


LONG_ID = "a" * 2049
EDGE_DATES = ["0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
              "9999-12-31T23:59:59+00:00", "1900-01-01T00:00:00+07:00", "2999-12-31T17:00:00+07:00"]
LONG_NUMBER = "1" * 4301


@pytest.fixture(autouse=True)
def catalogue(clean_table: str) -> None:
    seed_catalogue(clean_table)


def assert_client_error(response, *allowed: int) -> dict:
    assert 400 <= response.status < 500, (response.status, response.text[:300])
    if allowed:
        assert response.status in allowed, (response.status, response.text[:300])
    return ErrorBody.model_validate(response.json()).model_dump()


def _operations() -> list[tuple[str, str, list[str]]]:
    found = []
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            found.append((method.upper(), path, [p["name"] for p in operation.get("parameters", ())
                                                  if p["in"] == "path"]))
    return found


OPERATIONS = _operations()
WITH_PATH_PARAMETERS = [(m, p, names) for m, p, names in OPERATIONS if names]
WITH_BODY = [(m, p) for m, p, _ in OPERATIONS if m in ("POST", "PUT")]


def _fill(path: str, names: list[str], value: str) -> str:
    for name in names:
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def _call(api_client, method: str, path: str, headers: dict, body: str | None = "{}"):
    headers = {**headers, "idempotency-key": uuid.uuid4().hex, "content-type": "application/json"}
    return api_client.request(method, path, body=body if method in ("POST", "PUT") else None, headers=headers)


@pytest.mark.parametrize(("method", "path", "names"), WITH_PATH_PARAMETERS, ids=lambda v: str(v))
def test_a_path_id_over_2048_bytes_is_a_client_error(api_client, method, path, names) -> None:
    for who in (official(), citizen(), {}):
        assert_client_error(_call(api_client, method, _fill(path, names, LONG_ID), who))


@pytest.mark.parametrize("submitted_at", EDGE_DATES)
def test_a_preview_at_the_calendars_edge_is_a_client_error(api_client, submitted_at) -> None:
    response = api_client.get("/calendar/preview", query={"procedure_code": "1.001266", "agency_code": COMMUNE,
                                                         "submitted_at": submitted_at})
    assert_client_error(response, 422)


def _received(api_client) -> str:
    created = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers("citizen-an"))
    assert created.status == 201, created.text
    dossier_id = created.json()["id"]
    desk = bearer("officer-lan", "reception_officer", COMMUNE)
    received = api_client.post(f"/dossiers/{dossier_id}/actions/receive", json={},
                               headers={**desk, "idempotency-key": uuid.uuid4().hex})
    assert received.status == 200, received.text
    return dossier_id


def test_an_apology_dated_at_the_calendars_edge_is_a_client_error(api_client) -> None:
    dossier_id = _received(api_client)
    for new_appointment_at in EDGE_DATES:
        response = api_client.post(f"/dossiers/{dossier_id}/actions/apologise",
                                   json={"reason": "Cần xác minh", "new_appointment_at": new_appointment_at},
                                   headers={**official(), "idempotency-key": uuid.uuid4().hex})
        assert_client_error(response, 422)


@pytest.mark.parametrize(("method", "path"), WITH_BODY, ids=lambda v: str(v))
def test_a_json_number_too_long_to_convert_is_a_client_error(api_client, method, path) -> None:
    target = _fill(path, re.findall(r"{(\w+)}", path), "d" * 32)
    for body in (LONG_NUMBER, f'{{"amount_vnd": {LONG_NUMBER}}}', f'{{"a": [{LONG_NUMBER}]}}'):
        error = assert_client_error(_call(api_client, method, target, official(), body))
        assert LONG_NUMBER not in json.dumps(error)


@pytest.mark.parametrize("content_type", ["APPLICATION/JSON", "Application/Json; charset=UTF-8",
                                          "application/JSON;charset=utf-8"])
def test_the_media_type_is_case_insensitive(api_client, content_type) -> None:
    headers = {**submit_headers("citizen-an"), "content-type": content_type}
    response = api_client.request("POST", "/dossiers", body=json.dumps(submission()), headers=headers)
    assert response.status == 201, response.text


# --- a sweep over every route: path parameters, dates and numbers at their edges ----------------------------

EDGE_TEXT = st.one_of(
    st.sampled_from([LONG_ID, "a" * 2048, "é" * 1100, "..", ".", "%00", "\x00", " ", "\u202e", "0" * 4301,
                     "9999-12", "0000-00", "2026-13", "-1", "1e309", "NaN"]),
    st.text(min_size=1, max_size=64),
    st.text(alphabet="0123456789.-:TZ+", min_size=1, max_size=40),
)
EDGE_NUMBERS = st.sampled_from([LONG_NUMBER, "-" + LONG_NUMBER, "1e999999", "-0", "1" + "0" * 400, "1.5e308",
                                "0." + "0" * 5000 + "1", "9" * 19, "-9223372036854775809"])
SWEEP = settings(max_examples=60, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@SWEEP
@given(operation=st.sampled_from(WITH_PATH_PARAMETERS), value=EDGE_TEXT, who=st.sampled_from([official, citizen]))
def test_path_parameters_at_their_edges_never_give_a_5xx(api_client, operation, value, who) -> None:
    method, path, names = operation
    response = _call(api_client, method, _fill(path, names, value), who())
    assert response.status < 500, (method, path, response.status, response.text[:300])


@SWEEP
@given(operation=st.sampled_from(WITH_BODY), number=EDGE_NUMBERS, date=st.sampled_from(EDGE_DATES),
       field=st.sampled_from(["amount_vnd", "new_appointment_at", "submitted_at", "limit", "score", "x"]))
def test_bodies_with_numbers_and_dates_at_their_edges_never_give_a_5xx(api_client, operation, number, date,
                                                                       field) -> None:
    method, path = operation
    target = _fill(path, re.findall(r"{(\w+)}", path), "d" * 32)
    for body in (f'{{"{field}": {number}}}', json.dumps({field: date}),
                 json.dumps({"reason": "Chậm", "new_appointment_at": date})):
        response = _call(api_client, method, target, official(), body)
        assert response.status < 500, (method, path, body[:80], response.status, response.text[:300])


@SWEEP
@given(date=st.sampled_from(EDGE_DATES) | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()))
def test_query_dates_at_their_edges_never_give_a_5xx(api_client, date) -> None:
    response = api_client.get("/calendar/preview", query={"procedure_code": "1.001266", "agency_code": COMMUNE,
                                                         "submitted_at": date})
    assert response.status < 500, (date, response.status, response.text[:300])
