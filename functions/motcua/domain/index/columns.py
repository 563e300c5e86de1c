"""A month's histories as columns, and the recompute's fold over them, split across processes.

:func:`export_month` ``(folder, pairs)`` -> :class:`MonthColumns`: every dossier's events up to the end of
``folder``'s month (:func:`motcua.domain.index.fast.up_to`, read by ``as_events``), flattened into parallel
event columns (instant, kind: what the event can change as bits, :func:`motcua.domain.index.fast.event_kind`,
read once here from its action, status move and details; details) with one offset per dossier, and the dossier
columns the fold reads (agency, procedure, channel, time limit). Built once from whatever read the histories;
nothing else of a ``Dossier`` or a ``HistoryEvent`` survives, so a million dossiers fold without a model
object each.

:func:`fold_columns` ``(folder, columns, processes=1)`` -> :class:`Folded` (counters per unit, late dossiers):
equal to summing :meth:`MonthFolder.contribution` over the pairs (the same body, :meth:`MonthFolder.counters`, reads
the columns), with the dossiers split into ``processes`` contiguous ranges folded by forked processes (the
columns are shared copy-on-write, only the counters come back). Counters are summed per agency (the names of
those that add one gathered in a list and counted by ``Counter.update``, the others summed) and spread over
the ancestries once at the end, so a dossier costs a few list appends, not a dictionary merge per unit.
Instants are integers (microseconds since the epoch, ``clock.instant_us``), what the clock's integer
functions measure.
"""

from __future__ import annotations

import multiprocessing
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from motcua.domain import clock
from motcua.domain.catalogue import Channel
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.index.contribution import add_into
from motcua.domain.index.fast import MonthFolder, event_kind, up_to

Counters = dict[str, dict[str, int]]


@dataclass
class MonthColumns:
    """One month's dossiers and their events up to its end, column by column (see the module docstring)."""

    end: datetime
    ids: list[str] = field(default_factory=list)
    agency: list[str] = field(default_factory=list)
    procedure: list[str] = field(default_factory=list)
    channel: list[Channel] = field(default_factory=list)
    limit: list[clock.TimeLimit] = field(default_factory=list)
    offsets: array = field(default_factory=lambda: array("q", [0]))  # dossier i's events: offsets[i]:offsets[i+1]
    at: array = field(default_factory=lambda: array("q"))  # microseconds since the epoch (clock.instant_us)
    kind: array = field(default_factory=lambda: array("q"))  # what the event can change (fast.event_kind)
    details: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, folder: MonthFolder, dossier: Dossier, history: Sequence[HistoryEvent]) -> None:
        """Append one dossier (skipped when nothing had happened to it by the month's end)."""
        ordered = up_to(history, self.end)
        if not ordered:
            return
        self.ids.append(dossier.id)
        self.agency.append(dossier.agency_code)
        self.procedure.append(dossier.procedure_code)
        self.channel.append(dossier.channel)
        self.limit.append(folder.limit(dossier.time_limit))
        us, at, kind, details = clock.instant_us, self.at.append, self.kind.append, self.details.append
        for e in ordered:  # as_events, appended column by column
            at(us(e.occurred_at))
            kind(event_kind(e.action, e.from_status, e.to_status, d := e.details))
            details(d)
        self.offsets.append(len(self.at))


def export_month(folder: MonthFolder, pairs: Iterable[tuple[Dossier, Sequence[HistoryEvent]]]) -> MonthColumns:
    """The columns of ``folder``'s month for every ``(dossier, history)`` pair."""
    columns = MonthColumns(end=folder.end)
    for dossier, history in pairs:
        columns.add(folder, dossier, history)
    return columns


@dataclass
class Folded:
    counters: Counters  # per unit
    late: list[str]  # ids of the dossiers late in the month
    dossiers: int  # dossiers that contributed a counter


def fold_range(folder: MonthFolder, columns: MonthColumns, lo: int, hi: int) -> Folded:
    """What dossiers ``lo..hi`` of ``columns`` contribute (:meth:`MonthFolder.fold_span`), spread over the
    ancestries of their agencies."""
    rows, late, contributed = folder.fold_span(columns, lo, hi)
    out: Counters = {}
    for code, row in rows.items():
        add_into(out, {unit: dict(row) for unit in folder.units(code)})
    return Folded(out, late, contributed)


_SHARED: tuple[MonthFolder, MonthColumns] | None = None  # set before the fork: the workers read it


def _fold_shared(span: tuple[int, int]) -> Folded:
    assert _SHARED is not None
    return fold_range(*_SHARED, *span)


def fold_columns(folder: MonthFolder, columns: MonthColumns, *, processes: int = 1) -> Folded:
    """What every dossier of ``columns`` contributes (zero counters left out, as ``add_into`` does), folded by
    ``processes`` forked processes (1: in this one)."""
    if not folder.covers:
        raise ValueError(f"the columnar fold does not cover deadline_basis={folder.cfg.deadline_basis!r}")
    n = len(columns)
    processes = max(1, min(processes, n))
    spans = [(n * w // processes, n * (w + 1) // processes) for w in range(processes)]
    if processes == 1:
        parts = [fold_range(folder, columns, *spans[0])]
    else:
        global _SHARED
        _SHARED = (folder, columns)
        try:
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                parts = pool.map(_fold_shared, spans)
        finally:
            _SHARED = None
    out: Counters = {}
    for part in parts:
        add_into(out, part.counters)
    return Folded({u: row for u, row in out.items() if row}, [i for p in parts for i in p.late],
                  sum(p.dossiers for p in parts))
