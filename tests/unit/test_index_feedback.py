"""Indicators 5.1-5.3 count every feedback once, for its responsible agency: feedback about a dossier through
the dossier's trail, feedback about a procedure or an agency from its own record. A small March 2026 worked
out by hand (March 2026 has no day off besides weekends; Mon 2 Mar is a working day).

Deadlines (working days on the one clock, the filing day not counted, due at 17:00): refuse <= 2, handle <= 15.

Commune C = 000.20.03.H36 (parent: the province P = 000.00.00.H36); department S = 000.00.11.H36 (parent P).

=====  ==========================  ======================  ========================================  ==========
id     about                        filed                   steps                                     counts in
=====  ==========================  ======================  ========================================  ==========
f1     dossier D of C (complaint)   Tue 3 Mar 09:00         handled Wed 4 (due Tue 24): on time;      March, C
                                                            rated satisfied Thu 5
p1     procedure 1.004873, at C     Mon 2 Mar 09:00         answered Wed 25 (due Mon 23 17:00): LATE;  March, C
       (question)                                           rated NOT satisfied Thu 26
a1     agency C (suggestion)        Mon 16 Mar 09:00        none: open on 31 Mar, due in April:       March, C
                                                            on time
a2     agency S (complaint about    Mon 2 Mar 09:00         refused Fri 6 (due Wed 4 17:00): LATE     March, S
       a procedure)
b1     agency C (question)          Fri 27 Feb 09:00        answered Mon 2 Mar: on time               February
=====  ==========================  ======================  ========================================  ==========

March counters:   received  classified  on time  rated  satisfied
  C (f1, p1, a1)      3          3          2       2        1
  S (a2)              1          1          0       0        0
  P (all four)        4          4          2       2        1

Points (5.1: info, 0 points; 5.2 = 6 x on time / received; 5.3 = 6 x satisfied / rated):
  C: 5.1 3/3; 5.2 = 6 x 2/3 = 4.00; 5.3 = 6 x 1/2 = 3.00
  S: 5.1 1/1; 5.2 = 6 x 0/1 = 0.00; 5.3: rated 0 with feedback received -> not applicable, 0 points at the
     agency level (full marks only at commune level; "no feedback" full marks need no feedback at all)
  P: 5.2 = 6 x 2/4 = 3.00; 5.3 = 6 x 1/2 = 3.00
Only the dossier's complaint (f1) counts against 5.4 (complaint_or_dislike = 1 for C): p1 and a2 name no
dossier.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from motcua.domain import actions as events
from motcua.domain.actors import Actor, Role
from motcua.domain.catalogue import Channel
from motcua.domain.dossier import Applicant, Dossier, HistoryEvent
from motcua.domain.feedback import Feedback, FeedbackAbout, FeedbackAction, FeedbackCategory, FeedbackEvent
from motcua.domain.feedback.steps import StepInput, apply_feedback_action, file_feedback, index_facts
from motcua.domain.index import (
    Month,
    add_into,
    apply_event,
    catalogue_counters,
    compute_index,
    config_for,
    contribution_delta,
    counters_for_month,
    facts_from_history,
    load_default_procedures,
    load_default_tree,
    standalone_delta,
)
from motcua.domain.status import DossierStatus as S
from motcua.service.index.tracking import FeedbackRowDoc, plan_feedback_change

VN = ZoneInfo("Asia/Ho_Chi_Minh")
C, S_DEPT, P = "000.20.03.H36", "000.00.11.H36", "000.00.00.H36"
PROCEDURE = "1.004873"
MARCH, FEBRUARY = Month(2026, 3), Month(2026, 2)
CITIZEN = Actor(subject="citizen-1", role=Role.CITIZEN)
OFFICER = Actor(subject="officer", role=Role.PROCESSING_OFFICER, agency_code=C)


def vn(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=VN)


def leader(agency: str) -> Actor:
    return Actor(subject=f"leader-{agency}", role=Role.AGENCY_LEADER, agency_code=agency)


Steps = list[tuple[Feedback, FeedbackEvent]]


def filed(fid: str, about: FeedbackAbout, agency: str, category: FeedbackCategory, at: datetime,
          procedure_code: str | None = None) -> Steps:
    fb, event = file_feedback(feedback_id=fid, owner=CITIZEN, category=category, about=about, agency_code=agency,
                              title="t", content="c", now=at, procedure_code=procedure_code)
    return [(fb, event)]


def then(steps: Steps, action: FeedbackAction, at: datetime, body: StepInput, actor: Actor) -> Steps:
    return [*steps, apply_feedback_action(steps[-1][0], action, body, actor, at)]


def standalone() -> dict[str, Steps]:
    p1 = filed("p1", FeedbackAbout.PROCEDURE, C, FeedbackCategory.QUESTION, vn(3, 2), PROCEDURE)
    p1 = then(p1, FeedbackAction.ANSWER, vn(3, 25, 10), StepInput(text="a"), leader(C))
    p1 = then(p1, FeedbackAction.RATE, vn(3, 26), StepInput(satisfied=False), CITIZEN)
    a1 = filed("a1", FeedbackAbout.AGENCY, C, FeedbackCategory.SUGGESTION, vn(3, 16))
    a2 = filed("a2", FeedbackAbout.AGENCY, S_DEPT, FeedbackCategory.PROCEDURE, vn(3, 2))
    a2 = then(a2, FeedbackAction.REFUSE, vn(3, 6, 10), StepInput(text="r"), leader(S_DEPT))
    b1 = filed("b1", FeedbackAbout.AGENCY, C, FeedbackCategory.QUESTION, vn(2, 27))
    b1 = then(b1, FeedbackAction.ANSWER, vn(3, 2, 10), StepInput(text="a"), leader(C))
    return {"p1": p1, "a1": a1, "a2": a2, "b1": b1}


def dossier_d() -> tuple[Dossier, list[HistoryEvent]]:
    steps = [
        (vn(3, 2, 8), events.RECEIVE_AT_COUNTER, None, S.RECEIVED, {}),
        (vn(3, 2, 10), events.START_PROCESSING, S.RECEIVED, S.PROCESSING, {}),
        (vn(3, 3), events.FEEDBACK_RECEIVE, S.PROCESSING, S.PROCESSING, {"feedback_id": "f1", "kind": "complaint"}),
        (vn(3, 4, 10), events.FEEDBACK_RESPOND, S.PROCESSING, S.PROCESSING, {"feedback_id": "f1",
                                                                               "outcome": "handled"}),
        (vn(3, 5), events.FEEDBACK_RATE, S.PROCESSING, S.PROCESSING, {"feedback_id": "f1", "satisfied": True}),
    ]
    history = [HistoryEvent(event_id=f"d-{i}", dossier_id="d", occurred_at=at, action=action, from_status=frm,
                            to_status=to, actor=OFFICER, details=details)
               for i, (at, action, frm, to, details) in enumerate(steps)]
    dossier = Dossier(
        id="d", receipt_code=f"{C}-260302-0001", procedure_code=PROCEDURE, procedure_name_vi="Thủ tục",
        agency_code=C, channel=Channel.COUNTER, status=S.PROCESSING,
        applicant=Applicant(full_name="A", national_id="068000000009", phone="0912000009", address="B"),
        owner=CITIZEN.subject, submitted_at=vn(3, 2, 8), appointment_at=vn(3, 5, 17), due_at=vn(3, 5, 17),
        time_limit={"value": "3", "unit": "working_days"}, rule_version="nd118-2025", version=len(history),
        updated_at=vn(3, 5))
    return dossier, history


FEEDBACK_KEYS = ("feedback_received", "feedback_classified", "feedback_on_time", "feedback_rated",
                 "feedback_satisfied")


def feedback_of(counters: dict[str, int]) -> tuple[int, ...]:
    return tuple(counters.get(k, 0) for k in FEEDBACK_KEYS)


def recomputed(month: Month) -> dict[str, dict[str, int]]:
    dossier, history = dossier_d()
    facts = facts_from_history(dossier, history, month.end)
    records = [index_facts(steps[-1][0], as_of=month.end) for steps in standalone().values()]
    return counters_for_month([facts] if facts else [], month, feedback=[r for r in records if r])


def test_march_by_hand() -> None:
    march = recomputed(MARCH)
    assert feedback_of(march[C]) == (3, 3, 2, 2, 1)
    assert feedback_of(march[S_DEPT]) == (1, 1, 0, 0, 0)
    assert feedback_of(march[P]) == (4, 4, 2, 2, 1)
    assert march[C]["complaint_or_dislike"] == 1  # the dossier's complaint only
    assert march[S_DEPT].get("complaint_or_dislike", 0) == 0 and "received" not in march[S_DEPT]
    # b1 (filed in February, answered in March) is February's
    february = recomputed(FEBRUARY)
    assert feedback_of(february[C]) == (1, 1, 1, 0, 0) and feedback_of(february[P]) == (1, 1, 1, 0, 0)

    tree = load_default_tree()
    units = [u for u in tree.units_for(MARCH) if u.code in (C, S_DEPT, P)]
    results = {r.unit_code: r for r in compute_index(
        march, units, catalogue_counters(load_default_procedures(), units, MARCH), config_for(MARCH), month=MARCH)}
    c, s, p = results[C], results[S_DEPT], results[P]
    assert (c.indicator("5.1").numerator, c.indicator("5.1").denominator) == (3, 3)
    assert c.indicator("5.2").points == Decimal("4.00") and c.indicator("5.3").points == Decimal("3.00")
    assert (s.indicator("5.1").numerator, s.indicator("5.1").denominator) == (1, 1)
    assert s.indicator("5.2").points == Decimal("0.00")
    assert s.indicator("5.3").status == "not_applicable" and s.indicator("5.3").points == Decimal("0.00")
    assert p.indicator("5.2").points == Decimal("3.00") and p.indicator("5.3").points == Decimal("3.00")


def test_incremental_steps_add_up_to_the_recompute() -> None:
    inc: dict[Month, dict[str, dict[str, int]]] = {}
    dossier, history = dossier_d()
    old = None
    for event in history:
        new = apply_event(old, dossier, event)
        for (unit, month), delta in contribution_delta(old, new, at=event.occurred_at).items():
            add_into(inc.setdefault(month, {}), {unit: delta})
        old = new
    for steps in standalone().values():
        before = None
        for record, event in steps:
            after = index_facts(record)
            for (unit, month), delta in standalone_delta(before, after, at=event.occurred_at).items():
                add_into(inc.setdefault(month, {}), {unit: delta})
            before = after
    assert inc[MARCH] == recomputed(MARCH)
    assert inc[FEBRUARY] == recomputed(FEBRUARY)
    # Measured as of 31 March, p1 was never on time (unanswered past Mon 23), so its late answer moves
    # nothing; its rating adds one rated, not satisfied, to C and P.
    p1 = standalone()["p1"]
    assert standalone_delta(index_facts(p1[0][0]), index_facts(p1[1][0]), at=vn(3, 25, 10)) == {}
    moved = standalone_delta(index_facts(p1[1][0]), index_facts(p1[2][0]), at=vn(3, 26))
    assert moved == {(C, MARCH): {"feedback_rated": 1}, (P, MARCH): {"feedback_rated": 1}}


def test_feedback_about_a_dossier_has_no_standalone_facts() -> None:
    fb, _ = file_feedback(feedback_id="x", owner=CITIZEN, category=FeedbackCategory.QUESTION,
                          about=FeedbackAbout.DOSSIER, agency_code=C, title="t", content="c", now=vn(3, 2),
                          dossier_id="d", receipt_code=f"{C}-260302-0001")
    assert index_facts(fb) is None  # counted once, through the dossier's trail
    assert plan_feedback_change(None, fb, vn(3, 2)) is None


def test_the_service_plan_writes_the_own_agency_and_the_row() -> None:
    p1 = standalone()["p1"]
    filing = plan_feedback_change(None, p1[0][0], vn(3, 2))
    assert filing is not None
    # one counter item, the commune's own (the province is summed when the month is scored); not on time:
    # as of 31 March, unanswered, it would be past its Mon 23 deadline
    assert [(d.month, d.unit, dict(d.counters)) for d in filing.deltas] == [
        ("2026-03", C, {"feedback_received": 1, "feedback_classified": 1})]
    assert [(r.month, r.unit, r.feedback_id) for r in filing.rows] == [("2026-03", C, "p1")]
    row = FeedbackRowDoc.model_validate_json(filing.rows[0].doc or "")
    assert (row.about, row.procedure_code, row.counters["feedback_received"]) == ("procedure", PROCEDURE, 1)
    # b1's answer on Mon 2 Mar comes after February ended: February is frozen, nothing to write
    b1 = standalone()["b1"]
    assert plan_feedback_change(b1[0][0], b1[1][0], vn(3, 2, 10)) is None
