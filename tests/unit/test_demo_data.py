"""The demo province generator: deterministic, consistent with the workflow's rules, and realistic."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from itertools import pairwise

import pytest

from motcua.domain import actions as events
from motcua.domain.calendar import default_calendar
from motcua.domain.catalogue import Channel
from motcua.domain.demo_data import generate
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.index import Month, counters_for_month, facts_from_history, load_default_procedures
from motcua.domain.receipt import RECEIPT_CODE
from motcua.domain.status import DossierStatus as S
from motcua.domain.status import can_transition

END = Month(2026, 10)
MONTHS = [Month(2026, 8), Month(2026, 9), END]
PROCEDURES = {p.code: p for p in load_default_procedures()}


@pytest.fixture(scope="module")
def province() -> list[tuple[Dossier, list[HistoryEvent]]]:
    return generate(months=3, dossiers=300, end_month=END, seed=11)


def _in_office_hours(t: datetime) -> bool:
    second = t.hour * 3600 + t.minute * 60 + t.second
    return 7 * 3600 + 1800 <= second <= 11 * 3600 + 1800 or 13 * 3600 + 1800 <= second <= 17 * 3600


def test_is_deterministic() -> None:
    a = generate(months=2, dossiers=40, end_month=END, seed=5)
    b = generate(months=2, dossiers=40, end_month=END, seed=5)
    c = generate(months=2, dossiers=40, end_month=END, seed=6)
    dump = [(d.model_dump(), [e.model_dump() for e in h]) for d, h in a]
    assert dump == [(d.model_dump(), [e.model_dump() for e in h]) for d, h in b]
    assert [d.receipt_code for d, _ in a] != [d.receipt_code for d, _ in c]


def test_spreads_the_dossiers_over_the_months(province: list[tuple[Dossier, list[HistoryEvent]]]) -> None:
    assert len(province) == 300
    by_month = Counter(Month.of(d.submitted_at) for d, _ in province)
    assert set(by_month) == set(MONTHS) and min(by_month.values()) > 70
    assert all(e.occurred_at <= END.end for _, h in province for e in h)

# Status-neutral actions: they never change the dossier's status (from_status == to_status).
STATUS_NEUTRAL_ACTIONS = frozenset({
    events.RECORD_PAYMENT, events.DIGITISE, events.ISSUE_ELECTRONIC_RESULT, events.APOLOGISE,
    events.SYNC_NATIONAL_PORTAL, events.SYNC_CITIZEN_DATA_STORE, events.EVALUATE, events.FEEDBACK_RECEIVE,
    events.FEEDBACK_RESPOND, events.FEEDBACK_RATE,
})


def test_histories_follow_the_status_table(province: list[tuple[Dossier, list[HistoryEvent]]]) -> None:
    ids = set()
    for dossier, history in province:
        assert history[0].from_status is None and history[0].action in (events.SUBMIT, events.RECEIVE_AT_COUNTER)
        for previous, event in pairwise(history):
            assert event.from_status is previous.to_status
            assert event.occurred_at >= previous.occurred_at
            assert event.from_status is event.to_status or can_transition(event.from_status, event.to_status)
            if event.action in STATUS_NEUTRAL_ACTIONS:
                assert event.from_status is event.to_status
        assert dossier.status is history[-1].to_status and dossier.version == len(history)
        ids.update(e.event_id for e in history)
    assert len(ids) == sum(len(h) for _, h in province)


def test_events_happen_on_working_days_in_office_hours(province: list[tuple[Dossier, list[HistoryEvent]]]) -> None:
    calendar = default_calendar()
    evening = 0
    for dossier, history in province:
        for event in history:
            if event.action == events.SUBMIT and dossier.channel is Channel.ONLINE and not _in_office_hours(
                    event.occurred_at):
                evening += 1  # citizens submit online at any hour; the clock starts at the next opening
                continue
            assert calendar.is_working_day(event.occurred_at.date(), dossier.agency_code), event
            assert _in_office_hours(event.occurred_at), event
    assert evening > 0


def test_dossiers_are_valid_for_their_procedures(province: list[tuple[Dossier, list[HistoryEvent]]]) -> None:
    codes = [d.receipt_code for d, _ in province]
    assert len(set(codes)) == len(codes) and all(RECEIPT_CODE.fullmatch(c) for c in codes)
    for dossier, _ in province:
        procedure = PROCEDURES[dossier.procedure_code]
        assert procedure.accepts(dossier.channel)
        if procedure.competent_agency.kind == "department":
            assert dossier.agency_code == procedure.competent_agency.agency_code
        else:
            assert dossier.agency_code.startswith("000.20.")  # a commune of the seed tree


def test_looks_like_a_real_province(province: list[tuple[Dossier, list[HistoryEvent]]]) -> None:
    totals: Counter[str] = Counter()
    for month in MONTHS:
        facts = [f for f in (facts_from_history(d, h, month.end) for d, h in province) if f]
        totals.update(counters_for_month(facts, month)["000.00.00.H36"])
    online_share = totals["online_capable_online"] / totals["online_capable"]
    late_share = totals["late"] / totals["received"]
    assert 0.4 <= online_share <= 0.6, online_share
    assert 0.03 <= late_share <= 0.12, late_share
    assert totals["supplement_requested"] > 0 and totals["late_second_supplement"] >= 0
    assert totals["result_electronic"] > totals["decided"] * 0.3
    assert 0 < totals["paid_online"] < totals["paid"]
    assert totals["evaluation_very_satisfied"] > totals["evaluation_dissatisfied"] > 0
    assert totals["open_at_month_end"] > 0 and totals["apologised"] > 0
    actions = Counter(e.action for _, h in province for e in h)
    assert actions[events.REFUSE] > 0 and actions[events.FEEDBACK_RECEIVE] > 0
    assert actions[events.SYNC_NATIONAL_PORTAL] > 0.9 * (actions[events.RECEIVE] + actions[events.RECEIVE_AT_COUNTER])
    statuses = Counter(d.status for d, _ in province)
    assert statuses[S.RETURNED] > 0.8 * len(province)


def test_applicants_are_fake_but_well_formed(province: list[tuple[Dossier, list[HistoryEvent]]]) -> None:
    for dossier, _ in province[:50]:
        assert len(dossier.applicant.national_id) == 12 and dossier.applicant.national_id.isdigit()
        assert dossier.applicant.phone.startswith("09") and len(dossier.applicant.phone) == 10
