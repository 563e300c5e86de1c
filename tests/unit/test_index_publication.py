"""Indicator 5.2 and the publication of a public answer (docs/domain.md §7.4: publish <= 2 working days after the
handling). A step still due at the period's end is judged as of the period's last instant, like an open
dossier: an answer marked public and not published when its deadline passed inside the month is late.

March 2026 (no day off besides weekends). Commune C = 000.20.03.H36.

=====  ===============  =============================  =====================================  ============
id     filed            answered (public?)             published                              March 5.2
=====  ===============  =============================  =====================================  ============
late   Mon 2 Mar 09:00  Tue 10 Mar 10:00, public       never (due Thu 12 Mar 17:00)           late
due    Mon 16 Mar 09:00 Mon 30 Mar 10:00, public       never (due Wed 1 Apr 17:00)            on time
done   Mon 2 Mar 09:00  Tue 10 Mar 10:00, public       Thu 12 Mar 10:00                       on time
slow   Mon 2 Mar 09:00  Tue 10 Mar 10:00, public       Mon 16 Mar 10:00 (past Thu 12 17:00)   late
quiet  Mon 2 Mar 09:00  Tue 10 Mar 10:00, not public   (nothing owed)                         on time
=====  ===============  =============================  =====================================  ============
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from motcua.domain import actions as events
from motcua.domain import feedback as f
from motcua.domain.actors import Actor, Role
from motcua.domain.catalogue import Channel
from motcua.domain.dossier import Applicant, Dossier, HistoryEvent
from motcua.domain.feedback import steps as fs
from motcua.domain.index import Month, counters_for_month, facts_from_history
from motcua.domain.index.fast import MonthFolder
from motcua.domain.status import DossierStatus as S

VN = ZoneInfo("Asia/Ho_Chi_Minh")
C = "000.20.03.H36"
MARCH = Month(2026, 3)
CITIZEN = Actor(subject="citizen-1", role=Role.CITIZEN)
LEADER = Actor(subject="leader", role=Role.AGENCY_LEADER, agency_code=C)

CASES = {  # id: (filed, answered, public, published, on time in March)
    "late": ((3, 2), (3, 10, 10), True, None, False),
    "due": ((3, 16), (3, 30, 10), True, None, True),
    "done": ((3, 2), (3, 10, 10), True, (3, 12, 10), True),
    "slow": ((3, 2), (3, 10, 10), True, (3, 16, 10), False),
    "quiet": ((3, 2), (3, 10, 10), False, None, True),
}


def vn(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=VN)


def record(fid: str, about: f.FeedbackAbout = f.FeedbackAbout.AGENCY) -> list[tuple[f.Feedback, f.FeedbackEvent]]:
    filed, answered, public, published, _ = CASES[fid]
    extra = {"dossier_id": "d", "receipt_code": f"{C}-260302-0001"} if about is f.FeedbackAbout.DOSSIER else {}
    steps = [fs.file_feedback(feedback_id=fid, owner=CITIZEN, category=f.FeedbackCategory.QUESTION, about=about,
                             agency_code=C, title="t", content="c", now=vn(*filed), **extra)]
    steps.append(fs.apply_feedback_action(steps[-1][0], f.FeedbackAction.ANSWER, fs.StepInput(text="a", public=public),
                                         LEADER, vn(*answered)))
    if published is not None:
        steps.append(fs.apply_feedback_action(steps[-1][0], f.FeedbackAction.PUBLISH,
                                             fs.StepInput(question_summary="q"), LEADER, vn(*published)))
    return steps


def dossier_with(fid: str) -> tuple[Dossier, list[HistoryEvent]]:
    """A dossier of C whose trail carries the feedback's steps as the feedback service writes them."""
    trail = [HistoryEvent(event_id="d-0", dossier_id="d", occurred_at=vn(3, 2, 8), action=events.RECEIVE_AT_COUNTER,
                          from_status=None, to_status=S.RECEIVED, actor=LEADER)]
    for fb, event in record(fid, f.FeedbackAbout.DOSSIER):
        spec = fs.index_event_details(fb, event)
        assert spec is not None
        action, details = spec
        trail.append(HistoryEvent(event_id=f"d-{len(trail)}", dossier_id="d", occurred_at=event.occurred_at,
                                  action=action, from_status=S.RECEIVED, to_status=S.RECEIVED, actor=LEADER,
                                  details=details))
    dossier = Dossier(
        id="d", receipt_code=f"{C}-260302-0001", procedure_code="1.004873", procedure_name_vi="Thủ tục",
        agency_code=C, channel=Channel.COUNTER, status=S.RECEIVED,
        applicant=Applicant(full_name="A", national_id="068000000009", phone="0912000009", address="B"),
        owner=CITIZEN.subject, submitted_at=vn(3, 2, 8), appointment_at=vn(4, 30, 17), due_at=vn(4, 30, 17),
        time_limit={"value": "30", "unit": "working_days"}, rule_version="nd118-2025", version=len(trail),
        updated_at=trail[-1].occurred_at)
    return dossier, trail


@pytest.mark.parametrize("fid", sorted(CASES))
def test_the_records_own_verdict(fid: str) -> None:
    assert fs.on_time(record(fid)[-1][0], MARCH.end) is CASES[fid][4]


@pytest.mark.parametrize("fid", sorted(CASES))
def test_feedback_about_an_agency_counts_as_the_record_says(fid: str) -> None:
    facts = fs.index_facts(record(fid)[-1][0], as_of=MARCH.end)
    assert facts is not None
    counters = counters_for_month([], MARCH, feedback=[facts])[C]
    assert counters.get("feedback_on_time", 0) == int(CASES[fid][4])


@pytest.mark.parametrize("fid", sorted(CASES))
def test_feedback_about_a_dossier_counts_the_same_through_both_folds(fid: str) -> None:
    dossier, trail = dossier_with(fid)
    facts = facts_from_history(dossier, trail, MARCH.end)
    assert facts is not None
    reference = counters_for_month([facts], MARCH)[C]
    assert reference.get("feedback_on_time", 0) == int(CASES[fid][4])
    fast = MonthFolder(MARCH).contribution(dossier, trail)
    assert fast is not None and fast[1] == reference


def test_publication_due_after_the_month_is_judged_as_of_its_last_instant() -> None:
    """'due': on time in March (its deadline, 1 April, was not yet passed); unpublished by 2 April it is
    late as of then, but March is frozen (feedback counts in its reception month only)."""
    fb = record("due")[-1][0]
    assert fs.on_time(fb, MARCH.end) and not fs.on_time(fb, vn(4, 2))
