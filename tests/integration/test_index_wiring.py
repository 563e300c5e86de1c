"""The monthly index on DynamoDB Local and moto S3: incremental counters written with each change equal the
full recompute from the histories; the job stores, publishes and re-runs idempotently; the API serves it.

Generated provinces are loaded through the index's write path: the live one (``DossierRepository.create`` and
``save_change`` with the tracker's writes in each transaction, one per instant) and the bulk one of
``motcua demo-data`` (the same per-event deltas, batched).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import boto3
import pytest

from motcua.data.index_store import IndexRepository
from motcua.data.reports import ReportStore
from motcua.domain.demo_data import generate, generate_feedback, online_payment_codes
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.feedback.steps import index_facts
from motcua.domain.index import (
    INDICATOR_COUNTERS,
    Month,
    catalogue_counters,
    facts_from_history,
    late_dossiers,
    load_default_procedures,
    load_default_tree,
    months_of,
    role_in,
    role_of,
    standalone_contribution,
)
from motcua.domain.index.contribution import PROCEDURE_COUNTERS
from motcua.service.index.job import IndexJob
from motcua.service.index.loading import load_feedback_histories, load_histories
from motcua.service.index.month import ONLINE_PAYMENT_SETTING
from tests.integration.helpers import bearer

PROVINCE = load_default_tree().root
SEPTEMBER, OCTOBER = Month(2026, 9), Month(2026, 10)

History = list[tuple[Dossier, list[HistoryEvent]]]


def job(local_stack) -> IndexJob:
    return IndexJob(store=IndexRepository(), reports=ReportStore(local_stack.env["REPORTS_BUCKET"]))


def assert_incremental_equals_recompute(j: IndexJob, month: Month, province: History) -> None:
    incremental, full = j.from_aggregates(month), j.recompute(month)
    assert incremental.counters == full.counters, month
    assert incremental.results == full.results, month  # every indicator of every unit, to the last decimal
    assert incremental.rankings == full.rankings, month
    assert incremental.late == full.late, month
    # the recompute read the histories back from the table: the same as folding the generated ones
    facts = [f for d, h in province if (f := facts_from_history(d, h, month.end)) and month in months_of(f)]
    assert full.dossiers == len(facts)
    assert full.late == late_dossiers(facts, month)
    province_result = next(r for r in full.results if r.unit_code == PROVINCE)
    assert province_result.dossiers_received > 5  # not trivially empty


@pytest.fixture
def live_province(local_stack) -> History:
    # Two months across the September/October boundary, written one transaction per instant; most dossiers with
    # internal-procedure step events, so some late ones name the unit of their late step.
    from tests.unit.test_index_explain import with_steps

    province = with_steps(generate(months=2, dossiers=30, end_month=OCTOBER, seed=11), 11)
    assert load_histories(province, bulk=False) == len(province)
    return province


def test_live_path_counters_equal_the_recompute_of_every_month(local_stack, live_province, api_client) -> None:
    j = job(local_stack)
    for month in (SEPTEMBER, OCTOBER):
        assert_incremental_equals_recompute(j, month, live_province)
    # One counter item per agency that had a dossier, never one per dossier or for the province.
    items = boto3.client("dynamodb").query(
        TableName=local_stack.table_name, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "AGG#2026-09"}})["Items"]
    codes = {i["sk"]["S"].removeprefix("UNIT#") for i in items}
    assert PROVINCE not in codes
    assert codes == {d.agency_code for d, h in live_province
                     if (f := facts_from_history(d, h, SEPTEMBER.end)) and SEPTEMBER in months_of(f)}

    # Which dossiers are behind each figure: the stored rows say what the recompute's facts say.
    j.run(OCTOBER)
    inspector = bearer("inspector-1", "inspector")
    facts = [f for d, h in live_province if (f := facts_from_history(d, h, OCTOBER.end))]
    with_dossiers = set()
    # the province's catalogue (no payment list stored here: 3b.2 is "no data"), as the figure reads it
    catalogue = catalogue_counters(load_default_procedures(), load_default_tree().units_for(OCTOBER), OCTOBER)
    for indicator in sorted({*INDICATOR_COUNTERS, *PROCEDURE_COUNTERS}):
        listed = api_client.get(f"/indexes/2026-10/{PROVINCE}/{indicator}/dossiers?limit=500", headers=inspector)
        assert listed.status == 200, listed.text
        got = sorted((i["receipt_code"], i["role"]) for i in listed.json()["items"])
        if listed.json()["basis"] == "no_data":  # e.g. 4.5a: the population database is not recorded
            assert got == [], indicator
            continue
        assert got == sorted((f.receipt_code, r) for f in facts
                             if (r := role_in(f, OCTOBER, indicator, catalogue=catalogue[PROVINCE]))), indicator
        with_dossiers |= {indicator} if got else set()
    assert {"1.4", "2.1", "2.2", "3.2", "3.3", "4.1", "4.2a", "5.4"} <= with_dossiers  # not trivially empty


def test_bulk_load_counters_equal_the_recompute_and_reruns_load_nothing_twice(local_stack) -> None:
    province = generate(months=3, dossiers=150, end_month=OCTOBER, seed=5)
    store = IndexRepository()
    store.put_setting(ONLINE_PAYMENT_SETTING, json.dumps(sorted(online_payment_codes())))
    assert load_histories(province, bulk=True, store=store) == len(province)
    assert store.facts_present([d.id for d, _ in province]) == {d.id for d, _ in province}
    j = job(local_stack)
    for month in (Month(2026, 8), SEPTEMBER, OCTOBER):
        assert_incremental_equals_recompute(j, month, province)
    # with the payment platform's list stored, 3b.1 and 3b.2 are scored (else "no data")
    province_result = next(r for r in j.from_aggregates(SEPTEMBER).results if r.unit_code == PROVINCE)
    assert province_result.indicator("3b.1").status == "scored"


def test_feedback_about_procedures_and_agencies_counts_incrementally_and_in_the_recompute(local_stack,
                                                                                        api_client) -> None:
    province = generate(months=2, dossiers=40, end_month=OCTOBER, seed=12)
    feedback = generate_feedback(months=2, count=30, end_month=OCTOBER, seed=12)
    load_histories(province)
    assert load_feedback_histories(feedback) == len(feedback)
    assert load_feedback_histories(feedback) == 0  # a re-run loads nothing twice
    table = boto3.resource("dynamodb").Table(local_stack.table_name)
    stored = [table.get_item(Key={"pk": f"FEEDBACK#{h.final.id}", "sk": "FEEDBACK"})["Item"] for h in feedback]
    assert not any("gsi4pk" in item for item in stored)  # past data: no SLA timers to fire
    j = job(local_stack)
    for month in (SEPTEMBER, OCTOBER):
        assert_incremental_equals_recompute(j, month, province)
        full = j.recompute(month)
        assert full.feedback == sum(1 for h in feedback if month.contains(h.final.received_at)) > 5
        # the province's 5.x counters include them: more feedback than the dossiers alone carry
        from_dossiers = sum(month.contains(fb.received_at)
                            for d, h in province if (f := facts_from_history(d, h, month.end)) for fb in f.feedback)
        assert full.counters[PROVINCE]["feedback_received"] == from_dossiers + full.feedback

    # The explain route lists them by feedback id, next to the dossiers (whose schema is unchanged).
    j.run(OCTOBER)
    inspector = bearer("inspector-1", "inspector")
    abouts: set[str] = set()
    for indicator in ("5.1", "5.2", "5.3"):
        listed = api_client.get(f"/indexes/2026-10/{PROVINCE}/{indicator}/dossiers?limit=500", headers=inspector)
        assert listed.status == 200, listed.text
        expected = sorted((f.feedback_id, f.about, r) for h in feedback
                          if (f := index_facts(h.final, as_of=OCTOBER.end))
                          and (r := role_of(standalone_contribution(f, OCTOBER), indicator)))
        got = sorted((i["feedback_id"], i["about"], i["role"]) for i in listed.json()["feedback"])
        assert got == expected, indicator
        abouts |= {a for _, a, _ in got}
    assert abouts == {"procedure", "agency"}
    # paging counts both kinds together
    paged: list[str] = []
    token = None
    while True:
        page = api_client.get(f"/indexes/2026-10/{PROVINCE}/5.2/dossiers?limit=3"
                              + (f"&next_token={token}" if token else ""), headers=inspector).json()
        assert len(page["items"]) + len(page["feedback"]) <= 3
        paged += [i["receipt_code"] for i in page["items"]] + [i["feedback_id"] for i in page["feedback"]]
        token = page.get("next_token")
        if not token:
            break
    full_list = api_client.get(f"/indexes/2026-10/{PROVINCE}/5.2/dossiers?limit=500", headers=inspector).json()
    assert sorted(paged) == sorted([i["receipt_code"] for i in full_list["items"]]
                                   + [i["feedback_id"] for i in full_list["feedback"]])


def test_the_job_stores_publishes_reruns_idempotently_and_the_api_serves_it(local_stack, live_province,
                                                                           api_client) -> None:
    # Imported once the session's environment is set: the handler validates it at import (cold start).
    from motcua.handlers.index_job import handler as job_handler
    from motcua.handlers.index_job import month_for

    event = {"time": "2026-10-31T17:05:00Z", "detail": {}}  # 00:05 on 1 November, Vietnam time
    assert month_for(event) == OCTOBER
    first = job_handler(event, None)
    assert first["month"] == "2026-10" and first["source"] == "incremental"
    # O(units): one counter item per agency that had a dossier, at most one per unit of the tree
    assert 0 < first["aggregate_items_read"] <= first["units"] and first["items_read_per_unit"] <= 1
    reports = ReportStore(local_stack.env["REPORTS_BUCKET"])
    assert reports.keys("2026-10") == ["index/2026-10/index.json", "index/2026-10/indicators.csv",
                                       "index/2026-10/report.html"]
    html, data, table = (reports.get(f"index/2026-10/{name}")
                         for name in ("report.html", "index.json", "indicators.csv"))
    # open data and the report carry no applicant data
    applicants = [d.applicant for d, _ in live_province]
    for body in (html, data, table):
        for a in applicants:
            assert a.national_id not in body and a.phone not in body and a.full_name not in body
    units = json.loads(data)["units"]
    assert {u["unit_code"] for u in units} >= {PROVINCE}
    rows = list(csv.DictReader(io.StringIO(table)))
    assert len(rows) == len(units) * len(units[0]["indicators"])
    stored = IndexRepository().results("2026-10")
    second = job_handler({"month": "2026-10"}, None)  # a backfill / re-run of the same month
    assert {k: v for k, v in second.items()} == first
    again = IndexRepository().results("2026-10")
    assert set(again) == set(stored)
    for code in stored:  # the same figures (only the computation time differs)
        a, b = json.loads(stored[code]), json.loads(again[code])
        assert a["result"] == b["result"] and a["rank"] == b["rank"]

    # The API serves what the job stored.
    job(local_stack).run(SEPTEMBER)
    month = api_client.get("/indexes/2026-09")  # public: no token
    assert month.status == 200, month.text
    body = month.json()
    assert body["province"]["unit_code"] == PROVINCE and body["provisional"] is False
    assert set(body["rankings"]) == {"province", "agency", "commune"}
    ranked = [r for r in body["rankings"]["commune"] if r["rank"] is not None]
    assert ranked and ranked[0]["rank"] == 1
    assert body["reports"]["html"] == "index/2026-09/report.html"

    commune = ranked[0]["unit_code"]
    unit = api_client.get(f"/indexes/2026-09/{commune}").json()
    on_time = next(i for i in unit["result"]["indicators"] if i["id"] == "2.1")
    assert {"numerator", "denominator", "points", "status"} <= set(on_time)
    assert unit["rank"] == 1

    # the dossiers behind 2.1 for that commune: its leader sees them; they are exactly the recompute's
    leader = bearer("chair-1", "agency_leader", commune)
    listed = api_client.get(f"/indexes/2026-09/{commune}/2.1/dossiers?limit=500", headers=leader)
    assert listed.status == 200, listed.text
    facts = [f for d, h in live_province if (f := facts_from_history(d, h, SEPTEMBER.end))
             and commune in f.units]
    expected = sorted((f.receipt_code, r) for f in facts if (r := role_in(f, SEPTEMBER, "2.1")))
    assert sorted((i["receipt_code"], i["role"]) for i in listed.json()["items"]) == expected
    numerators = sum(1 for _, r in expected if r == "numerator")
    assert str(numerators) == listed.json()["numerator"]
    # the late steps the route names add up to the figure's late dossiers by step unit
    named = Counter(i["late_step"]["unit"] for i in listed.json()["items"] if i.get("late_step"))
    assert on_time["late_by_step_unit"] == dict(named)
    # paging returns the same list
    paged: list[tuple[str, str]] = []
    token = None
    while True:
        page = api_client.get(f"/indexes/2026-09/{commune}/2.1/dossiers?limit=2"
                              + (f"&next_token={token}" if token else ""), headers=leader).json()
        paged += [(i["receipt_code"], i["role"]) for i in page["items"]]
        token = page.get("next_token")
        if not token:
            break
    assert sorted(paged) == expected
    bad = api_client.get(f"/indexes/2026-09/{commune}/2.1/dossiers?next_token=%25%25", headers=leader)
    assert bad.status == 400 and bad.json()["code"] == "INDEX_NEXT_TOKEN_INVALID"

    # an inspector sees the province's; another commune's leader and citizens do not
    inspector = bearer("inspector-1", "inspector")
    assert api_client.get(f"/indexes/2026-09/{PROVINCE}/4.1/dossiers", headers=inspector).status == 200
    other = next(c for c in load_default_tree().agencies if c not in (commune, PROVINCE))
    for headers in (bearer("chair-2", "agency_leader", other), bearer("citizen-an")):
        denied = api_client.get(f"/indexes/2026-09/{commune}/2.1/dossiers", headers=headers)
        assert denied.status == 403 and denied.json()["code"] == "INDEX_DOSSIERS_ACCESS_DENIED"
    assert api_client.get(f"/indexes/2026-09/{commune}/2.1/dossiers").status == 401
    # catalogue figures have no dossiers behind them; unknown things are 404s with codes
    catalogue = api_client.get(f"/indexes/2026-09/{commune}/3.1/dossiers", headers=leader).json()
    assert catalogue["basis"] == "catalogue" and catalogue["items"] == []
    assert api_client.get("/indexes/2026-09/nope").json()["code"] == "INDEX_UNIT_NOT_FOUND"
    assert api_client.get("/indexes/2030-01").json()["code"] == "INDEX_NOT_COMPUTED"
    assert api_client.get(f"/indexes/2026-09/{commune}/9.9/dossiers", headers=leader).json()["code"] == \
        "INDEX_INDICATOR_NOT_FOUND"
    assert api_client.get("/indexes/2026-13").status in (400, 422)


def test_the_cli_recompute_finds_and_repairs_drifted_counters(local_stack, capsys) -> None:
    from motcua import cli
    from motcua.data.index_store import add_counters

    province = generate(months=1, dossiers=60, end_month=SEPTEMBER, seed=8)
    load_histories(province)
    table, bucket = local_stack.table_name, local_stack.env["REPORTS_BUCKET"]
    base = ["index", "--month", "2026-09", "--table", table, "--reports-bucket", bucket]
    assert cli.main(base) == 0
    assert json.loads(capsys.readouterr().out)["matches_incremental"] is None  # the plain job does not compare
    assert cli.main([*base, "--recompute"]) == 0
    assert json.loads(capsys.readouterr().out)["matches_incremental"] is True

    # Given counters that drifted (a lost write, a bug) in an ended month
    commune = province[0][0].agency_code
    add_counters(boto3.client("dynamodb"), "2026-09", commune, {"received": 2, "late": 1})
    # When the operator recomputes, then the drift is reported (exit 1) with what differs
    assert cli.main([*base, "--recompute"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["matches_incremental"] is False
    assert any(d.startswith(f"{commune} received") for d in report["differences"])
    assert any(d.startswith(f"{PROVINCE} late") for d in report["differences"])  # rolled up to the province
    # and --repair puts the rebuilt counters back, so the incremental job agrees again
    assert cli.main([*base, "--recompute", "--repair"]) == 1  # this run still saw the drift
    capsys.readouterr()
    assert cli.main([*base, "--recompute"]) == 0
    assert json.loads(capsys.readouterr().out)["matches_incremental"] is True
    j = job(local_stack)
    assert j.from_aggregates(SEPTEMBER).results == j.recompute(SEPTEMBER).results
