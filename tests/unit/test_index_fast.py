"""The lighter fold of the recompute (``motcua.domain.index.fast``) equals the reference fold, counter for
counter: ``facts_from_history`` then ``contribution``, on a generated province (every month it touches,
including months a dossier only reaches through its evaluation or feedback) and on random histories that
straddle month ends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.domain import actions as ev
from motcua.domain.demo_data import generate
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.index import Month, contribution, counters_for_month, facts_from_history, fast
from motcua.domain.index.columns import export_month, fold_columns
from motcua.domain.index.config import DEFAULT_INDEX_CONFIG
from motcua.domain.index.fast import MonthFolder
from motcua.domain.status import DossierStatus
from tests.unit.test_index_incremental import histories, months_between


def month_counters(folder: MonthFolder, province: Sequence[tuple[Dossier, Sequence[HistoryEvent]]]
                   ) -> dict[str, dict[str, int]]:
    """``counters_for_month`` of the histories, through the lighter fold."""
    out: dict[str, dict[str, int]] = {}
    for dossier, history in province:
        found = folder.contribution(dossier, history)
        if found is None or not found[1]:
            continue
        units, c = found
        for unit in units:
            row = out.setdefault(unit, {})
            for key, value in c.items():
                row[key] = row.get(key, 0) + value
    return {u: {key: v for key, v in row.items() if v} for u, row in out.items() if any(row.values())}


def reference(dossier: Dossier, history: list[HistoryEvent], month: Month):
    facts = facts_from_history(dossier, history, month.end)
    return None if facts is None else (facts.units, contribution(facts, month))


def test_generated_province_every_month_every_dossier() -> None:
    province = generate(months=3, dossiers=160, end_month=Month(2026, 9), seed=21, as_of=Month(2026, 11).end)
    checked = 0
    for month in months_between(Month(2026, 7), Month(2026, 11)):
        folder = MonthFolder(month)
        for dossier, history in province:
            assert folder.contribution(dossier, history) == reference(dossier, history, month), (dossier.id, month)
            checked += 1
        facts = [f for d, h in province if (f := facts_from_history(d, h, month.end))]
        assert month_counters(folder, province) == counters_for_month(facts, month)
    assert checked == 5 * len(province)
    # months after reception carry evaluation and feedback only: make sure the comparison saw some
    after = month_counters(MonthFolder(Month(2026, 10)), province)
    assert after["000.00.00.H36"].get("evaluations", 0) > 0 and "received" not in after["000.00.00.H36"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=3))
def test_random_histories(cases: list[tuple[Dossier, list[HistoryEvent]]]) -> None:
    first = min(Month.of(h[0].occurred_at) for _, h in cases)
    last = max(Month.of(h[-1].occurred_at) for _, h in cases).next
    for month in months_between(first, last):
        folder = MonthFolder(month)
        for dossier, history in cases:
            assert folder.contribution(dossier, history) == reference(dossier, history, month), month


def test_an_appointment_basis_falls_back_to_the_reference() -> None:
    province = generate(months=1, dossiers=30, end_month=Month(2026, 9), seed=4)
    config = DEFAULT_INDEX_CONFIG.model_copy(update={"deadline_basis": "appointment"})
    folder = MonthFolder(Month(2026, 9), config=config)
    for dossier, history in province:
        facts = facts_from_history(dossier, history, Month(2026, 9).end, config=config)
        expected = None if facts is None else (facts.units, contribution(facts, Month(2026, 9), config=config))
        assert folder.contribution(dossier, history) == expected


def reference_month(province: Sequence[tuple[Dossier, Sequence[HistoryEvent]]], month: Month
                    ) -> tuple[dict[str, dict[str, int]], list[str], int]:
    """The reference fold of a month: counters per unit, the late dossiers, the dossiers contributing."""
    facts = [f for d, h in province if (f := facts_from_history(d, list(h), month.end))]
    late = sorted(f.dossier_id for f in facts if contribution(f, month).get("late"))
    touching = sum(1 for f in facts if contribution(f, month))
    return counters_for_month(facts, month), late, touching


def columnar(province: Sequence[tuple[Dossier, Sequence[HistoryEvent]]], month: Month, processes: int = 1
             ) -> tuple[dict[str, dict[str, int]], list[str], int]:
    folder = MonthFolder(month)
    folded = fold_columns(folder, export_month(folder, province), processes=processes)
    return folded.counters, sorted(folded.late), folded.dossiers


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), size=st.integers(1, 120), months=st.integers(1, 3))
def test_columnar_fold_equals_the_reference_on_generated_months(seed: int, size: int, months: int) -> None:
    province = generate(months=months, dossiers=size, end_month=Month(2026, 9), seed=seed,
                        as_of=Month(2026, 11).end)
    for month in months_between(Month(2026, 9).back(months - 1), Month(2026, 10)):
        assert columnar(province, month) == reference_month(province, month), month


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=4))
def test_columnar_fold_equals_the_reference_on_random_histories(cases: list[tuple[Dossier, list[HistoryEvent]]]
                                                                 ) -> None:
    first = min(Month.of(h[0].occurred_at) for _, h in cases)
    last = max(Month.of(h[-1].occurred_at) for _, h in cases).next
    for month in months_between(first, last):
        assert columnar(cases, month) == reference_month(cases, month), month


def test_columnar_fold_split_over_processes_equals_one_process() -> None:
    province = generate(months=1, dossiers=300, end_month=Month(2026, 9), seed=8, as_of=Month(2026, 10).end)
    one = columnar(province, Month(2026, 9))
    assert one[0] and one[1], "the month has counters and late dossiers to compare"
    assert columnar(province, Month(2026, 9), processes=2) == one == reference_month(province, Month(2026, 9))


def test_columnar_fold_refuses_a_configuration_it_does_not_cover() -> None:
    config = DEFAULT_INDEX_CONFIG.model_copy(update={"deadline_basis": "appointment"})
    folder = MonthFolder(Month(2026, 9), config=config)
    with pytest.raises(ValueError, match="deadline_basis"):
        fold_columns(folder, export_month(folder, []))


# Events in any order of statuses (not only the workflow's moves) and details with odd values: what an event can
# change (fast.event_kind) is read from the action, the status move and the details exactly as the reference
# reads them, whatever they hold.
_ODD_DETAILS = st.fixed_dictionaries({}, optional={
    "digitised": st.sampled_from([True, False, "true", 1]),
    "reused_documents": st.sampled_from([0, 1, 3, -1, "2", True]),
    "population_db": st.sampled_from([True, False, None]),
    "synced": st.sampled_from([True, False, None, 0]),
    "method": st.sampled_from(["electronic", "counter", "post"]),
    "gateway": st.sampled_from(["paygov", "", None]),
    "transaction_id": st.sampled_from(["MC1", ""]),
    "satisfaction": st.sampled_from(["very_satisfied", "satisfied", "dissatisfied", "meh", None]),
    "total": st.sampled_from([0, 7, 14, "9", None]),
    "feedback_id": st.sampled_from(["f1", "f2", 3]),
    "kind": st.sampled_from(["complaint", "question", "step_overdue", "bogus"]),
    "outcome": st.sampled_from(["handled", "published", "nope"]),
    "public": st.sampled_from([True, False]),
    "satisfied": st.sampled_from([True, False, "yes"]),
    "verdict": st.sampled_from(["late", "on_time"]),
    "unit": st.just("Phòng Tư pháp"),
    "step_code": st.just("THAM_DINH"),
})
_ANY_ACTIONS = [ev.SUBMIT, ev.RECEIVE, ev.RECEIVE_AT_COUNTER, ev.START_PROCESSING, ev.REQUEST_SUPPLEMENT,
                ev.RECEIVE_SUPPLEMENT, ev.REQUEST_PAYMENT, ev.RECORD_PAYMENT, ev.RESUME_PROCESSING, ev.DECIDE,
                ev.RETURN_RESULT, ev.ISSUE_ELECTRONIC_RESULT, ev.SYNC_NATIONAL_PORTAL, ev.SYNC_CITIZEN_DATA_STORE,
                ev.DIGITISE, ev.APOLOGISE, ev.EVALUATE, ev.FEEDBACK_RECEIVE, ev.FEEDBACK_RESPOND, ev.FEEDBACK_RATE,
                ev.STEP_COMPLETE, ev.STEP_ALERT, ev.STOP, ev.REFUSE, "some_other_action"]


@st.composite
def unchained_histories(draw: st.DrawFn) -> tuple[Dossier, list[HistoryEvent]]:
    dossier, history = draw(histories())
    start = history[0].occurred_at
    extra = []
    for i in range(draw(st.integers(1, 10))):
        at = start + timedelta(minutes=draw(st.sampled_from([0, 1, 90, 60 * 20, 60 * 24 * 3, 60 * 24 * 12,
                                                             60 * 24 * 30])) * draw(st.integers(0, 3)))
        extra.append(HistoryEvent(
            event_id=f"{dossier.id}-x{i}", dossier_id=dossier.id, occurred_at=at,
            action=draw(st.sampled_from(_ANY_ACTIONS)),
            from_status=draw(st.one_of(st.none(), st.sampled_from(list(DossierStatus)))),
            to_status=draw(st.sampled_from(list(DossierStatus))), actor=history[0].actor,
            details=draw(_ODD_DETAILS)))
    return dossier, history + extra  # out of time order too: both folds sort (stably)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(unchained_histories(), min_size=1, max_size=3))
def test_columnar_fold_equals_the_reference_on_unchained_histories(
        cases: list[tuple[Dossier, list[HistoryEvent]]]) -> None:
    first = min(Month.of(min(e.occurred_at for e in h)) for _, h in cases)
    last = max(Month.of(max(e.occurred_at for e in h)) for _, h in cases).next
    for month in months_between(first, last):
        assert columnar(cases, month) == reference_month(cases, month), month
        folder = MonthFolder(month)
        for dossier, history in cases:
            assert folder.contribution(dossier, history) == reference(dossier, history, month), month


def test_event_kinds_cover_every_fact_the_fold_reads() -> None:
    """Every bit of an event's kind but the population database's (drawn by the unchained histories above) is set
    by some event of a generated month, so the equalities are tested with each of them; a plain status move's
    kind is its status bits alone."""
    province = generate(months=1, dossiers=400, end_month=Month(2026, 9), seed=3, as_of=Month(2026, 10).end)
    seen = 0
    for _, history in province:
        for e in history:
            seen |= fast.event_kind(e.action, e.from_status, e.to_status, e.details)
    every = (fast.K_DETAILS << 1) - 1
    assert seen & every == every & ~fast.K_POPULATION
    assert fast.event_kind(ev.START_PROCESSING, DossierStatus.RECEIVED, DossierStatus.PROCESSING, {}) == \
        fast.K_RECEIVED
    assert fast.event_kind(ev.RECEIVE_SUPPLEMENT, DossierStatus.SUPPLEMENT_REQUESTED, DossierStatus.PROCESSING,
                           {}) == fast.K_RECEIVED | fast.K_END_SUPPLEMENT
