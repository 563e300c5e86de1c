"""The citizen's evaluation through the API: once per returned dossier, in the app or at the counter kiosk,
stored with an event that never changes the status, and counted in the month's index in the same write."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

import pytest

from motcua.cli.catalogue_cmds import seed_catalogue
from motcua.data.index_store import IndexRepository
from motcua.domain.calendar import VN_TZ
from motcua.domain.index import Month, load_default_tree
from motcua.service.index.job import IndexJob
from tests.integration.helpers import COMMUNE, bearer, subject_of, submission, submit_headers

DESK = ("officer-lan", "reception_officer", COMMUNE)
PROCESSOR = ("officer-minh", "processing_officer", COMMUNE)
OWNER = "citizen-hang"
GOOD = {"scores": {"6": 2, "7": 2, "8": 1, "9": 2}, "satisfaction": "satisfied"}


@pytest.fixture(autouse=True)
def catalogue(clean_table: str) -> None:
    seed_catalogue(clean_table)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch):
    from motcua.service.actions import service

    def freeze(day: int, hour: int = 9) -> None:
        moment = datetime(2026, 3, day, hour, tzinfo=VN_TZ)
        monkeypatch.setattr(service, "clock", lambda: moment)

    return freeze


def act(api_client, dossier_id: str, name: str, who, body: dict | None = None):
    headers = {**bearer(*who), "idempotency-key": uuid.uuid4().hex}
    response = api_client.post(f"/dossiers/{dossier_id}/actions/{name}", json=body or {}, headers=headers)
    assert response.status == 200, (name, response.text)
    return response.json()


def processed(api_client, frozen, *, returned: bool = True) -> str:
    """A dossier submitted online on Monday 2 March 2026, received, processed and (by default) returned."""
    frozen(2, 8)
    created = api_client.post("/dossiers", json=submission("1.001266"), headers=submit_headers(OWNER))
    assert created.status == 201, created.text
    dossier_id = created.json()["id"]
    for day, (name, who, body) in enumerate([("receive", DESK, {}), ("start_processing", PROCESSOR, {}),
                                             ("decide", PROCESSOR, {"electronic": True})], start=2):
        frozen(day, 10 + day)
        act(api_client, dossier_id, name, who, body)
    if returned:
        frozen(5, 9)
        act(api_client, dossier_id, "return_result", DESK, {"method": "electronic"})
    return dossier_id


def evaluate(api_client, dossier_id: str, body: dict, headers: dict | None = None):
    return api_client.post(f"/dossiers/{dossier_id}/evaluation", json=body, headers=headers or bearer(OWNER))


def test_the_owner_rates_a_returned_dossier_once_and_the_index_counts_it(api_client, frozen) -> None:
    dossier_id = processed(api_client, frozen)
    unrated = api_client.get(f"/dossiers/{dossier_id}/evaluation", headers=bearer(OWNER))
    assert (unrated.status, unrated.json()["code"]) == (404, "EVALUATION_NOT_FOUND")
    frozen(6, 15)
    response = evaluate(api_client, dossier_id, GOOD)
    assert response.status == 201, response.text
    evaluation = response.json()
    # criteria 1-5 from the record (finished early: 2, no supplement: 2, one desk: 2, 2), 6-9 from the citizen
    assert [s["score"] for s in evaluation["scores"]] == [2, 2, 2, 2, 2, 2, 2, 1, 2]
    assert evaluation["total"] == 17 and evaluation["band_code"] == "excellent"
    assert evaluation["source"] == "app" and evaluation["satisfaction"] == "satisfied"
    # Location names it, and reading it there gives the same evaluation (the owner, and the desk).
    assert response.header("location") == f"/dossiers/{dossier_id}/evaluation"
    assert api_client.get(response.header("location"), headers=bearer(OWNER)).json() == evaluation
    assert api_client.get(response.header("location"), headers=bearer(*DESK)).status == 200
    stranger = api_client.get(response.header("location"), headers=bearer("citizen-stranger"))
    assert (stranger.status, stranger.json()["code"]) == (403, "DOSSIER_ACCESS_DENIED")

    again = evaluate(api_client, dossier_id, {**GOOD, "satisfaction": "dissatisfied"})
    assert again.status == 409 and again.json()["code"] == "EVALUATION_DUPLICATE"

    # the status never moves: 10 -> 10, one more version, the event on the trail
    dossier = api_client.get(f"/dossiers/{dossier_id}", headers=bearer(OWNER)).json()
    assert dossier["status"]["code"] == 10 and dossier["version"] == 6
    event = next(e for e in dossier["history"] if e["action"] == "evaluate")
    assert event["from_status"]["code"] == event["to_status"]["code"] == 10

    # counted in March's index in the same write: S.1 (the app survey), and equal to the recompute
    job = IndexJob(store=IndexRepository())
    incremental, full = job.from_aggregates(Month(2026, 3)), job.recompute(Month(2026, 3))
    assert incremental.counters == full.counters
    province = next(r for r in incremental.results if r.unit_code == load_default_tree().root)
    survey = province.indicator("S.1")
    assert (survey.numerator, survey.denominator) == (1, 1)
    assert incremental.counters[COMMUNE]["evaluation_points"] == 17


def test_clear_errors_for_early_answers_bad_scores_and_strangers(api_client, frozen) -> None:
    dossier_id = processed(api_client, frozen, returned=False)
    early = evaluate(api_client, dossier_id, GOOD)
    assert early.status == 409 and early.json()["code"] == "EVALUATION_DOSSIER_NOT_RETURNED"
    frozen(5, 9)
    act(api_client, dossier_id, "return_result", DESK, {"method": "counter"})
    frozen(6, 9)
    out_of_range = evaluate(api_client, dossier_id, {**GOOD, "scores": {"6": 3, "7": 2, "8": 1, "9": 2}})
    assert out_of_range.status == 422 and out_of_range.json()["code"] == "EVALUATION_SCORE_OUT_OF_RANGE"
    missing = evaluate(api_client, dossier_id, {**GOOD, "scores": {"6": 2, "7": 2}})
    assert missing.status == 422 and missing.json()["code"] == "EVALUATION_CRITERIA_INVALID"
    stranger = evaluate(api_client, dossier_id, GOOD, bearer("citizen-other"))
    assert stranger.status == 403
    processor = evaluate(api_client, dossier_id, GOOD, bearer(*PROCESSOR))
    assert processor.status == 403 and processor.json()["code"] == "ACCESS_DENIED"
    foreign_desk = evaluate(api_client, dossier_id, GOOD, bearer("officer-x", "reception_officer", "000.20.02.H36"))
    assert foreign_desk.status == 403
    assert evaluate(api_client, "no-such-dossier", GOOD).status == 404
    assert api_client.post(f"/dossiers/{dossier_id}/evaluation", json=GOOD).status == 401
    # nothing was stored by the refusals: the owner can still answer
    assert evaluate(api_client, dossier_id, GOOD).status == 201


def test_the_counter_kiosk_answers_for_the_citizen(api_client, frozen) -> None:
    dossier_id = processed(api_client, frozen)
    frozen(6, 10)
    response = evaluate(api_client, dossier_id, {**GOOD, "satisfaction": "very_satisfied"}, bearer(*DESK))
    assert response.status == 201, response.text
    assert response.json()["source"] == "kiosk"  # the caller is the counter's identity
    history = api_client.get(f"/dossiers/{dossier_id}/history", headers=bearer(*DESK)).json()["items"]
    event = next(e for e in history if e["action"] == "evaluate")
    assert (event["actor_subject"], event["actor_role"]) == (subject_of("officer-lan"), "reception_officer")


def test_the_source_comes_from_the_caller_never_from_the_body(api_client, frozen) -> None:
    dossier_id = processed(api_client, frozen)
    frozen(6, 10)
    for claimed in ("kiosk", "app"):
        forged = evaluate(api_client, dossier_id, {**GOOD, "source": claimed})
        assert forged.status == 422, forged.text  # not a field of the answer: who calls decides
    response = evaluate(api_client, dossier_id, GOOD)
    assert response.status == 201 and response.json()["source"] == "app"


def test_two_answers_at_once_store_one(api_client, frozen) -> None:
    dossier_id = processed(api_client, frozen)
    frozen(6, 11)
    barrier = threading.Barrier(2)
    results: list = []

    def answer(satisfaction: str) -> None:
        barrier.wait()
        results.append(evaluate(api_client, dossier_id, {**GOOD, "satisfaction": satisfaction}))

    threads = [threading.Thread(target=answer, args=(s,)) for s in ("satisfied", "dissatisfied")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == [201, 409]
    assert next(r for r in results if r.status == 409).json()["code"] == "EVALUATION_DUPLICATE"
    job = IndexJob(store=IndexRepository())
    counters = job.from_aggregates(Month(2026, 3)).counters[COMMUNE]
    assert counters["evaluations"] == 1  # counted once, whichever answer won
