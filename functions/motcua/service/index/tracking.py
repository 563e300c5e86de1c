"""Per change: the index's writes for a dossier's events or a feedback step, put by the repository in the
transaction that writes them (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from motcua.data.index_store import (
    CounterDelta,
    FeedbackIndexWrite,
    FeedbackRowWrite,
    IndexRepository,
    IndexWrite,
    RowWrite,
    StoredFacts,
)
from motcua.data.repositories import DossierRepository
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.index import (
    DossierFacts,
    FactsContext,
    LateDossier,
    Month,
    apply_event,
    contribution,
    contribution_delta,
    default_context,
    late_dossiers,
    months_of,
    standalone_contribution,
    standalone_delta,
    standalone_months,
)
from motcua.domain.index.contribution import LATE

if TYPE_CHECKING:
    from motcua.domain.feedback import Feedback


class RowDoc(BaseModel):
    """What a dossier contributes to one month, stored per dossier and month (for "which dossiers")."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

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
                add_counts(deltas.setdefault((own, month), {}), delta)
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

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

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
    # Imported here: only feedback's own writers call this (they import the feedback domain themselves); the
    # dossier paths (API, actions queue) record a dossier's index without loading it at cold start.
    from motcua.domain.feedback.steps import index_facts

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


def add_counts(target: dict[str, int], delta: Mapping[str, int]) -> None:
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
