"""Each indicator of the monthly index (docs/domain.md §7) on a small month whose figures are worked out by hand.

The month is March 2026 (no holiday in March; office hours 07:30-11:30, 13:30-17:00). Unless said
otherwise a dossier has a limit of 5 working days and is received on Mon 2 Mar at 09:00: the reception day
does not count, so it is due at 17:00 on the 5th working day after it: Mar 3, 4, 5, 6, 9 -> Mon 9 Mar 17:00.
Finishing before 9 Mar is early, on 9 Mar by 17:00 on time, later late.

Commune C1 receives ten dossiers (procedures P1 and P2 offer online service, P3 does not):

* D1  counter P1, decided Wed 4 17:00, early: synced; digitised with 2 reused documents; paid at the desk;
      electronic result synced to the citizen's store; evaluated "very satisfied" on Mar 6.
* D2  online  P1, decided Thu 5 17:00, early: synced; paid online; electronic result; "satisfied" on Mar 10.
* D3  online  P1, decided Fri 6 17:00, early: synced; electronic result.
* D4  counter P2, decided Mon 9 17:00 (the due instant), on time: synced; digitised, 1 reused document; a
      question received Mar 2 10:00 and refused Mar 5 (refusal due Mar 4: late).
* D5  counter P2, decided Mon 9 17:00, on time: synced; evaluated "dissatisfied" on Mar 12.
* D6  counter P2, decided Tue 3 17:00, early: synced.
* D7  counter P2, decided Wed 4 17:00, early; the national portal's sync record says NOT synchronised (as do
      D8, D9 and D10's).
* D8  online  P2, received Mon 30 Mar, open: due Mon 6 Apr 17:00, still inside its deadline at month end.
* D9  counter P3, decided Tue 10 17:00, late: paid at the desk; an apology; a complaint received Mar 11,
      handled Mar 20 (due Apr 1: on time), rated "not satisfied".
* D10 counter P3, decided Fri 6 17:00, late: a second supplement request (pauses Mar 3 10:00 - Mar 4 10:00
      and Mar 5 10:00 - 15:00).

Commune C2 receives one dossier (D11, P1, received Tue 3 Mar, due Tue 10 Mar 17:00, decided Thu 12: late),
with no sync record at all (as any dossier received through the API until the national connectors land).
Commune C3 and department A receive nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from motcua.domain import actions as events
from motcua.domain.actors import Actor, Role
from motcua.domain.catalogue import Agency, Channel, Level
from motcua.domain.dossier import Applicant, Dossier, HistoryEvent
from motcua.domain.index import (
    DEFAULT_INDEX_CONFIG,
    INDEX_CONFIGS,
    CatalogueCounters,
    FactsContext,
    Month,
    ProcedureTraits,
    UnitIndex,
    UnitTree,
    check_config,
    compute_index,
    config_for,
    counters_for_month,
    facts_from_history,
    late_dossiers,
    rank,
    role_in,
)
from motcua.domain.index.units import Unit
from motcua.domain.status import DossierStatus as S

VN = ZoneInfo("Asia/Ho_Chi_Minh")
P, A, C1, C2, C3 = "000.00.00.H99", "000.00.11.H99", "000.20.01.H99", "000.20.02.H99", "000.20.03.H99"
P1, P2, P3 = "1.000001", "1.000002", "1.000003"
MARCH = Month(2026, 3)

TREE = UnitTree.from_agencies([
    Agency(code=P, name_vi="Tỉnh thử", level=Level.PROVINCE, kind="province"),
    Agency(code=A, name_vi="Sở thử", level=Level.PROVINCE, kind="department", parent=P),
    Agency(code=C1, name_vi="Xã Một", level=Level.COMMUNE, kind="commune", parent=P),
    Agency(code=C2, name_vi="Xã Hai", level=Level.COMMUNE, kind="commune", parent=P),
    Agency(code=C3, name_vi="Xã Ba", level=Level.COMMUNE, kind="commune", parent=P),
])
CONTEXT = FactsContext(tree=TREE, traits={
    P1: ProcedureTraits(offers_online=True, has_fee=True),
    P2: ProcedureTraits(offers_online=True, has_fee=False),
    P3: ProcedureTraits(offers_online=False, has_fee=True),
})
OFFICER = Actor(subject="officer", role=Role.PROCESSING_OFFICER)
CITIZEN = Actor(subject="citizen", role=Role.CITIZEN)


def at(day: int, hh: int = 9, mm: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=VN)


class Story:
    """One dossier's history, written step by step like the workflow would."""

    def __init__(self, name: str, agency: str, procedure: str, channel: Channel, received: datetime, *,
                 submitted: datetime | None = None, limit: str = "5", **reception_details: Any) -> None:
        self.name, self.agency, self.procedure, self.channel = name, agency, procedure, channel
        self.limit = limit
        self.events: list[HistoryEvent] = []
        self.status: S | None = None
        if channel is Channel.COUNTER:
            self.step(received, events.RECEIVE_AT_COUNTER, S.RECEIVED, **reception_details)
        else:
            self.step(submitted or received, events.SUBMIT, S.SUBMITTED)
            self.step(received, events.RECEIVE, S.RECEIVED, **reception_details)
        self.submitted = self.events[0].occurred_at

    def step(self, when: datetime, action: str, to: S | None = None, **details: Any) -> Story:
        target = to if to is not None else self.status
        assert target is not None
        self.events.append(HistoryEvent(
            event_id=f"{self.name}-{len(self.events)}", dossier_id=self.name, occurred_at=when, action=action,
            from_status=self.status, to_status=target, actor=OFFICER, details=details))
        self.status = target
        return self

    def decided(self, when: datetime) -> Story:
        if self.status is S.RECEIVED:
            self.step(when, events.START_PROCESSING, S.PROCESSING)
        return self.step(when, events.DECIDE, S.DECIDED)

    @property
    def dossier(self) -> Dossier:
        last = self.events[-1]
        return Dossier(
            id=self.name, receipt_code=f"{self.agency}-{self.submitted:%y%m%d}-{int(self.name[1:]):04d}",
            procedure_code=self.procedure, procedure_name_vi="Thủ tục thử", agency_code=self.agency,
            channel=self.channel, status=last.to_status,
            applicant=Applicant(full_name="Nguyễn Văn Thử", national_id="068099000111", phone="0912000111",
                                address="Tổ 1"),
            owner="citizen", submitted_at=self.submitted, received_at=None, appointment_at=at(9, 17),
            due_at=at(9, 17), time_limit={"value": self.limit, "unit": "working_days"}, rule_version="nd118-2025",
            version=len(self.events), updated_at=last.occurred_at)


def march_stories() -> list[Story]:
    d1 = (Story("D1", C1, P1, Channel.COUNTER, at(2), digitised=True, reused_documents=2)
          .step(at(2, 10), events.SYNC_NATIONAL_PORTAL).step(at(2, 10), events.START_PROCESSING, S.PROCESSING)
          .step(at(3), events.RECORD_PAYMENT, online=False, amount_vnd=50000))
    d1.decided(at(4, 17)).step(at(4, 17), events.ISSUE_ELECTRONIC_RESULT)
    d1.step(at(5), events.RETURN_RESULT, S.RETURNED, method="electronic").step(at(5, 10),
                                                                                events.SYNC_CITIZEN_DATA_STORE)
    d1.step(at(6), events.EVALUATE, satisfaction="very_satisfied", total=17)

    d2 = (Story("D2", C1, P1, Channel.ONLINE, at(2), submitted=at(1, 20))  # Sunday evening, received Monday
          .step(at(2, 10), events.SYNC_NATIONAL_PORTAL).step(at(2, 10), events.START_PROCESSING, S.PROCESSING)
          .step(at(3), events.RECORD_PAYMENT, online=True, amount_vnd=50000, gateway="paygov",
                transaction_id="MC0123456789ABCDEF01"))
    d2.decided(at(5, 17)).step(at(5, 17), events.ISSUE_ELECTRONIC_RESULT).step(at(6), events.RETURN_RESULT,
                                                                                S.RETURNED, method="counter")
    d2.step(at(10), events.EVALUATE, satisfaction="satisfied", total=15)

    d3 = Story("D3", C1, P1, Channel.ONLINE, at(2), submitted=at(2, 8)).step(at(2, 10), events.SYNC_NATIONAL_PORTAL)
    d3.decided(at(6, 17)).step(at(6, 17), events.ISSUE_ELECTRONIC_RESULT).step(at(9), events.RETURN_RESULT,
                                                                                S.RETURNED)
    d4 = (Story("D4", C1, P2, Channel.COUNTER, at(2), digitised=True, reused_documents=1)
          .step(at(2, 10), events.SYNC_NATIONAL_PORTAL)
          .step(at(2, 10), events.FEEDBACK_RECEIVE, feedback_id="fb-d4", kind="question")
          .step(at(5, 10), events.FEEDBACK_RESPOND, feedback_id="fb-d4", outcome="refused"))
    d4.decided(at(9, 17)).step(at(10), events.RETURN_RESULT, S.RETURNED)
    d5 = Story("D5", C1, P2, Channel.COUNTER, at(2)).step(at(2, 10), events.SYNC_NATIONAL_PORTAL)
    d5.decided(at(9, 17)).step(at(10), events.RETURN_RESULT, S.RETURNED)
    d5.step(at(12), events.EVALUATE, satisfaction="dissatisfied", total=8)
    d6 = Story("D6", C1, P2, Channel.COUNTER, at(2)).step(at(2, 10), events.SYNC_NATIONAL_PORTAL)
    d6.decided(at(3, 17)).step(at(4), events.RETURN_RESULT, S.RETURNED)
    d7 = Story("D7", C1, P2, Channel.COUNTER, at(2)).step(at(2, 10), events.SYNC_NATIONAL_PORTAL, synced=False)
    d7.decided(at(4, 17)).step(at(5), events.RETURN_RESULT, S.RETURNED)
    d8 = Story("D8", C1, P2, Channel.ONLINE, at(30), submitted=at(29, 10))
    d8.step(at(30, 10), events.START_PROCESSING, S.PROCESSING).step(at(30, 10), events.SYNC_NATIONAL_PORTAL,
                                                                     synced=False)
    d9 = (Story("D9", C1, P3, Channel.COUNTER, at(2)).step(at(2, 10), events.START_PROCESSING, S.PROCESSING)
          .step(at(2, 10), events.SYNC_NATIONAL_PORTAL, synced=False)
          .step(at(3), events.RECORD_PAYMENT, online=True)  # declared online by the desk: no platform receipt
          .step(at(6), events.APOLOGISE, reason="Chờ ý kiến Sở Xây dựng", new_appointment_at=at(13, 17).isoformat()))
    d9.decided(at(10, 17)).step(at(11), events.RETURN_RESULT, S.RETURNED)
    d9.step(at(11), events.FEEDBACK_RECEIVE, feedback_id="fb-d9", kind="complaint")
    d9.step(at(20, 10), events.FEEDBACK_RESPOND, feedback_id="fb-d9", outcome="handled")
    d9.step(at(23), events.FEEDBACK_RATE, feedback_id="fb-d9", satisfied=False)
    d10 = (Story("D10", C1, P3, Channel.COUNTER, at(2)).step(at(2, 10), events.START_PROCESSING, S.PROCESSING)
           .step(at(2, 10), events.SYNC_NATIONAL_PORTAL, synced=False)
           .step(at(3, 10), events.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED)
           .step(at(4, 10), events.RECEIVE_SUPPLEMENT, S.PROCESSING)
           .step(at(5, 10), events.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED)
           .step(at(5, 15), events.RECEIVE_SUPPLEMENT, S.PROCESSING))
    d10.decided(at(6, 17)).step(at(9), events.RETURN_RESULT, S.RETURNED)
    d11 = Story("D11", C2, P1, Channel.COUNTER, at(3))
    d11.decided(at(12, 17))
    return [d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11]


def march_facts() -> list:
    return [facts_from_history(s.dossier, s.events, MARCH.end, context=CONTEXT) for s in march_stories()]


# Catalogue figures of C1, by hand: 10 procedures, 9 with complete content, 7 offering online service
# (P1, P2 among them), 4 with fees of which 2 are integrated with online payment (P1 and another).
C1_CATALOGUE = CatalogueCounters(
    procedures=10, procedures_complete=9, procedures_online=7,
    online_codes=frozenset({P1, P2, "1.000004", "1.000005", "1.000006", "1.000007", "1.000008"}),
    fee_procedures=4, fee_procedures_online_payment=2, online_payment_codes=frozenset({P1, "1.000009"}))
UNITS = [Unit(code=P, name_vi="Tỉnh thử", level="province"), Unit(code=A, name_vi="Sở thử", level="agency"),
         Unit(code=C1, name_vi="Xã Một", level="commune"), Unit(code=C2, name_vi="Xã Hai", level="commune"),
         Unit(code=C3, name_vi="Xã Ba", level="commune")]


@pytest.fixture(scope="module")
def march() -> dict[str, UnitIndex]:
    counters = counters_for_month([f for f in march_facts() if f], MARCH)
    results = compute_index(counters, UNITS, {C1: C1_CATALOGUE, P: C1_CATALOGUE}, DEFAULT_INDEX_CONFIG,
                            month=MARCH)
    return {r.unit_code: r for r in results}


def d(text: str) -> Decimal:
    return Decimal(text)


# ---- group 1: publicity ------------------------------------------------------------------------------------


def test_1_1_and_1_2_publication_timeliness_is_no_data_never_full_marks(march: dict[str, UnitIndex]) -> None:
    for unit in (C1, C3, P):  # not even at commune level, where "not applicable" keeps full marks
        for indicator in ("1.1", "1.2"):
            r = march[unit].indicator(indicator)
            assert (r.status, r.points, r.full_marks_reason) == ("no_data", d("0.00"), None)


def test_1_3_complete_content_from_the_catalogue(march: dict[str, UnitIndex]) -> None:
    # 9 complete of 10 procedures: 2 x 0.9 = 1.80
    r = march[C1].indicator("1.3")
    assert (r.numerator, r.denominator, r.points, r.status) == (9, 10, d("1.80"), "scored")


def test_1_4_synchronised_to_the_national_portal(march: dict[str, UnitIndex]) -> None:
    # D1-D6 synced, D7-D10 recorded as not synced: 6 x 6/10 = 3.60
    r = march[C1].indicator("1.4")
    assert (r.numerator, r.denominator, r.ratio, r.points) == (6, 10, d("0.6000"), d("3.60"))
    # the province: D11 has no sync record, so it is left out (6/10, not 6/11)
    r = march[P].indicator("1.4")
    assert (r.numerator, r.denominator, r.points) == (6, 10, d("3.60"))


def test_1_4_without_a_sync_record_is_no_data_never_0_nor_full_marks(march: dict[str, UnitIndex]) -> None:
    # C2's only dossier has no sync record; C3 received nothing (at commune level "not applicable" would keep
    # full marks): both "no data", 0 points, outside max_with_data.
    for unit in (C2, C3):
        r = march[unit].indicator("1.4")
        assert (r.status, r.points, r.full_marks_reason) == ("no_data", d("0.00"), None)


# ---- group 2: progress -------------------------------------------------------------------------------------


def test_2_1_on_time_counts_early_on_time_and_open_inside_the_deadline(march: dict[str, UnitIndex]) -> None:
    # early D1 D2 D3 D6 D7 (5), on time D4 D5 (2) + D8 open inside its deadline (1) = 8 of 10;
    # late D9 (after the deadline) and D10 (second supplement request). 20 x 8/10 = 16.00
    r = march[C1].indicator("2.1")
    assert (r.numerator, r.denominator, r.points) == (8, 10, d("16.00"))
    assert r.details == {"early": 5, "on_time": 3, "late": 2, "open_at_month_end": 1, "late_second_supplement": 1}


def test_2_1_at_the_province_is_the_aggregate_of_all_units(march: dict[str, UnitIndex]) -> None:
    # C1's 8 of 10 plus C2's D11 (late): 8 of 11 -> 20 x 8/11 = 14.5454... -> 14.55; C2 alone 0 of 1 -> 0.00
    assert march[P].indicator("2.1").points == d("14.55")
    assert (march[C2].indicator("2.1").numerator, march[C2].indicator("2.1").points) == (0, d("0.00"))


def test_2_2_average_processing_time_is_informational(march: dict[str, UnitIndex]) -> None:
    # Working days from reception (Mar 2, not counted) to the decision, pauses excluded:
    # D1 2, D2 3, D3 4, D4 5, D5 5, D6 1, D7 2, D9 6, D10 4 - (1 + 0.4 paused) = 2.6; D8 is open.
    # (D10's pauses: Mar 3 10:00 -> Mar 4 10:00 is 7.5 office hours = 1 day; Mar 5 10:00 -> 15:00 is 3 h = 0.4.)
    # Sum 30.6 over 9 finished dossiers = 3.40 working days; 0 points.
    r = march[C1].indicator("2.2")
    assert (r.numerator, r.denominator, r.value, r.points, r.max_points) == (d("30.6"), 9, d("3.40"), 0, 0)


# ---- group 3: online service -------------------------------------------------------------------------------


def test_3_1_procedures_offering_online_service_thresholded_at_80_percent(march: dict[str, UnitIndex]) -> None:
    # 7 of 10 = 70 %: min(2, 2 x 0.7/0.8) = 1.75
    assert march[C1].indicator("3.1").points == d("1.75")


def test_3_2_online_services_that_received_dossiers(march: dict[str, UnitIndex]) -> None:
    # online dossiers: D2, D3 (P1) and D8 (P2): 2 distinct of the 7 online services -> 4 x 2/7 = 1.142857 -> 1.14
    r = march[C1].indicator("3.2")
    assert (r.numerator, r.denominator, r.points) == (2, 7, d("1.14"))


def test_3_3_dossiers_submitted_online_thresholded_at_50_percent(march: dict[str, UnitIndex]) -> None:
    # dossiers of procedures offering online service: D1-D8 (8); online: D2, D3, D8 (3) -> 37.5 %
    # min(6, 6 x 0.375/0.5) = 4.50
    r = march[C1].indicator("3.3")
    assert (r.numerator, r.denominator, r.points) == (3, 8, d("4.50"))


# ---- group 3b: online payment ------------------------------------------------------------------------------


def test_3b_1_fee_procedures_integrated_for_online_payment(march: dict[str, UnitIndex]) -> None:
    # 2 of 4 fee procedures = 50 %: min(2, 2 x 0.5/0.8) = 1.25
    assert march[C1].indicator("3b.1").points == d("1.25")


def test_3b_2_procedures_actually_paid_online(march: dict[str, UnitIndex]) -> None:
    # of the 2 integrated procedures, P1 was paid online (D2): 2 x 1/2 = 1.00
    r = march[C1].indicator("3b.2")
    assert (r.numerator, r.denominator, r.points) == (1, 2, d("1.00"))


def test_3b_3_dossiers_paid_online(march: dict[str, UnitIndex]) -> None:
    # paid: D1 (desk), D2 (online: the platform's receipt), D9 (the desk says "online", with no receipt: not
    # counted, 3b comes from the payment records): 6 x 1/3 = 2.00
    r = march[C1].indicator("3b.3")
    assert (r.numerator, r.denominator, r.points) == (1, 3, d("2.00"))


def test_3b_without_the_integration_list_is_no_data(march: dict[str, UnitIndex]) -> None:
    results = compute_index({}, UNITS[2:3], {C1: C1_CATALOGUE.model_copy(update={
        "fee_procedures_online_payment": None, "online_payment_codes": None})}, DEFAULT_INDEX_CONFIG)
    assert results[0].indicator("3b.1").status == "no_data"
    assert results[0].indicator("3b.2").status == "no_data"


# ---- group 4: digitisation ---------------------------------------------------------------------------------


def test_4_1_results_issued_electronically(march: dict[str, UnitIndex]) -> None:
    # decided: D1-D7, D9, D10 (9; D8 is open); electronic: D1, D2, D3 -> 6 x 3/9 = 2.00
    r = march[C1].indicator("4.1")
    assert (r.numerator, r.denominator, r.points) == (3, 9, d("2.00"))


def test_4_2a_dossiers_digitised_thresholded_at_80_percent(march: dict[str, UnitIndex]) -> None:
    # digitised at the desk: D1, D4; online (electronic files): D2, D3, D8 -> 5 of 10 = 50 %
    # min(4, 4 x 0.5/0.8) = 2.50
    r = march[C1].indicator("4.2a")
    assert (r.numerator, r.denominator, r.points) == (5, 10, d("2.50"))


def test_4_2b_and_4_5_have_no_data(march: dict[str, UnitIndex]) -> None:
    for indicator in ("4.2b", "4.5a", "4.5b"):
        assert (march[C1].indicator(indicator).status, march[C1].indicator(indicator).points) == ("no_data", 0)


def test_4_3_reuse_of_digitised_data(march: dict[str, UnitIndex]) -> None:
    # D1 (2 documents) and D4 (1) reused data: 2 of 10 = 20 % -> min(2, 2 x 0.2/0.8) = 0.50
    r = march[C1].indicator("4.3")
    assert (r.numerator, r.denominator, r.points) == (2, 10, d("0.50"))


def test_4_4_results_synced_to_the_citizens_data_store(march: dict[str, UnitIndex]) -> None:
    # of 3 electronic results, D1's was synced: 4 x 1/3 = 1.3333 -> 1.33
    r = march[C1].indicator("4.4")
    assert (r.numerator, r.denominator, r.points) == (1, 3, d("1.33"))


def test_4_5_scores_when_the_deployment_records_the_population_database() -> None:
    # with the source available: 4 of 10 dossiers used it -> 2 x 0.4 = 0.80; 3 distinct procedures of 10 -> 0.60
    config = DEFAULT_INDEX_CONFIG.model_copy(update={"unavailable_sources": frozenset({"publication_timeliness"})})
    counters = {C1: {"received": 10, "population_db": 4, "proc_population_db:1.000001": 2,
                     "proc_population_db:1.000002": 1, "proc_population_db:1.000003": 1}}
    r = compute_index(counters, UNITS[2:3], {C1: C1_CATALOGUE}, config)[0]
    assert (r.indicator("4.5a").points, r.indicator("4.5b").points) == (d("0.80"), d("0.60"))
    assert r.indicator("4.2b").status == "no_data"  # still: certified copies have no other source here


# ---- group 5: satisfaction ---------------------------------------------------------------------------------


def test_5_1_feedback_classification_is_tracked_not_scored(march: dict[str, UnitIndex]) -> None:
    # two feedbacks (D4 question, D9 complaint), both classified
    r = march[C1].indicator("5.1")
    assert (r.numerator, r.denominator, r.points) == (2, 2, 0)


def test_5_2_feedback_handled_on_time(march: dict[str, UnitIndex]) -> None:
    # D4's question: received Mon 2 Mar 10:00, refused Thu 5 Mar; refusing is due within 2 working days (Mar 3,
    # Mar 4 -> Wed 4 Mar 17:00): late. D9's complaint: received Wed 11 Mar, handled Fri 20 Mar; handling is due
    # within 15 working days (Mar 12 ... Apr 1 -> Wed 1 Apr 17:00): on time. 6 x 1/2 = 3.00
    r = march[C1].indicator("5.2")
    assert (r.numerator, r.denominator, r.points) == (1, 2, d("3.00"))


def test_5_3_satisfaction_with_feedback_handling(march: dict[str, UnitIndex]) -> None:
    # one rating (D9's complaint): not satisfied -> 6 x 0/1 = 0.00
    r = march[C1].indicator("5.3")
    assert (r.numerator, r.denominator, r.points, r.status) == (0, 1, d("0.00"), "scored")


def test_5_4_satisfaction_with_procedures(march: dict[str, UnitIndex]) -> None:
    # received 10; late 2 (D9, D10); complaint or dislike 2 (D9's complaint, D5's "Không hài lòng")
    # sat = 100% - (20% + 20%) = 60% -> min(6, 6 x 0.6/0.9) = 4.00
    r = march[C1].indicator("5.4")
    assert (r.numerator, r.denominator, r.points) == (6, 10, d("4.00"))
    assert r.details == {"late": 2, "complaint_or_dislike": 2}


def test_survey_share_is_informational(march: dict[str, UnitIndex]) -> None:
    # answers: D1 very satisfied, D2 satisfied, D5 dissatisfied -> 2/3
    r = march[C1].indicator("S.1")
    assert (r.numerator, r.denominator, r.ratio, r.points) == (2, 3, d("0.6667"), 0)


def test_feedback_indicators_give_full_marks_only_without_feedback(march: dict[str, UnitIndex]) -> None:
    # C2 had no feedback at all: 5.2 and 5.3 full marks, recorded as such
    for indicator in ("5.2", "5.3"):
        r = march[C2].indicator(indicator)
        assert (r.points, r.status, r.full_marks_reason) == (d("6.00"), "scored", "no_feedback")
    # feedback received but nobody rated it yet: 5.3 is "not applicable", at agency level 0 points
    counters = {A: {"feedback_received": 1, "feedback_on_time": 1}}
    r = compute_index(counters, UNITS[1:2], {}, DEFAULT_INDEX_CONFIG)[0]
    assert (r.indicator("5.3").status, r.indicator("5.3").points) == ("not_applicable", d("0.00"))
    assert r.indicator("5.2").points == d("6.00")


def test_5_4_never_goes_below_zero() -> None:
    # 4 received, 3 late, 2 complaints: 100% - (75% + 50%) < 0 -> 0 points
    r = compute_index({C1: {"received": 4, "late": 3, "complaint_or_dislike": 2}}, UNITS[2:3], {},
                      DEFAULT_INDEX_CONFIG)[0]
    assert (r.indicator("5.4").numerator, r.indicator("5.4").points) == (0, d("0.00"))


def test_thresholded_indicators_are_capped_at_their_maximum() -> None:
    # 9 of 10 online (90 % >= 50 %): 6.00, not 10.8
    r = compute_index({C1: {"received": 10, "online_capable": 10, "online_capable_online": 9}}, UNITS[2:3], {},
                      DEFAULT_INDEX_CONFIG)[0]
    assert r.indicator("3.3").points == d("6.00")


# ---- totals, not applicable, bands ---------------------------------------------------------------------------


def test_group_totals_and_total_are_rounded_only_at_the_end(march: dict[str, UnitIndex]) -> None:
    # group 1: 0 + 0 + 1.80 + 3.60 = 5.40; group 2: 16.00; group 3: 1.75 + 8/7 + 4.50 = 7.392857 -> 7.39;
    # group 3b: 1.25 + 1.00 + 2.00 = 4.25; group 4: 2.00 + 2.50 + 0 + 0.50 + 4/3 + 0 + 0 = 6.3333 -> 6.33;
    # group 5: 0 + 3.00 + 0.00 + 4.00 = 7.00.
    # Exact total 46.376190... -> 46.38 (adding the rounded groups would give 46.37).
    r = march[C1]
    groups = {g.id: g.points for g in r.groups}
    assert groups == {"1": d("5.40"), "2": d("16.00"), "3": d("7.39"), "3b": d("4.25"), "4": d("6.33"),
                      "5": d("7.00"), "survey": d("0.00")}
    assert r.total == d("46.38")
    # no data for 1.1 (6), 1.2 (4), 4.2b (2), 4.5a (2), 4.5b (2): 84 points had data;
    # 46.376190 x 100 / 84 = 55.2097... -> 55.21
    assert (r.max_with_data, r.normalised_total) == (d("84.00"), d("55.21"))
    # default bands (UNSURE, configurable): below 50 is "Yếu"
    assert (r.band_code, r.band_label_vi) == ("weak", "Yếu")


def test_not_applicable_keeps_full_marks_at_commune_level_only(march: dict[str, UnitIndex]) -> None:
    # C3 received nothing: 2.1 is not applicable and the commune keeps its 20 points, recorded as such
    r = march[C3].indicator("2.1")
    assert (r.status, r.points, r.full_marks_reason) == ("not_applicable", d("20.00"), "not_applicable_at_level")
    # the department A received nothing either: not applicable, 0 points, left out of max_with_data
    r = march[A].indicator("2.1")
    assert (r.status, r.points, r.full_marks_reason) == ("not_applicable", d("0.00"), None)
    assert march[A].max_with_data == d("12.00")  # only 5.2 and 5.3 (full marks without feedback) applied


def test_bands_are_configuration() -> None:
    bands = ({"code": "a", "label_vi": "A", "min_total": "40"}, {"code": "b", "label_vi": "B", "min_total": "0"})
    config = DEFAULT_INDEX_CONFIG.model_validate({**DEFAULT_INDEX_CONFIG.model_dump(), "bands": bands})
    r = compute_index({C1: {"received": 1, "early": 1}}, UNITS[2:3], {C1: C1_CATALOGUE}, config)[0]
    assert r.total >= 40 and r.band_code == "a"


def test_default_config_sums_to_100_and_is_effective_dated() -> None:
    check_config(DEFAULT_INDEX_CONFIG)
    later = DEFAULT_INDEX_CONFIG.model_copy(update={"version": "v2", "effective_from": MARCH.start.date()})
    configs = (*INDEX_CONFIGS, later)
    assert config_for(Month(2026, 2), configs).version == DEFAULT_INDEX_CONFIG.version
    assert config_for(MARCH, configs).version == "v2"


# ---- open dossiers at month end ------------------------------------------------------------------------------


def test_open_dossiers_are_judged_as_of_the_last_instant_of_the_month() -> None:
    # E1: received Mon 2 Mar, due Mon 9 Mar 17:00, still open at month end -> late (open).
    # E2: received Mon 2 Mar, supplement requested Tue 3 Mar 10:00 and still awaited at month end: the clock is
    #     held, so it is on time although 9 Mar has passed.
    # E3: received Mon 30 Mar (due Mon 6 Apr 17:00), decided Fri 10 Apr (late in April): as of March's end it
    #     was open inside its deadline -> on time for March, and it adds nothing to April (received in March).
    e1 = Story("E1", C1, P2, Channel.COUNTER, at(2)).step(at(2, 10), events.START_PROCESSING, S.PROCESSING)
    e2 = (Story("E2", C1, P2, Channel.COUNTER, at(2)).step(at(2, 10), events.START_PROCESSING, S.PROCESSING)
          .step(at(3, 10), events.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED))
    e3 = Story("E3", C1, P2, Channel.COUNTER, at(30))
    e3.decided(at(10, 17, month=4))
    stories = [e1, e2, e3]
    march = counters_for_month([facts_from_history(s.dossier, s.events, MARCH.end, context=CONTEXT)
                                for s in stories], MARCH)[C1]
    assert (march["received"], march.get("on_time"), march.get("late"), march["open_at_month_end"]) == (3, 2, 1, 3)
    april = Month(2026, 4)
    april_counters = counters_for_month([facts_from_history(s.dossier, s.events, april.end, context=CONTEXT)
                                         for s in stories], april)
    assert april_counters == {}


def test_late_dossiers_list_receipt_codes_and_reasons() -> None:
    late = late_dossiers([f for f in march_facts() if f], MARCH)
    # D10 (2nd supplement, finished before its deadline), D11 (decided Thu 12, due Tue 10: 2 working days),
    # D9 (decided Tue 10 17:00, due Mon 9 17:00: 1 working day); sorted by receipt code.
    assert [(x.dossier_id, x.reason_code, x.working_days_late) for x in late] == [
        ("D9", "finished_late", d("1")), ("D10", "second_supplement", d("0")), ("D11", "finished_late", d("2"))]
    assert late[0].apology_reason == "Chờ ý kiến Sở Xây dựng"
    assert late[0].receipt_code == f"{C1}-260302-0009"


def test_role_in_explains_which_dossiers_are_behind_a_figure() -> None:
    facts = {f.dossier_id: f for f in march_facts() if f}
    assert role_in(facts["D1"], MARCH, "2.1") == "numerator"
    assert role_in(facts["D9"], MARCH, "2.1") == "denominator"
    assert role_in(facts["D2"], MARCH, "3.2") == "numerator"
    assert role_in(facts["D1"], MARCH, "3.2") is None
    assert role_in(facts["D11"], Month(2026, 4), "2.1") is None


# ---- ranking -----------------------------------------------------------------------------------------------


def _unit(code: str, total: str, level: str = "commune", received: int = 5) -> UnitIndex:
    return UnitIndex(month="2026-03", unit_code=code, unit_name_vi=code, level=level, config_version="t",
                     indicators=(), groups=(), total=Decimal(total), max_with_data=Decimal(100),
                     normalised_total=None, band_code=None, band_label_vi=None, dossiers_received=received)


def test_ranking_ties_share_a_rank_and_the_next_rank_skips() -> None:
    results = [_unit("c4", "60.00"), _unit("c2", "70.00"), _unit("c1", "80.00"), _unit("c3", "70.00"),
               _unit("a1", "99.00", level="agency"), _unit("c5", "95.00", received=0)]
    ranked = rank(results, "commune")
    # 80 -> 1; 70, 70 -> 2, 2; 60 -> 4; c5 received nothing: listed, unranked
    assert [(r.unit_code, r.rank) for r in ranked] == [("c1", 1), ("c2", 2), ("c3", 2), ("c4", 4), ("c5", None)]
    assert [(r.unit_code, r.rank) for r in rank(results, "agency")] == [("a1", 1)]


def test_ranking_uses_the_displayed_totals(march: dict[str, UnitIndex]) -> None:
    # C2 (no catalogue figures given: catalogue indicators not applicable, full marks at commune level):
    # 1.3 2 + 1.4 no sync record -> no data, 0; 2.1 0/1 -> 0; 3.1 2 + 3.2 4 + 3.3 0/1 -> 0; 3b.1, 3b.2 no data,
    # 3b.3 nothing paid -> n/a 6; 4.1 0/1, 4.2a 0/1, 4.3 0/1 -> 0, 4.4 no electronic result -> n/a 4;
    # 5.2 6 + 5.3 6 (no feedback), 5.4 1 late of 1 -> 0. Total 2 + 6 + 6 + 4 + 12 = 30.00.
    assert march[C2].total == d("30.00")
    ranked = rank(list(march.values()), "commune")
    assert [(r.unit_code, r.rank, r.total) for r in ranked] == [
        (C1, 1, d("46.38")), (C2, 2, d("30.00")), (C3, None, march[C3].total)]
