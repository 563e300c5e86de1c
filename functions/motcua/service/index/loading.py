"""Writing histories already known (the demo province, tests) through the index's own paths."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from motcua.data.feedback import FeedbackAlreadyExists, FeedbackRepository
from motcua.data.index_store import IndexRepository
from motcua.data.repositories import DossierRepository
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.feedback import Feedback
from motcua.domain.index import FactsContext
from motcua.service.index.tracking import IndexTracker, plan_change, plan_feedback_change

if TYPE_CHECKING:
    from motcua.domain.demo_data import FeedbackHistory


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
