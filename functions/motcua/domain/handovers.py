"""A dossier's hand-overs, from its stored history: the rows of the processing control slip (Form 06,
*Phiếu kiểm soát quá trình giải quyết hồ sơ*, docs/domain.md §3.1, §3.2) and what the index reads to name the
unit that made a dossier late (docs/index.md).

Two sources, one shape (:class:`HandOver`):

* **Steps** (docs/domain.md §11.4): a dossier following an internal procedure has a ``step_complete`` event per
  step done; each is one row, with the step's own unit, giver, receiver and verdict (the step's due time on
  the one clock).
* **Status history**, for a dossier without step events (received before internal procedures, or under none):
  every status change by an actor is a hand-over (the actor hands the dossier on by moving it), and so is a
  transfer between agencies (liên thông). The giver is that actor, in the unit of their role at their agency;
  the receiver is the actor of the next such change (nobody yet: the row is still open). Without step budgets
  the verdict is the dossier's own at that moment (``clock.timeliness`` of the hand-over against the dossier's
  legal due date, docs/domain.md §4.6: "each row of the control slip gets the same verdict for its step"); a
  hand-over before reception has none (the clock has not started). UNSURE: the circulars' form has a row per
  hand-over between units, and the role-to-unit names below are ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from motcua.domain import actions as ev
from motcua.domain import clock
from motcua.domain.actors import Role
from motcua.domain.clock import Timeliness
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.events import StepCompleted
from motcua.domain.status import DossierStatus

# The unit a role's holder works in, as the slip names it (UNSURE: agencies name their own rooms).
ROLE_UNITS: dict[Role, str] = {
    Role.CITIZEN: "Tổ chức, cá nhân nộp hồ sơ",
    Role.RECEPTION_OFFICER: "Bộ phận Tiếp nhận và Trả kết quả",
    Role.PROCESSING_OFFICER: "Bộ phận chuyên môn",
    Role.AGENCY_LEADER: "Lãnh đạo cơ quan",
    Role.INSPECTOR: "Thanh tra",
    Role.SYSTEM: "Hệ thống",
}

Source = Literal["steps", "status_history"]


@dataclass(frozen=True)
class HandOver:
    """One row of the control slip: who handed the dossier to whom, when, and the verdict of the step done."""

    at: datetime
    step: str  # the step code (steps) or the workflow action that moved the dossier (status history)
    from_unit: str
    from_agency: str | None
    giver: str | None
    to_unit: str | None  # None: not handed to anyone yet (the dossier is still with the giver's successor)
    to_agency: str | None
    receiver: str | None
    verdict: Timeliness | None  # trước hạn / đúng hạn / quá hạn; None: no clock for that step
    source: Source


def _moves(event: HistoryEvent) -> bool:
    """A status change, or a transfer between agencies (a hand-over at the same status)."""
    return event.from_status is not event.to_status or event.action == ev.TRANSFER


def _agency_of(event: HistoryEvent, dossier: Dossier) -> str | None:
    return event.actor.agency_code or (dossier.agency_code if event.actor.role is Role.CITIZEN else None)


def _from_steps(completed: Sequence[HistoryEvent]) -> list[HandOver]:
    rows = []
    for e in completed:
        d = StepCompleted.model_validate(e.details)
        rows.append(HandOver(
            at=d.completed_at, step=d.step_code, from_unit=d.unit, from_agency=d.agency_code,
            giver=d.giver or d.completed_by, to_unit=d.to_unit, to_agency=d.to_agency_code, receiver=d.receiver,
            verdict=Timeliness(d.verdict) if d.verdict else None, source="steps"))
    return rows


def _from_status_history(dossier: Dossier, moves: Sequence[HistoryEvent]) -> list[HandOver]:
    rows = []
    received = dossier.received_at
    for i, e in enumerate(moves):
        after = moves[i + 1] if i + 1 < len(moves) else None
        if e.action == ev.TRANSFER:  # liên thông: to the other agency's unit, whoever takes it up there
            to_agency = str(e.details.get("to_unit") or "") or None
        else:
            to_agency = _agency_of(after, dossier) if after is not None else None
        if after is not None:
            to_unit: str | None = ROLE_UNITS[after.actor.role]
        elif e.to_status is DossierStatus.RETURNED:  # the result handed to the applicant
            to_unit, to_agency = ROLE_UNITS[Role.CITIZEN], None
        else:
            to_unit = ROLE_UNITS[Role.PROCESSING_OFFICER] if e.action == ev.TRANSFER else None
        judged = received is not None and e.occurred_at >= received
        rows.append(HandOver(
            at=e.occurred_at, step=e.action, from_unit=ROLE_UNITS[e.actor.role], from_agency=_agency_of(e, dossier),
            giver=e.actor.subject, to_unit=to_unit, to_agency=to_agency,
            receiver=after.actor.subject if after is not None else None,
            verdict=clock.timeliness(e.occurred_at, dossier.due_at) if judged else None, source="status_history"))
    return rows


def handovers(dossier: Dossier, history: Iterable[HistoryEvent]) -> list[HandOver]:
    """The dossier's hand-overs in order: from its step events when it has any, else from its status changes."""
    ordered = sorted(history, key=lambda e: e.occurred_at)
    completed = [e for e in ordered if e.action == ev.STEP_COMPLETE]
    if completed:
        return _from_steps(completed)
    return _from_status_history(dossier, [e for e in ordered if _moves(e)])


def first_late(rows: Iterable[HandOver]) -> HandOver | None:
    """The hand-over that made the dossier late: the first one judged late (its giver's unit held it too long)."""
    return next((r for r in rows if r.verdict is Timeliness.LATE), None)
