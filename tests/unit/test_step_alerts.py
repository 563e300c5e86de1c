"""Step notices on the one clock (docs/domain.md §11.4): when they fall, once each, and the dossier's one timers
entry at the earlier of its own next timer and its open step's."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from motcua.domain import sla
from motcua.domain.actors import Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.status import DossierStatus as S
from motcua.domain.steps import STEP_ESCALATED, STEP_OVERDUE, STEP_WARNING, StepAlertPolicy, StepInstance, step_timers
from tests.unit.test_workflow import COMMUNE, submitted


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=VN_TZ)


def step(entered: datetime, hours: str, due: datetime, **kw) -> StepInstance:
    return StepInstance(seq=1, code="THAM_DINH", name_vi="Thẩm định", unit="Phòng", role=Role.PROCESSING_OFFICER,
                        status=S.PROCESSING, agency_code=COMMUNE, entered_at=entered, budget_hours=Decimal(hours),
                        due_at=due, lead="officer-a", **kw)


def test_the_points_fall_on_office_time() -> None:
    # Mon 2 Mar 08:00 + 10 working hours: 08:00-11:30 (3.5) + 13:30-17:00 (3.5) + Tue 07:30-10:30 (3) = Tue 10:30.
    # Warned with 20 % left (at 8 h: Tue 08:30); escalated 4 h after due: 10:30-11:30 + 13:30-16:30 = Tue 16:30.
    timers = step_timers(step(at(2, 8), "10", at(3, 10, 30)), StepAlertPolicy())
    assert [(t.kind, t.at) for t in timers] == [(STEP_WARNING, at(3, 8, 30)), (STEP_OVERDUE, at(3, 10, 30)),
                                               (STEP_ESCALATED, at(3, 16, 30))]


def test_each_notice_once_none_superseded_none_for_a_closed_or_unbudgeted_step() -> None:
    open_step = step(at(2, 8), "10", at(3, 10, 30))
    dossier = submitted().model_copy(update={"status": S.PROCESSING, "steps": (open_step,)})
    firing = sla.fire_steps(dossier, at(3, 17))  # a late sweep: all three due at once, each sent
    assert firing is not None and [t.kind for t in firing.timers] == [STEP_WARNING, STEP_OVERDUE, STEP_ESCALATED]
    assert [e.type for e in firing.envelopes] == ["dossier.step_warning", "dossier.step_overdue",
                                                  "dossier.step_escalated"]
    assert [e.data.recipients for e in firing.envelopes] == [("officer-a",), ("officer-a",), ()]
    fired = dossier.model_copy(update={"steps": firing.steps})
    assert sla.fire_steps(fired, at(3, 17, 5)) is None
    done = open_step.model_copy(update={"completed_at": at(3, 9)})
    assert step_timers(done, StepAlertPolicy()) == []
    paused = open_step.model_copy(update={"budget_hours": None, "due_at": None})
    assert step_timers(paused, StepAlertPolicy()) == []


def test_the_timers_entry_is_the_earlier_of_the_dossier_timer_and_the_step_notice() -> None:
    base = submitted().model_copy(update={"status": S.PROCESSING, "received_at": at(2, 8), "updated_at": at(2, 8)})
    alone = sla.index_keys(base)
    with_step = sla.index_keys(base.model_copy(update={"steps": (step(at(2, 8), "10", at(3, 10, 30)),)}))
    assert alone is not None and with_step is not None and with_step[0] == alone[0]
    assert with_step[1] == sla.timer_sort_key(at(3, 8, 30), base.id) < alone[1]
