"""What one dossier adds to its units' month counters, and the incremental delta.

Interfaces (pure):

* :func:`contribution` ``(facts, month, *, config=None)`` -> ``dict[str, int]``: the counters the dossier
  adds to **each** of ``facts.units`` for ``month``. Zero counters are left out.
* :func:`months_of` ``(facts)`` -> the months a dossier contributes to.
* :func:`contribution_delta` ``(old, new, *, at, config=None)`` -> ``{(unit, month): {counter: delta}}``:
  what to ADD atomically when an event at ``at`` turns ``old`` facts into ``new`` (``old=None`` for the
  first event). Months that ended before ``at`` are frozen and never touched.
* :func:`late_dossiers` and :func:`role_in` explain a figure (which dossiers are behind it).

Which month a counter belongs to (all measured as of the month's last instant, Asia/Ho_Chi_Minh):

* the month the dossier was **received**: received, timeliness (2.1: open dossiers still inside their
  deadline count as on time; a second supplement request makes a dossier late), channel, processing time,
  digitisation and reuse, synchronisation, payments, results;
* the month of the **evaluation** (the app's survey answer), of the **first complaint or dislike** (5.4),
  and of the **reception of each feedback** (5.1-5.3);
* the month a never-received dossier was **refused** at reception (informational).

**Feedback not about a dossier** (about a procedure or an agency: :class:`StandaloneFeedbackFacts`) counts
once, for its responsible agency and that agency's ancestors, in the month of its reception, with exactly
the same 5.1-5.3 counters as a dossier's feedback (:func:`feedback_counters`, one rule for both):
:func:`standalone_contribution`, :func:`standalone_months`, :func:`standalone_delta` mirror the dossier's
functions, and :func:`counters_for_month` takes both. It never counts for 5.4: 5.4 is a share of received
*dossiers* (a complaint about a procedure or an agency names no dossier to count against; UNSURE, the
portal's rule is not published). Feedback about a dossier is counted through the dossier's trail
(``feedback_*`` events) and never here, so no feedback counts twice.

**Inter-agency dossiers** (*liên thông*: ``Dossier.agency_code`` is the receiving agency, ``involved_agencies``
the others it passed through) count for the **receiving agency** only (``facts.units`` is its ancestry), and
so does their feedback. UNSURE: the sources are silent (docs/domain.md §3.4: each step of a liên thông flow
has its own time budget, but not that the index splits a dossier between agencies); counting a dossier once, where the
citizen filed it, keeps every province total equal to the number of dossiers received.

**Incremental equals recompute.** ``contribution(facts, m)`` depends only on the facts and ``m`` (never on
"now"), and ``facts_from_history(d, events, as_of=m.end)`` is the fold of the events up to ``m.end``. So
for each month ``m`` the deltas of the events with ``at <= m.end`` telescope to
``contribution(facts as of m.end, m)``: summing deltas as events arrive gives exactly the recompute, provided
each dossier's events are applied in history order with non-decreasing ``occurred_at``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import datetime
from decimal import Decimal
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from motcua.domain import actions as ev
from motcua.domain import clock
from motcua.domain.catalogue import Channel
from motcua.domain.clock import Timeliness
from motcua.domain.index.config import FeedbackDeadlines, IndexConfig, config_for
from motcua.domain.index.facts import DossierFacts, FeedbackFacts, StandaloneFeedbackFacts, dossier_timeliness
from motcua.domain.index.month import Month
from motcua.domain.index.units import CatalogueCounters

# ---- counter names (the wiring stores them as atomic counters per unit and month) ----
RECEIVED = "received"
EARLY = "early"
ON_TIME = "on_time"  # on the appointment day, or still open inside the deadline at month end
LATE = "late"
OPEN = "open_at_month_end"
LATE_SECOND_SUPPLEMENT = "late_second_supplement"
RECEIVED_ONLINE = "received_online"
ONLINE_CAPABLE = "online_capable"  # received dossiers of procedures that offer online submission
ONLINE_CAPABLE_ONLINE = "online_capable_online"
FINISHED = "finished"
PROCESSING_MICRODAYS = "processing_microdays"  # sum of working days x 1,000,000 (exact: the clock gives 6 dp)
SUPPLEMENT_REQUESTED = "supplement_requested"
APOLOGISED = "apologised"
DIGITISED = "digitised"
REUSED = "reused_data"
POPULATION_DB = "population_db"
SYNC_RECORDED = "sync_recorded"  # received dossiers with a national-portal sync record (1.4's denominator)
SYNCED_NATIONAL = "synced_national"
DECIDED = "decided"
RESULT_ELECTRONIC = "result_electronic"
RESULT_SYNCED_CITIZEN = "result_synced_citizen"
PAID = "paid"
PAID_ONLINE = "paid_online"
REFUSED_AT_RECEPTION = "refused_at_reception"
EVALUATIONS = "evaluations"
EVALUATION_VERY_SATISFIED = "evaluation_very_satisfied"
EVALUATION_SATISFIED = "evaluation_satisfied"
EVALUATION_DISSATISFIED = "evaluation_dissatisfied"
EVALUATION_POINTS = "evaluation_points"
COMPLAINT_OR_DISLIKE = "complaint_or_dislike"
FEEDBACK_RECEIVED = "feedback_received"
FEEDBACK_CLASSIFIED = "feedback_classified"
FEEDBACK_ON_TIME = "feedback_on_time"
FEEDBACK_RATED = "feedback_rated"
FEEDBACK_SATISFIED = "feedback_satisfied"
# Per-procedure counters (a distinct count is the number of such keys above zero: 3.2, 3b.2, 4.5b).
PROC_ONLINE = "proc_online:"
PROC_PAID_ONLINE = "proc_paid_online:"
PROC_POPULATION_DB = "proc_population_db:"
# A late dossier's step that made it late (facts.late_step): "late_step:<unit>|<step code>", one per late
# dossier received in the month. Indicator 2.1's figure sums them by unit; the explain route names the step.
LATE_STEP = "late_step:"


def late_step_key(unit: str, step: str) -> str:
    return f"{LATE_STEP}{unit}|{step}"


def late_step_named(counters: Mapping[str, int]) -> tuple[str, str] | None:
    """(unit, step code) of the step one dossier's counters name, if they name one."""
    for key, value in counters.items():
        if value > 0 and key.startswith(LATE_STEP):
            unit, _, step = key[len(LATE_STEP):].rpartition("|")
            return unit, step
    return None


def late_step_units(counters: Mapping[str, int]) -> dict[str, int]:
    """Late dossiers by the unit of the step that made them late, from a unit's summed counters (the figure)
    or one dossier's (what the explain route lists): the same keys, so the two add up."""
    units: dict[str, int] = defaultdict(int)
    for key, value in counters.items():
        if value > 0 and key.startswith(LATE_STEP):
            units[key[len(LATE_STEP):].rpartition("|")[0]] += value
    return dict(sorted(units.items()))

_EVALUATION_KEYS = {
    ev.Satisfaction.VERY_SATISFIED: EVALUATION_VERY_SATISFIED,
    ev.Satisfaction.SATISFIED: EVALUATION_SATISFIED,
    ev.Satisfaction.DISSATISFIED: EVALUATION_DISSATISFIED,
}

_VERDICT_KEYS = {Timeliness.EARLY: EARLY, Timeliness.ON_TIME: ON_TIME, Timeliness.LATE: LATE}


def late_by_second_supplement(supplement_requests: int, cfg: IndexConfig) -> bool:
    """2.1: a second supplement request makes a dossier late whatever its dates (``clock.timeliness``)."""
    return cfg.late_on_second_supplement and supplement_requests >= 2


def timeliness_counters(verdict: Timeliness | None, supplement_requests: int, cfg: IndexConfig,
                        late_step: tuple[str, str] | None = None) -> dict[str, int]:
    """Indicator 2.1's counters for one dossier received in the month: its verdict (none while its deadline is
    unknown), whether a second supplement request is what made it late, and the step it was late at (docs/domain.md
    §11.4). Both folds count with this."""
    if verdict is None:
        return {}
    counters = {_VERDICT_KEYS[verdict]: 1}
    if verdict is Timeliness.LATE:
        if late_by_second_supplement(supplement_requests, cfg):
            counters[LATE_SECOND_SUPPLEMENT] = 1
        if late_step is not None:
            counters[late_step_key(*late_step)] = 1
    return counters


def _month(at: datetime | None) -> Month | None:
    return None if at is None else Month.of(at)


def months_of(facts: DossierFacts | None) -> set[Month]:
    """Every month this dossier contributes to."""
    if facts is None:
        return set()
    months = {_month(facts.received_at), _month(facts.evaluated_at), _month(facts.complaint_or_dislike_at)}
    if facts.received_at is None:
        months.add(_month(facts.refused_at))
    months.update(Month.of(fb.received_at) for fb in facts.feedback)
    months.discard(None)
    return months  # type: ignore[return-value]


def feedback_on_time(fb: FeedbackFacts, as_of: datetime, agency: str, deadlines: FeedbackDeadlines) -> bool:
    """Every step of the handling met its deadline (docs/domain.md §7.4), and a step still owed at ``as_of`` (the
    handling, or the publication of an answer marked public) is still inside its deadline then: a step due
    at the period's end is judged as of its last instant, like an open dossier. Working days through the one
    clock (reception day not counted)."""
    handled_at = None
    finished = published = False
    for step in fb.steps:
        if step.at > as_of:
            break
        outcome = step.outcome
        if outcome is ev.FeedbackOutcome.PUBLISHED:
            published = True
            base, days = handled_at or fb.received_at, deadlines.publish
        else:
            base = fb.received_at
            days = {ev.FeedbackOutcome.REFUSED: deadlines.refuse, ev.FeedbackOutcome.REQUEST_INFO:
                    deadlines.request_info, ev.FeedbackOutcome.HANDLED: deadlines.handle}[outcome]
        if step.at > clock.due_at(base, days, agency=agency):
            return False
        if outcome in ev.TERMINAL_FEEDBACK_OUTCOMES:
            finished = True
            handled_at = step.at if outcome is ev.FeedbackOutcome.HANDLED else handled_at
    if not finished:
        return as_of <= clock.due_at(fb.received_at, deadlines.handle, agency=agency)
    if fb.answer_public and handled_at is not None and not published:
        return as_of <= clock.due_at(handled_at, deadlines.publish, agency=agency)
    return True


def contribution(facts: DossierFacts, month: Month, *, config: IndexConfig | None = None) -> dict[str, int]:
    """Counters ``facts`` adds to each of its units for ``month`` (as of ``month.end``)."""
    cfg = config if config is not None else config_for(month)
    end = month.end
    c: dict[str, int] = defaultdict(int)
    if month.contains(facts.received_at):
        c[RECEIVED] += 1
        for key, n in timeliness_counters(dossier_timeliness(facts, end, cfg), facts.supplement_request_count,
                                          cfg, facts.late_step).items():
            c[key] += n
        finished = facts.finished_at
        if finished is None or finished > end:
            c[OPEN] += 1
        else:
            c[FINISHED] += 1
            c[PROCESSING_MICRODAYS] += int((facts.processing_days or Decimal(0)) * 1_000_000)
        online = facts.channel is Channel.ONLINE
        if online:
            c[RECEIVED_ONLINE] += 1
        if facts.procedure_offers_online or cfg.online_share_of == "all":
            c[ONLINE_CAPABLE] += 1
            if online:
                c[ONLINE_CAPABLE_ONLINE] += 1
        if online and facts.procedure_offers_online:
            c[PROC_ONLINE + facts.procedure_code] += 1
        if facts.supplement_request_count:
            c[SUPPLEMENT_REQUESTED] += 1
        if facts.apology_count:
            c[APOLOGISED] += 1
        if facts.digitised or (online and cfg.online_counts_as_digitised):
            c[DIGITISED] += 1
        if facts.reused_documents:
            c[REUSED] += 1
        if facts.population_db_used:
            c[POPULATION_DB] += 1
            c[PROC_POPULATION_DB + facts.procedure_code] += 1
        if facts.sync_recorded:
            c[SYNC_RECORDED] += 1
        if facts.synced_national:
            c[SYNCED_NATIONAL] += 1
        if facts.decided_at is not None:
            c[DECIDED] += 1
            if facts.result_electronic:
                c[RESULT_ELECTRONIC] += 1
                if facts.result_synced_citizen:
                    c[RESULT_SYNCED_CITIZEN] += 1
        if facts.paid:
            c[PAID] += 1
            if facts.paid_online:
                c[PAID_ONLINE] += 1
                c[PROC_PAID_ONLINE + facts.procedure_code] += 1
    elif facts.received_at is None and month.contains(facts.refused_at):
        c[REFUSED_AT_RECEPTION] += 1
    if month.contains(facts.evaluated_at) and facts.satisfaction is not None:
        c[EVALUATIONS] += 1
        c[_EVALUATION_KEYS[facts.satisfaction]] += 1
        c[EVALUATION_POINTS] += facts.evaluation_total or 0
    if month.contains(facts.complaint_or_dislike_at):
        c[COMPLAINT_OR_DISLIKE] += 1
    for fb in facts.feedback:
        if month.contains(fb.received_at):
            feedback_counters(c, fb, end, facts.agency_code, cfg.feedback_deadlines)
    return {k: v for k, v in c.items() if v}


def feedback_counters(c: MutableMapping[str, int], fb: FeedbackFacts, end: datetime, agency: str,
                      deadlines: FeedbackDeadlines) -> None:
    """Add one feedback received in the month to ``c`` (5.1-5.3), as of the month's last instant ``end``.
    The one rule for feedback about a dossier and feedback about a procedure or an agency."""
    c[FEEDBACK_RECEIVED] = c.get(FEEDBACK_RECEIVED, 0) + 1
    if fb.kind is not ev.FeedbackKind.UNCLASSIFIED:
        c[FEEDBACK_CLASSIFIED] = c.get(FEEDBACK_CLASSIFIED, 0) + 1
    if feedback_on_time(fb, end, agency, deadlines):
        c[FEEDBACK_ON_TIME] = c.get(FEEDBACK_ON_TIME, 0) + 1
    if fb.satisfied is not None:
        c[FEEDBACK_RATED] = c.get(FEEDBACK_RATED, 0) + 1
        if fb.satisfied:
            c[FEEDBACK_SATISFIED] = c.get(FEEDBACK_SATISFIED, 0) + 1


def standalone_months(facts: StandaloneFeedbackFacts | None) -> set[Month]:
    """The one month feedback about a procedure or an agency contributes to: its reception's."""
    return set() if facts is None else {Month.of(facts.feedback.received_at)}


def standalone_contribution(facts: StandaloneFeedbackFacts, month: Month, *, config: IndexConfig | None = None
                            ) -> dict[str, int]:
    """Counters feedback about a procedure or an agency adds to each of ``facts.units`` for ``month`` (as of
    ``month.end``): 5.1-5.3 only, never 5.4 (see the module docstring)."""
    if not month.contains(facts.feedback.received_at):
        return {}
    cfg = config if config is not None else config_for(month)
    c: dict[str, int] = {}
    feedback_counters(c, facts.feedback, month.end, facts.agency_code, cfg.feedback_deadlines)
    return {k: v for k, v in c.items() if v}


def standalone_delta(old: StandaloneFeedbackFacts | None, new: StandaloneFeedbackFacts | None, *, at: datetime,
                     config: IndexConfig | None = None) -> Delta:
    """:func:`contribution_delta` for feedback about a procedure or an agency: what a step at ``at`` (filing,
    refusal, request for information, answer, publication, rating) ADDs; an ended month is frozen."""
    return _delta(old, new, at, standalone_months, standalone_contribution, config)


Delta = dict[tuple[str, Month], dict[str, int]]


def contribution_delta(old: DossierFacts | None, new: DossierFacts | None, *, at: datetime,
                       config: IndexConfig | None = None) -> Delta:
    """Counter increments (possibly negative) for an event at ``at`` that turned ``old`` into ``new``.

    Apply every entry with atomic ADDs on the (unit, month) aggregate, in the same transaction as the event
    (or from the table's stream, keyed by the event id for idempotency). Months whose last instant is before
    ``at`` are frozen: the event happened after them, so their figures do not change.
    """
    return _delta(old, new, at, months_of, contribution, config)


FactsT = TypeVar("FactsT", DossierFacts, StandaloneFeedbackFacts)


def _delta(old: FactsT | None, new: FactsT | None, at: datetime, months: Callable[[FactsT | None], set[Month]],
           counters_of: Callable[..., dict[str, int]], config: IndexConfig | None) -> Delta:
    """``new``'s counters minus ``old``'s, per unit and month, for the months not yet ended at ``at``."""
    out: Delta = {}
    for month in sorted(months(old) | months(new)):
        if month.end < at:
            continue
        cfg = config if config is not None else config_for(month)
        acc: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for facts, sign in ((old, -1), (new, 1)):
            if facts is not None:
                for key, value in counters_of(facts, month, config=cfg).items():
                    for unit in facts.units:
                        acc[unit][key] += sign * value
        for unit, counters in acc.items():
            nonzero = {k: v for k, v in counters.items() if v}
            if nonzero:
                out[(unit, month)] = nonzero
    return out


def add_into(target: MutableMapping[str, dict[str, int]], unit_counters: Mapping[str, Mapping[str, int]]) -> None:
    """``target[unit][key] += value`` for every entry (what the atomic counters do in the table)."""
    for unit, counters in unit_counters.items():
        row = target.setdefault(unit, {})
        for key, value in counters.items():
            row[key] = row.get(key, 0) + value
            if row[key] == 0:
                del row[key]


def counters_for_month(facts: Iterable[DossierFacts], month: Month, *, config: IndexConfig | None = None,
                       feedback: Iterable[StandaloneFeedbackFacts] = ()) -> dict[str, dict[str, int]]:
    """Full recompute: the month's counters per unit from facts rebuilt as of ``month.end``: the dossiers'
    and the feedback not about a dossier (``feedback``, also as of ``month.end``)."""
    cfg = config if config is not None else config_for(month)
    out: dict[str, dict[str, int]] = {}
    for f in facts:
        c = contribution(f, month, config=cfg)
        if c:
            add_into(out, {unit: c for unit in f.units})
    for fb in feedback:
        c = standalone_contribution(fb, month, config=cfg)
        if c:
            add_into(out, {unit: c for unit in fb.units})
    return out


# --------------------------------------------------------------------------------------------------------
# Explaining a figure


class LateDossier(BaseModel):
    """A late dossier on the report: receipt code and reason, never personal data."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    receipt_code: str
    dossier_id: str
    agency_code: str
    procedure_code: str
    received_at: datetime
    deadline: datetime | None
    finished_at: datetime | None
    reason_code: Literal["second_supplement", "finished_late", "open_past_deadline"]
    reason_vi: str
    working_days_late: Decimal | None
    apology_reason: str | None = None
    # The internal-procedure step it was late at and that step's unit (docs/domain.md §11.4), as 2.1 counts it.
    late_step_unit: str | None = None
    late_step_code: str | None = None


_REASONS_VI = {
    "second_supplement": "Yêu cầu bổ sung hồ sơ lần thứ hai",
    "finished_late": "Giải quyết sau thời hạn",
    "open_past_deadline": "Chưa giải quyết, đã quá hạn",
}
_PERSONAL = re.compile(r"\d[\d .-]{6,}\d|[\w.+-]+@[\w-]+\.[\w.]+")


def scrub(text: str | None, limit: int = 200) -> str | None:
    """Free text made safe for open data: digit runs (phone, ID numbers) and e-mail addresses removed."""
    if text is None:
        return None
    cleaned = _PERSONAL.sub("…", text).strip()
    return cleaned[:limit] + ("…" if len(cleaned) > limit else "")


def late_dossiers(facts: Iterable[DossierFacts], month: Month, *, unit: str | None = None,
                  config: IndexConfig | None = None) -> list[LateDossier]:
    """The month's late dossiers (optionally of one unit), with their reason, sorted by receipt code."""
    cfg = config if config is not None else config_for(month)
    end = month.end
    out = []
    for f in facts:
        if not month.contains(f.received_at) or (unit is not None and unit not in f.units):
            continue
        if dossier_timeliness(f, end, cfg) is not Timeliness.LATE:
            continue
        deadline = f.deadline(cfg)
        finished = f.finished_at if f.finished_at is not None and f.finished_at <= end else None
        until = finished or end
        if deadline is not None and not clock.is_open_ended(deadline) and until > deadline:
            days: Decimal | None = clock.working_days_between(deadline, until, agency=f.agency_code)
            reason = "finished_late" if finished else "open_past_deadline"
        else:
            days = Decimal(0) if deadline is not None and not clock.is_open_ended(deadline) else None
            reason = "second_supplement"
        if late_by_second_supplement(f.supplement_request_count, cfg):
            reason = "second_supplement"
        assert f.received_at is not None
        out.append(LateDossier(
            receipt_code=f.receipt_code, dossier_id=f.dossier_id, agency_code=f.agency_code,
            procedure_code=f.procedure_code, received_at=f.received_at, deadline=deadline, finished_at=finished,
            reason_code=reason, reason_vi=_REASONS_VI[reason], working_days_late=days,  # type: ignore[arg-type]
            apology_reason=scrub(f.apology_reason), late_step_unit=f.late_step[0] if f.late_step else None,
            late_step_code=f.late_step[1] if f.late_step else None))
    return sorted(out, key=lambda x: x.receipt_code)


# The ONE definition of what is behind each dossier-based figure: the figure (``compute._measure``) tallies a
# unit's summed counters with it, the explain route one dossier's counters, so the two cannot disagree.
# indicator id -> (numerator counters, denominator counter). 5.4's numerator counts AGAINST satisfaction.
INDICATOR_COUNTERS: dict[str, tuple[tuple[str, ...], str]] = {
    "1.4": ((SYNCED_NATIONAL,), SYNC_RECORDED),
    "2.1": ((EARLY, ON_TIME), RECEIVED),
    "2.2": ((FINISHED,), FINISHED),
    "3.3": ((ONLINE_CAPABLE_ONLINE,), ONLINE_CAPABLE),
    "3b.3": ((PAID_ONLINE,), PAID),
    "4.1": ((RESULT_ELECTRONIC,), DECIDED),
    "4.2a": ((DIGITISED,), RECEIVED),
    "4.3": ((REUSED,), RECEIVED),
    "4.4": ((RESULT_SYNCED_CITIZEN,), RESULT_ELECTRONIC),
    "4.5a": ((POPULATION_DB,), RECEIVED),
    "5.1": ((FEEDBACK_CLASSIFIED,), FEEDBACK_RECEIVED),
    "5.2": ((FEEDBACK_ON_TIME,), FEEDBACK_RECEIVED),
    "5.3": ((FEEDBACK_SATISFIED,), FEEDBACK_RATED),
    "5.4": ((LATE, COMPLAINT_OR_DISLIKE), RECEIVED),
    "S.1": ((EVALUATION_VERY_SATISFIED, EVALUATION_SATISFIED), EVALUATIONS),
}
# Per-procedure indicators: the numerator counts distinct procedures (counter prefix), among the unit's
# catalogue list where there is one (3.2: its online procedures; 3b.2: its procedures on the payment list).
PROCEDURE_COUNTERS: dict[str, str] = {"3.2": PROC_ONLINE, "3b.2": PROC_PAID_ONLINE, "4.5b": PROC_POPULATION_DB}


def _among(indicator_id: str, catalogue: CatalogueCounters | None) -> frozenset[str] | None:
    if catalogue is None:
        return None
    if indicator_id == "3.2":
        return catalogue.online_codes
    if indicator_id == "3b.2":
        return catalogue.online_payment_codes
    return None


def tally(counters: Mapping[str, int], indicator_id: str, catalogue: CatalogueCounters | None = None
          ) -> tuple[int, int]:
    """(numerator, denominator) of a dossier-based indicator from counters: one dossier's (what the explain
    route lists) or a unit's month sums (the figure; sums of the dossiers' tallies). A per-procedure
    indicator's numerator is its distinct procedures (on the catalogue's list) and its denominator comes
    from the catalogue (0 here)."""
    prefix = PROCEDURE_COUNTERS.get(indicator_id)
    if prefix is not None:
        among = _among(indicator_id, catalogue)
        return sum(1 for key, v in counters.items() if v > 0 and key.startswith(prefix)
                   and (among is None or key[len(prefix):] in among)), 0
    numerators, denominator = INDICATOR_COUNTERS[indicator_id]
    return sum(counters.get(key, 0) for key in numerators), counters.get(denominator, 0)


def role_in(facts: DossierFacts, month: Month, indicator_id: str, *, config: IndexConfig | None = None,
            catalogue: CatalogueCounters | None = None) -> Literal["numerator", "denominator"] | None:
    """Whether this dossier is in an indicator's numerator (which implies its denominator), only in its
    denominator, or not behind the figure at all (``GET /indexes/{month}/{unit}/{indicator}/dossiers``).
    Catalogue indicators (1.1-1.3, 3.1, 3b.1) have no dossiers; for 3.2, 3b.2, 4.5b a dossier is in the
    numerator when it made its procedure count (``catalogue``: the unit's, whose lists 3.2 and 3b.2 use)."""
    return role_of(contribution(facts, month, config=config), indicator_id, catalogue)


def role_of(counters: Mapping[str, int], indicator_id: str, catalogue: CatalogueCounters | None = None
            ) -> Literal["numerator", "denominator"] | None:
    """:func:`role_in` from a dossier's counters for the month (``contribution(facts, month)``, as the
    wiring stores them per dossier and month), without the facts: its :func:`tally`."""
    if indicator_id not in INDICATOR_COUNTERS and indicator_id not in PROCEDURE_COUNTERS:
        return None
    numerator, denominator = tally(counters, indicator_id, catalogue)
    if numerator:
        return "numerator"
    return "denominator" if denominator else None
