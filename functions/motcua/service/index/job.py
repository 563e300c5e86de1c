"""The monthly job: the month's figures from the counters (incremental) or from every history (recompute),
scored, ranked, stored and published (the report and the open data)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, Literal

from motcua.data.feedback import FeedbackRepository
from motcua.data.index_store import IndexRepository
from motcua.data.reports import CSV, HTML, JSON, ReportStore, month_prefix
from motcua.domain.calendar import VN_TZ
from motcua.domain.catalogue import Procedure
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.feedback.steps import index_facts
from motcua.domain.index import (
    FactsContext,
    LateDossier,
    Month,
    RankedUnit,
    UnitIndex,
    UnitTree,
    add_into,
    compute_index,
    config_for,
    default_context,
    facts_from_history,
    late_dossiers,
    load_default_procedures,
    load_default_tree,
    rank,
    standalone_contribution,
)
from motcua.domain.index.columns import export_month, fold_columns
from motcua.domain.index.contribution import LATE
from motcua.domain.index.fast import MonthFolder
from motcua.domain.report import render_report
from motcua.service.index.month import Computation, StoredSummary, StoredUnit, month_catalogue
from motcua.service.index.open_data import open_data_csv, open_data_json
from motcua.service.index.tracking import RowDoc, add_counts

LEVELS: tuple[Literal["province", "agency", "commune"], ...] = ("province", "agency", "commune")
TREND_MONTHS = 12
RECOMPUTE_CHUNK = 100_000  # dossiers exported and folded at once by the recompute (bounds its memory)
PARALLEL_FROM = 20_000  # a chunk this large is worth forking for (a fork costs tens of milliseconds)


def now_vn() -> datetime:
    return datetime.now(VN_TZ)


def rollup(own: Mapping[str, Mapping[str, int]], tree: UnitTree) -> dict[str, dict[str, int]]:
    """Counters per unit from the counters per own agency: each agency's counters added to it and to every
    ancestor up to the province (what a dossier's ``units`` are)."""
    out: dict[str, dict[str, int]] = {}
    for code, values in own.items():
        add_into(out, {unit: dict(values) for unit in tree.ancestry(code)})
    return out


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

    def recompute(self, month: Month, *, workers: int = 8, processes: int | None = None) -> Computation:
        """From every dossier and its history (a scan: for the operator's command, not the schedule). The
        histories (read by ``workers`` threads) are exported into the month's columns and folded by the
        lighter fold (``MonthColumns`` / ``fold_columns``, equal to ``facts_from_history`` + ``contribution``)
        in ``processes`` forked processes (default: one per CPU this process may use, for a large chunk);
        the late list from the reference facts of the late dossiers (their histories read again: O(late)).
        Then the feedback about a procedure or an agency (a scan of the feedback records: few, folded apart
        so the per-dossier fold stays as it is), each as of the month's end."""
        context = self.context or default_context()
        folder = MonthFolder(month, context=context)

        def read(dossier: Dossier) -> tuple[Dossier, list[HistoryEvent]] | None:
            return None if dossier.submitted_at > month.end else (dossier, self.store.history(dossier.id))

        unit_counters: dict[str, dict[str, int]] = {}
        late: list[LateDossier] = []
        touching = 0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pairs = (pair for pair in pool.map(read, self.store.scan_dossiers()) if pair is not None)
            if folder.covers:
                # The columns in chunks: the fold holds a chunk, not the month (Executor.map still reads ahead).
                while len(columns := export_month(folder, islice(pairs, RECOMPUTE_CHUNK))):
                    n = processes or (len(os.sched_getaffinity(0)) if len(columns) >= PARALLEL_FROM else 1)
                    folded = fold_columns(folder, columns, processes=n)
                    add_into(unit_counters, folded.counters)
                    touching += folded.dossiers
                    for dossier_id in folded.late:
                        late_facts = facts_from_history(self.store.dossier(dossier_id),
                                                        self.store.history(dossier_id), month.end, context=context)
                        late += late_dossiers([late_facts], month) if late_facts is not None else []
            else:  # a configuration the columnar fold does not cover: dossier by dossier, the reference
                for dossier, history in pairs:
                    found = folder.contribution(dossier, history)
                    if found is None or not found[1]:
                        continue
                    touching += 1
                    add_into(unit_counters, {unit: found[1] for unit in found[0]})
                    if found[1].get(LATE):
                        late_facts = facts_from_history(dossier, history, month.end, context=context)
                        late += late_dossiers([late_facts], month) if late_facts is not None else []
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
            add_counts(own, {k: -v for k, v in by_unit[child].items()})
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
