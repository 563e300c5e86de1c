"""A deterministic, realistic demo province: dossiers with their full history. Pure (no I/O).

Interface for ``motcua demo-data --months 12 --dossiers N`` (the wiring writes what this returns)::

    generate(months=12, dossiers=N, end_month=Month(2026, 10), seed=2026)
        -> list[tuple[Dossier, list[HistoryEvent]]]

Feedback about a procedure or an agency (no dossier carries it) comes from its own generator, for the
same province and months::

    generate_feedback(months=12, count=M, end_month=Month(2026, 10), seed=2026)
        -> list[FeedbackHistory]   # each: the successive feedback records, with the trail event of each step

The same arguments always give the same dossiers, ids, receipt codes and events (a seeded
``random.Random``; event ids derive from dossier ids). Dossiers are spread over the ``months`` months ending
with ``end_month``; every event happens on a working day inside office hours (through the one clock),
except online submissions, which citizens also make in the evening. The history is cut at ``as_of``
(default: the end of ``end_month``), so the last weeks hold open dossiers, and the returned ``Dossier`` is
the state after the last kept event.

What the province looks like (rates are per-agency so rankings differ): procedures weighted towards civil
status, certification and residence; online share 40-60 % where the procedure allows it; 5-10 % late
(some after a second supplement request, most with an apology and a reason); supplement requests, fees paid
online or at the desk, electronic results, synchronisation, app evaluations (mostly satisfied) and a little
feedback. Applicants are fake (generated names, 12-digit IDs, phone numbers), never real people.
"""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from motcua.domain import actions as ev
from motcua.domain import clock, payment
from motcua.domain.actors import Actor, Role
from motcua.domain.calendar import VN_TZ, default_calendar
from motcua.domain.catalogue import Channel, Procedure
from motcua.domain.clock import TimeLimit, TimeUnit
from motcua.domain.dossier import Applicant, Dossier, HistoryEvent, PauseRecord, open_dossier
from motcua.domain.errors import CalendarYearMissing
from motcua.domain.evaluation import EvaluationInput, evaluate, evaluation_event
from motcua.domain.feedback import Feedback, FeedbackAbout, FeedbackAction, FeedbackCategory, FeedbackEvent
from motcua.domain.feedback.steps import StepInput, apply_feedback_action, file_feedback
from motcua.domain.index.facts import FactsContext
from motcua.domain.index.month import Month
from motcua.domain.index.units import (
    UnitTree,
    load_default_procedures,
    load_default_tree,
    procedure_has_fee,
    traits_by_code,
)
from motcua.domain.receipt import receipt_code
from motcua.domain.status import PAUSE_REASONS, DossierStatus

S = DossierStatus
DEMO_GATEWAY = "paygov"  # online payments go through the national platform (docs/integrations.md §2)
DEFAULT_END_MONTH = Month(2026, 10)  # the official calendar data covers 2024-2026

# Relative demand by sector (commune-level civil status and certification dominate real desks).
SECTOR_WEIGHTS: dict[str, float] = {
    "civil_status": 6, "certification": 4, "residence": 3, "household_business": 1.5, "land": 2.5,
    "social_protection": 1.5, "construction": 1, "enterprise": 1.5, "criminal_record": 1.5, "transport": 1.5,
    "education": 0.7, "health": 0.3, "investment": 0.3,
}
APOLOGY_REASONS = (
    "Chờ ý kiến phối hợp của cơ quan liên quan",
    "Cần xác minh thực địa",
    "Hồ sơ phức tạp, cần thêm thời gian thẩm định",
    "Hệ thống liên thông gián đoạn",
    "Chờ kết quả đo đạc địa chính",
)
_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "K'", "Ka")
_MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Quốc", "Thu", "Hoài")
_GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh", "Mai", "Nam",
          "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến", "Brơi", "Điểu")


@dataclass
class _Profile:
    """Per-agency habits, so that units differ and the rankings mean something."""

    online: float
    late: float
    electronic: float
    satisfied: float


@dataclass
class _Plan:
    """A dossier being written: its events in time order."""

    dossier: Dossier
    events: list[HistoryEvent] = field(default_factory=list)


class _Stop(Exception):
    """The next step would happen after ``as_of`` (or beyond the calendar data): the dossier stays open."""


def _office_plus(t: datetime, hours: float, agency: str) -> datetime:
    """``t`` plus some working hours, always inside office hours (the clock's working-hours arithmetic)."""
    limit = TimeLimit(value=Decimal(str(round(max(hours, 0.05), 2))), unit=TimeUnit.WORKING_HOURS)
    return clock.deadline_for(limit, t, agency=agency)


class _Generator:
    def __init__(self, *, seed: int, procedures: Sequence[Procedure], tree: UnitTree, as_of: datetime) -> None:
        self.rng = random.Random(seed)
        self.procedures = list(procedures)
        self.tree = tree
        self.as_of = as_of
        self.calendar = default_calendar()
        self.communes = sorted(c for c, a in tree.agencies.items() if a.kind == "commune")
        self.context = FactsContext(tree=tree, traits=traits_by_code(procedures))
        agencies = sorted(tree.agencies)
        self.profiles = {code: _Profile(online=self.rng.uniform(0.4, 0.6), late=self.rng.uniform(0.03, 0.11),
                                        electronic=self.rng.uniform(0.4, 0.85),
                                        satisfied=self.rng.uniform(0.85, 0.98)) for code in agencies}
        self.commune_weights = [self.rng.uniform(0.5, 2.0) for _ in self.communes]
        self.weights = [SECTOR_WEIGHTS.get(p.sector_group, 1.0) for p in self.procedures]
        self.sequences: dict[tuple[str, str], int] = defaultdict(int)
        self._working_days: dict[tuple[Month, str], list[date]] = {}
        # Integrated with the online payment platform: fee procedures that accept online submission.
        self.online_payment_codes = frozenset(p.code for p in self.procedures
                                              if procedure_has_fee(p) and p.online.allowed)

    # -- time --------------------------------------------------------------------------------------------
    def working_moment(self, month: Month, agency: str) -> datetime:
        key = (month, agency)
        days = self._working_days.get(key)
        if days is None:
            days = self._working_days[key] = [d for d in _days(month) if self.calendar.is_working_day(d, agency)]
        day = self.rng.choice(days)
        start = datetime.combine(day, datetime.min.time(), VN_TZ) + timedelta(hours=7, minutes=30)
        return _office_plus(start, self.rng.uniform(0.05, 7.4), agency)

    def later(self, t: datetime, hours: float, agency: str) -> datetime:
        try:
            out = _office_plus(t, hours, agency)
        except CalendarYearMissing as exc:
            raise _Stop from exc
        if out > self.as_of:
            raise _Stop
        return out

    # -- one dossier -------------------------------------------------------------------------------------
    def pick(self, month: Month) -> tuple[Procedure, str, Channel, datetime]:
        procedure = self.rng.choices(self.procedures, weights=self.weights)[0]
        if procedure.competent_agency.kind == "commune" or procedure.competent_agency.agency_code is None:
            agency = self.rng.choices(self.communes, weights=self.commune_weights)[0]
        else:
            agency = procedure.competent_agency.agency_code
        profile = self.profiles[agency]
        channel = Channel.COUNTER
        if Channel.ONLINE in procedure.channels and self.rng.random() < profile.online:
            channel = Channel.ONLINE
        elif Channel.POST in procedure.channels and self.rng.random() < 0.04:
            channel = Channel.POST
        t = self.working_moment(month, agency)
        if channel is Channel.ONLINE and self.rng.random() < 0.25:  # citizens also apply in the evening
            t = t.replace(hour=self.rng.randint(18, 22), minute=self.rng.randint(0, 59))
        return procedure, agency, channel, t

    def build(self, index: int, procedure: Procedure, agency: str, channel: Channel, submitted: datetime) -> _Plan:
        rng = self.rng
        dossier_id = f"demo{rng.getrandbits(64):016x}"
        day = submitted.strftime("%y%m%d")
        self.sequences[(agency, day)] += 1
        code = receipt_code(agency, submitted, self.sequences[(agency, day)])
        citizen = Actor(subject=f"demo-citizen-{index:06d}", role=Role.CITIZEN)
        commune = self.tree.agencies.get(agency)
        applicant = Applicant(
            full_name=f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}",
            national_id=f"068{rng.randint(0, 999_999_999):09d}",
            phone=f"09{rng.randint(0, 99_999_999):08d}",
            address=f"Tổ dân phố {rng.randint(1, 30)}, {commune.name_vi if commune else 'Lâm Đồng'}",
        )
        submitter = citizen if channel is not Channel.COUNTER else self.officer(agency, Role.RECEPTION_OFFICER)
        dossier, first = open_dossier(dossier_id=dossier_id, receipt_code=code, procedure=procedure,
                                      agency_code=agency, channel=channel, applicant=applicant, attachments=(),
                                      submitted_by=submitter, owner=citizen.subject, now=submitted)
        plan = _Plan(dossier=dossier)
        first = first.model_copy(update={"event_id": f"{dossier_id}-00"})
        if channel is Channel.COUNTER:
            first = first.model_copy(update={"details": {**first.details, **self.reception_details(procedure)}})
        plan.events.append(first)
        with contextlib.suppress(_Stop):  # the rest happens after as_of: the dossier stays open
            self.lifecycle(plan, procedure, citizen)
        return plan

    def officer(self, agency: str, role: Role = Role.PROCESSING_OFFICER) -> Actor:
        return Actor(subject=f"demo-officer-{role.value}-{agency}", role=role, agency_code=agency)

    def reception_details(self, procedure: Procedure) -> dict[str, Any]:
        return {ev.D_DIGITISED: self.rng.random() < 0.9,
                ev.D_REUSED_DOCUMENTS: self.rng.choice((0, 0, 1, 1, 2, 3)) if len(procedure.documents) > 1 else 0}

    def add(self, plan: _Plan, at: datetime, action: str, to: DossierStatus | None = None,
            details: dict[str, Any] | None = None, actor: Actor | None = None) -> None:
        if at > self.as_of:
            raise _Stop
        if at < plan.events[-1].occurred_at:
            raise ValueError(f"{plan.dossier.id}: {action} at {at} before the previous event")  # a generator bug
        current = plan.events[-1].to_status
        plan.events.append(HistoryEvent(
            event_id=f"{plan.dossier.id}-{len(plan.events):02d}", dossier_id=plan.dossier.id, occurred_at=at,
            action=action, from_status=current, to_status=to if to is not None else current,
            actor=actor or self.officer(plan.dossier.agency_code), details=details or {}))

    def lifecycle(self, plan: _Plan, procedure: Procedure, citizen: Actor) -> None:
        rng, d = self.rng, plan.dossier
        agency, profile = d.agency_code, self.profiles[d.agency_code]
        limit = procedure.time_limit.to_domain()
        t = d.submitted_at
        if d.channel is not Channel.COUNTER:
            if rng.random() < 0.02:  # outside competence or ineligible: refused at reception (Form 03)
                self.add(plan, self.later(clock.effective_reception(t, online=True, agency=agency),
                                          rng.uniform(0.2, 3), agency), ev.REFUSE, S.REFUSED)
                return
            t = self.later(clock.effective_reception(t, online=True, agency=agency), rng.uniform(0.1, 2.5), agency)
            appointment = clock.deadline_for(limit, t, agency=agency)
            self.add(plan, t, ev.RECEIVE, S.RECEIVED, {ev.D_APPOINTMENT_AT: appointment.isoformat(),
                                                       **self.reception_details(procedure)},
                     self.officer(agency, Role.RECEPTION_OFFICER))
        received = t
        # The national portal's sync record: synchronised for most dossiers, rejected for a few.
        self.add(plan, self.later(t, 0.1, agency), ev.SYNC_NATIONAL_PORTAL,
                 details={ev.D_SYNCED: rng.random() < 0.97}, actor=_SYSTEM)
        t = self.later(t, rng.uniform(0.1, 1.5), agency)
        self.add(plan, t, ev.START_PROCESSING, S.PROCESSING)
        pauses: list[clock.Pause] = []
        supplements = 2 if rng.random() < 0.012 else (1 if rng.random() < 0.12 else 0)
        for _ in range(supplements):
            t = self.later(t, rng.uniform(1, 10), agency)
            self.add(plan, t, ev.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED)
            back = self.later(t, rng.uniform(4, 30), agency)
            pauses.append(clock.Pause(start=t, end=back))
            due = clock.deadline_for(limit, received, pauses, agency=agency)
            self.add(plan, back, ev.RECEIVE_SUPPLEMENT, S.PROCESSING,
                     {ev.D_APPOINTMENT_AT: due.isoformat()}, citizen)
            t = back
        if rng.random() < 0.01:  # the citizen withdraws; the agency stops with a notice (Form 05)
            t = self.later(t, rng.uniform(1, 8), agency)
            self.add(plan, t, ev.REQUEST_WITHDRAWAL, S.WITHDRAWAL_REQUESTED, actor=citizen)
            self.add(plan, self.later(t, rng.uniform(1, 8), agency), ev.STOP, S.STOPPED)
            return
        due = clock.deadline_for(limit, received, pauses, agency=agency)
        late = supplements < 2 and rng.random() < profile.late
        if late:
            apology_at = self.later(t, 0.1, agency)
            # The apology (Form 04) goes out before the deadline; when the agency missed that moment the
            # dossier is late without one (the system then produces the letter).
            if rng.random() < 0.7 and apology_at <= due:
                self.add(plan, apology_at, ev.APOLOGISE, details={
                    ev.D_REASON: rng.choice(APOLOGY_REASONS),
                    ev.D_NEW_APPOINTMENT_AT: self.later(due, rng.uniform(8, 24), agency).isoformat()},
                    actor=self.officer(agency, Role.AGENCY_LEADER))
            finish = self.later(due, rng.uniform(1, 30), agency)
        else:
            # Most dossiers finish well before the deadline (early), some on its last day.
            remaining = float(clock.working_days_between(t, due, agency=agency)) * 7.5 if due > t else 0.0
            finish = self.later(t, rng.uniform(0.1, 1.0) * max(remaining, 0.2), agency)
            finish = max(min(finish, due), t)
        if procedure_has_fee(procedure):
            pay_at = self.later(t, 0.2, agency) if t < finish else finish
            if pay_at < finish:
                self.add(plan, pay_at, ev.REQUEST_PAYMENT, S.AWAITING_PAYMENT)
                online = d.channel is Channel.ONLINE and procedure.code in self.online_payment_codes
                paid_at = self.later(pay_at, rng.uniform(0.05, 0.3), agency)
                paid_at = min(paid_at, finish)
                paid_online = online and rng.random() < 0.75
                details: dict[str, Any] = {ev.D_ONLINE: paid_online, ev.D_AMOUNT_VND: _amount(procedure, rng)}
                if paid_online:  # the platform's verified receipt, as its callback records it
                    details |= {ev.D_GATEWAY: DEMO_GATEWAY,
                                ev.D_TRANSACTION_ID: payment.transaction_id(d.id, pay_at, DEMO_GATEWAY)}
                self.add(plan, paid_at, ev.RECORD_PAYMENT, details=details, actor=_SYSTEM if paid_online else citizen)
                self.add(plan, paid_at, ev.RESUME_PROCESSING, S.PROCESSING)
        self.add(plan, max(finish, plan.events[-1].occurred_at), ev.DECIDE, S.DECIDED)
        decided = plan.events[-1].occurred_at
        electronic = rng.random() < profile.electronic
        if electronic:
            self.add(plan, decided, ev.ISSUE_ELECTRONIC_RESULT)
        t = self.later(decided, rng.uniform(0.1, 12), agency)
        method = ev.RETURN_METHOD_ELECTRONIC if electronic and rng.random() < 0.6 else (
            "post" if d.channel is Channel.POST else "counter")
        self.add(plan, t, ev.RETURN_RESULT, S.RETURNED, {ev.D_METHOD: method})
        if electronic and rng.random() < 0.8:
            self.add(plan, self.later(t, 0.2, agency), ev.SYNC_CITIZEN_DATA_STORE, actor=_SYSTEM)
        if rng.random() < 0.4:
            self.survey(plan, self.later(plan.events[-1].occurred_at, rng.uniform(0.1, 8), agency), late, citizen)
        if rng.random() < (0.12 if late else 0.015):
            self.feedback(plan, self.later(plan.events[-1].occurred_at, rng.uniform(0.5, 20), agency), late,
                          citizen)

    def survey(self, plan: _Plan, at: datetime, late: bool, citizen: Actor) -> None:
        rng = self.rng
        satisfied = self.profiles[plan.dossier.agency_code].satisfied - (0.3 if late else 0)
        if rng.random() < satisfied:
            answer = ev.Satisfaction.VERY_SATISFIED if rng.random() < 0.55 else ev.Satisfaction.SATISFIED
            scores = {c: rng.choice((1, 2, 2, 2)) for c in (6, 7, 8, 9)}
        else:
            answer = ev.Satisfaction.DISSATISFIED
            scores = {c: rng.choice((0, 0, 1, 2)) for c in (6, 7, 8, 9)}
        if at > self.as_of:
            raise _Stop
        state = _state(plan.dossier, plan.events)
        evaluation = evaluate(state, plan.events, EvaluationInput(scores=scores, satisfaction=answer),
                              now=at, source=rng.choice(("app", "app", "kiosk")), context=self.context)
        event = evaluation_event(evaluation, state, citizen)
        plan.events.append(event.model_copy(update={"event_id": f"{plan.dossier.id}-{len(plan.events):02d}"}))

    def feedback(self, plan: _Plan, at: datetime, late: bool, citizen: Actor) -> None:
        rng, agency = self.rng, plan.dossier.agency_code
        fid = f"{plan.dossier.id}-fb1"
        kind = ev.FeedbackKind.COMPLAINT if late or rng.random() < 0.5 else rng.choice(
            (ev.FeedbackKind.QUESTION, ev.FeedbackKind.SUGGESTION, ev.FeedbackKind.UNCLASSIFIED))
        self.add(plan, at, ev.FEEDBACK_RECEIVE, details={ev.D_FEEDBACK_ID: fid, ev.D_KIND: kind.value},
                 actor=citizen)
        handled = self.later(at, rng.uniform(2, 7.5 * 18), agency)
        self.add(plan, handled, ev.FEEDBACK_RESPOND, details={ev.D_FEEDBACK_ID: fid,
                                                              ev.D_OUTCOME: ev.FeedbackOutcome.HANDLED.value})
        if rng.random() < 0.7:
            self.add(plan, self.later(handled, rng.uniform(0.5, 10), agency), ev.FEEDBACK_RATE,
                     details={ev.D_FEEDBACK_ID: fid, ev.D_SATISFIED: rng.random() < 0.7}, actor=citizen)


_SYSTEM = Actor(subject="demo-system", role=Role.SYSTEM)


def _amount(procedure: Procedure, rng: random.Random) -> int:
    """The fee paid: the catalogue's amounts, or a plausible provincial fee when the province sets it."""
    listed = sum((procedure.fee.amounts_vnd or {}).values())
    return listed if listed > 0 else rng.choice((50_000, 100_000, 200_000, 500_000))


def _days(month: Month) -> list[date]:
    first = month.start.date()
    return [first + timedelta(days=i) for i in range((month.next.start.date() - first).days)]


def _state(dossier: Dossier, events: Sequence[HistoryEvent]) -> Dossier:
    """The dossier as of its last event: status, reception, appointment, pauses, version."""
    received = dossier.received_at
    appointment = dossier.appointment_at
    pauses: list[PauseRecord] = []
    for e in events:
        if e.to_status is S.RECEIVED and received is None:
            received = e.occurred_at
        raw = e.details.get(ev.D_APPOINTMENT_AT)
        if isinstance(raw, str):
            appointment = datetime.fromisoformat(raw)
        reason = PAUSE_REASONS.get(e.from_status) if e.from_status is not None else None
        if reason is not None and e.to_status is not e.from_status:
            pauses = [p.model_copy(update={"end": e.occurred_at}) if p.end is None and p.reason == reason else p
                      for p in pauses]
        if e.to_status is not e.from_status and e.to_status is S.SUPPLEMENT_REQUESTED:
            pauses.append(PauseRecord(start=e.occurred_at, reason="supplement"))
        if e.to_status is not e.from_status and e.to_status is S.AWAITING_PAYMENT:
            pauses.append(PauseRecord(start=e.occurred_at, reason="financial_obligation"))
    due = dossier.due_at
    if received is not None:
        limit = TimeLimit(value=Decimal(dossier.time_limit["value"]), unit=TimeUnit(dossier.time_limit["unit"]))
        due = clock.deadline_for(limit, received, [p.to_clock() for p in pauses], agency=dossier.agency_code)
    return dossier.model_copy(update={
        "status": events[-1].to_status, "received_at": received, "appointment_at": appointment, "due_at": due,
        "pauses": tuple(pauses), "version": len(events), "updated_at": events[-1].occurred_at})


def generate(*, months: int = 12, dossiers: int = 1000, end_month: Month = DEFAULT_END_MONTH, seed: int = 2026,
             procedures: Sequence[Procedure] | None = None, tree: UnitTree | None = None,
             as_of: datetime | None = None) -> list[tuple[Dossier, list[HistoryEvent]]]:
    """``dossiers`` dossiers over the ``months`` months ending with ``end_month`` (see the module docstring),
    sorted by submission time."""
    if months < 1 or dossiers < 0:
        raise ValueError("months must be >= 1 and dossiers >= 0")
    gen = _Generator(seed=seed, procedures=procedures or load_default_procedures(), tree=tree or load_default_tree(),
                     as_of=as_of or end_month.end)
    month_list = [end_month.back(n) for n in range(months - 1, -1, -1)]
    # Demand grows a little month after month (more online services each month).
    month_weights = [1 + 0.03 * i for i in range(months)]
    picks = []
    for _ in range(dossiers):
        month = gen.rng.choices(month_list, weights=month_weights)[0]
        picks.append(gen.pick(month))
    picks.sort(key=lambda p: (p[3], p[0].code, p[1]))  # receipt sequences follow submission order
    out = []
    for i, (procedure, agency, channel, submitted) in enumerate(picks):
        if submitted > gen.as_of:
            continue
        plan = gen.build(i, procedure, agency, channel, submitted)
        out.append((_state(plan.dossier, plan.events), plan.events))
    return out


@dataclass(frozen=True)
class FeedbackHistory:
    """One generated feedback about a procedure or an agency: its record after each step, with that step's
    trail event (the first is the filing). Loading the records in order replays the live path."""

    steps: tuple[tuple[Feedback, FeedbackEvent], ...]

    @property
    def final(self) -> Feedback:
        return self.steps[-1][0]


_FEEDBACK_TITLES = {
    FeedbackCategory.PROCEDURE: "Thành phần hồ sơ chưa rõ ràng",
    FeedbackCategory.QUESTION: "Hỏi về thời hạn giải quyết",
    FeedbackCategory.SUGGESTION: "Đề nghị bố trí thêm quầy tiếp nhận",
    FeedbackCategory.OFFICIAL_CONDUCT: "Thái độ tiếp công dân",
}
_FEEDBACK_CATEGORY_WEIGHTS = {FeedbackCategory.PROCEDURE: 4, FeedbackCategory.QUESTION: 4,
                              FeedbackCategory.SUGGESTION: 2, FeedbackCategory.OFFICIAL_CONDUCT: 1}


def _feedback_history(gen: _Generator, index: int, month: Month) -> FeedbackHistory | None:
    """Filing, then the agency's steps on the one clock (some late: a refusal after 2 working days, an answer
    after 15), the citizen's reply and rating; cut at ``as_of`` (the rest stays open)."""
    rng = gen.rng
    procedure = rng.choices(gen.procedures, weights=gen.weights)[0]
    if rng.random() < 0.6:
        about = FeedbackAbout.PROCEDURE
        if procedure.competent_agency.kind == "commune" or procedure.competent_agency.agency_code is None:
            agency = rng.choices(gen.communes, weights=gen.commune_weights)[0]
        else:
            agency = procedure.competent_agency.agency_code
        procedure_code: str | None = procedure.code
    else:
        about, agency, procedure_code = FeedbackAbout.AGENCY, rng.choice(sorted(gen.tree.agencies)), None
    category = rng.choices(list(_FEEDBACK_CATEGORY_WEIGHTS), weights=list(_FEEDBACK_CATEGORY_WEIGHTS.values()))[0]
    citizen = Actor(subject=f"demo-citizen-fb-{index:06d}", role=Role.CITIZEN)
    leader = gen.officer(agency, Role.AGENCY_LEADER)  # may take every step, complaints about officials too
    filed_at = gen.working_moment(month, agency)
    if filed_at > gen.as_of:
        return None
    fid = f"demofb{rng.getrandbits(64):016x}"
    fb, event = file_feedback(
        feedback_id=fid, owner=citizen, category=category, about=about, agency_code=agency,
        title=_FEEDBACK_TITLES[category], content="Nội dung phản ánh, kiến nghị (dữ liệu mẫu).", now=filed_at,
        procedure_code=procedure_code,
        official_name="Cán bộ tiếp nhận" if category is FeedbackCategory.OFFICIAL_CONDUCT else None)
    steps = [(fb, event)]

    def act(action: FeedbackAction, hours: float, body: StepInput, actor: Actor) -> None:
        current = steps[-1][0]
        now = gen.later(current.updated_at, hours, agency)  # _Stop beyond as_of: the feedback stays there
        changed, trail = apply_feedback_action(current, action, body, actor, now)
        steps.append((changed, trail.model_copy(update={"event_id": f"{fid}-{len(steps):02d}"})))

    with contextlib.suppress(_Stop):
        if rng.random() < 0.1:  # outside the agency's remit: refused, mostly within the 2 working days
            act(FeedbackAction.REFUSE, rng.uniform(1, 7.5 * 3), StepInput(text="Không thuộc thẩm quyền"), leader)
        else:
            if rng.random() < 0.15:
                act(FeedbackAction.REQUEST_INFO, rng.uniform(1, 7.5 * 6), StepInput(text="Đề nghị nêu rõ"), leader)
                act(FeedbackAction.PROVIDE_INFO, rng.uniform(1, 7.5 * 4), StepInput(text="Bổ sung thông tin"),
                    citizen)
            public = rng.random() < 0.4
            act(FeedbackAction.ANSWER, rng.uniform(2, 7.5 * 17), StepInput(text="Trả lời (mẫu).", public=public),
                leader)
            if public:
                act(FeedbackAction.PUBLISH, rng.uniform(1, 7.5 * 3),
                    StepInput(question_summary="Câu hỏi (tóm tắt).", published_text="Trả lời (mẫu)."), leader)
            if rng.random() < 0.6:
                act(FeedbackAction.RATE, rng.uniform(1, 7.5 * 8), StepInput(satisfied=rng.random() < 0.7), citizen)
    return FeedbackHistory(steps=tuple(steps))


def generate_feedback(*, months: int = 12, count: int = 100, end_month: Month = DEFAULT_END_MONTH, seed: int = 2026,
                      procedures: Sequence[Procedure] | None = None, tree: UnitTree | None = None,
                      as_of: datetime | None = None) -> list[FeedbackHistory]:
    """``count`` feedback about procedures (60 %) and agencies over the ``months`` months ending with
    ``end_month``, sorted by filing time; deterministic for a seed (its own random stream: ``generate``'s
    dossiers stay the same)."""
    if months < 1 or count < 0:
        raise ValueError("months must be >= 1 and count >= 0")
    gen = _Generator(seed=seed * 7919 + 17, procedures=procedures or load_default_procedures(),
                     tree=tree or load_default_tree(), as_of=as_of or end_month.end)
    month_list = [end_month.back(n) for n in range(months - 1, -1, -1)]
    out = []
    for i in range(count):
        found = _feedback_history(gen, i, gen.rng.choice(month_list))
        if found is not None:
            out.append(found)
    return sorted(out, key=lambda h: (h.steps[0][0].received_at, h.steps[0][0].id))


def online_payment_codes(procedures: Sequence[Procedure] | None = None) -> frozenset[str]:
    """The procedures the demo treats as integrated with online payment (fee procedures offered online), for
    :func:`motcua.domain.index.units.catalogue_counters`."""
    return frozenset(p.code for p in (procedures or load_default_procedures())
                     if procedure_has_fee(p) and p.online.allowed)
