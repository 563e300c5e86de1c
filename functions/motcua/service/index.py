"""The monthly index, wired (docs/index.md §9): what each dossier change writes, the monthly job, the full recompute,
the API's reads and the demo province's loading. The formulas are the pure package's
(``motcua.domain.index``); storage is ``motcua.data.index_store`` and ``motcua.data.reports``.

Per change (``DossierService.submit`` / ``act``, the evaluation): the stored facts are folded with the new
events (``apply_event``), the counter deltas (``contribution_delta``) of the dossier's own agency go to the
unit-month items as atomic ADDs, and the dossier's row for each month still open is rewritten, all in the
transaction that writes the events. Ancestors (the province) are summed when a month is scored.

Feedback about a procedure or an agency has no dossier to carry it: each of its steps (filing, refusal,
request for information, answer, publication, rating) ADDs ``standalone_delta`` to its responsible agency's
unit-month item and rewrites its ``F#`` row, in the transaction that writes the feedback
(``plan_feedback_change``, called by ``FeedbackService``); the recompute reads those records too.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from motcua.data.feedback import FeedbackAlreadyExists, FeedbackRepository
from motcua.data.index_store import (
    FEEDBACK_ROW_PREFIX,
    CounterDelta,
    FeedbackIndexWrite,
    FeedbackRowWrite,
    IndexRepository,
    IndexWrite,
    RowWrite,
    StoredFacts,
)
from motcua.data.reports import CSV, HTML, JSON, ReportStore, month_prefix
from motcua.data.repositories import DossierRepository
from motcua.domain.access import AccessDenied
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.errors import InvalidInput, NotFound
from motcua.domain.feedback import Feedback, index_facts
from motcua.domain.index import (
    CatalogueCounters,
    DossierFacts,
    FactsContext,
    LateDossier,
    Month,
    RankedUnit,
    Unit,
    UnitIndex,
    UnitTree,
    add_into,
    apply_event,
    catalogue_counters,
    compute_index,
    config_for,
    contribution,
    contribution_delta,
    default_context,
    facts_from_history,
    late_dossiers,
    load_default_procedures,
    load_default_tree,
    months_of,
    rank,
    role_of,
    standalone_contribution,
    standalone_delta,
    standalone_months,
)
from motcua.domain.index.contribution import LATE
from motcua.domain.index.fast import MonthFolder
from motcua.domain.report import render_report
from schemas.catalogue import Procedure
from schemas.index import IndexDossier, IndexDossiers, IndexFeedback, IndexMonth, ReportLinks, UnitIndexView

if TYPE_CHECKING:
    from motcua.domain.demo_data import FeedbackHistory

LEVELS: tuple[Literal["province", "agency", "commune"], ...] = ("province", "agency", "commune")
ONLINE_PAYMENT_SETTING = "ONLINE_PAYMENT"
TREND_MONTHS = 12


def now_vn() -> datetime:
    return datetime.now(VN_TZ)


# --------------------------------------------------------------------------------------------------------
# Per change


class RowDoc(BaseModel):
    """What a dossier contributes to one month, stored per dossier and month (for "which dossiers")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dossier_id: str
    receipt_code: str
    agency_code: str
    procedure_code: str
    counters: dict[str, int]
    late: LateDossier | None = None


def plan_change(old: DossierFacts | None, dossier: Dossier, events: Sequence[HistoryEvent], *,
                expected_version: int | None, dossier_version: int,
                context: FactsContext | None = None) -> tuple[DossierFacts, IndexWrite]:
    """The index's writes for ``events`` applied, in order, to the stored facts ``old``.

    Counter deltas: ``contribution_delta`` of each event at its own instant (months ended before it are
    frozen), for the dossier's own agency. Rows: for every month an event could still change, the dossier's
    contribution as of that month's end (the facts after the last event inside it), under its late or
    not-late key; the previous key is deleted when the verdict changed.
    """
    if not events:
        raise ValueError("a change without events writes nothing for the index")
    facts = old
    deltas: dict[tuple[str, Month], dict[str, int]] = {}
    row_state: dict[Month, DossierFacts] = {}
    for event in events:
        new = apply_event(facts, dossier, event, context=context)
        own = new.units[0]
        for (unit, month), delta in contribution_delta(facts, new, at=event.occurred_at).items():
            if unit == own:  # every unit of a dossier gets the same delta: ancestors are summed at job time
                _add(deltas.setdefault((own, month), {}), delta)
        for month in months_of(facts) | months_of(new):
            if month.end >= event.occurred_at:
                row_state[month] = new
        facts = new
    assert facts is not None
    own = facts.units[0]
    rows: list[RowWrite] = []
    for month, state in sorted(row_state.items()):
        now = contribution(state, month)
        late = now.get(LATE, 0) > 0
        before = contribution(old, month) if old is not None and month in months_of(old) else {}
        was_late = before.get(LATE, 0) > 0
        if before and (not now or was_late != late):
            rows.append(RowWrite(str(month), own, facts.dossier_id, was_late, None))
        if now:
            entry = late_dossiers([state], month)[0] if late else None
            doc = RowDoc(dossier_id=state.dossier_id, receipt_code=state.receipt_code, agency_code=state.agency_code,
                         procedure_code=state.procedure_code, counters=now, late=entry)
            rows.append(RowWrite(str(month), own, facts.dossier_id, late, doc.model_dump_json()))
    write = IndexWrite(
        dossier_id=facts.dossier_id, facts_json=facts.model_dump_json(), dossier_version=dossier_version,
        last_event_id=events[-1].event_id, expected_version=expected_version,
        deltas=tuple(CounterDelta(str(m), unit, c) for (unit, m), c in sorted(deltas.items(),
                                                                                key=lambda kv: (kv[0][1], kv[0][0]))
                     if any(c.values())),
        rows=tuple(rows))
    return facts, write


class FeedbackRowDoc(BaseModel):
    """What feedback about a procedure or an agency contributes to its month (``F#<id>`` rows): ids and
    counters only, no text, no person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    feedback_id: str
    about: Literal["procedure", "agency"]
    agency_code: str
    procedure_code: str | None = None
    counters: dict[str, int]


def plan_feedback_change(before: Feedback | None, after: Feedback, at: datetime, *,
                         context: FactsContext | None = None) -> FeedbackIndexWrite | None:
    """The index's writes for one step on feedback about a procedure or an agency (``before``: the record as
    read, None when filing; ``after``: as it will be written; ``at``: the step's instant). None when there is
    nothing to write (feedback about a dossier: its trail carries it; a step the index does not read).

    Counter deltas for the responsible agency only (ancestors are summed when the month is scored); the row of
    each month the step can still change, as of that month's end."""
    tree = (context or default_context()).tree
    old = index_facts(before, tree=tree) if before is not None else None
    new = index_facts(after, tree=tree)
    if old is None and new is None:
        return None
    current = new if new is not None else old
    assert current is not None
    own = current.units[0]
    deltas = [CounterDelta(str(month), unit, c) for (unit, month), c in
              sorted(standalone_delta(old, new, at=at).items(), key=lambda kv: (kv[0][1], kv[0][0])) if unit == own]
    rows: list[FeedbackRowWrite] = []
    for month in sorted(standalone_months(old) | standalone_months(new)):
        if month.end < at:  # frozen: the row already holds the month's final contribution
            continue
        now = standalone_contribution(new, month) if new is not None else {}
        if now == (standalone_contribution(old, month) if old is not None else {}):
            continue
        doc = FeedbackRowDoc(feedback_id=current.feedback_id, about=current.about, agency_code=current.agency_code,
                             procedure_code=current.procedure_code, counters=now).model_dump_json() if now else None
        rows.append(FeedbackRowWrite(str(month), own, current.feedback_id, doc))
    if not deltas and not rows:
        return None
    return FeedbackIndexWrite(feedback_id=current.feedback_id, deltas=tuple(deltas), rows=tuple(rows))


def _add(target: dict[str, int], delta: Mapping[str, int]) -> None:
    for key, value in delta.items():
        target[key] = target.get(key, 0) + value
        if target[key] == 0:
            del target[key]


def _facts(stored: StoredFacts) -> DossierFacts:
    return DossierFacts.model_validate_json(stored.facts_json)


@dataclass
class IndexTracker:
    """Computes the index's writes for a dossier change (the repository puts them in its transaction)."""

    store: IndexRepository = field(default_factory=IndexRepository)
    dossiers: DossierRepository = field(default_factory=DossierRepository)
    context: FactsContext | None = None

    def for_new(self, dossier: Dossier, event: HistoryEvent) -> IndexWrite:
        return plan_change(None, dossier, [event], expected_version=None, dossier_version=dossier.version,
                           context=self.context)[1]

    def for_change(self, before: Dossier, after: Dossier, events: Sequence[HistoryEvent],
                   history: Sequence[HistoryEvent] | None = None) -> IndexWrite:
        """``before``: the dossier as read (its version guards the write); ``after``: as it will be written.

        The stored facts normally reflect ``before``. When they lag (a writer that does not track the index
        changed the dossier) or are missing (a dossier older than the index), the events they miss are read
        from the history and folded first, each with its own instant: the counters end up exactly where the
        events would have put them."""
        stored = self.store.facts(before.id)
        old = _facts(stored) if stored is not None else None
        missed: list[HistoryEvent] = []
        if stored is None or stored.dossier_version != before.version:
            past = list(history) if history is not None else self.dossiers.history(before.id)
            if stored is None:
                missed = past
            else:
                ids = [e.event_id for e in past]
                missed = past[ids.index(stored.last_event_id) + 1:] if stored.last_event_id in ids else []
            new_ids = {e.event_id for e in events}
            missed = [e for e in missed if e.event_id not in new_ids]
        _, write = plan_change(old, before, [*missed, *events],
                               expected_version=stored.dossier_version if stored is not None else None,
                               dossier_version=after.version, context=self.context)
        return write


# --------------------------------------------------------------------------------------------------------
# The month


def month_catalogue(store: IndexRepository, procedures: Sequence[Procedure], units: Sequence[Unit], month: Month
                    ) -> dict[str, CatalogueCounters]:
    """The units' catalogue figures for ``month``, with the payment platform's list of integrated procedures
    if anyone stored it (else 3b.1/3b.2 say "no data"): what the figures and the explain route both read."""
    raw = store.setting(ONLINE_PAYMENT_SETTING)
    return catalogue_counters(procedures, units, month,
                              online_payment_codes=None if raw is None else frozenset(json.loads(raw)))


def rollup(own: Mapping[str, Mapping[str, int]], tree: UnitTree) -> dict[str, dict[str, int]]:
    """Counters per unit from the counters per own agency: each agency's counters added to it and to every
    ancestor up to the province (what a dossier's ``units`` are)."""
    out: dict[str, dict[str, int]] = {}
    for code, values in own.items():
        add_into(out, {unit: dict(values) for unit in tree.ancestry(code)})
    return out


class StoredUnit(BaseModel):
    """One unit's stored result (``INDEX#<month>`` / ``UNIT#<code>``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rank: int | None
    ranked_units: int
    computed_at: datetime
    source: Literal["incremental", "recompute"]
    result: UnitIndex


class StoredSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    month: str
    computed_at: datetime
    source: Literal["incremental", "recompute"]
    provisional: bool
    config_version: str
    rankings: dict[str, list[RankedUnit]]
    late_dossiers: int
    dossiers_received: int
    reports: dict[str, str] | None = None


@dataclass
class Computation:
    month: Month
    counters: dict[str, dict[str, int]]  # per unit (ancestors included)
    results: list[UnitIndex]
    rankings: dict[str, list[RankedUnit]]
    late: list[LateDossier]
    source: Literal["incremental", "recompute"]
    computed_at: datetime
    dossiers: int | None = None  # recompute: dossiers touching the month
    feedback: int | None = None  # recompute: feedback about a procedure or an agency received in the month


@dataclass
class JobReport:
    month: str
    source: str
    units: int
    dossiers_received: int
    late_dossiers: int
    aggregate_items_read: int
    late_rows_read: int
    items_read_per_unit: float
    reports: dict[str, str]
    provisional: bool
    matches_incremental: bool | None = None
    differences: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class IndexJob:
    store: IndexRepository = field(default_factory=IndexRepository)
    feedback: FeedbackRepository = field(default_factory=FeedbackRepository)
    reports: ReportStore | None = None
    clock: Callable[[], datetime] = now_vn
    tree: UnitTree = field(default_factory=load_default_tree)
    procedures: Sequence[Procedure] = field(default_factory=load_default_procedures)
    context: FactsContext | None = None

    # -- computing --------------------------------------------------------------------------------------
    def score(self, month: Month, unit_counters: Mapping[str, Mapping[str, int]], late: list[LateDossier],
              source: Literal["incremental", "recompute"], dossiers: int | None = None,
              feedback: int | None = None) -> Computation:
        units = self.tree.units_for(month)
        catalogue = month_catalogue(self.store, self.procedures, units, month)
        results = compute_index(unit_counters, units, catalogue, config_for(month), month=month)
        rankings: dict[str, list[RankedUnit]] = {level: rank(results, level) for level in LEVELS}
        return Computation(month, {k: dict(v) for k, v in unit_counters.items()}, results, rankings, late, source,
                           self.clock(), dossiers, feedback)

    def from_aggregates(self, month: Month) -> Computation:
        """The incremental path: O(units) counter items, plus the late rows for the report's list."""
        own = self.store.aggregates(str(month))
        late: list[LateDossier] = []
        for code, values in sorted(own.items()):
            if values.get(LATE, 0) > 0:
                late += [RowDoc.model_validate_json(doc).late  # type: ignore[misc]
                         for doc in self.store.rows(str(month), code, late_only=True)]
        late = sorted((entry for entry in late if entry is not None), key=lambda x: x.receipt_code)
        return self.score(month, rollup(own, self.tree), late, "incremental")

    def recompute(self, month: Month, *, workers: int = 8) -> Computation:
        """From every dossier and its history (a scan: for the operator's command, not the schedule). The
        counters come from the lighter fold (``MonthFolder``, equal to ``facts_from_history`` +
        ``contribution``); the late list from the reference facts of the late dossiers. Then the feedback
        about a procedure or an agency (a scan of the feedback records: few, folded apart so the per-dossier
        fold stays as it is), each as of the month's end."""
        context = self.context or default_context()
        folder = MonthFolder(month, context=context)

        def fold(dossier: Dossier) -> tuple[tuple[str, ...], dict[str, int], list[LateDossier]] | None:
            if dossier.submitted_at > month.end:
                return None
            history = self.store.history(dossier.id)
            found = folder.contribution(dossier, history)
            if found is None or not found[1]:
                return None
            units, values = found
            late: list[LateDossier] = []
            if values.get(LATE):
                facts = facts_from_history(dossier, history, month.end, context=context)
                late = late_dossiers([facts], month) if facts is not None else []
            return units, values, late

        unit_counters: dict[str, dict[str, int]] = {}
        late: list[LateDossier] = []
        touching = 0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for found in pool.map(fold, self.store.scan_dossiers()):
                if found is None:
                    continue
                units, values, late_entries = found
                touching += 1
                add_into(unit_counters, {unit: values for unit in units})
                late += late_entries
        feedback = 0
        for record in self.feedback.scan():
            facts = index_facts(record, as_of=month.end, tree=context.tree)
            values = standalone_contribution(facts, month) if facts is not None else {}
            if values:
                assert facts is not None
                feedback += 1
                add_into(unit_counters, {unit: values for unit in facts.units})
        return self.score(month, unit_counters, sorted(late, key=lambda x: x.receipt_code), "recompute", touching,
                          feedback)

    # -- publishing -------------------------------------------------------------------------------------
    def publish(self, c: Computation) -> dict[str, str]:
        """Store every unit's result and the summary, write the open data and the report (a re-run
        overwrites the same items and keys: idempotent)."""
        month = str(c.month)
        ranks = {r.unit_code: r for level in c.rankings.values() for r in level}
        ranked = {level: sum(1 for r in rows if r.rank is not None) for level, rows in c.rankings.items()}
        stored = {r.unit_code: StoredUnit(rank=ranks[r.unit_code].rank, ranked_units=ranked[r.level],
                                          computed_at=c.computed_at, source=c.source, result=r)
                  for r in c.results}
        keys: dict[str, str] = {}
        if self.reports is not None:
            prefix = month_prefix(month)
            history = {m: rs for m in (c.month.back(n) for n in range(1, TREND_MONTHS))
                       if (rs := self.stored_results(m))}
            html = render_report(c.month, c.results, history=history, late=c.late, generated_at=c.computed_at)
            keys = {"html": self.reports.put(prefix + "report.html", html, HTML),
                    "json": self.reports.put(prefix + "index.json", open_data_json(c, stored), JSON),
                    "csv": self.reports.put(prefix + "indicators.csv", open_data_csv(c, stored), CSV)}
        province = next((r for r in c.results if r.level == "province"), None)
        summary = StoredSummary(month=month, computed_at=c.computed_at, source=c.source,
                                provisional=c.computed_at <= c.month.end, config_version=config_for(c.month).version,
                                rankings=c.rankings, late_dossiers=len(c.late),
                                dossiers_received=province.dossiers_received if province else 0, reports=keys or None)
        self.store.put_results(month, {code: s.model_dump_json() for code, s in stored.items()},
                               summary.model_dump_json())
        return keys

    def stored_results(self, month: Month) -> list[UnitIndex]:
        return [StoredUnit.model_validate_json(doc).result for doc in self.store.results(str(month)).values()]

    def run(self, month: Month, *, recompute: bool = False, repair: bool = False) -> JobReport:
        """Compute ``month`` (incrementally, or from the histories), store and publish it. With ``recompute``
        the incremental counters are compared with the rebuilt ones (``repair`` overwrites them when they
        differ, for an ended month only: no event can change it any more)."""
        before = (self.store.reads.aggregate_items, self.store.reads.late_rows)
        if recompute:
            c = self.recompute(month)
            incremental = rollup(self.store.aggregates(str(month)), self.tree)
            differences = counter_differences(incremental, c.counters)
            if differences and repair and self.clock() > month.end:
                own = {code: v for code, v in c.counters.items()}
                self.store.replace_aggregates(str(month), own_counters(own, self.tree))
        else:
            c = self.from_aggregates(month)
            differences = []
        keys = self.publish(c)
        province = next((r for r in c.results if r.level == "province"), None)
        agg_read = self.store.reads.aggregate_items - before[0]
        return JobReport(month=str(month), source=c.source, units=len(c.results),
                         dossiers_received=province.dossiers_received if province else 0,
                         late_dossiers=len(c.late), aggregate_items_read=agg_read,
                         late_rows_read=self.store.reads.late_rows - before[1],
                         items_read_per_unit=round(agg_read / max(len(c.results), 1), 3), reports=keys,
                         provisional=c.computed_at <= month.end,
                         matches_incremental=(not differences) if recompute else None, differences=differences[:50])


def own_counters(by_unit: Mapping[str, Mapping[str, int]], tree: UnitTree) -> dict[str, dict[str, int]]:
    """Back from counters per unit (ancestors included) to counters per own agency: a unit's own part is its
    counters minus its children's (what ``--repair`` writes)."""
    children: dict[str, list[str]] = {}
    for code in by_unit:
        chain = tree.ancestry(code)
        if len(chain) > 1:
            children.setdefault(chain[1], []).append(code)
    out: dict[str, dict[str, int]] = {}
    for code, values in by_unit.items():
        own = dict(values)
        for child in children.get(code, ()):
            _add(own, {k: -v for k, v in by_unit[child].items()})
        if own:
            out[code] = own
    return out


def counter_differences(a: Mapping[str, Mapping[str, int]], b: Mapping[str, Mapping[str, int]]) -> list[str]:
    out = []
    for unit in sorted(set(a) | set(b)):
        x, y = a.get(unit, {}), b.get(unit, {})
        for key in sorted(set(x) | set(y)):
            if x.get(key, 0) != y.get(key, 0):
                out.append(f"{unit} {key}: incremental {x.get(key, 0)} != recompute {y.get(key, 0)}")
    return out


def open_data_json(c: Computation, stored: Mapping[str, StoredUnit]) -> str:
    """Every unit's figures (aggregates only: no dossier, no person)."""
    return json.dumps({
        "month": str(c.month), "computed_at": c.computed_at.isoformat(), "source": c.source,
        "config_version": config_for(c.month).version,
        "units": [{"rank": stored[r.unit_code].rank, **r.model_dump(mode="json")} for r in c.results],
    }, ensure_ascii=False, indent=1)


CSV_COLUMNS = ("month", "unit_code", "unit_name_vi", "level", "rank", "total", "band", "indicator_id",
               "indicator_name_vi", "numerator", "denominator", "ratio", "value", "points", "max_points", "status",
               "full_marks_reason")


def open_data_csv(c: Computation, stored: Mapping[str, StoredUnit]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in c.results:
        for i in r.indicators:
            writer.writerow([str(c.month), r.unit_code, r.unit_name_vi, r.level, stored[r.unit_code].rank, r.total,
                             r.band_label_vi or "", i.id, i.name_vi, _text(i.numerator), _text(i.denominator),
                             _text(i.ratio), _text(i.value), i.points, i.max_points, i.status,
                             i.full_marks_reason or ""])
    return out.getvalue()


def _text(value: object) -> str:
    return "" if value is None else str(value)


# --------------------------------------------------------------------------------------------------------
# Reads for the API


class IndexNotComputed(NotFound):
    code = "INDEX_NOT_COMPUTED"
    message_vi = "Chưa có chỉ số của tháng này."
    message_en = "The index of this month has not been computed."


class IndexUnitNotFound(NotFound):
    code = "INDEX_UNIT_NOT_FOUND"
    message_vi = "Không có đơn vị này trong chỉ số của tháng."
    message_en = "No such unit in this month's index."


class IndexIndicatorNotFound(NotFound):
    code = "INDEX_INDICATOR_NOT_FOUND"
    message_vi = "Không có chỉ tiêu này."
    message_en = "No such indicator."


class IndexDossiersDenied(AccessDenied):
    code = "INDEX_DOSSIERS_ACCESS_DENIED"
    message_vi = "Chỉ lãnh đạo đơn vị (hoặc cấp trên) và thanh tra xem được danh sách hồ sơ."
    message_en = "Only the unit's leaders (or its parent's) and inspectors may list its dossiers."


class IndexTokenInvalid(InvalidInput):
    code = "INDEX_NEXT_TOKEN_INVALID"
    message_vi = "Mã trang tiếp theo không hợp lệ."
    message_en = "Invalid next_token: pass the one the previous page returned."


_CATALOGUE_INDICATORS = frozenset({"1.3", "3.1", "3b.1"})


def _encode_token(agency: str, sk: str) -> str:
    """Where the next page starts (agency, row key), URL-safe."""
    return base64.urlsafe_b64encode(f"{agency}|{sk}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> tuple[str, str]:
    try:
        agency, sk = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split("|", 1)
    except (ValueError, UnicodeDecodeError):
        raise IndexTokenInvalid({"next_token": token[:40]}) from None
    return agency, sk


@dataclass
class IndexQueries:
    store: IndexRepository = field(default_factory=IndexRepository)
    tree: UnitTree = field(default_factory=load_default_tree)
    procedures: Sequence[Procedure] = field(default_factory=load_default_procedures)

    def month(self, month: Month) -> IndexMonth:
        raw = self.store.summary(str(month))
        if raw is None:
            raise IndexNotComputed({"month": str(month)})
        summary = StoredSummary.model_validate_json(raw)
        province_raw = self.store.unit_result(str(month), self.tree.root)
        return IndexMonth(
            month=summary.month, computed_at=summary.computed_at, source=summary.source,
            provisional=summary.provisional, config_version=summary.config_version, rankings=summary.rankings,  # type: ignore[arg-type]
            province=StoredUnit.model_validate_json(province_raw).result if province_raw else None,
            late_dossiers=summary.late_dossiers,
            reports=ReportLinks(**summary.reports) if summary.reports else None)

    def unit(self, month: Month, unit: str) -> UnitIndexView:
        raw = self.store.unit_result(str(month), unit)
        if raw is None:
            if self.store.summary(str(month)) is None:
                raise IndexNotComputed({"month": str(month)})
            raise IndexUnitNotFound({"month": str(month), "unit_code": unit})
        s = StoredUnit.model_validate_json(raw)
        return UnitIndexView(month=str(month), rank=s.rank, ranked_units=s.ranked_units, computed_at=s.computed_at,
                             source=s.source, result=s.result)

    def may_list(self, actor: Actor, unit: str) -> None:
        if actor.role in (Role.INSPECTOR, Role.SYSTEM):
            return
        if actor.role is Role.AGENCY_LEADER and actor.agency_code in self.tree.ancestry(unit):
            return
        raise IndexDossiersDenied({"role": actor.role.value, "unit_code": unit})

    def dossiers(self, month: Month, unit: str, indicator: str, actor: Actor, *,
                 role: Literal["numerator", "denominator"] | None = None, limit: int = 100,
                 next_token: str | None = None) -> IndexDossiers:
        self.may_list(actor, unit)
        view = self.unit(month, unit)
        try:
            figure = view.result.indicator(indicator)
        except KeyError:
            raise IndexIndicatorNotFound({"indicator_id": indicator}) from None
        base = {"month": str(month), "unit_code": unit, "indicator_id": indicator,
                "numerator": _text(figure.numerator) or None, "denominator": _text(figure.denominator) or None}
        if figure.status == "no_data" or indicator in _CATALOGUE_INDICATORS:
            return IndexDossiers(**base, basis="no_data" if figure.status == "no_data" else "catalogue", items=[])
        items: list[IndexDossier] = []
        feedback: list[IndexFeedback] = []  # 5.1-5.3: feedback about a procedure or an agency, by id
        token = None
        # The unit's catalogue: 3.2 and 3b.2 count only the procedures on its lists, as the figure does.
        units = [u for u in self.tree.units_for(month) if u.code == unit]
        catalogue = month_catalogue(self.store, self.procedures, units, month).get(unit)
        for agency, sk, doc in self._rows(month, unit, next_token):
            if sk.startswith(FEEDBACK_ROW_PREFIX):
                fb_row = FeedbackRowDoc.model_validate_json(doc)
                found = role_of(fb_row.counters, indicator, catalogue)
            else:
                row = RowDoc.model_validate_json(doc)
                found = role_of(row.counters, indicator, catalogue)
            if found is None or (role is not None and found != role):
                continue
            if len(items) + len(feedback) == limit:  # one page holds ``limit`` entries of both kinds
                token = _encode_token(agency, sk)
                break
            if sk.startswith(FEEDBACK_ROW_PREFIX):
                feedback.append(IndexFeedback(feedback_id=fb_row.feedback_id, about=fb_row.about,
                                              agency_code=fb_row.agency_code, procedure_code=fb_row.procedure_code,
                                              role=found))
            else:
                items.append(IndexDossier(receipt_code=row.receipt_code, agency_code=row.agency_code,
                                          procedure_code=row.procedure_code, role=found))
        return IndexDossiers(**base, basis="dossiers", items=items, feedback=feedback, next_token=token)

    def _rows(self, month: Month, unit: str, next_token: str | None) -> Iterator[tuple[str, str, str]]:
        """(agency, sort key, row) for every agency whose dossiers count for ``unit``, in a stable order
        (``next_token`` = the first row not yet returned)."""
        agencies = sorted({code for code in (*self.tree.agencies, *self.store.aggregates(str(month)))
                           if unit in self.tree.ancestry(code)})
        start_agency, start_sk = _decode_token(next_token) if next_token else ("", "")
        for agency in agencies:
            if agency < start_agency:
                continue
            for sk, doc in self.store.row_items(str(month), agency):
                if agency == start_agency and sk < start_sk:
                    continue
                yield agency, sk, doc


# --------------------------------------------------------------------------------------------------------
# Loading histories (demo data, tests)


def load_histories(histories: Iterable[tuple[Dossier, Sequence[HistoryEvent]]], *, bulk: bool = True,
                   store: IndexRepository | None = None, dossiers: DossierRepository | None = None,
                   context: FactsContext | None = None) -> int:
    """Write dossiers whose history is already known. ``bulk``: batch writes, the counters summed from the
    same per-event deltas as the live path and ADDed once per unit-month. Otherwise through the live
    path itself: ``DossierRepository.create`` then one ``save_change`` per instant (an action's events share
    one), each with the tracker's writes in its transaction. Returns the number of dossiers."""
    from motcua.data.index_store import BulkLoader

    store = store or IndexRepository()
    dossiers = dossiers or DossierRepository()
    tracker = IndexTracker(store=store, dossiers=dossiers, context=context)
    count = 0
    if bulk:
        with BulkLoader() as loader:
            for dossier, events in histories:
                _, write = plan_change(None, dossier, events, expected_version=None,
                                       dossier_version=dossier.version, context=context)
                loader.put(dossier, events, write)
                count += 1
        return count
    for final, events in histories:
        groups = [list(g) for _, g in groupby(events, key=lambda e: e.occurred_at)]
        first, rest = groups[0][0], [*([groups[0][1:]] if len(groups[0]) > 1 else []), *groups[1:]]
        state = final.model_copy(update={"version": 1, "status": first.to_status, "updated_at": first.occurred_at})
        dossiers.create(state.agency_code, first.occurred_at, _prebuilt(state, first), index=tracker.for_new)
        for group in rest:
            last = group[-1]
            changed = (final if group is rest[-1] else state).model_copy(update={
                "version": state.version + 1, "status": last.to_status, "updated_at": last.occurred_at})
            dossiers.save_change(changed, group, index=tracker.for_change(state, changed, group))
            state = changed
        count += 1
    return count


def load_feedback_histories(histories: Iterable[FeedbackHistory], *, context: FactsContext | None = None) -> int:
    """Write generated feedback about procedures and agencies step by step, as the feedback service writes it:
    the record (version-guarded) with the index's counter ADDs and row in one transaction. Past data: no
    envelopes (nobody is notified) and no SLA timers. A record already stored is skipped whole, so a re-run
    loads nothing twice. Returns the number of records written."""
    repository = FeedbackRepository()
    count = 0
    for history in histories:
        before: Feedback | None = None
        for record, event in history.steps:
            try:
                repository.save(record, [event], [], index=plan_feedback_change(before, record, event.occurred_at,
                                                                                context=context), timers=False)
            except FeedbackAlreadyExists:
                break
            before = record
        else:
            count += 1
    return count


def _prebuilt(dossier: Dossier, event: HistoryEvent) -> Callable[[int], tuple[Dossier, HistoryEvent]]:
    """``create``'s builder for a dossier whose receipt code is already known (the sequence is not used)."""

    def build(_sequence: int) -> tuple[Dossier, HistoryEvent]:
        return dossier, event

    return build
