"""SLA timers of a dossier: warnings before its legal deadline, the breach at it, and the apology extension.

Pure: every instant comes from the one clock (``motcua.domain.clock``: the dossier's ``due_at`` is the
clock's, recomputed by the workflow on every status change) and the working-day calendar; nothing here
reads a table or a queue.

Timer points (per procedure and per agency, :class:`SlaConfig`; defaults: docs/sla.md):

* ``warn_2wd``: 2 working days before ``due_at``; ``warn_1wd``: 1 working day before. "N working days
  before" is N working days of the agency's office time: the same office-clock time on the N-th working day
  before the due date's day (due Wed 17:00 → ``warn_1wd`` Tue 17:00, ``warn_2wd`` Mon 17:00).
* ``last_day``: the opening of the office hours on the due date's own day (Wed 07:30).
* ``breach``: ``due_at`` itself.

Rules (each stated once, here):

* The clock runs only between reception and the end of processing: no timers before reception, after
  ``finished_at``, in a terminal status or a withdrawal, while an open pause holds the clock (its due date
  is unknowable), nor after the breach (``overdue_since`` set: the dossier is late and stays late).
* A point at or before the clock start (a short procedure: 1 working day has no ``warn_2wd``) is dropped.
* Exactly once per due date: firing records ``<kind>@<due_at>`` in ``Dossier.sla_fired`` (the idempotency
  key is dossier id + kind + due date). A pause moves ``due_at``, which re-arms the warnings for the new
  date, except a warning already fired for an earlier due date whose new point lies before the clock's
  restart: the remaining time stood still during the pause, so that threshold was already crossed and
  announced before it.
* When several points are due at once (a sweep that ran late), the latest one fires and the earlier ones
  are recorded as superseded (on the trail, not announced): a warning after the breach is noise.

After an apology the citizen holds a new appointment (``appointment_at``), a promise the agency made in
writing; the law's deadline is already lost or about to be, so its timers (and the breach) stay as above.
Two more timers watch the promise while the dossier is open, received and not paused (officials only, UNSURE:
no text prescribes them): ``new_appointment_1wd`` one working day before the new appointment (dropped when
the apology came later than that), and ``new_appointment_missed`` at it. They are keyed by the new appointment
like the others by ``due_at``, never supersede the law's timers (those fire first when both are due) and
change nothing on the dossier but ``sla_fired``: the breach is what the index counts.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, Protocol, TypeVar

from motcua.domain import actions as ev
from motcua.domain import clock
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ, WorkingCalendar, default_calendar
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.errors import CalendarError, CalendarYearMissing
from motcua.domain.events import EventEnvelope, SlaTimerFired, StepTimerFired
from motcua.domain.status import DossierStatus
from motcua.domain.steps import STEP_ESCALATED, StepAlertPolicy, StepTimer, due_step_timers, next_step_timer

__all__ = [
    "ACTIVE_STATUSES",
    "AT_RISK_WORKING_DAYS",
    "BREACH",
    "DEFAULT_CONFIG",
    "LAST_DAY",
    "NEW_APPOINTMENT_KINDS",
    "NEW_APPOINTMENT_MISSED",
    "NEW_APPOINTMENT_WARN",
    "SLA_BREACH_ACTION",
    "SLA_WARNING_ACTION",
    "SYSTEM_ACTOR",
    "WARN_1WD",
    "WARN_2WD",
    "ExtensionRule",
    "Firing",
    "SlaConfig",
    "SlaPolicy",
    "Standing",
    "Timer",
    "TimerPoint",
    "apply_firing",
    "extension_appointment",
    "fire",
    "fire_steps",
    "index_keys",
    "new_appointment_timers",
    "next_of",
    "next_timer",
    "pending_timers",
    "select_due",
    "set_sla_config",
    "sla_config",
    "standing",
    "sweep_upper_bound",
    "timer_index_keys",
    "timer_shard",
    "timer_sort_key",
    "timers_for",
    "warning_points",
]

WARN_2WD = "warn_2wd"
WARN_1WD = "warn_1wd"
LAST_DAY = "last_day"
BREACH = "breach"
NEW_APPOINTMENT_WARN = "new_appointment_1wd"
NEW_APPOINTMENT_MISSED = "new_appointment_missed"
NEW_APPOINTMENT_KINDS = frozenset({NEW_APPOINTMENT_WARN, NEW_APPOINTMENT_MISSED})
# The outbox events a fired timer writes (the notifier tells the citizen and the officials of them).
WARNING_EVENT = "dossier.sla_warning"
BREACH_EVENT = "dossier.sla_breached"

# History actions on the dossier's trail (status-neutral; the index ignores them, docs/domain.md §4.6 counts late
# dossiers from their dates, so a breach needs no index change).
SLA_WARNING_ACTION = "sla_warning"
SLA_BREACH_ACTION = "sla_breach"

# Who fires timers and drafts the automatic apology (``Apology.issued_by`` reads "system").
SYSTEM_ACTOR = Actor(subject="system", role=Role.SYSTEM)

# The statuses in which the legal clock runs (or is paused) after reception; the apology is allowed in
# exactly these too (workflow ``_FROM``).
ACTIVE_STATUSES = frozenset({DossierStatus.RECEIVED, DossierStatus.PROCESSING,
                             DossierStatus.SUPPLEMENT_REQUESTED, DossierStatus.AWAITING_PAYMENT})

_ID_NAMESPACE = uuid.UUID("6f1d3c8e-5b8a-4d52-9d0e-6a3c7f0b2e41")


# --------------------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class TimerPoint:
    """One warning point: ``working_days_before`` the due date, or the opening of the due date's day."""

    kind: str
    working_days_before: int | None = None
    start_of_last_day: bool = False

    def __post_init__(self) -> None:
        if not self.kind or self.kind == BREACH or "@" in self.kind:
            raise ValueError(f"invalid warning kind {self.kind!r}")
        if (self.working_days_before is None) == (not self.start_of_last_day):
            raise ValueError(f"{self.kind}: give working_days_before or start_of_last_day, not both")
        if self.working_days_before is not None and not 1 <= self.working_days_before <= 60:
            raise ValueError(f"{self.kind}: working_days_before must be 1..60")


DEFAULT_POINTS: tuple[TimerPoint, ...] = (
    TimerPoint(WARN_2WD, working_days_before=2),
    TimerPoint(WARN_1WD, working_days_before=1),
    TimerPoint(LAST_DAY, start_of_last_day=True),
)


@dataclass(frozen=True)
class ExtensionRule:
    """The new appointment the system drafts on a breach with no apology (docs/domain.md §4.7).

    UNSURE: the law asks for "a new appointment date" and grants it once, but names no length for an
    automatic one. Configurable per procedure/agency; the default gives another period as long as the
    procedure's own time limit, at least ``min_working_days`` and at most ``cap_working_days`` working days
    (a 15-day land procedure gets 10 more, a 3-day one 3 more). ``fixed_working_days`` gives
    ``working_days`` whatever the procedure. Limits in calendar days count as that many working days
    (generous); limits in hours and same-day procedures get ``min_working_days``.
    The new appointment is the close of office hours of that many working days after the later of the due
    date, the current appointment and the breach instant (the clock's convention), so it is always a
    working day after the old appointment, as the workflow requires.
    """

    mode: Literal["time_limit_capped", "fixed_working_days"] = "time_limit_capped"
    working_days: int = 5
    cap_working_days: int = 10
    min_working_days: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.min_working_days <= self.cap_working_days <= 120 or not 1 <= self.working_days <= 120:
            raise ValueError("extension: need 1 <= min_working_days <= cap_working_days <= 120, 1 <= working_days")

    def working_days_for(self, limit: clock.TimeLimit) -> int:
        if self.mode == "fixed_working_days":
            return self.working_days
        if limit.unit in (clock.TimeUnit.WORKING_DAYS, clock.TimeUnit.CALENDAR_DAYS):
            days = math.ceil(limit.value)
        else:
            days = self.min_working_days
        return max(self.min_working_days, min(self.cap_working_days, days))


# The automatic apology's reason (Form 04 prints "vì lý do: ..."). UNSURE wording: configurable.
DEFAULT_APOLOGY_REASON = "Hồ sơ cần thêm thời gian để thẩm định, xử lý"


@dataclass(frozen=True)
class SlaPolicy:
    points: tuple[TimerPoint, ...] = DEFAULT_POINTS
    extension: ExtensionRule = ExtensionRule()
    auto_apology: bool = True
    apology_reason: str = DEFAULT_APOLOGY_REASON

    def __post_init__(self) -> None:
        kinds = [p.kind for p in self.points]
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"duplicate warning kinds: {kinds}")


@dataclass(frozen=True)
class SlaConfig:
    """Policies by procedure code, then by agency code, then the default; and the index's shard count.

    ``shards`` spreads the timers index over that many partitions (``TIMER#0`` .. ``TIMER#<n-1>``). Changing
    it strands the items written under the old count until their next write: only change it together with a
    re-index of the open dossiers.
    """

    default: SlaPolicy = SlaPolicy()
    by_procedure: Mapping[str, SlaPolicy] = field(default_factory=dict)
    by_agency: Mapping[str, SlaPolicy] = field(default_factory=dict)
    shards: int = 8
    # Citizens' feedback (motcua.domain.feedback): the points before each step's legal limit. Same defaults.
    feedback: SlaPolicy = SlaPolicy()
    # Internal-procedure steps' notices and their escalation (docs/domain.md §11.4).
    steps: StepAlertPolicy = field(default_factory=StepAlertPolicy)

    def __post_init__(self) -> None:
        if not 1 <= self.shards <= 256:
            raise ValueError("shards must be 1..256")

    def policy_for(self, procedure_code: str, agency_code: str) -> SlaPolicy:
        found = self.by_procedure.get(procedure_code) or self.by_agency.get(agency_code)
        return found if found is not None else self.default


DEFAULT_CONFIG = SlaConfig()
_config: SlaConfig = DEFAULT_CONFIG


def sla_config() -> SlaConfig:
    """The configuration in force in this process (the default unless a deployment or a test set one)."""
    return _config


def set_sla_config(config: SlaConfig) -> SlaConfig:
    """Install ``config``; returns the previous one (tests restore it)."""
    global _config
    previous, _config = _config, config
    return previous


# --------------------------------------------------------------------------------------------------------
# Timer points


@dataclass(frozen=True)
class Timer:
    kind: str
    at: datetime  # aware, Asia/Ho_Chi_Minh
    due_at: datetime  # the legal deadline it belongs to

    @property
    def key(self) -> str:
        """``<kind>@<due_at>``: the idempotency key within the dossier (dossier id + kind + due date)."""
        return f"{self.kind}@{_utc_text(self.due_at)}"

    @property
    def is_breach(self) -> bool:
        return self.kind == BREACH


def _utc_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _working_days_before(at: datetime, days: int, not_before: date, agency: str,
                         calendar: WorkingCalendar) -> datetime | None:
    """The same office-clock time ``days`` working days before ``at``'s day; None if that is before
    ``not_before`` (the reception day)."""
    d = at.date()
    counted = 0
    while counted < days:
        d -= timedelta(days=1)
        if d < not_before:
            return None
        if calendar.is_working_day(d, agency):
            counted += 1
    return datetime.combine(d, at.timetz())


def _opening_of(at: datetime, agency: str, calendar: WorkingCalendar) -> datetime:
    opening = calendar.office_hours(agency).opening
    return datetime.combine(at.date(), time(), VN_TZ) + timedelta(seconds=opening)


def _clock_runs(dossier: Dossier) -> bool:
    return (dossier.received_at is not None and dossier.finished_at is None and dossier.overdue_since is None
            and dossier.status in ACTIVE_STATUSES and dossier.open_pause is None
            and not clock.is_open_ended(dossier.due_at))


def timers_for(dossier: Dossier, policy: SlaPolicy | None = None, *,
               calendar: WorkingCalendar | None = None) -> list[Timer]:
    """Every timer point of the dossier's current due date, in time order, fired or not; empty while the
    clock does not run (see the module docstring)."""
    if not _clock_runs(dossier):
        return []
    assert dossier.received_at is not None
    policy = policy or sla_config().policy_for(dossier.procedure_code, dossier.agency_code)
    cal = calendar if calendar is not None else default_calendar()
    # The clock's agency (workflow ``_legal_due``).
    return warning_points(dossier.received_at, dossier.due_at, dossier.agency_code, policy, cal)


def warning_points(start: datetime, due: datetime, agency: str, policy: SlaPolicy,
                   calendar: WorkingCalendar | None = None) -> list[Timer]:
    """The timers of ONE deadline on the clock: the policy's points strictly between the clock start and
    ``due``, in time order, then the breach at ``due``. Dossiers (``timers_for``) and every step of a
    citizen's feedback (``motcua.domain.feedback``) get their timers here."""
    cal = calendar if calendar is not None else default_calendar()
    due = due.astimezone(VN_TZ)
    start = start.astimezone(VN_TZ)
    timers: list[Timer] = []
    for point in policy.points:
        try:
            if point.start_of_last_day:
                at: datetime | None = _opening_of(due, agency, cal)
            else:
                assert point.working_days_before is not None
                at = _working_days_before(due, point.working_days_before, start.date(), agency, cal)
        except (CalendarError, CalendarYearMissing):
            at = None  # a year the schedule does not cover: the warning is dropped, the breach stays
        if at is not None and start < at < due:
            timers.append(Timer(point.kind, at, due))
    timers.sort(key=lambda t: t.at)  # stable: equal instants keep the configured order
    timers.append(Timer(BREACH, due, due))
    return timers


def new_appointment_timers(dossier: Dossier, *, calendar: WorkingCalendar | None = None) -> list[Timer]:
    """The timers of the apology's new appointment (see the module docstring), fired or not, in time order;
    empty without an apology or while the dossier is finished, paused or not received."""
    if (dossier.apology is None or dossier.received_at is None or dossier.finished_at is not None
            or dossier.status not in ACTIVE_STATUSES or dossier.open_pause is not None):
        return []
    cal = calendar if calendar is not None else default_calendar()
    promised = dossier.appointment_at.astimezone(VN_TZ)
    issued = dossier.apology.issued_at.astimezone(VN_TZ)
    try:
        warn = _working_days_before(promised, 1, issued.date(), dossier.agency_code, cal)
    except (CalendarError, CalendarYearMissing):
        warn = None
    timers = [Timer(NEW_APPOINTMENT_WARN, warn, promised)] if warn is not None and issued < warn < promised else []
    return [*timers, Timer(NEW_APPOINTMENT_MISSED, promised, promised)]


def _clock_restart(dossier: Dossier) -> datetime:
    """When the clock last (re)started: reception, or the end of the latest closed pause."""
    assert dossier.received_at is not None
    ends = [p.end for p in dossier.pauses if p.end is not None]
    return max([dossier.received_at, *ends])


def pending_timers(dossier: Dossier, policy: SlaPolicy | None = None, *,
                   calendar: WorkingCalendar | None = None) -> list[Timer]:
    """The timers still to fire, the law's and the new appointment's, in time order (their instants may
    already be past)."""
    return sorted([*_pending_legal(dossier, policy, calendar), *_pending_new_appointment(dossier, calendar)],
                  key=lambda t: t.at)


def _pending_legal(dossier: Dossier, policy: SlaPolicy | None, calendar: WorkingCalendar | None) -> list[Timer]:
    return _not_fired(dossier, timers_for(dossier, policy, calendar=calendar))


def _pending_new_appointment(dossier: Dossier, calendar: WorkingCalendar | None) -> list[Timer]:
    return _not_fired(dossier, new_appointment_timers(dossier, calendar=calendar))


def _not_fired(dossier: Dossier, timers: list[Timer]) -> list[Timer]:
    if not timers:
        return []
    fired = set(dossier.sla_fired)
    fired_kinds = {key.partition("@")[0] for key in fired}
    restart = _clock_restart(dossier)
    return [t for t in timers
            if t.key not in fired and not (t.kind in fired_kinds and not t.is_breach and t.at <= restart)]


def next_timer(dossier: Dossier, now: datetime, policy: SlaPolicy | None = None, *,
               calendar: WorkingCalendar | None = None) -> Timer | None:
    """The timer to act on next: the latest one already due at ``now`` (earlier due ones are superseded by
    it), else the earliest one to come; None when finished, paused, overdue or not yet received."""
    return next_of(pending_timers(dossier, policy, calendar=calendar), now)


class _Timed(Protocol):
    @property
    def at(self) -> datetime: ...


TimedT = TypeVar("TimedT", bound=_Timed)


def next_of(pending: Sequence[TimedT], now: datetime) -> TimedT | None:
    """Of timers still to fire (time order): the latest one already due at ``now``, else the earliest to come."""
    due = [t for t in pending if t.at <= now]
    if due:
        return due[-1]
    return pending[0] if pending else None


def select_due(pending: Sequence[TimedT], now: datetime) -> tuple[TimedT, tuple[TimedT, ...]] | None:
    """The timer to fire at ``now`` and the earlier due ones it supersedes; None when none is due."""
    due = [t for t in pending if t.at <= now]
    if not due:
        return None
    return due[-1], tuple(due[:-1])


# --------------------------------------------------------------------------------------------------------
# The timers index (sparse GSI): keys computed here, written by the data layer on every dossier write


def timer_shard(dossier_id: str, shards: int) -> int:
    return int.from_bytes(hashlib.sha256(dossier_id.encode()).digest()[:4], "big") % shards


def timer_sort_key(at: datetime, dossier_id: str) -> str:
    """``<instant UTC, microseconds, fixed width>#<dossier id>``: lexical order is time order."""
    return f"{_utc_text(at)}#{dossier_id}"


def sweep_upper_bound(now: datetime) -> str:
    """Every sort key due at ``now`` is ``<=`` this ('~' sorts after every id character)."""
    return f"{_utc_text(now)}#~"


def index_keys(dossier: Dossier, config: SlaConfig | None = None) -> tuple[str, str] | None:
    """(partition, sort key) of the dossier in the timers index, or None to leave it out (sparse): recomputed
    on every write, so a pause moves the entry, a resume re-creates it, finishing removes it."""
    config = config or sla_config()
    timer = next_timer(dossier, dossier.updated_at, config.policy_for(dossier.procedure_code, dossier.agency_code))
    # The open step's next notice shares the dossier's one entry: the entry is the earlier of the two, so the
    # sweep still reads only what is due (docs/domain.md §11.4).
    step_timer = next_step_timer(dossier.steps, config.steps) if dossier.steps else None
    instants = [t.at for t in (timer, step_timer) if t is not None]
    if not instants:
        return None
    return timer_index_keys(dossier.id, min(instants), config.shards)


def timer_index_keys(item_id: str, at: datetime, shards: int) -> tuple[str, str]:
    """(partition, sort key) in the timers index of an item (dossier, feedback) whose next timer is at ``at``."""
    return f"TIMER#{timer_shard(item_id, shards)}", timer_sort_key(at, item_id)


# --------------------------------------------------------------------------------------------------------
# Firing


@dataclass(frozen=True)
class Firing:
    """What firing the due timers of one dossier changes: applied in one version-guarded write."""

    timer: Timer
    superseded: tuple[Timer, ...]
    updates: dict[str, Any]
    event: HistoryEvent
    envelope: EventEnvelope[SlaTimerFired]
    needs_apology: bool


def _stable_id(dossier_id: str, timer: Timer, what: str) -> str:
    return uuid.uuid5(_ID_NAMESPACE, f"{what}:{dossier_id}:{timer.key}").hex


def fire(dossier: Dossier, now: datetime, policy: SlaPolicy | None = None, *,
         calendar: WorkingCalendar | None = None, correlation_id: str | None = None) -> Firing | None:
    """The firing of the dossier's due timers at ``now``, or None if none is due. Decided on the record
    passed in: callers pass the stored record and write guarded by its version."""
    policy = policy or sla_config().policy_for(dossier.procedure_code, dossier.agency_code)
    # The law's timers first: a late sweep must never let a promise's timer supersede the breach.
    selected = (select_due(_pending_legal(dossier, policy, calendar), now)
                or select_due(_pending_new_appointment(dossier, calendar), now))
    if selected is None:
        return None
    timer, superseded = selected
    updates: dict[str, Any] = {"sla_fired": (*dossier.sla_fired, *(t.key for t in (*superseded, timer)))}
    if timer.is_breach:
        updates["overdue_since"] = timer.due_at
    action = SLA_BREACH_ACTION if timer.is_breach else SLA_WARNING_ACTION
    event = HistoryEvent(
        event_id=_stable_id(dossier.id, timer, "event"), dossier_id=dossier.id, occurred_at=now, action=action,
        from_status=dossier.status, to_status=dossier.status, actor=SYSTEM_ACTOR,
        details={"kind": timer.kind, "due_at": timer.due_at.isoformat(), "timer_at": timer.at.isoformat(),
                 "agency_code": dossier.current_agency,
                 **({"superseded": [t.kind for t in superseded]} if superseded else {})},
        request_id=correlation_id,
    )
    envelope = EventEnvelope[SlaTimerFired](
        id=_stable_id(dossier.id, timer, "envelope"),
        type=BREACH_EVENT if timer.is_breach else WARNING_EVENT,
        correlation_id=correlation_id, occurred_at=now,
        data=SlaTimerFired(dossier_id=dossier.id, receipt_code=dossier.receipt_code,
                           agency_code=dossier.current_agency, kind=timer.kind, due_at=timer.due_at),
    )
    return Firing(timer=timer, superseded=superseded, updates=updates, event=event, envelope=envelope,
                  needs_apology=timer.is_breach and dossier.apology is None and policy.auto_apology)


STEP_ALERT_EVENTS: dict[str, str] = {"step_warning": "dossier.step_warning", "step_overdue": "dossier.step_overdue",
                                     STEP_ESCALATED: "dossier.step_escalated"}


@dataclass(frozen=True)
class StepFiring:
    """The open step's notices due at once: the step's alert keys, a ``step_alert`` event and an envelope each."""

    timers: tuple[StepTimer, ...]
    steps: tuple[Any, ...]
    events: list[HistoryEvent]
    envelopes: list[EventEnvelope[StepTimerFired]]


def fire_steps(dossier: Dossier, now: datetime, config: SlaConfig | None = None, *,
               correlation_id: str | None = None) -> StepFiring | None:
    """The open step's notices due at ``now`` (docs/domain.md §11.4), or None. Each once per step and due time
    (its key kept on the step, written with the envelope); the officers are warned and told when it is overdue,
    the agency's leaders when it is escalated (``recipients`` empty: the notifier finds the leaders)."""
    config = config or sla_config()
    due = due_step_timers(dossier.steps, now, config.steps)
    if not due or dossier.finished_at is not None:
        return None
    step = dossier.steps[-1]
    events, envelopes = [], []
    for timer in due:
        stable = f"{dossier.id}:{timer.seq}:{timer.key}"
        recipients = () if timer.kind == STEP_ESCALATED else step.officers
        data = StepTimerFired(dossier_id=dossier.id, receipt_code=dossier.receipt_code,
                              agency_code=step.agency_code, seq=step.seq, step_code=step.code, unit=step.unit,
                              kind=timer.kind, due_at=timer.due_at, recipients=recipients)
        events.append(HistoryEvent(
            event_id=uuid.uuid5(_ID_NAMESPACE, f"step-event:{stable}").hex, dossier_id=dossier.id, occurred_at=now,
            action=ev.STEP_ALERT, from_status=dossier.status, to_status=dossier.status, actor=SYSTEM_ACTOR,
            details=data.model_dump(mode="json"), request_id=correlation_id))
        envelopes.append(EventEnvelope[StepTimerFired](
            id=uuid.uuid5(_ID_NAMESPACE, f"step-envelope:{stable}").hex, type=STEP_ALERT_EVENTS[timer.kind],
            correlation_id=correlation_id, occurred_at=now, data=data))
    fired = step.model_copy(update={"alerts": (*step.alerts, *(t.key for t in due))})
    return StepFiring(tuple(due), (*dossier.steps[:-1], fired), events, envelopes)


def apply_firing(dossier: Dossier, firing: Firing, now: datetime) -> Dossier:
    """The dossier after a firing alone (no apology): version + 1, like every change."""
    return dossier.model_copy(update={**firing.updates, "version": dossier.version + 1, "updated_at": now})


def extension_appointment(dossier: Dossier, now: datetime, policy: SlaPolicy | None = None, *,
                          calendar: WorkingCalendar | None = None) -> datetime:
    """The new appointment of the automatic apology (:class:`ExtensionRule`), from the one clock."""
    policy = policy or sla_config().policy_for(dossier.procedure_code, dossier.agency_code)
    days = policy.extension.working_days_for(dossier.legal_time_limit)
    base = max(dossier.due_at, dossier.appointment_at, now)
    return clock.due_at(base, days, agency=dossier.agency_code, calendar=calendar)


# --------------------------------------------------------------------------------------------------------
# Standing of an open dossier (``motcua sla status``)

Standing = Literal["overdue", "due_today", "at_risk", "on_track", "paused", "closed"]
AT_RISK_WORKING_DAYS = 2  # "at risk": due within the next 2 working days after today (the first warning)


def standing(dossier: Dossier, at: datetime, *, calendar: WorkingCalendar | None = None) -> Standing:
    """Where an open dossier stands at ``at``: overdue (past its due date, or flagged), due today (later
    today), at risk (due by the close of the 2nd working day after today), on track; paused while an open
    pause holds its clock; closed when the clock does not run (not received, finished)."""
    if dossier.received_at is None or dossier.finished_at is not None or dossier.status not in ACTIVE_STATUSES:
        return "closed"
    if dossier.overdue_since is not None:
        return "overdue"
    if dossier.open_pause is not None or clock.is_open_ended(dossier.due_at):
        return "paused"
    local = at.astimezone(VN_TZ)
    due = dossier.due_at.astimezone(VN_TZ)
    if due < local:
        return "overdue"
    if due.date() == local.date():
        return "due_today"
    horizon = clock.due_at(local, AT_RISK_WORKING_DAYS, agency=dossier.agency_code, calendar=calendar)
    return "at_risk" if due <= horizon else "on_track"
