"""The citizen's evaluation of a returned dossier (docs/domain.md §6): 9 criteria, 0/1/2 each, maximum 18.

Dossiers here are received on Mon 2 Mar 2026 at 09:00 with a limit of 5 working days: due Mon 9 Mar 17:00
(the reception day does not count: Mar 3, 4, 5, 6, 9). Record criteria by default (UNSURE, configurable):
1 and 2 early 2 / on time 1 / late 0; 3 by supplement requests 0 -> 2, 1 -> 1, 2+ -> 0; 4 and 5 -> 2.
Default bands: >= 16 excellent, 12-15 good, 9-11 fair, 6-8 average, < 6 weak.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from motcua.domain import actions as events
from motcua.domain.actors import Actor, Role
from motcua.domain.catalogue import Channel
from motcua.domain.dossier import Applicant, Dossier, HistoryEvent
from motcua.domain.errors import Conflict, InvalidInput
from motcua.domain.evaluation import (
    DEFAULT_EVALUATION_CONFIG,
    MAX_TOTAL,
    Evaluation,
    EvaluationBand,
    EvaluationConfig,
    EvaluationCriteriaInvalid,
    EvaluationDossierNotReturned,
    EvaluationDuplicate,
    EvaluationInput,
    EvaluationScoreOutOfRange,
    Satisfaction,
    evaluate,
    evaluation_event,
)
from motcua.domain.index import Month, contribution, facts_from_history
from motcua.domain.status import DossierStatus as S

VN = ZoneInfo("Asia/Ho_Chi_Minh")
COMMUNE = "000.20.01.H36"
OFFICER = Actor(subject="officer", role=Role.PROCESSING_OFFICER, agency_code=COMMUNE)
CITIZEN = Actor(subject="citizen-1", role=Role.CITIZEN)


def at(day: int, hh: int = 9) -> datetime:
    return datetime(2026, 3, day, hh, tzinfo=VN)


def returned(decided: datetime, *, supplements: int = 0, returned_at: datetime | None = None
             ) -> tuple[Dossier, list[HistoryEvent]]:
    steps: list[tuple[datetime, str, S]] = [(at(2), events.RECEIVE_AT_COUNTER, S.RECEIVED),
                                            (at(2, 10), events.START_PROCESSING, S.PROCESSING)]
    for i in range(supplements):  # each request answered the next morning
        steps += [(at(3 + i, 10), events.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED),
                  (at(3 + i, 11), events.RECEIVE_SUPPLEMENT, S.PROCESSING)]
    steps += [(decided, events.DECIDE, S.DECIDED), (returned_at or decided, events.RETURN_RESULT, S.RETURNED)]
    history, status = [], None
    for i, (when, action, to) in enumerate(steps):
        history.append(HistoryEvent(event_id=f"d-{i}", dossier_id="d", occurred_at=when, action=action,
                                    from_status=status, to_status=to, actor=OFFICER))
        status = to
    dossier = Dossier(
        id="d", receipt_code=f"{COMMUNE}-260302-0001", procedure_code="1.004873", procedure_name_vi="Thủ tục",
        agency_code=COMMUNE, channel=Channel.COUNTER, status=status,
        applicant=Applicant(full_name="Trần Thị B", national_id="068000000003", phone="0912000003", address="C"),
        owner=CITIZEN.subject, submitted_at=at(2), received_at=at(2), appointment_at=at(9, 17), due_at=at(9, 17),
        time_limit={"value": "5", "unit": "working_days"}, rule_version="nd118-2025", version=len(history),
        updated_at=history[-1].occurred_at)
    return dossier, history


def answer(s6: int = 2, s7: int = 2, s8: int = 1, s9: int = 2, satisfaction: str = "very_satisfied"
           ) -> EvaluationInput:
    return EvaluationInput.model_validate({"scores": {"6": s6, "7": s7, "8": s8, "9": s9},
                                          "satisfaction": satisfaction})


def scores(evaluation: Evaluation) -> dict[int, int]:
    return {s.criterion: s.score for s in evaluation.scores}


def test_early_dossier_scores_the_record_criteria_in_full() -> None:
    # Decided Wed 4 Mar (before the due day): early -> criteria 1, 2 = 2; no supplement -> 3 = 2; 4, 5 = 2.
    # Citizen 2 + 2 + 1 + 2 = 7. Total 10 + 7 = 17 -> excellent (>= 16).
    dossier, history = returned(at(4, 15))
    e = evaluate(dossier, history, answer(), now=at(5))
    assert scores(e) == {1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2, 8: 1, 9: 2}
    assert (e.total, e.max_total, e.band_code, e.band_label_vi) == (17, 18, "excellent", "Xuất sắc")
    assert e.satisfaction is Satisfaction.VERY_SATISFIED and e.evaluated_at == at(5)
    assert [s.source for s in e.scores] == ["record"] * 5 + ["citizen"] * 4
    assert e.scores[0].basis == "early"


def test_on_time_dossier_with_one_supplement() -> None:
    # One supplement (Mar 3 10:00 -> 11:00) pushes the due date by one office hour: Tue 10 Mar 08:30.
    # Decided Tue 10 Mar 08:00: on the due day, before the due instant -> on time: 1, 1; one request -> 1; 2; 2.
    # Citizen 1 + 1 + 1 + 1 = 4. Total 7 + 4 = 11 -> fair (9-11).
    dossier, history = returned(datetime(2026, 3, 10, 8, tzinfo=VN), supplements=1)
    e = evaluate(dossier, history, answer(1, 1, 1, 1, "satisfied"), now=at(11))
    assert [scores(e)[c] for c in (1, 2, 3, 4, 5)] == [1, 1, 1, 2, 2]
    assert (e.total, e.band_code) == (11, "fair")


def test_late_dossier_and_second_supplement() -> None:
    # Two supplement requests make the dossier late whatever the dates (docs/domain.md §4.2):
    # 0, 0; two requests -> 0; 2, 2.
    # Citizen 0 + 0 + 1 + 1 = 2. Total 4 + 2 = 6 -> average (6-8).
    dossier, history = returned(at(6, 15), supplements=2)
    e = evaluate(dossier, history, answer(0, 0, 1, 1, "dissatisfied"), now=at(10))
    assert [scores(e)[c] for c in (1, 2, 3, 4, 5)] == [0, 0, 0, 2, 2]
    assert (e.total, e.band_code, e.band_label_vi) == (6, "average", "Trung bình")


@pytest.mark.parametrize(("total", "band"), [(18, "excellent"), (16, "excellent"), (15, "good"), (12, "good"),
                                             (11, "fair"), (9, "fair"), (8, "average"), (6, "average"),
                                             (5, "weak"), (0, "weak")])
def test_default_bands_at_their_edges(total: int, band: str) -> None:
    assert DEFAULT_EVALUATION_CONFIG.band_for(total).code == band


def test_scoring_and_bands_are_configuration() -> None:
    # Late scores 1 instead of 0; two bands at 10.
    config = EvaluationConfig(timeliness_scores={"early": 2, "on_time": 2, "late": 1},
                              bands=(EvaluationBand(code="ok", label_vi="Đạt", min_total=10),
                                     EvaluationBand(code="ko", label_vi="Chưa đạt", min_total=0)))
    dossier, history = returned(at(12, 15))  # decided Thu 12 Mar, after the due date: late
    e = evaluate(dossier, history, answer(0, 0, 0, 0), now=at(13), config=config)
    # record 1 + 1 + 2 + 2 + 2 = 8, citizen 0 -> 8 -> "Chưa đạt"
    assert (e.total, e.band_code) == (8, "ko")


def test_out_of_range_scores_are_rejected() -> None:
    dossier, history = returned(at(4, 15))
    with pytest.raises(EvaluationScoreOutOfRange) as caught:
        evaluate(dossier, history, answer(s6=3, s9=-1), now=at(5))
    assert isinstance(caught.value, InvalidInput) and caught.value.http_status == 422
    assert caught.value.code == "EVALUATION_SCORE_OUT_OF_RANGE"
    assert caught.value.details["scores"] == {"6": 3, "9": -1}
    assert caught.value.message_vi and caught.value.message_en


@pytest.mark.parametrize("given", [{"6": 1, "7": 1, "8": 1}, {"5": 2, "6": 1, "7": 1, "8": 1, "9": 1}])
def test_missing_or_unexpected_criteria_are_rejected(given: dict[str, int]) -> None:
    dossier, history = returned(at(4, 15))
    with pytest.raises(EvaluationCriteriaInvalid):
        evaluate(dossier, history, EvaluationInput.model_validate({"scores": given, "satisfaction": "satisfied"}),
                 now=at(5))


def test_non_integer_scores_fail_validation() -> None:
    with pytest.raises(ValidationError):
        EvaluationInput.model_validate({"scores": {"6": True, "7": 1, "8": 1, "9": 1}, "satisfaction": "satisfied"})
    with pytest.raises(ValidationError):
        EvaluationInput.model_validate({"scores": {"6": 1, "7": 1, "8": 1, "9": 1}, "satisfaction": "ok"})


def test_a_dossier_never_returned_cannot_be_evaluated() -> None:
    dossier, history = returned(at(4, 15))
    decided_only = dossier.model_copy(update={"status": S.DECIDED})
    with pytest.raises(EvaluationDossierNotReturned) as caught:
        evaluate(decided_only, history[:-1], answer(), now=at(5))
    assert isinstance(caught.value, Conflict) and caught.value.http_status == 409
    assert caught.value.details["status"] == 9


def test_a_duplicate_evaluation_is_rejected() -> None:
    dossier, history = returned(at(4, 15))
    first = evaluate(dossier, history, answer(), now=at(5))
    with pytest.raises(EvaluationDuplicate):  # the stored evaluation
        evaluate(dossier, history, answer(), now=at(6), existing=first)
    with_event = [*history, evaluation_event(first, dossier, CITIZEN)]
    with pytest.raises(EvaluationDuplicate) as caught:  # or its event in the history
        evaluate(dossier, with_event, answer(), now=at(6))
    assert caught.value.code == "EVALUATION_DUPLICATE" and isinstance(caught.value, Conflict)


def test_the_evaluation_event_never_changes_the_status_and_feeds_the_index() -> None:
    dossier, history = returned(at(4, 15))
    e = evaluate(dossier, history, answer(satisfaction="dissatisfied"), now=at(5))
    event = evaluation_event(e, dossier, CITIZEN, request_id="r1")
    assert (event.action, event.from_status, event.to_status) == (events.EVALUATE, S.RETURNED, S.RETURNED)
    assert event.details["satisfaction"] == "dissatisfied" and event.details["total"] == e.total
    facts = facts_from_history(dossier, [*history, event], at(31))
    assert facts is not None and facts.status is S.RETURNED and facts.satisfaction is Satisfaction.DISSATISFIED
    counters = contribution(facts, Month(2026, 3))
    assert counters["evaluations"] == 1 and counters["evaluation_dissatisfied"] == 1
    assert counters["complaint_or_dislike"] == 1 and counters["evaluation_points"] == e.total


def test_maximum_total_is_18() -> None:
    assert MAX_TOTAL == 18
