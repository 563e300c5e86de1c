"""Incremental aggregates equal the full recompute, exactly.

Incremental: each event turns the stored facts ``old`` into ``new`` (``apply_event``) and the delta of their
contributions is ADDed to the per-unit, per-month counters (``contribution_delta``), as the stream consumer
will do. Recompute: for each month, facts rebuilt from the whole history as of the month's last instant
(``facts_from_history``), their contributions summed (``counters_for_month``). The two must be identical for
every unit and month, on generated provinces and on random histories that cross month boundaries.

Feedback about a procedure or an agency (no dossier trail) takes the same road: each step of the record
ADDs ``standalone_delta`` (incremental); the recompute reads the records as of the month's end
(``index_facts(record, as_of=month.end)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.domain import actions as events
from motcua.domain.actors import Actor, Role
from motcua.domain.catalogue import Channel
from motcua.domain.demo_data import FeedbackHistory, generate, generate_feedback
from motcua.domain.dossier import Applicant, Dossier, HistoryEvent
from motcua.domain.feedback.steps import index_facts
from motcua.domain.index import (
    DossierFacts,
    Month,
    add_into,
    apply_event,
    contribution,
    contribution_delta,
    counters_for_month,
    facts_from_history,
    standalone_delta,
)
from motcua.domain.status import DossierStatus as S

VN = ZoneInfo("Asia/Ho_Chi_Minh")
COMMUNE = "000.20.03.H36"  # a commune of the seed tree
PROCEDURE = "1.004873"  # commune-level, 3 working days, online allowed, no fee (seed)
ACTOR = Actor(subject="officer", role=Role.PROCESSING_OFFICER)

Counters = dict[Month, dict[str, dict[str, int]]]


def incremental(histories: Iterable[tuple[Dossier, Sequence[HistoryEvent]]]) -> Counters:
    """What the atomic counters hold after every event was applied, one at a time, in history order."""
    out: Counters = {}
    for dossier, history in histories:
        old: DossierFacts | None = None
        for event in history:
            new = apply_event(old, dossier, event)
            for (unit, month), delta in contribution_delta(old, new, at=event.occurred_at).items():
                add_into(out.setdefault(month, {}), {unit: delta})
            old = new
    return {m: c for m, c in out.items() if c}


def incremental_feedback(feedback: Iterable[FeedbackHistory], out: Counters) -> Counters:
    """Adds what each step of feedback about a procedure or an agency ADDs (as the feedback service does)."""
    for history in feedback:
        old = None
        for record, event in history.steps:
            new = index_facts(record)
            for (unit, month), delta in standalone_delta(old, new, at=event.occurred_at).items():
                add_into(out.setdefault(month, {}), {unit: delta})
            old = new
    return {m: c for m, c in out.items() if c}


def recompute(histories: Sequence[tuple[Dossier, Sequence[HistoryEvent]]], month: Month,
              feedback: Sequence[FeedbackHistory] = ()) -> dict[str, dict[str, int]]:
    facts = (facts_from_history(d, h, month.end) for d, h in histories)
    records = (index_facts(h.final, as_of=month.end) for h in feedback)
    return counters_for_month((f for f in facts if f is not None), month,
                              feedback=(f for f in records if f is not None))


def months_between(first: Month, last: Month) -> list[Month]:
    out = [first]
    while out[-1] < last:
        out.append(out[-1].next)
    return out


# ---- a generated province ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def province() -> list[tuple[Dossier, list[HistoryEvent]]]:
    return generate(months=3, dossiers=180, end_month=Month(2026, 10), seed=7)


@pytest.fixture(scope="module")
def feedback() -> list[FeedbackHistory]:
    return generate_feedback(months=3, count=60, end_month=Month(2026, 10), seed=7)


def test_generated_months_incremental_equals_recompute(province: list[tuple[Dossier, list[HistoryEvent]]],
                                                       feedback: list[FeedbackHistory]) -> None:
    inc = incremental_feedback(feedback, incremental(province))
    months = months_between(Month(2026, 8), Month(2026, 10))
    assert set(inc) == set(months)  # every counter lands in a generated month
    for month in months:
        full = recompute(province, month, feedback)
        assert full == inc[month], month
        # and the figures are not trivially empty: the province holds every received dossier of the month
        assert full["000.00.00.H36"]["received"] > 30
        # Feedback about procedures and agencies is in both: leaving it out of either side breaks the equality.
        dossiers_only = recompute(province, month)["000.00.00.H36"].get("feedback_received", 0)
        standalone = sum(1 for h in feedback if month.contains(h.final.received_at))
        assert standalone > 5
        assert full["000.00.00.H36"]["feedback_received"] == dossiers_only + standalone
        assert incremental(province).get(month, {}) != inc[month]


def test_folding_events_gives_the_facts_of_the_history(province: list[tuple[Dossier, list[HistoryEvent]]]) -> None:
    for dossier, history in province[:60]:
        folded = None
        for event in history:
            folded = apply_event(folded, dossier, event)
        assert folded == facts_from_history(dossier, history, history[-1].occurred_at)


# ---- random histories across month boundaries --------------------------------------------------------------

# Internal-procedure step events (docs/domain.md §11.4): a step done late or on time, an open step overdue. They
# name the unit a late dossier was late at (the late_step counters), so both folds must read them alike.
STEP_EVENTS: list[tuple[str, S | None, dict]] = [
    (events.STEP_COMPLETE, None, {"step_code": "THAM_DINH", "unit": "Phòng Tư pháp", "verdict": "late"}),
    (events.STEP_COMPLETE, None, {"step_code": "TIEP_NHAN", "unit": "Bộ phận Một cửa", "verdict": "on_time"}),
    (events.STEP_ALERT, None, {"step_code": "PHE_DUYET", "unit": "Lãnh đạo UBND", "kind": "step_overdue"}),
    (events.STEP_ALERT, None, {"step_code": "PHE_DUYET", "unit": "Lãnh đạo UBND", "kind": "step_warning"}),
]
# Moves the workflow may make from each status (docs/domain.md §2.3), with status-neutral actions mixed in.
MOVES: dict[S, list[tuple[str, S | None, dict]]] = {
    S.SUBMITTED: [(events.RECEIVE, S.RECEIVED, {"digitised": True}), (events.REFUSE, S.REFUSED, {}),
                  (events.REQUEST_WITHDRAWAL, S.WITHDRAWAL_REQUESTED, {})],
    S.RECEIVED: [(events.START_PROCESSING, S.PROCESSING, {}), (events.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED, {}),
                 (events.SYNC_NATIONAL_PORTAL, None, {}), (events.DIGITISE, None, {"reused_documents": 1}),
                 *STEP_EVENTS],
    S.PROCESSING: [(events.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED, {}),
                   (events.REQUEST_PAYMENT, S.AWAITING_PAYMENT, {}), (events.DECIDE, S.DECIDED, {}),
                   (events.STOP, S.STOPPED, {}), (events.TRANSFER, S.PROCESSING, {}),
                   (events.APOLOGISE, None, {"reason": "Chờ xác minh"}),
                   (events.FEEDBACK_RECEIVE, None, {"feedback_id": "f1", "kind": "complaint"}), *STEP_EVENTS],
    S.SUPPLEMENT_REQUESTED: [(events.RECEIVE_SUPPLEMENT, S.PROCESSING, {}), (events.STOP, S.STOPPED, {})],
    S.AWAITING_PAYMENT: [(events.RECORD_PAYMENT, None, {"online": True, "gateway": "paygov", "transaction_id": "MC1"}),
                         (events.RESUME_PROCESSING, S.PROCESSING, {}), (events.DECIDE, S.DECIDED, {})],
    S.WITHDRAWAL_REQUESTED: [(events.STOP, S.STOPPED, {})],
    S.DECIDED: [(events.ISSUE_ELECTRONIC_RESULT, None, {}), (events.RETURN_RESULT, S.RETURNED, {"method": "counter"})],
    S.RETURNED: [(events.EVALUATE, None, {"satisfaction": "dissatisfied", "total": 7}),
                 (events.EVALUATE, None, {"satisfaction": "satisfied", "total": 14}),
                 (events.SYNC_CITIZEN_DATA_STORE, None, {}),
                 (events.FEEDBACK_RECEIVE, None, {"feedback_id": "f2", "kind": "question"}),
                 (events.FEEDBACK_RESPOND, None, {"feedback_id": "f2", "outcome": "handled"}),
                 (events.FEEDBACK_RESPOND, None, {"feedback_id": "f2", "outcome": "handled", "public": True}),
                 (events.FEEDBACK_RESPOND, None, {"feedback_id": "f2", "outcome": "published"}),
                 (events.FEEDBACK_RATE, None, {"feedback_id": "f2", "satisfied": True})],
    S.REFUSED: [], S.STOPPED: [],
}


@st.composite
def histories(draw: st.DrawFn) -> tuple[Dossier, list[HistoryEvent]]:
    # Start close to a month end so that reception, decisions and answers straddle it.
    month = draw(st.integers(1, 7))
    start = datetime(2026, month, 1, tzinfo=VN) + timedelta(days=draw(st.integers(24, 30)),
                                                           minutes=draw(st.integers(0, 24 * 60 - 1)))
    channel = draw(st.sampled_from([Channel.COUNTER, Channel.ONLINE]))
    limit = draw(st.sampled_from([("3", "working_days"), ("1", "same_working_day_15h_cutoff"),
                                  ("10", "calendar_days"), ("0.5", "working_days")]))
    dossier_id = f"h{draw(st.integers(0, 10**6))}"
    status = S.RECEIVED if channel is Channel.COUNTER else S.SUBMITTED
    first = events.RECEIVE_AT_COUNTER if channel is Channel.COUNTER else events.SUBMIT
    history = [HistoryEvent(event_id=f"{dossier_id}-0", dossier_id=dossier_id, occurred_at=start, action=first,
                            from_status=None, to_status=status, actor=ACTOR)]
    t = start
    for i in range(draw(st.integers(0, 12))):
        moves = MOVES[status]
        if not moves:
            break
        action, to, details = draw(st.sampled_from(moves))
        # Gaps from a minute to ~12 days, sometimes zero (several events at one instant).
        t = t + timedelta(minutes=draw(st.sampled_from([0, 1, 90, 60 * 20, 60 * 24 * 3, 60 * 24 * 12])))
        target = to if to is not None else status
        history.append(HistoryEvent(event_id=f"{dossier_id}-{i + 1}", dossier_id=dossier_id, occurred_at=t,
                                    action=action, from_status=status, to_status=target, actor=ACTOR,
                                    details=details))
        status = target
    dossier = Dossier(
        id=dossier_id, receipt_code=f"{COMMUNE}-{start:%y%m%d}-0001", procedure_code=PROCEDURE,
        procedure_name_vi="Thủ tục", agency_code=COMMUNE, channel=channel, status=status,
        applicant=Applicant(full_name="Nguyễn Thị Thử", national_id="068000000001", phone="0912000001",
                            address="Tổ 2"),
        owner="citizen", submitted_at=start, appointment_at=start, due_at=start,
        time_limit={"value": limit[0], "unit": limit[1]}, rule_version="nd118-2025", version=len(history),
        updated_at=t)
    return dossier, history


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=3))
def test_random_histories_incremental_equals_recompute(cases: list[tuple[Dossier, list[HistoryEvent]]]) -> None:
    inc = incremental(cases)
    first = min(Month.of(h[0].occurred_at) for _, h in cases)
    last = max(Month.of(h[-1].occurred_at) for _, h in cases).next
    for month in months_between(first, last):
        assert recompute(cases, month) == inc.get(month, {}), month


# ---- the rules the equality rests on ----------------------------------------------------------------------


def _story(*steps: tuple[datetime, str, S]) -> tuple[Dossier, list[HistoryEvent]]:
    history, status = [], None
    for i, (when, action, to) in enumerate(steps):
        history.append(HistoryEvent(event_id=f"s-{i}", dossier_id="s", occurred_at=when, action=action,
                                    from_status=status, to_status=to, actor=ACTOR))
        status = to
    dossier = Dossier(
        id="s", receipt_code=f"{COMMUNE}-260130-0001", procedure_code=PROCEDURE, procedure_name_vi="Thủ tục",
        agency_code=COMMUNE, channel=Channel.COUNTER, status=status,
        applicant=Applicant(full_name="A", national_id="068000000002", phone="0912000002", address="B"),
        owner="c", submitted_at=steps[0][0], appointment_at=steps[0][0], due_at=steps[0][0],
        time_limit={"value": "3", "unit": "working_days"}, rule_version="nd118-2025", version=len(steps),
        updated_at=steps[-1][0])
    return dossier, history


def test_a_month_is_frozen_once_it_has_ended() -> None:
    # Received Fri 30 Jan 2026 (3 working days: due Wed 4 Feb 17:00), decided Tue 10 Feb: late, but as of
    # 31 Jan it was open inside its deadline. The decision (in February) must not touch January's counters.
    jan, feb = Month(2026, 1), Month(2026, 2)
    dossier, history = _story((datetime(2026, 1, 30, 9, tzinfo=VN), events.RECEIVE_AT_COUNTER, S.RECEIVED),
                              (datetime(2026, 1, 30, 10, tzinfo=VN), events.START_PROCESSING, S.PROCESSING),
                              (datetime(2026, 2, 10, 10, tzinfo=VN), events.DECIDE, S.DECIDED))
    before = facts_from_history(dossier, history, jan.end)
    after = apply_event(before, dossier, history[-1])
    assert contribution_delta(before, after, at=history[-1].occurred_at) == {}
    assert contribution(before, jan)["on_time"] == 1
    assert "received" not in contribution(after, feb)
    assert recompute([(dossier, history)], jan)[COMMUNE]["open_at_month_end"] == 1


def test_no_change_no_delta_and_first_event_adds_its_contribution() -> None:
    # Received Mon 30 Mar 2026, 3 working days: due Thu 2 Apr 17:00, so open inside its deadline on Mar 31.
    dossier, history = _story((datetime(2026, 3, 30, 9, tzinfo=VN), events.RECEIVE_AT_COUNTER, S.RECEIVED))
    facts = apply_event(None, dossier, history[0])
    assert contribution_delta(facts, facts, at=history[0].occurred_at) == {}
    delta = contribution_delta(None, facts, at=history[0].occurred_at)
    # the commune and the province, March: received 1, on time 1
    assert set(delta) == {(COMMUNE, Month(2026, 3)), ("000.00.00.H36", Month(2026, 3))}
    assert delta[(COMMUNE, Month(2026, 3))]["received"] == 1
    assert delta[(COMMUNE, Month(2026, 3))]["on_time"] == 1


def test_facts_round_trip_through_json_for_storage() -> None:
    # The wiring stores the facts between events: a paused dossier's open-ended due date must survive.
    dossier, history = _story((datetime(2026, 3, 2, 9, tzinfo=VN), events.RECEIVE_AT_COUNTER, S.RECEIVED),
                              (datetime(2026, 3, 2, 10, tzinfo=VN), events.REQUEST_SUPPLEMENT,
                               S.SUPPLEMENT_REQUESTED))
    facts = facts_from_history(dossier, history, datetime(2026, 3, 31, tzinfo=VN))
    assert facts is not None and facts.due_at is not None and facts.due_at.year == 9999
    again = DossierFacts.model_validate_json(facts.model_dump_json())
    assert contribution(again, Month(2026, 3)) == contribution(facts, Month(2026, 3))
    assert again.processing_days is None and again.supplement_request_count == 1
