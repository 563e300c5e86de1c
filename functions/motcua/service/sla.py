"""The SLA sweep: fire every timer that is due, exactly once in effect, reading only what is due.

Every five minutes the scheduled sweep (``handlers/sla_sweep.py``) hands each shard of the sparse timers index
to a shard worker (``handlers/sla_worker.py``, ``shard_messages``), and the workers run at once. A worker asks its
shard for the entries whose next timer is due (``motcua.data.timers``), page by page (``sweep_shard``), and for
each dossier of a page:

1. decides on the record it read (``sla.fire``: which timer is due, which earlier ones it supersedes; the open
   step's notices, ``sla.fire_steps``);
2. on a breach with no apology yet, drafts one through the same ``apply_action(APOLOGISE)`` as an officer,
   as ``Role.SYSTEM``, with the new appointment from the procedure's extension rule, and records the key of its
   Form 04 letter (``ApologyLetters.draft``; the PDF is rendered after the write by the notifier);
3. writes the dossier (fired keys, ``overdue_since``, apology), its history events and the envelopes
   (``dossier.sla_warning`` / ``dossier.sla_breached``, ``dossier.apology_issued``) guarded by the version it
   read: the page's dossiers together (``DossierRepository.save_changes``, up to 100 items per transaction,
   each dossier's items all or nothing), an automatic apology (which writes the monthly index) alone
   (``save_change``).

The index also holds citizens' feedback (``FEEDBACK#`` items): each step still owed runs the same
timer points before its legal limit; a due one is fired by ``FeedbackService.fire_one`` (fired key, trail
event, ``feedback.sla_warning`` / ``feedback.sla_breached`` envelope, one version-guarded transaction).

Why this is exactly once in effect: the fired timer's key (dossier id + kind + due date) is in the dossier
written by the very transaction that emits the envelope, and that transaction only succeeds on the version
that was read (a shared transaction in which one dossier's guard fails is written again without it). A sweep
that crashes halfway has either written a dossier's firing completely or not at all;
run again, it finds the fired ones gone from the due range (their index entry moved to the next timer with
the same write) and the others still there. Two sweeps racing, or an officer's action landing between the
read and the write (the result returned a second before the breach), make the write fail the version guard:
the sweep then re-reads the stored record consistently and decides again on it (finished: nothing fires).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from motcua.data.failures import AWS_ERRORS
from motcua.data.repositories import CatalogueRepository, Change, DossierNotFound, DossierRepository
from motcua.data.timers import DueEntry, TimerIndex
from motcua.domain import actions as ev
from motcua.domain import sla
from motcua.domain.commands import ActionName, Apologise
from motcua.domain.dossier import Dossier, StaleDossier
from motcua.domain.errors import MotcuaError
from motcua.domain.feedback import Feedback
from motcua.domain.feedback.timers import index_keys as feedback_index_keys
from motcua.domain.workflow import apply_action
from motcua.service.dossier_reads import now_vn
from motcua.service.feedback import FeedbackService
from motcua.service.index.tracking import IndexTracker
from motcua.service.letters import ApologyLetters

log = logging.getLogger("motcua.sla")
# What firing one timer may fail with and leave due for the next run: a refused change, storage or S3 trouble.
FIRING_ERRORS: tuple[type[Exception], ...] = (MotcuaError, *AWS_ERRORS)


@dataclass
class SweepReport:
    at: datetime
    shards: int = 0
    pages: int = 0
    entries: int = 0  # index entries returned as due
    items_read: int = 0  # items read from the table: index entries + consistent re-reads after a conflict
    read_units: float = 0.0
    fired: Counter[str] = field(default_factory=Counter)  # by kind
    superseded: int = 0
    apologies: int = 0
    conflicts: int = 0  # version guard failed: re-read and decided again
    nothing_due: int = 0  # an entry whose dossier, read again, had nothing due
    reindexed: int = 0
    errors: int = 0
    complete: bool = True  # False when the time budget ran out (the next run continues)

    @property
    def fired_total(self) -> int:
        return sum(self.fired.values())

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "shards": self.shards, "pages": self.pages, "entries": self.entries,
                "items_read": self.items_read, "read_units": round(self.read_units, 2), "fired": dict(self.fired),
                "fired_total": self.fired_total, "superseded": self.superseded, "apologies": self.apologies,
                "conflicts": self.conflicts, "nothing_due": self.nothing_due, "reindexed": self.reindexed,
                "errors": self.errors, "complete": self.complete}


@dataclass(frozen=True)
class _Plan:
    """What firing one dossier's due timers writes, decided on the record read (``before``)."""

    before: Dossier
    changed: Dossier
    events: list
    envelopes: list
    firing: sla.Firing | None
    step_firing: sla.StepFiring | None
    tracked: bool  # carries an event the monthly index reads (the automatic apology)


@dataclass(frozen=True)
class ShardWork:
    """One shard of the timers index to fire at ``at`` (the sweep's instant, shared by all its shards)."""

    shard: int
    at: datetime
    correlation_id: str | None = None
    continuation: int = 0  # how many times a worker out of time handed this shard's work on

    def to_json(self) -> str:
        return json.dumps({"shard": self.shard, "at": self.at.isoformat(), "correlation_id": self.correlation_id,
                           "continuation": self.continuation})

    @classmethod
    def from_json(cls, body: str) -> ShardWork:
        data = json.loads(body)
        return cls(int(data["shard"]), datetime.fromisoformat(data["at"]), data.get("correlation_id"),
                   int(data.get("continuation") or 0))

    def group_id(self) -> str:
        """One message group per shard: one worker at a time on a shard (no two racing on the same entries)."""
        return f"shard-{self.shard}"

    def deduplication_id(self) -> str:
        """The same shard at the same instant is the same work: a retried schedule sends it once."""
        return f"{self.shard}-{self.at.isoformat()}-{self.continuation}"

    def continued(self) -> ShardWork:
        return ShardWork(self.shard, self.at, self.correlation_id, self.continuation + 1)


def _never() -> bool:
    return False


@dataclass
class SlaSweeper:
    dossiers: DossierRepository = field(default_factory=DossierRepository)
    catalogue: CatalogueRepository = field(default_factory=CatalogueRepository)
    timers: TimerIndex = field(default_factory=TimerIndex)
    # The monthly index's writes for firings that carry an event it reads (the automatic apology);
    # warnings and the breach event are ignored by the index, and it catches up on lagging facts itself.
    index_tracker: IndexTracker = field(default_factory=IndexTracker)
    letters: ApologyLetters = field(default_factory=ApologyLetters)
    feedback: FeedbackService = field(default_factory=FeedbackService)  # feedback step timers
    clock: Callable[[], datetime] = now_vn
    page_size: int = 100
    max_attempts: int = 3

    def sweep(self, now: datetime | None = None, *, out_of_time: Callable[[], bool] = _never,
              correlation_id: str | None = None) -> SweepReport:
        """Fire what is due at ``now`` (default: the clock) in every shard, one after the other; stops early
        (``complete=False``) when ``out_of_time()`` says so, leaving the rest for the next run. The deployed
        sweep fans the shards out instead (``shard_messages``, one ``sweep_shard`` per invocation)."""
        now = now or self.clock()
        report = SweepReport(at=now)
        for shard in range(sla.sla_config().shards):
            self.sweep_shard(shard, now, report, out_of_time=out_of_time, correlation_id=correlation_id)
            if not report.complete:
                return report
        return report

    def sweep_shard(self, shard: int, now: datetime, report: SweepReport | None = None, *,
                    out_of_time: Callable[[], bool] = _never, correlation_id: str | None = None) -> SweepReport:
        """Fire what is due at ``now`` in one shard, page by page (each page's dossiers written together)."""
        report = report if report is not None else SweepReport(at=now)
        report.shards += 1
        start: dict[str, Any] | None = None
        while True:
            if out_of_time():
                report.complete = False
                return report
            page = self.timers.due_page(shard, now, limit=self.page_size, start_key=start)
            report.pages += 1
            report.entries += len(page.entries)
            report.items_read += page.items_read
            report.read_units += page.read_units
            self._fire_page(page.entries, now, report, correlation_id)
            report.entries += len(page.feedback)
            for fb_entry in page.feedback:  # citizens' feedback, the index's second kind of item
                self._fire_feedback(fb_entry.feedback, fb_entry.index_sk, now, report, correlation_id)
            if page.next_key is None:
                return report
            start = page.next_key

    def shard_messages(self, now: datetime | None = None, correlation_id: str | None = None) -> list[ShardWork]:
        """One piece of work per shard of the timers index at ``now``: what the scheduled sweep hands to the
        shard workers (``handlers/sla_worker.py``), so that the shards are fired in parallel."""
        now = now or self.clock()
        return [ShardWork(shard, now, correlation_id) for shard in range(sla.sla_config().shards)]

    def _fire_guarded(self, dossier: Dossier, index_sk: str | None, now: datetime, report: SweepReport,
                      correlation_id: str | None, plan: _Plan | None = None) -> None:
        try:
            self.fire_one(dossier, now, report, index_sk=index_sk, correlation_id=correlation_id, plan=plan)
        except FIRING_ERRORS:
            # Storage or S3 trouble for this dossier: nothing was written, its entry stays due, the next run
            # retries it. Other dossiers go on.
            report.errors += 1
            log.exception("SLA timer of dossier %s not fired; retried next run", dossier.id)

    def fire_one(self, dossier: Dossier, now: datetime, report: SweepReport | None = None, *,
                 index_sk: str | None = None, correlation_id: str | None = None,
                 plan: _Plan | None = None) -> str | None:
        """Fire the dossier's due timer (if any) on the stored record; returns the kind fired, or None.
        ``plan``: the decision already taken on ``dossier`` (by a page's batch), not taken again."""
        report = report if report is not None else SweepReport(at=now)
        for _ in range(self.max_attempts):
            plan = plan or self._plan(dossier, now, report, correlation_id)
            if plan is None:
                report.nothing_due += 1
                self._reindex_if_stale(dossier, index_sk, report)
                return None
            index = None
            if plan.tracked:
                report.items_read += 1  # the index tracker reads the dossier's stored facts
                index = self.index_tracker.for_change(dossier, plan.changed, plan.events)
            try:
                self.dossiers.save_change(plan.changed, plan.events, correlation_id, extra_envelopes=plan.envelopes,
                                          index=index)
            except StaleDossier:
                # Changed since it was read (an officer's action, another sweep): decide on the stored record.
                report.conflicts += 1
                report.items_read += 2  # save_change's own read for the error, then ours
                try:
                    dossier = self.dossiers.get(dossier.id)
                except DossierNotFound:
                    return None
                index_sk = None  # the write that beat us re-indexed it
                plan = None
                continue
            return self._record(plan, report)
        raise StaleDossier({"dossier_id": dossier.id, "attempts": self.max_attempts})

    def _plan(self, dossier: Dossier, now: datetime, report: SweepReport,
              correlation_id: str | None) -> _Plan | None:
        """What firing the dossier's due timers writes, decided on the record read; None: nothing is due."""
        firing = sla.fire(dossier, now, correlation_id=correlation_id)
        # The open step's notices (docs/domain.md §11.4) go in the same write as the dossier's timer.
        step_firing = sla.fire_steps(dossier, now, correlation_id=correlation_id)
        if firing is None and step_firing is None:
            return None
        envelopes: list = []
        if firing is not None:
            changed, events = self._change_for(dossier, firing, now, report, correlation_id)
            envelopes.append(firing.envelope)
        else:
            changed, events = dossier.model_copy(update={"version": dossier.version + 1, "updated_at": now}), []
        if step_firing is not None:
            changed = changed.model_copy(update={"steps": step_firing.steps})
            events = [*events, *step_firing.events]
            envelopes.extend(step_firing.envelopes)
        tracked = any(e.action == ev.APOLOGISE for e in events)
        return _Plan(dossier, changed, events, envelopes, firing, step_firing, tracked)

    def _record(self, plan: _Plan, report: SweepReport) -> str:
        """Count a written firing in the report; returns the kind fired."""
        firing, step_firing = plan.firing, plan.step_firing
        for timer in step_firing.timers if step_firing is not None else ():
            report.fired[timer.kind] += 1
        if firing is None:
            assert step_firing is not None
            return step_firing.timers[-1].kind
        report.fired[firing.timer.kind] += 1
        report.superseded += len(firing.superseded)
        if plan.changed.apology is not None and plan.before.apology is None:
            report.apologies += 1
        return firing.timer.kind

    def _fire_page(self, entries: list[DueEntry], now: datetime, report: SweepReport,
                   correlation_id: str | None) -> None:
        """A page's due dossiers, decided one by one and written together (``DossierRepository.save_changes``:
        up to 100 items per transaction, each dossier's items all or nothing). A dossier that changed since the
        page was read is re-read and decided again alone; one whose firing writes the monthly index (the
        automatic apology) is written alone, its counters being shared items."""
        batch: list[_Plan] = []
        for entry in entries:
            try:
                plan = self._plan(entry.dossier, now, report, correlation_id)
            except FIRING_ERRORS:
                report.errors += 1
                log.exception("SLA timer of dossier %s not fired; retried next run", entry.dossier.id)
                continue
            if plan is not None and not plan.tracked:
                batch.append(plan)
            else:
                self._fire_guarded(entry.dossier, entry.index_sk, now, report, correlation_id, plan)
        if not batch:
            return
        try:
            stale = self.dossiers.save_changes([Change(p.changed, p.events, p.envelopes) for p in batch],
                                               correlation_id)
        except FIRING_ERRORS:
            # Nothing of the failed transaction was written (others may have been): what is not written stays
            # due in the index, and the next run takes it.
            report.errors += len(batch)
            log.exception("SLA timers of %d dossiers not written together; retried next run", len(batch))
            return
        for plan in batch:
            if plan.before.id not in stale:
                self._record(plan, report)
                continue
            report.conflicts += 1
            report.items_read += 1  # the consistent re-read
            try:
                current = self.dossiers.get(plan.before.id)
            except DossierNotFound:
                continue
            except FIRING_ERRORS:
                report.errors += 1
                continue
            self._fire_guarded(current, None, now, report, correlation_id)

    def _change_for(self, dossier: Dossier, firing: sla.Firing, now: datetime, report: SweepReport,
                    correlation_id: str | None) -> tuple[Dossier, list]:
        if not firing.needs_apology:
            return sla.apply_firing(dossier, firing, now), [firing.event]
        policy = sla.sla_config().policy_for(dossier.procedure_code, dossier.agency_code)
        body = Apologise(reason=policy.apology_reason,
                         new_appointment_at=sla.extension_appointment(dossier, now, policy))
        try:
            # The same rules as an officer's apology (once, a working day after the old appointment).
            changed, events = apply_action(dossier, ActionName.APOLOGISE, body, sla.SYSTEM_ACTOR, now, correlation_id)
        except MotcuaError as error:
            log.warning("automatic apology refused for dossier %s: %s", dossier.id, error.code)
            return sla.apply_firing(dossier, firing, now), [firing.event]
        # The letter's key is recorded now; the PDF is rendered after the write, off the sweep (the notifier,
        # which handles the apology's envelope: ``ApologyLetters.render_pending``).
        changed = self.letters.draft(changed)
        return changed.model_copy(update=firing.updates), [firing.event, *events]

    def _fire_feedback(self, fb: Feedback, index_sk: str, now: datetime, report: SweepReport,
                       correlation_id: str | None) -> None:
        """A feedback's due step timer: the same selection and exactly-once keys as a dossier's
        (``motcua.domain.feedback.timers.fire``), written guarded by the version read (re-read on conflict)."""
        try:
            firing, conflicts = self.feedback.fire_one(fb, now, correlation_id)
        except FIRING_ERRORS:
            report.errors += 1
            log.exception("SLA timer of feedback %s not fired; retried next run", fb.id)
            return
        report.conflicts += conflicts
        report.items_read += 2 * conflicts
        if firing is None:
            report.nothing_due += 1
            keys = feedback_index_keys(fb)
            if (keys is None or keys[1] != index_sk) and self.timers.reindex_feedback(fb):
                report.reindexed += 1
            return
        report.fired[f"feedback.{firing.timer.step.value}.{firing.timer.timer.kind}"] += 1
        report.superseded += len(firing.superseded)

    def _reindex_if_stale(self, dossier: Dossier, index_sk: str | None, report: SweepReport) -> None:
        """An entry read as due whose dossier has nothing due (e.g. the timer settings changed): move or drop
        its entry, or every sweep would read it again."""
        if index_sk is None:
            return
        keys = sla.index_keys(dossier)
        if (keys is None or keys[1] != index_sk) and self.timers.reindex(dossier):
            report.reindexed += 1
