"""A lighter fold for the full recompute: one month's contribution straight from a dossier's history.

:func:`MonthFolder.contribution` ``(dossier, history)`` ->
``(units, counters)`` (or ``None`` when nothing had happened by the month's end), equal, counter for counter,
to::

    facts = facts_from_history(dossier, history, month.end)
    (facts.units, contribution(facts, month))

It reads the same events the same way (:mod:`motcua.domain.index.facts` is the reference; the unit tests
compare the two on generated provinces and on random histories), but keeps only what the month's counters
need in local variables: no ``DossierFacts`` model, no appointment parsing, the deadline and the processing
time computed only for a dossier received in the month (``docs/benchmarks.md``, ``## index``: a small
fraction of the reference's CPU).
Configurations this fold does not cover (``deadline_basis="appointment"``) fall back to the reference.

Its one body is :meth:`MonthFolder.fold_span`, which folds a span of dossiers from their columns
(:class:`Columns`): each event as its instant and its kind (:func:`event_kind`: what it can change, as bits,
read once from its action, status move and details), plus the details of the few events read for them
(evaluation, feedback, steps). The columnar export (:mod:`motcua.domain.index.columns`) gives it a month's worth
of dossiers without a model object each; ``contribution`` and :meth:`MonthFolder.counters` the columns of one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from motcua.domain import actions as ev
from motcua.domain import clock
from motcua.domain.catalogue import Channel
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.index.config import INDEX_CONFIGS, IndexConfig, config_for
from motcua.domain.index.contribution import (
    APOLOGISED,
    COMPLAINT_OR_DISLIKE,
    DECIDED,
    DIGITISED,
    EVALUATION_DISSATISFIED,
    EVALUATION_POINTS,
    EVALUATION_SATISFIED,
    EVALUATION_VERY_SATISFIED,
    EVALUATIONS,
    FEEDBACK_CLASSIFIED,
    FEEDBACK_ON_TIME,
    FEEDBACK_RATED,
    FEEDBACK_RECEIVED,
    FEEDBACK_SATISFIED,
    FINISHED,
    ONLINE_CAPABLE,
    ONLINE_CAPABLE_ONLINE,
    OPEN,
    PAID,
    PAID_ONLINE,
    POPULATION_DB,
    PROC_ONLINE,
    PROC_PAID_ONLINE,
    PROC_POPULATION_DB,
    PROCESSING_MICRODAYS,
    RECEIVED,
    RECEIVED_ONLINE,
    REFUSED_AT_RECEPTION,
    RESULT_ELECTRONIC,
    RESULT_SYNCED_CITIZEN,
    REUSED,
    SUPPLEMENT_REQUESTED,
    SYNC_RECORDED,
    SYNCED_NATIONAL,
    contribution,
    feedback_on_time,
    timeliness_counters,
)
from motcua.domain.index.facts import (
    RECEIVED_STATUSES,
    FactsContext,
    FeedbackFacts,
    FeedbackStep,
    default_context,
    facts_from_history,
    late_step_in,
)
from motcua.domain.index.month import Month
from motcua.domain.status import PAUSE_REASONS, DossierStatus

S = DossierStatus
Timeliness = clock.Timeliness
_EVALUATION_KEYS = {ev.Satisfaction.VERY_SATISFIED: EVALUATION_VERY_SATISFIED,
                    ev.Satisfaction.SATISFIED: EVALUATION_SATISFIED,
                    ev.Satisfaction.DISSATISFIED: EVALUATION_DISSATISFIED}
_SATISFACTIONS = {s.value: s for s in ev.Satisfaction}
_KINDS = {s.value: s for s in ev.FeedbackKind}
_OUTCOMES = {s.value: s for s in ev.FeedbackOutcome}


(_DIGITISE, _RECORD_PAYMENT, _ISSUE_ELECTRONIC_RESULT, _RETURN_RESULT, _SYNC_NATIONAL_PORTAL, _SYNC_CITIZEN_DATA_STORE,
 _APOLOGISE, _EVALUATE, _FEEDBACK_RECEIVE, _FEEDBACK_RESPOND, _FEEDBACK_RATE, _STEP_COMPLETE, _STEP_ALERT) = range(13)
# The actions whose name matters beyond their status move (one dict look-up per event instead of a chain).
_ACTIONS = {ev.DIGITISE: _DIGITISE, ev.RECORD_PAYMENT: _RECORD_PAYMENT, ev.ISSUE_ELECTRONIC_RESULT:
            _ISSUE_ELECTRONIC_RESULT, ev.RETURN_RESULT: _RETURN_RESULT, ev.SYNC_NATIONAL_PORTAL: _SYNC_NATIONAL_PORTAL,
            ev.SYNC_CITIZEN_DATA_STORE: _SYNC_CITIZEN_DATA_STORE, ev.APOLOGISE: _APOLOGISE, ev.EVALUATE: _EVALUATE,
            ev.FEEDBACK_RECEIVE: _FEEDBACK_RECEIVE, ev.FEEDBACK_RESPOND: _FEEDBACK_RESPOND,
            ev.FEEDBACK_RATE: _FEEDBACK_RATE, ev.STEP_COMPLETE: _STEP_COMPLETE, ev.STEP_ALERT: _STEP_ALERT}
D_DIGITISED, D_REUSED_DOCUMENTS, D_POPULATION_DB = ev.D_DIGITISED, ev.D_REUSED_DOCUMENTS, ev.D_POPULATION_DB


def _member(table: dict[str, Any], value: Any) -> Any:
    # The reference parses with Enum(value): a member or its value both map to the member.
    return table.get(value) if isinstance(value, str) else None


# One event as the fold reads it: (occurred_at in microseconds since the epoch (clock.instant_us), its kind
# (:func:`event_kind`: what the event can change, as bits), details). Integer instants: the fold compares and
# measures them through the clock's integer functions (clock.deadline_and_working_days_us, clock.timeliness_us).
Event = tuple[int, int, dict[str, Any]]

# An event's kind, bit by bit. The first ten are facts a dossier has once any of its events shows them (the fold
# ORs them together); the others need the event's instant or order (the first reception, a pause begun or
# ended, the first decision...), or its details (an evaluation, feedback, a step: the action's code above bit 20).
K_DIGITISED, K_REUSED, K_POPULATION, K_PAID, K_PAID_ONLINE, K_ELECTRONIC, K_SYNC_RECORDED, K_SYNCED, \
    K_SYNCED_CITIZEN, K_APOLOGISED = (1 << b for b in range(10))
K_RECEIVED, K_END_SUPPLEMENT, K_END_FINANCIAL, K_SUPPLEMENT, K_AWAITING_PAYMENT, K_DECIDED, K_RETURNED, K_STOPPED, \
    K_REFUSED, K_DETAILS = (1 << b for b in range(10, 20))
K_ORDERED = (1 << 20) - K_END_SUPPLEMENT  # every bit from K_END_SUPPLEMENT up: read in order, one event at a time
_K_ACTION_SHIFT = 20
_K_FACTS = (K_APOLOGISED << 1) - 1 | K_SUPPLEMENT  # what _keys_for reads of them
_DETAILS_ACTIONS = frozenset({_EVALUATE, _FEEDBACK_RECEIVE, _FEEDBACK_RESPOND, _FEEDBACK_RATE, _STEP_COMPLETE,
                              _STEP_ALERT})
_STATUS_KINDS: dict[tuple[DossierStatus | None, DossierStatus], int] = {}
_PAUSE_END_KIND = {"supplement": K_END_SUPPLEMENT, "financial_obligation": K_END_FINANCIAL}
_MOVE_KIND = {S.SUPPLEMENT_REQUESTED: K_SUPPLEMENT, S.AWAITING_PAYMENT: K_AWAITING_PAYMENT, S.DECIDED: K_DECIDED,
              S.RETURNED: K_RETURNED, S.STOPPED: K_STOPPED, S.REFUSED: K_REFUSED}


def _status_kind(frm: DossierStatus | None, to: DossierStatus) -> int:
    kind = _STATUS_KINDS.get((frm, to))
    if kind is None:
        kind = 0
        if frm is not to and frm is not None and (reason := PAUSE_REASONS.get(frm)) is not None:
            kind |= _PAUSE_END_KIND[reason]
        if to in RECEIVED_STATUSES:
            kind |= K_RECEIVED
        if to is not frm:
            kind |= _MOVE_KIND.get(to, 0)
        _STATUS_KINDS[(frm, to)] = kind
    return kind


def event_kind(action: str, frm: DossierStatus | None, to: DossierStatus, d: dict[str, Any]) -> int:
    """What one event can change in the month's counters, as the bits above: the same reading of the action,
    the status move and the details as the reference's (:mod:`motcua.domain.index.facts`). Without details
    it depends on the action and the move alone (kept per distinct triple)."""
    if d:
        return _event_kind(action, frm, to, d)
    key = (action, frm, to)
    kind = _BARE_KINDS.get(key)
    if kind is None:
        kind = _BARE_KINDS[key] = _event_kind(action, frm, to, d)
    return kind


_BARE_KINDS: dict[tuple[str, DossierStatus | None, DossierStatus], int] = {}


def _event_kind(action: str, frm: DossierStatus | None, to: DossierStatus, d: dict[str, Any]) -> int:
    kind = _status_kind(frm, to)
    if d:
        if d.get(D_DIGITISED) is True:
            kind |= K_DIGITISED
        n = d.get(D_REUSED_DOCUMENTS)
        if type(n) is int and n > 0:
            kind |= K_REUSED
        if d.get(D_POPULATION_DB) is True:
            kind |= K_POPULATION
    code = _ACTIONS.get(action)
    if code is None:  # a status move: nothing more to read
        return kind
    if code == _DIGITISE:
        kind |= K_DIGITISED
    elif code == _RECORD_PAYMENT:
        kind |= K_PAID | (K_PAID_ONLINE if ev.paid_through_gateway(d) else 0)
    elif code == _ISSUE_ELECTRONIC_RESULT:
        kind |= K_ELECTRONIC
    elif code == _RETURN_RESULT:
        if d.get(ev.D_METHOD) == ev.RETURN_METHOD_ELECTRONIC:
            kind |= K_ELECTRONIC
    elif code == _SYNC_NATIONAL_PORTAL:
        kind |= K_SYNC_RECORDED | (K_SYNCED if d.get(ev.D_SYNCED) is not False else 0)
    elif code == _SYNC_CITIZEN_DATA_STORE:
        kind |= K_SYNCED_CITIZEN
    elif code == _APOLOGISE:
        kind |= K_APOLOGISED
    elif code in _DETAILS_ACTIONS:
        kind |= K_DETAILS | (code << _K_ACTION_SHIFT)
    return kind


def as_events(ordered: Sequence[HistoryEvent]) -> list[Event]:
    """The events as the fold reads them (``ordered``: :func:`up_to`'s)."""
    us = clock.instant_us
    return [(us(e.occurred_at), event_kind(e.action, e.from_status, e.to_status, e.details), e.details)
            for e in ordered]


def up_to(history: Sequence[HistoryEvent], end: datetime) -> list[HistoryEvent]:
    """The events up to ``end``, in time order (a stable sort, as the reference)."""
    ordered: list[HistoryEvent] = []
    in_order = True
    previous = None
    for e in history:
        at = e.occurred_at
        if at <= end:
            if previous is not None and at < previous:
                in_order = False
            previous = at
            ordered.append(e)
    if not in_order:
        ordered.sort(key=lambda e: e.occurred_at)
    return ordered


class Columns(Protocol):
    """Dossiers and their events as parallel columns (:class:`motcua.domain.index.columns.MonthColumns`):
    dossier ``i``'s events are ``offsets[i]:offsets[i + 1]`` of the event columns."""

    @property
    def ids(self) -> Sequence[str]: ...
    @property
    def agency(self) -> Sequence[str]: ...
    @property
    def procedure(self) -> Sequence[str]: ...
    @property
    def channel(self) -> Sequence[Channel]: ...
    @property
    def limit(self) -> Sequence[clock.TimeLimit]: ...
    @property
    def offsets(self) -> Sequence[int]: ...
    @property
    def at(self) -> Sequence[int]: ...  # microseconds since the epoch (clock.instant_us)
    @property
    def kind(self) -> Sequence[int]: ...  # event_kind
    @property
    def details(self) -> Sequence[dict[str, Any]]: ...


class _OneDossier:
    """One dossier's events as :class:`Columns` (the per-dossier path)."""

    def __init__(self, agency: str, procedure: str, channel: Channel, limit: clock.TimeLimit,
                 events: Sequence[Event]) -> None:
        self.ids, self.agency, self.procedure = [""], [agency], [procedure]
        self.channel, self.limit = [channel], [limit]
        self.offsets = [0, len(events)]
        self.at = [e[0] for e in events]
        self.kind = [e[1] for e in events]
        self.details = [e[2] for e in events]


_FLUSH = 1 << 16  # names gathered per agency before they are counted


class MonthFolder:
    """Folds histories for one month; holds what every dossier shares (configs, units, time limits)."""

    def __init__(self, month: Month, *, context: FactsContext | None = None, config: IndexConfig | None = None
                 ) -> None:
        self.month = month
        self.end = month.end
        self.context = context or default_context()
        self.config = config  # None: each dossier's fold uses the config of its first event's month
        self.cfg = config if config is not None else config_for(month)  # the month's counting rules
        self._units: dict[str, tuple[str, ...]] = {}
        self._limits: dict[tuple[str, str], clock.TimeLimit] = {}
        self._fold_cfg: dict[Month, IndexConfig] = {}
        # Every configuration version agrees on the one fold rule used here: no need to find each dossier's.
        rules = {c.pause_for_financial_obligation for c in INDEX_CONFIGS}
        self._uniform_pause = next(iter(rules)) if config is None and len(rules) == 1 else None
        self._start, self._after = month.start, month.next.start
        # What a dossier received in the month counts beyond its verdict, by what decides it (_keys_for), and
        # the one counter of each verdict but LATE (whose counters depend on the dossier: timeliness_counters).
        self._received_keys: dict[tuple[str, Channel, int, bool, bool], tuple[str, ...]] = {}
        self._verdict_keys = {v: key for v in Timeliness if v is not Timeliness.LATE
                              for key in timeliness_counters(v, 0, self.cfg)}
        self._start_us, self._after_us, self._end_us = (clock.instant_us(month.start),
                                                        clock.instant_us(month.next.start),
                                                        clock.instant_us(self.end))

    def units(self, agency: str) -> tuple[str, ...]:
        found = self._units.get(agency)
        if found is None:
            found = self._units[agency] = self.context.tree.ancestry(agency)
        return found

    def limit(self, raw: dict[str, str]) -> clock.TimeLimit:
        """A dossier's ``time_limit`` as the clock's value, built once per distinct limit."""
        key = (raw["value"], raw["unit"])
        found = self._limits.get(key)
        if found is None:
            found = self._limits[key] = clock.TimeLimit(value=Decimal(raw["value"]), unit=clock.TimeUnit(raw["unit"]))
        return found

    def _pause_financial(self, first_at: int) -> bool:
        if self.config is not None:
            return self.config.pause_for_financial_obligation
        if self._uniform_pause is not None:
            return self._uniform_pause
        m = Month.of(clock.from_us(first_at))
        cfg = self._fold_cfg.get(m)
        if cfg is None:
            cfg = self._fold_cfg[m] = config_for(m)
        return cfg.pause_for_financial_obligation

    def _keys_for(self, procedure: str, channel: Channel, seen: int, decided: bool, still_open: bool
                  ) -> tuple[str, ...]:
        """The counters a dossier received in the month adds besides its verdict and processing time, from its
        procedure, its channel, the facts its events showed (``seen``) and whether it was decided or is open."""
        cfg = self.cfg
        traits = self.context.traits_for(procedure, channel)
        out = [RECEIVED]
        if not still_open:
            out.append(FINISHED)
        online = channel is Channel.ONLINE
        if online:
            out.append(RECEIVED_ONLINE)
        if traits.offers_online or cfg.online_share_of == "all":
            out.append(ONLINE_CAPABLE)
            if online:
                out.append(ONLINE_CAPABLE_ONLINE)
        if online and traits.offers_online:
            out.append(PROC_ONLINE + procedure)
        if seen & K_SUPPLEMENT:
            out.append(SUPPLEMENT_REQUESTED)
        if seen & K_APOLOGISED:
            out.append(APOLOGISED)
        if seen & K_DIGITISED or (online and cfg.online_counts_as_digitised):
            out.append(DIGITISED)
        if seen & K_REUSED:
            out.append(REUSED)
        if seen & K_POPULATION:
            out += (POPULATION_DB, PROC_POPULATION_DB + procedure)
        if seen & K_SYNC_RECORDED:
            out.append(SYNC_RECORDED)
        if seen & K_SYNCED:
            out.append(SYNCED_NATIONAL)
        if decided:
            out.append(DECIDED)
            if seen & K_ELECTRONIC:
                out.append(RESULT_ELECTRONIC)
                if seen & K_SYNCED_CITIZEN:
                    out.append(RESULT_SYNCED_CITIZEN)
        if seen & K_PAID:
            out.append(PAID)
            if seen & K_PAID_ONLINE:
                out += (PAID_ONLINE, PROC_PAID_ONLINE + procedure)
        return tuple(out)

    def contribution(self, dossier: Dossier, history: Sequence[HistoryEvent]
                     ) -> tuple[tuple[str, ...], dict[str, int]] | None:
        if not self.covers:  # not covered here: the reference fold
            facts = facts_from_history(dossier, history, self.end, context=self.context, config=self.config)
            return None if facts is None else (facts.units, contribution(facts, self.month, config=self.cfg))
        ordered = up_to(history, self.end)
        if not ordered:
            return None
        return self.units(dossier.agency_code), self.counters(
            dossier.agency_code, dossier.procedure_code, dossier.channel, self.limit(dossier.time_limit),
            as_events(ordered))

    @property
    def covers(self) -> bool:
        """Whether this fold covers the month's configuration (else :meth:`contribution` is the reference)."""
        return self.cfg.deadline_basis == "legal_due"

    def counters(self, agency: str, procedure: str, channel: Channel, limit: clock.TimeLimit,
                 events: Sequence[Event]) -> dict[str, int]:
        """The month's counters of one dossier from its events up to the month's end, in time order
        (:func:`up_to`), each as an :data:`Event`: :meth:`fold_span` over the columns of this one dossier."""
        one = _OneDossier(agency, procedure, channel, limit, events)
        rows, _, _ = self.fold_span(one, 0, 1)
        return {key: value for key, value in rows[agency].items()}

    def fold_span(self, columns: Columns, lo: int, hi: int) -> tuple[dict[str, Counter[str]], list[str], int]:
        """What dossiers ``lo..hi`` of ``columns`` contribute: the counters per agency (zero ones left out), the
        ids of the late dossiers (2.1), the number of dossiers that added a counter. The one body of the fold:
        the columnar recompute (:mod:`motcua.domain.index.columns`) and the per-dossier path (:meth:`counters`)
        both fold through here. Per agency, each counter that adds one is appended to a list (counted by
        ``Counter.update``, in C, every ``_FLUSH`` names), the others (the processing time, the evaluation
        points) summed apart."""
        cfg, end = self.cfg, self._end_us
        start, after = self._start_us, self._after_us
        pause_of = self._pause_financial
        received_keys, keys_for, verdict_keys = self._received_keys, self._keys_for, self._verdict_keys
        due_and_days, timeliness_us = clock.deadline_and_working_days_us, clock.timeliness_us
        late_on_second = cfg.late_on_second_supplement
        offsets, at, kind, details = columns.offsets, columns.at, columns.kind, columns.details
        agencies, procedures, channels, limits, ids = (columns.agency, columns.procedure, columns.channel,
                                                       columns.limit, columns.ids)
        ones_of: dict[str, list[str]] = {}
        valued_of: dict[str, dict[str, int]] = {}
        totals: dict[str, Counter[str]] = {}
        late: list[str] = []
        contributed = 0
        for i in range(lo, hi):
            s, e = offsets[i], offsets[i + 1]
            agency = agencies[i]
            ones = ones_of.get(agency)  # type: ignore[assignment]
            if ones is None:
                ones = ones_of[agency] = []
                valued_of[agency] = {}
                totals[agency] = Counter()
            valued = valued_of[agency]
            one = ones.append
            before = len(ones)
            procedure, channel, limit = procedures[i], channels[i], limits[i]
            received = refused = decided = returned = stopped = None
            evaluated = complaint = None
            satisfaction = None
            evaluation_total: int | None = None
            supplements = 0
            seen = 0  # the K_* facts of every event, ORed
            pauses: list[list[Any]] = []  # [start, end, K_END_* of its reason]
            feedback: list[dict[str, Any]] = []
            late_step: tuple[str, str] | None = None
            pause_financial: bool | None = None
            for j in range(s, e):
                k = kind[j]
                seen |= k
                if k < K_RECEIVED:  # only facts to OR
                    continue
                t = at[j]
                if received is None and k & K_RECEIVED:
                    received = t
                if not k & K_ORDERED:
                    continue
                if k & (K_END_SUPPLEMENT | K_END_FINANCIAL):
                    reason = k & (K_END_SUPPLEMENT | K_END_FINANCIAL)
                    for p in pauses:
                        if p[1] is None and p[2] & reason:
                            p[1] = t if t > p[0] else p[0]
                if k & K_SUPPLEMENT:
                    supplements += 1
                    if not any(p[1] is None and p[2] == K_END_SUPPLEMENT for p in pauses):
                        pauses.append([t, None, K_END_SUPPLEMENT])
                elif k & K_AWAITING_PAYMENT:
                    if pause_financial is None:
                        pause_financial = pause_of(at[s])
                    if pause_financial and not any(p[1] is None and p[2] == K_END_FINANCIAL for p in pauses):
                        pauses.append([t, None, K_END_FINANCIAL])
                elif k & K_DECIDED:
                    decided = decided or t
                elif k & K_RETURNED:
                    returned = returned or t
                elif k & K_STOPPED:
                    stopped = stopped or t
                elif k & K_REFUSED:
                    refused = refused or t
                if not k & K_DETAILS:
                    continue
                code = k >> _K_ACTION_SHIFT
                d = details[j]
                if code == _EVALUATE:
                    answer = _member(_SATISFACTIONS, d.get(ev.D_SATISFACTION))
                    if answer is not None and satisfaction is None:
                        satisfaction = answer
                        total = d.get(ev.D_TOTAL)
                        evaluation_total = total if type(total) is int else None
                        evaluated = t
                        if answer is ev.Satisfaction.DISSATISFIED and complaint is None:
                            complaint = t
                elif code == _FEEDBACK_RECEIVE:
                    fid = d.get(ev.D_FEEDBACK_ID)
                    if isinstance(fid, str) and not any(fb["feedback_id"] == fid for fb in feedback):
                        fb_kind = _member(_KINDS, d.get(ev.D_KIND)) or ev.FeedbackKind.UNCLASSIFIED
                        feedback.append({"feedback_id": fid, "kind": fb_kind, "received_at": t, "steps": [],
                                         "satisfied": None, "answer_public": False})
                        if fb_kind is ev.FeedbackKind.COMPLAINT and complaint is None:
                            complaint = t
                elif code == _FEEDBACK_RESPOND:
                    fb = next((f for f in feedback if f["feedback_id"] == d.get(ev.D_FEEDBACK_ID)), None)
                    outcome = _member(_OUTCOMES, d.get(ev.D_OUTCOME))
                    if fb is not None and outcome is not None:
                        fb["steps"].append(FeedbackStep(outcome=outcome, at=clock.from_us(t)))
                        if outcome is ev.FeedbackOutcome.HANDLED and d.get(ev.D_PUBLIC) is True:
                            fb["answer_public"] = True
                elif code == _FEEDBACK_RATE:
                    fb = next((f for f in feedback if f["feedback_id"] == d.get(ev.D_FEEDBACK_ID)), None)
                    satisfied = d.get(ev.D_SATISFIED)
                    if fb is not None and isinstance(satisfied, bool):
                        fb["satisfied"] = satisfied
                elif late_step is None:  # a step event (_STEP_COMPLETE, _STEP_ALERT)
                    late_step = late_step_in(code == _STEP_COMPLETE, d)

            verdict = None
            if received is not None and start <= received < after:
                finished = decided or returned or stopped or refused
                if finished is not None and finished > end:
                    finished = None
                # The deadline and the processing time in one pass over the pauses (clock.deadline_and_working_days
                # equals deadline_for + working_days_between).
                due, micro = due_and_days(
                    limit, received, [(p[0], p[1]) for p in pauses] if pauses else (),
                    finished if finished is not None and finished >= received else None, agency=agency)
                verdict = timeliness_us(finished, due, as_of=end, supplement_requests=supplements,
                                        late_on_second_supplement=late_on_second)
                if verdict is Timeliness.LATE:
                    for key, value in timeliness_counters(verdict, supplements, cfg, late_step).items():
                        if value == 1:
                            one(key)
                        else:
                            valued[key] = valued.get(key, 0) + value
                else:
                    one(verdict_keys[verdict])
                if finished is None:
                    one(OPEN)
                elif micro:
                    valued[PROCESSING_MICRODAYS] = valued.get(PROCESSING_MICRODAYS, 0) + micro
                # The counters that follow from the procedure, the channel, the facts seen and whether it is open.
                sig = (procedure, channel, seen & _K_FACTS, decided is not None, finished is None)
                keys = received_keys.get(sig)
                if keys is None:
                    keys = received_keys[sig] = keys_for(procedure, channel, seen, decided is not None,
                                                         finished is None)
                ones.extend(keys)
            elif received is None and refused is not None and start <= refused < after:
                one(REFUSED_AT_RECEPTION)
            if satisfaction is not None and evaluated is not None and start <= evaluated < after:
                one(EVALUATIONS)
                one(_EVALUATION_KEYS[satisfaction])
                if evaluation_total:
                    valued[EVALUATION_POINTS] = valued.get(EVALUATION_POINTS, 0) + evaluation_total
            if complaint is not None and start <= complaint < after:
                one(COMPLAINT_OR_DISLIKE)
            for fb in feedback:
                if not start <= fb["received_at"] < after:
                    continue
                one(FEEDBACK_RECEIVED)
                if fb["kind"] is not ev.FeedbackKind.UNCLASSIFIED:
                    one(FEEDBACK_CLASSIFIED)
                handled = FeedbackFacts(feedback_id=fb["feedback_id"], kind=fb["kind"],
                                        received_at=clock.from_us(fb["received_at"]),
                                        steps=tuple(fb["steps"]), satisfied=fb["satisfied"],
                                        answer_public=fb["answer_public"])
                if feedback_on_time(handled, self.end, agency, cfg.feedback_deadlines):
                    one(FEEDBACK_ON_TIME)
                if fb["satisfied"] is not None:
                    one(FEEDBACK_RATED)
                    if fb["satisfied"]:
                        one(FEEDBACK_SATISFIED)
            if len(ones) == before:
                continue
            contributed += 1
            if verdict is Timeliness.LATE:
                late.append(ids[i])
            if len(ones) > _FLUSH:
                totals[agency].update(ones)
                ones.clear()
        rows: dict[str, Counter[str]] = {}
        for unit_code, ones in ones_of.items():
            row = totals[unit_code]
            row.update(ones)
            for key, value in valued_of[unit_code].items():
                row[key] += value
            rows[unit_code] = row
        return rows, late, contributed

