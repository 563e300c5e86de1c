"""The citizen's evaluation of one dossier (docs/domain.md §6): 9 criteria scored 0/1/2, the app's satisfaction
question, a rating band. Pure: no I/O.

Interfaces for the wiring (``POST /dossiers/{id}/evaluation`` and the counter kiosk):

* :func:`evaluate` ``(dossier, history, answer, *, now, existing=None, config=DEFAULT_EVALUATION_CONFIG,
  context=None)`` -> :class:`Evaluation`. ``dossier`` and ``history`` are the **stored** record (never the
  client's idea of it); raises :class:`EvaluationDossierNotReturned` (status must be 10),
  :class:`EvaluationDuplicate` (an ``existing`` evaluation, or an ``evaluate`` event already in the history)
  and :class:`EvaluationScoreOutOfRange` / :class:`EvaluationCriteriaInvalid` for bad answers.
* :func:`evaluation_event` ``(evaluation, dossier, actor, *, request_id=None)`` -> ``HistoryEvent``: the
  status-neutral event to append in the same transaction (``from_status == to_status``: a late answer never
  changes the dossier's status). The index reads it (action ``evaluate``, details ``satisfaction``, ``total``).
  Guard the write with the dossier's version and a conditional put on the evaluation item, so two
  concurrent answers cannot both be stored.

Scoring (Circular 01/2018, carried over; LIKELY): criteria 1-5 come from the dossier's own record, 6-9 from
the citizen. How the record maps to 0/1/2 is UNSURE, hence :class:`EvaluationConfig` (defaults below). The
rating bands on the total are UNSURE too: the default is the one province's (>15 excellent, 12-15 good,
9-12 fair, 6-9 average, <6 weak), read on whole points as >= 16, >= 12, >= 9, >= 6, else weak.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from motcua.domain import actions as ev
from motcua.domain.actors import Actor
from motcua.domain.clock import Timeliness
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.errors import Conflict, InvalidInput, NotFound
from motcua.domain.index.config import IndexConfig, config_for
from motcua.domain.index.facts import FactsContext, dossier_timeliness, facts_from_history
from motcua.domain.index.month import Month
from motcua.domain.status import DossierStatus

Satisfaction = ev.Satisfaction  # one definition, shared with the index

MIN_SCORE = 0
MAX_SCORE = 2


class Criterion(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    number: int
    name_vi: str
    name_en: str
    source: Literal["record", "citizen"]


CRITERIA: tuple[Criterion, ...] = (
    Criterion(number=1, name_vi="Tổng thời gian giải quyết so với quy định", source="record",
              name_en="Total processing time vs the legal limit"),
    Criterion(number=2, name_vi="Thời gian giải quyết tại từng cơ quan", source="record",
              name_en="Time at each agency involved"),
    Criterion(number=3, name_vi="Số lần liên hệ với bộ phận một cửa để hoàn thiện hồ sơ", source="record",
              name_en="Contacts with the desk to complete the dossier"),
    Criterion(number=4, name_vi="Số cơ quan phải liên hệ", source="record",
              name_en="Agencies the applicant had to contact"),
    Criterion(number=5, name_vi="Tiếp nhận, giải quyết, trả kết quả qua bộ phận một cửa", source="record",
              name_en="Reception, processing and return through the one-stop desk"),
    Criterion(number=6, name_vi="Công khai thủ tục hành chính", source="citizen",
              name_en="Publication of the procedure"),
    Criterion(number=7, name_vi="Thái độ của cán bộ, công chức", source="citizen",
              name_en="Officials' attitude"),
    Criterion(number=8, name_vi="Tiếp nhận, xử lý phản ánh, kiến nghị", source="citizen",
              name_en="Handling of feedback and complaints"),
    Criterion(number=9, name_vi="Tiến độ, chất lượng dịch vụ công trực tuyến", source="citizen",
              name_en="Progress and quality of the online service"),
)
# The criteria the citizen answers (6-9, the app's survey); the record answers the others (1-5, the trail).
CITIZEN_CRITERIA = tuple(c.number for c in CRITERIA if c.source == "citizen")
MAX_TOTAL = MAX_SCORE * len(CRITERIA)  # 18


# ---- errors ------------------------------------------------------------------------------------------------


class EvaluationScoreOutOfRange(InvalidInput):
    code = "EVALUATION_SCORE_OUT_OF_RANGE"
    http_status = 422
    message_vi = "Điểm đánh giá mỗi tiêu chí chỉ được là 0, 1 hoặc 2."
    message_en = "Each criterion is scored 0, 1 or 2."


class EvaluationCriteriaInvalid(InvalidInput):
    code = "EVALUATION_CRITERIA_INVALID"
    http_status = 422
    message_vi = "Cần chấm đúng các tiêu chí 6, 7, 8 và 9."
    message_en = "Score exactly criteria 6, 7, 8 and 9."


class EvaluationDossierNotReturned(Conflict):
    code = "EVALUATION_DOSSIER_NOT_RETURNED"
    message_vi = "Chỉ đánh giá được hồ sơ đã trả kết quả."
    message_en = "Only a dossier whose result was returned can be evaluated."


class EvaluationNotFound(NotFound):
    code = "EVALUATION_NOT_FOUND"
    message_vi = "Hồ sơ này chưa được đánh giá."
    message_en = "This dossier has not been evaluated."


class EvaluationDuplicate(Conflict):
    code = "EVALUATION_DUPLICATE"
    message_vi = "Hồ sơ này đã được đánh giá."
    message_en = "This dossier has already been evaluated."


# ---- configuration (UNSURE: data with defaults) ------------------------------------------------------------


class EvaluationBand(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    code: str
    label_vi: str
    min_total: int


class EvaluationConfig(BaseModel):
    """How the record scores criteria 1-5, and the bands on the total. Every value is UNSURE (docs/domain.md §6.2)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    version: str = "tt01-2018-motcua-1"
    # Criteria 1 and 2: early 2, on time 1, late 0. Motcua does not budget time per agency, so criterion 2
    # follows the dossier's overall timeliness.
    timeliness_scores: dict[Timeliness, int] = Field(default_factory=lambda: {
        Timeliness.EARLY: 2, Timeliness.ON_TIME: 1, Timeliness.LATE: 0})
    # Criterion 3 by the number of supplement requests: none -> 2, one -> 1, two or more -> 0.
    contact_scores: tuple[int, ...] = (2, 1, 0)
    # Criterion 4: through the one-stop desk the applicant contacts one agency only.
    agencies_contacted_score: int = 2
    # Criterion 5: every Motcua dossier is received, processed and returned through the one-stop mechanism.
    one_stop_score: int = 2
    bands: tuple[EvaluationBand, ...] = (
        EvaluationBand(code="excellent", label_vi="Xuất sắc", min_total=16),
        EvaluationBand(code="good", label_vi="Tốt", min_total=12),
        EvaluationBand(code="fair", label_vi="Khá", min_total=9),
        EvaluationBand(code="average", label_vi="Trung bình", min_total=6),
        EvaluationBand(code="weak", label_vi="Yếu", min_total=0),
    )

    def band_for(self, total: int) -> EvaluationBand:
        for band in sorted(self.bands, key=lambda b: b.min_total, reverse=True):
            if total >= band.min_total:
                return band
        raise ValueError(f"no band for total {total}")


DEFAULT_EVALUATION_CONFIG = EvaluationConfig()


# ---- models ------------------------------------------------------------------------------------------------


# Where the answer was given: the app (the citizen owner) or the counter kiosk (an officer of the desk).
EvaluationSource = Literal["app", "kiosk"]


class EvaluationInput(BaseModel):
    """What the citizen answers, in the app or at the kiosk."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    scores: dict[int, StrictInt] = Field(description="Criteria 6-9, each 0, 1 or 2 (keys '6'..'9')",
                                         examples=[{"6": 2, "7": 2, "8": 1, "9": 2}])
    satisfaction: Satisfaction = Field(description="Rất hài lòng / Hài lòng / Không hài lòng")
    comment: str | None = Field(default=None, max_length=1000,
                                description="Free text, stored with the dossier; never published")


class CriterionScore(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    criterion: int
    score: int
    source: Literal["record", "citizen"]
    basis: str | None = None  # for record criteria: what the score was read from ("early", "1 supplement")


class Evaluation(BaseModel):
    """The stored evaluation of one dossier (one per dossier)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    dossier_id: str
    receipt_code: str
    agency_code: str
    procedure_code: str
    evaluated_at: datetime
    source: EvaluationSource
    scores: tuple[CriterionScore, ...]
    total: int
    max_total: int = MAX_TOTAL
    band_code: str
    band_label_vi: str
    satisfaction: Satisfaction
    comment: str | None = None
    config_version: str


# ---- scoring -----------------------------------------------------------------------------------------------


def check_answer(answer: EvaluationInput) -> None:
    """Exactly criteria 6-9, each 0..2; raises the typed errors."""
    keys = set(answer.scores)
    if keys != set(CITIZEN_CRITERIA):
        raise EvaluationCriteriaInvalid({"expected": list(CITIZEN_CRITERIA), "missing": sorted(
            set(CITIZEN_CRITERIA) - keys), "unexpected": sorted(keys - set(CITIZEN_CRITERIA))})
    bad = {str(c): s for c, s in sorted(answer.scores.items()) if not MIN_SCORE <= s <= MAX_SCORE}
    if bad:
        raise EvaluationScoreOutOfRange({"scores": bad, "min": MIN_SCORE, "max": MAX_SCORE})


def record_scores(timeliness: Timeliness, supplement_requests: int, config: EvaluationConfig
                  ) -> tuple[CriterionScore, ...]:
    """Criteria 1-5 from the dossier's record (mapping UNSURE: see :class:`EvaluationConfig`)."""
    t = config.timeliness_scores[timeliness]
    contacts = config.contact_scores[min(supplement_requests, len(config.contact_scores) - 1)]
    return (
        CriterionScore(criterion=1, score=t, source="record", basis=timeliness.value),
        CriterionScore(criterion=2, score=t, source="record", basis=timeliness.value),
        CriterionScore(criterion=3, score=contacts, source="record",
                       basis=f"supplement_requests={supplement_requests}"),
        CriterionScore(criterion=4, score=config.agencies_contacted_score, source="record", basis="one_stop"),
        CriterionScore(criterion=5, score=config.one_stop_score, source="record", basis="one_stop"),
    )


def evaluate(dossier: Dossier, history: Sequence[HistoryEvent], answer: EvaluationInput, *, now: datetime,
             source: EvaluationSource = "app", existing: Evaluation | None = None,
             config: EvaluationConfig = DEFAULT_EVALUATION_CONFIG, context: FactsContext | None = None,
             index_config: IndexConfig | None = None) -> Evaluation:
    """Score the citizen's answer for a returned dossier (see the module docstring for the errors).
    ``source``: where it was answered, from the caller's identity (never from the answer itself)."""
    if existing is not None or any(e.action == ev.EVALUATE for e in history):
        raise EvaluationDuplicate({"dossier_id": dossier.id,
                                   "evaluated_at": existing.evaluated_at.isoformat() if existing else None})
    if dossier.status is not DossierStatus.RETURNED:
        raise EvaluationDossierNotReturned({"dossier_id": dossier.id, "status": int(dossier.status),
                                            "status_name_vi": dossier.status.name_vi})
    check_answer(answer)
    facts = facts_from_history(dossier, history, now, context=context, config=index_config)
    idx_cfg = index_config if index_config is not None else config_for(Month.of(dossier.submitted_at))
    verdict = dossier_timeliness(facts, now, idx_cfg) if facts is not None else None
    supplements = facts.supplement_request_count if facts is not None else 0
    scores = (*record_scores(verdict or Timeliness.ON_TIME, supplements, config),
              *(CriterionScore(criterion=c, score=answer.scores[c], source="citizen") for c in CITIZEN_CRITERIA))
    total = sum(s.score for s in scores)
    band = config.band_for(total)
    return Evaluation(
        dossier_id=dossier.id, receipt_code=dossier.receipt_code, agency_code=dossier.agency_code,
        procedure_code=dossier.procedure_code, evaluated_at=now, source=source, scores=scores,
        total=total, band_code=band.code, band_label_vi=band.label_vi, satisfaction=answer.satisfaction,
        comment=answer.comment, config_version=config.version)


def evaluation_event(evaluation: Evaluation, dossier: Dossier, actor: Actor, *,
                     request_id: str | None = None) -> HistoryEvent:
    """The status-neutral history event recording the evaluation (read by the index)."""
    return HistoryEvent(
        event_id=f"{dossier.id}-evaluation",  # one evaluation per dossier: a replay cannot add a second one
        dossier_id=dossier.id,
        occurred_at=evaluation.evaluated_at,
        action=ev.EVALUATE,
        from_status=dossier.status,
        to_status=dossier.status,
        actor=actor,
        details={ev.D_SATISFACTION: evaluation.satisfaction.value, ev.D_TOTAL: evaluation.total,
                 "band": evaluation.band_code, "source": evaluation.source},
        request_id=request_id,
    )
