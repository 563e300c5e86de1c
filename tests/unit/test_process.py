"""Internal procedures (docs/domain.md §11): each legal rule refuses a definition that breaks it and accepts
the same definition once fixed; the seeded library, the choice of a definition and the generated default."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from motcua.domain.calendar import VN_TZ
from motcua.domain.catalogue import Channel
from motcua.domain.clock import TimeLimit, TimeUnit
from motcua.domain.process import library
from motcua.domain.process.model import ProcessDefinition
from motcua.domain.process.rules import (
    ProcessDefinitionRefused,
    ensure_valid,
    limit_in_hours,
    min_working_days_in,
    violations,
)
from tests.unit.catalogue_fixtures import procedure

# 1.004873 (marital status certificate): 3 working days = 22.5 working hours, every channel.
CODE = "1.004873"


def days(v: str) -> dict[str, str]:
    return {"value": v, "unit": "working_days"}


def base() -> dict[str, Any]:
    return {
        "procedure_code": CODE, "version": 1, "effective_from": "2025-07-01T00:00:00+07:00",
        "name_vi": "Thử", "start": "TN",
        "steps": [
            {"code": "TN", "name_vi": "Tiếp nhận", "unit": "Một cửa", "role": "reception_officer", "status": 2,
             "budget": days("0.5"), "actions": [{"code": "CHUYEN", "name_vi": "Chuyển", "to_step": "XL"}]},
            {"code": "XL", "name_vi": "Thẩm định", "unit": "Tư pháp", "role": "processing_officer", "status": 4,
             "budget": days("1.5"),
             "actions": [{"code": "TRINH", "name_vi": "Trình", "to_step": "PD"},
                         {"code": "BO_SUNG", "name_vi": "Bổ sung", "to_step": "BS"},
                         {"code": "DUNG", "name_vi": "Dừng", "to_status": 8}]},
            {"code": "BS", "name_vi": "Chờ bổ sung", "unit": "Một cửa", "role": "reception_officer", "status": 5,
             "actions": [{"code": "NHAN", "name_vi": "Nhận bổ sung", "to_step": "XL2"}]},
            {"code": "XL2", "name_vi": "Thẩm định lại", "unit": "Tư pháp", "role": "processing_officer",
             "status": 4, "continues": "XL", "actions": [{"code": "TRINH", "name_vi": "Trình", "to_step": "PD"}]},
            {"code": "PD", "name_vi": "Ký", "unit": "UBND xã", "role": "agency_leader", "status": 4,
             "budget": days("0.5"), "actions": [{"code": "KY", "name_vi": "Ký", "to_step": "TKQ"}]},
            {"code": "TKQ", "name_vi": "Trả kết quả", "unit": "Một cửa", "role": "reception_officer", "status": 9,
             "budget": days("0.5"), "actions": [{"code": "TRA", "name_vi": "Trả", "to_status": 10}]},
        ],
    }


def step(raw: dict[str, Any], code: str) -> dict[str, Any]:
    return next(s for s in raw["steps"] if s["code"] == code)


def codes(raw: dict[str, Any], code: str = CODE) -> list[str]:
    return [v.code for v in violations(ProcessDefinition.model_validate(raw), procedure(code))]


def test_the_base_definition_is_valid() -> None:
    assert codes(base()) == []


# Each case: how to break the base definition, and the one code it must then be refused with.
def _over_budget(d: dict[str, Any]) -> None:
    step(d, "XL")["budget"] = days("2")  # 0.5 + 2 + 0.5 + 0.5 = 3.5 > 3 working days


def _second_supplement(d: dict[str, Any]) -> None:
    xl2 = step(d, "XL2")
    xl2["actions"].append({"code": "BO_SUNG", "name_vi": "Bổ sung lần hai", "to_step": "BS2"})
    d["steps"].append({"code": "BS2", "name_vi": "Chờ bổ sung lần hai", "unit": "Một cửa",
                       "role": "reception_officer", "status": 5,
                       "actions": [{"code": "DUNG", "name_vi": "Dừng", "to_status": 8}]})


def _dead_end(d: dict[str, Any]) -> None:
    step(d, "PD")["actions"] = []


def _cycle(d: dict[str, Any]) -> None:
    step(d, "PD")["actions"].append({"code": "TRA_LAI", "name_vi": "Trả lại thẩm định", "to_step": "XL"})


def _unreachable(d: dict[str, Any]) -> None:
    d["steps"].append({"code": "LE", "name_vi": "Lẻ", "unit": "x", "role": "processing_officer", "status": 4,
                       "budget": days("0.5"), "actions": [{"code": "KY", "name_vi": "Ký", "to_step": "TKQ"}]})


def _unknown_target(d: dict[str, Any]) -> None:
    step(d, "PD")["actions"][0]["to_step"] = "KHONG_CO"


def _start_not_reception(d: dict[str, Any]) -> None:
    d["start"] = "XL"
    step(d, "TN")["actions"] = [{"code": "TRA", "name_vi": "Trả", "to_status": 10}]


def _forbidden_move(d: dict[str, Any]) -> None:
    step(d, "TN")["actions"][0]["to_step"] = "TKQ"  # 2 → 9: decided without processing


def _back_to_reception(d: dict[str, Any]) -> None:
    # 4 → 2 would receive the dossier again and restart the clock (docs/domain.md §4.3).
    d["steps"].append({"code": "TN2", "name_vi": "Tiếp nhận lại", "unit": "Một cửa", "role": "reception_officer",
                       "status": 2, "budget": days("0.5"),
                       "actions": [{"code": "TRA", "name_vi": "Trả", "to_status": 10}]})
    step(d, "XL")["actions"].append({"code": "TIEP_NHAN_LAI", "name_vi": "Tiếp nhận lại", "to_step": "TN2"})


def _target_not_terminal(d: dict[str, Any]) -> None:
    step(d, "PD")["actions"].append({"code": "CHO", "name_vi": "Chờ", "to_status": 6})


def _step_in_terminal_status(d: dict[str, Any]) -> None:
    step(d, "TKQ")["status"] = 10


def _no_return(d: dict[str, Any]) -> None:
    step(d, "TKQ")["actions"] = [{"code": "DUNG", "name_vi": "Dừng", "to_status": 8}]
    step(d, "TKQ")["status"] = 4


def _budget_missing(d: dict[str, Any]) -> None:
    del step(d, "PD")["budget"]


def _budget_while_paused(d: dict[str, Any]) -> None:
    step(d, "BS")["budget"] = days("0.5")


def _continuation_with_budget(d: dict[str, Any]) -> None:
    step(d, "XL2")["budget"] = days("0.5")


def _continuation_not_after(d: dict[str, Any]) -> None:
    step(d, "TN")["actions"].append({"code": "BO_SUNG", "name_vi": "Bổ sung", "to_step": "BS"})


def _channel_not_accepted(d: dict[str, Any]) -> None:
    d["procedure_code"] = "1.004222"  # permanent residence: counter and online only, 7 working days
    d["channels"] = ["post"]


CASES = [
    (_over_budget, "PROCESS_BUDGET_EXCEEDS_LIMIT"),
    (_second_supplement, "PROCESS_SECOND_SUPPLEMENT"),
    (_dead_end, "PROCESS_DEAD_END"),
    (_cycle, "PROCESS_CYCLE"),
    (_unreachable, "PROCESS_UNREACHABLE_STEP"),
    (_unknown_target, "PROCESS_UNKNOWN_STEP"),
    (_start_not_reception, "PROCESS_START_NOT_RECEPTION"),
    (_forbidden_move, "PROCESS_FORBIDDEN_TRANSITION"),
    (_back_to_reception, "PROCESS_FORBIDDEN_TRANSITION"),
    (_target_not_terminal, "PROCESS_TARGET_NOT_TERMINAL"),
    (_step_in_terminal_status, "PROCESS_STEP_STATUS_NOT_ALLOWED"),
    (_no_return, "PROCESS_NO_RETURN_PATH"),
    (_budget_missing, "PROCESS_STEP_BUDGET_MISSING"),
    (_budget_while_paused, "PROCESS_BUDGET_WHILE_PAUSED"),
    (_continuation_with_budget, "PROCESS_CONTINUATION_WITH_BUDGET"),
    (_continuation_not_after, "PROCESS_CONTINUATION_NOT_AFTER"),
    (_channel_not_accepted, "PROCESS_CHANNEL_NOT_ACCEPTED"),
]


@pytest.mark.parametrize(("break_it", "code"), CASES, ids=[c for _, c in CASES])
def test_each_rule_refuses_a_definition_that_breaks_it(break_it: Any, code: str) -> None:
    broken = base()
    break_it(broken)
    found = codes(broken, broken["procedure_code"])
    assert code in found
    with pytest.raises(ProcessDefinitionRefused) as refused:
        ensure_valid(ProcessDefinition.model_validate(broken), procedure(broken["procedure_code"]))
    body = refused.value.to_body()
    assert body["code"] == "PROCESS_DEFINITION_REFUSED"
    reported = next(v for v in body["details"]["violations"] if v["code"] == code)
    assert reported["message_vi"] and reported["message_en"] and "{" not in reported["message_en"]
    assert codes(base()) == []  # the same definition, unbroken, passes


def test_a_cycle_is_reported_with_the_steps_it_passes() -> None:
    broken = base()
    _cycle(broken)
    [cycle] = [v for v in violations(ProcessDefinition.model_validate(broken), procedure(CODE))
               if v.code == "PROCESS_CYCLE"]
    assert cycle.details["path"] == "XL → PD → XL"


def test_the_budget_is_the_worst_path_not_the_sum_of_every_step() -> None:
    # A branch that skips the leader cannot make the limit tighter: only the longest path counts.
    d = base()
    step(d, "XL")["actions"].append({"code": "KY_THAY", "name_vi": "Ký thay", "to_step": "PD_THAY"})
    d["steps"].append({"code": "PD_THAY", "name_vi": "Phó chủ tịch ký", "unit": "UBND xã", "role": "agency_leader",
                       "status": 4, "budget": days("0.5"),
                       "actions": [{"code": "KY", "name_vi": "Ký", "to_step": "TKQ"}]})
    assert codes(d) == []
    step(d, "PD_THAY")["budget"] = days("1")
    over = next(v for v in violations(ProcessDefinition.model_validate(d), procedure(CODE))
            if v.code == "PROCESS_BUDGET_EXCEEDS_LIMIT")
    assert "PD_THAY" in over.details["path"] and over.details["total_hours"] == "26.25"
    assert over.details["limit_hours"] == "22.5"
    # Every channel the procedure accepts is checked against its limit.
    assert {v.details["channel"] for v in violations(ProcessDefinition.model_validate(d), procedure(CODE))
            if v.code == "PROCESS_BUDGET_EXCEEDS_LIMIT"} == {"counter", "online", "post"}


def test_budgets_in_hours_and_days_share_one_scale() -> None:
    d = base()
    step(d, "TN")["budget"] = {"value": "3.75", "unit": "working_hours"}  # = 0.5 working day
    assert codes(d) == []
    step(d, "TN")["budget"] = {"value": "3.76", "unit": "working_hours"}
    assert codes(d) == ["PROCESS_BUDGET_EXCEEDS_LIMIT"] * 3


def test_a_supplement_after_a_supplement_wait_is_not_counted_twice() -> None:
    # Moving between two sub-states of status 5 is not a new request.
    d = base()
    step(d, "BS")["actions"] = [{"code": "CHUYEN", "name_vi": "Chuyển", "to_step": "BS_KIEM_TRA"}]
    d["steps"].append({"code": "BS_KIEM_TRA", "name_vi": "Kiểm tra bổ sung", "unit": "Một cửa",
                       "role": "reception_officer", "status": 5,
                       "actions": [{"code": "NHAN", "name_vi": "Nhận", "to_step": "XL2"}]})
    assert codes(d) == []


def test_limits_on_the_steps_scale() -> None:
    assert limit_in_hours(TimeLimit(value=Decimal(3), unit=TimeUnit.WORKING_DAYS)) == 22.5
    assert limit_in_hours(TimeLimit(value=Decimal(4), unit=TimeUnit.WORKING_HOURS)) == 4
    # Same day: only the time between the 15:00 cut-off and the 17:00 close is sure (docs/domain.md §5.5).
    assert limit_in_hours(TimeLimit(value=Decimal(1), unit=TimeUnit.SAME_DAY_15H_CUTOFF)) == 2
    # 10 calendar days from a Saturday hold 6 working days.
    assert min_working_days_in(10) == 6 and min_working_days_in(7) == 5 and min_working_days_in(2) == 0
    assert limit_in_hours(TimeLimit(value=Decimal(10), unit=TimeUnit.CALENDAR_DAYS)) == 45


def test_the_shape_is_checked_when_read() -> None:
    bad_role = base()
    step(bad_role, "TN")["role"] = "citizen"
    two_targets = base()
    step(two_targets, "TN")["actions"][0]["to_status"] = 10
    naive = base()
    naive["effective_from"] = "2025-07-01T00:00:00"
    twice = base()
    twice["steps"].append(copy.deepcopy(step(twice, "PD")))
    for raw in (bad_role, two_targets, naive, twice):
        with pytest.raises(ValidationError):
            ProcessDefinition.model_validate(raw)


def test_a_definition_is_frozen() -> None:
    d = ProcessDefinition.model_validate(base())
    with pytest.raises(ValidationError):
        d.version = 2  # type: ignore[misc]


def test_a_definition_of_another_procedure_is_refused() -> None:
    assert "PROCESS_WRONG_PROCEDURE" in codes(base(), "1.004194")


# --------------------------------------------------------------------------------------------------------
# The seeded library


def test_every_seeded_definition_validates_and_ten_procedures_have_their_own() -> None:
    seeded = library.seeded()
    for d in seeded:
        assert violations(d, procedure(d.procedure_code)) == [], d.procedure_code
        assert d.mark in {"CONFIRMED", "UNSURE"} and d.sources and not d.generated
    assert len({d.procedure_code for d in seeded}) >= 10
    # Liên thông steps at other agencies, and a paused payment step, are among them.
    assert any(s.interagency for d in seeded for s in d.steps)
    assert any(s.status == 6 for d in seeded for s in d.steps)


def test_a_broken_seed_file_fails_loudly(tmp_path: Path) -> None:
    raw = base()
    _over_budget(raw)
    (tmp_path / f"{CODE}.json").write_text(json.dumps([raw]), encoding="utf-8")
    with pytest.raises(library.SeedError, match="PROCESS_BUDGET_EXCEEDS_LIMIT"):
        library.load(tmp_path.glob("*.json"), library.catalogue())
    (tmp_path / f"{CODE}.json").write_text("[{", encoding="utf-8")
    with pytest.raises(library.SeedError, match=CODE):
        library.load(tmp_path.glob("*.json"), library.catalogue())


def test_two_seeded_versions_must_differ(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps([base(), base()]), encoding="utf-8")
    with pytest.raises(library.SeedError, match="share"):
        library.load(tmp_path.glob("*.json"), library.catalogue())


def _version(version: int, effective: str, agency: str | None = None) -> ProcessDefinition:
    raw = base()
    raw.update(version=version, effective_from=effective, agency=agency)
    return ProcessDefinition.model_validate(raw)


def test_select_by_agency_with_default_and_effective_dating() -> None:
    v1 = _version(1, "2025-07-01T00:00:00+07:00")
    v2 = _version(2, "2026-01-01T00:00:00+07:00")
    own = _version(1, "2025-09-01T00:00:00+07:00", agency="000.20.05.H36")
    every = [v2, own, v1]
    at = datetime(2025, 12, 31, 23, 59, tzinfo=VN_TZ)
    assert library.select(every, CODE, None, at) == v1
    # 17:00 UTC on 31 December is already 1 January in Hanoi: the new version.
    assert library.select(every, CODE, None, datetime(2025, 12, 31, 17, 0, tzinfo=UTC)) == v2
    assert library.select(every, CODE, None, datetime(2025, 12, 31, 16, 59, tzinfo=UTC)) == v1
    assert library.select(every, CODE, "000.20.01.H36", at) == v1  # no definition of its own: the default
    assert library.select(every, CODE, "000.20.05.H36", at) == own
    assert library.select(every, CODE, "000.20.05.H36", datetime(2025, 8, 1, tzinfo=VN_TZ)) == v1
    assert library.select(every, CODE, None, datetime(2025, 6, 30, 23, 59, tzinfo=VN_TZ)) is None
    assert library.select(every, "1.004194", None, at) is None
    with pytest.raises(ValueError, match="aware"):
        library.select(every, CODE, None, datetime(2025, 12, 1))


def test_definition_for_falls_back_to_the_generated_default() -> None:
    own = library.definition_for(procedure("1.001193"), None, datetime(2026, 1, 5, tzinfo=VN_TZ))
    assert not own.generated
    fallback = library.definition_for(procedure("1.004194"), None, datetime(2026, 1, 5, tzinfo=VN_TZ))
    assert fallback.generated and fallback.procedure_code == "1.004194"


@pytest.mark.parametrize("code", sorted(library.catalogue()))
def test_the_generated_default_is_valid_for_every_catalogue_procedure(code: str) -> None:
    p = procedure(code)
    d = library.default_definition(p)
    assert violations(d, p) == []
    assert [s.code for s in d.steps if s.budget] == ["TIEP_NHAN", "THAM_DINH", "PHE_DUYET", "TRA_KET_QUA"]


def test_split_limit_never_exceeds_the_total() -> None:
    assert library.split_limit(limit_in_hours(TimeLimit(value=Decimal(10), unit=TimeUnit.WORKING_DAYS))) == {
        "reception": 7.5, "processing": 48.75, "approval": 11.25, "return": 7.5}
    assert sum(library.split_limit(Decimal(2)).values()) == 2
    with pytest.raises(ValueError, match="four steps"):
        library.split_limit(Decimal("0.75"))


def test_channels_of_the_generated_default_cover_the_procedure() -> None:
    d = library.default_definition(procedure("2.000815"))  # counter only
    assert d.channels is None and procedure("2.000815").channels == [Channel.COUNTER]
