"""The step records on a dossier and the step history events' details (docs/domain.md §11.4)."""

from datetime import datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from motcua.domain.actors import Role
from motcua.domain.calendar import VN_TZ
from motcua.domain.clock import Timeliness
from motcua.domain.events import StepCompleted
from motcua.domain.status import DossierStatus
from motcua.domain.steps import StepInstance, current_step

AT = datetime(2025, 9, 8, 8, 0, tzinfo=VN_TZ)


def _step(seq: int, **kw) -> StepInstance:
    return StepInstance(seq=seq, code="THAM_DINH", name_vi="Thẩm định", unit="Phòng chuyên môn",
                        role=Role.PROCESSING_OFFICER, status=DossierStatus.PROCESSING, agency_code="A",
                        entered_at=AT, budget_hours=Decimal("7.5"), due_at=AT, **kw)


def test_the_open_step_is_the_last_one_while_not_completed():
    done = _step(1, completed_at=AT, verdict=Timeliness.ON_TIME)
    assert current_step(()) is None
    assert current_step((done,)) is None
    assert current_step((done, _step(2, lead="u1"))).seq == 2


def test_records_refuse_unknown_fields_and_keep_officers_in_order():
    with pytest.raises(ValidationError):
        StepInstance.model_validate({**_step(1).model_dump(), "owner": "x"})
    assert _step(1, lead="u1", supporting=("u2",)).officers == ("u1", "u2")


def test_a_completed_step_round_trips_through_its_history_details():
    row = StepCompleted(seq=1, step_code="TIEP_NHAN", unit="Một cửa", agency_code="A", giver="u1",
                        completed_by="u1", entered_at=AT, due_at=AT, completed_at=AT, verdict="on_time",
                        hours_left="0.5", action="CHUYEN_XU_LY", to_seq=2, to_step="THAM_DINH",
                        to_unit="Phòng", receiver="u2", to_status=4)
    assert StepCompleted.model_validate(row.model_dump(mode="json")) == row
