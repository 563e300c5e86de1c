"""Property tests of the legal check of internal procedures (docs/domain.md §11.2), over generated
definitions: a generated valid one passes; a mutation that exceeds the budget, adds a second supplement
request, leaves a dead end or loops back is refused with that rule's code."""

from __future__ import annotations

import copy
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.domain.process import library
from motcua.domain.process.model import ProcessDefinition
from motcua.domain.process.rules import legal_limits, limit_in_hours, violations

PROFILE = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
QUARTER = Decimal("0.25")
CODES = sorted(library.catalogue())
Raw = dict[str, Any]


def _limit_hours(code: str) -> Decimal:
    return min(limit_in_hours(limit) for limit in legal_limits(library.catalogue()[code]).values())


def _step(code: str, status: int, role: str, actions: list[Raw], hours: Decimal | None = None, **extra: Any) -> Raw:
    raw: Raw = {"code": code, "name_vi": code, "unit": "u", "role": role, "status": status, "actions": actions,
                **extra}
    if hours is not None:
        raw["budget"] = {"value": str(hours), "unit": "working_hours"}
    return raw


def _to(code: str, target: str) -> Raw:
    return {"code": code, "name_vi": code, "to_step": target}


@st.composite
def valid_definitions(draw: st.DrawFn) -> tuple[Raw, Decimal]:
    """Reception, 1-5 processing steps with forward shortcuts, one supplement branch, return; the budgets of
    all steps together fit the limit, so every path does."""
    code = draw(st.sampled_from(CODES))
    limit = _limit_hours(code)
    work = [f"XL{i}" for i in range(draw(st.integers(1, 5)))]
    order = ["TN", *work, "TKQ"]
    weights = draw(st.lists(st.integers(1, 20), min_size=len(order), max_size=len(order)))
    quarters = int((limit / QUARTER).to_integral_value(ROUND_FLOOR))
    budgets = {name: max(QUARTER, (Decimal(quarters * w // sum(weights)) * QUARTER)) for name, w in zip(
        order, weights, strict=True)}
    while sum(budgets.values()) > limit:  # the floor of 1 quarter per step may overshoot a tiny limit
        biggest = max(budgets, key=lambda k: budgets[k])
        budgets[biggest] -= QUARTER
    supplement_at = draw(st.sampled_from(work))
    steps: list[Raw] = []
    for i, name in enumerate(order[:-1]):
        later = order[i + 1:]
        actions = [_to("NEXT", later[0])]
        skips = draw(st.lists(st.sampled_from(later), unique=True, max_size=2))
        actions += [_to(f"SKIP_{t}", t) for t in skips if t != later[0] and not (name == "TN" and t == "TKQ")]
        if name != "TN":
            actions.append({"code": "STOP", "name_vi": "Dừng", "to_status": 8})
        if name == supplement_at:
            actions.append(_to("BO_SUNG", "BS"))
        status, role = (2, "reception_officer") if name == "TN" else (4, "processing_officer")
        steps.append(_step(name, status, role, actions, budgets[name]))
    after = order[order.index(supplement_at) + 1]
    steps.append(_step("BS", 5, "reception_officer", [_to("NHAN", "BS_XL")]))
    steps.append(_step("BS_XL", 4, "processing_officer", [_to("NEXT", after)], continues=supplement_at))
    steps.append(_step("TKQ", 9, "reception_officer", [{"code": "TRA", "name_vi": "Trả", "to_status": 10}],
                       budgets["TKQ"]))
    raw = {"procedure_code": code, "version": 1, "effective_from": "2025-07-01T00:00:00+07:00",
           "name_vi": "Sinh", "start": "TN", "steps": steps}
    return raw, limit


def _codes(raw: Raw) -> set[str]:
    return {v.code for v in violations(ProcessDefinition.model_validate(raw),
                                       library.catalogue()[raw["procedure_code"]])}


def _by_code(raw: Raw, code: str) -> Raw:
    return next(s for s in raw["steps"] if s["code"] == code)


@PROFILE
@given(valid_definitions())
def test_a_generated_valid_definition_passes(generated: tuple[Raw, Decimal]) -> None:
    raw, _ = generated
    assert _codes(raw) == set()


@PROFILE
@given(valid_definitions(), st.data())
def test_exceeding_the_budget_is_refused(generated: tuple[Raw, Decimal], data: st.DataObject) -> None:
    raw, limit = generated
    broken = copy.deepcopy(raw)
    # Every path passes reception and return: growing either beyond the slack breaks the limit.
    name = data.draw(st.sampled_from(["TN", "TKQ"]))
    slack = limit - sum(Decimal(s["budget"]["value"]) for s in raw["steps"] if "budget" in s)
    extra = data.draw(st.sampled_from([slack + QUARTER, limit]))
    target = _by_code(broken, name)
    target["budget"]["value"] = str(Decimal(target["budget"]["value"]) + max(extra, slack + QUARTER))
    assert "PROCESS_BUDGET_EXCEEDS_LIMIT" in _codes(broken)


@PROFILE
@given(valid_definitions())
def test_a_second_supplement_request_is_refused(generated: tuple[Raw, Decimal]) -> None:
    raw, _ = generated
    broken = copy.deepcopy(raw)
    _by_code(broken, "BS_XL")["actions"].append(_to("BO_SUNG_LAN_HAI", "BS2"))
    broken["steps"].append(_step("BS2", 5, "reception_officer", [{"code": "DUNG", "name_vi": "Dừng", "to_status": 8}]))
    assert _codes(broken) == {"PROCESS_SECOND_SUPPLEMENT"}


@PROFILE
@given(valid_definitions(), st.data())
def test_a_dead_end_is_refused(generated: tuple[Raw, Decimal], data: st.DataObject) -> None:
    raw, _ = generated
    broken = copy.deepcopy(raw)
    victim = data.draw(st.sampled_from(broken["steps"]))
    victim["actions"] = []
    assert "PROCESS_DEAD_END" in _codes(broken)


@PROFILE
@given(valid_definitions(), st.data())
def test_a_loop_back_to_a_passed_step_is_refused(generated: tuple[Raw, Decimal], data: st.DataObject) -> None:
    raw, _ = generated
    broken = copy.deepcopy(raw)
    work = [s["code"] for s in broken["steps"] if s["code"].startswith("XL")]
    back_to = data.draw(st.sampled_from(work))
    sources = work[work.index(back_to):]
    if work.index(back_to) <= work.index(_by_code(broken, "BS_XL")["continues"]):
        sources.append("BS_XL")  # back before the step it continues: the supplement would come round again
    source = data.draw(st.sampled_from(sources))
    _by_code(broken, source)["actions"].append(_to("TRA_LAI", back_to))
    found = _codes(broken)
    assert "PROCESS_CYCLE" in found
    assert found <= {"PROCESS_CYCLE", "PROCESS_UNREACHABLE_STEP"}


@PROFILE
@given(valid_definitions(), st.data())
def test_any_rewiring_is_checked_without_crashing(generated: tuple[Raw, Decimal], data: st.DataObject) -> None:
    raw, _ = generated
    broken = copy.deepcopy(raw)
    names = [s["code"] for s in broken["steps"]]
    for _ in range(data.draw(st.integers(1, 4))):
        source = data.draw(st.sampled_from(broken["steps"]))
        target = data.draw(st.sampled_from([*names, "NOWHERE"]))
        source["actions"].append(_to(f"R{len(source['actions'])}", target))
    result = _codes(broken)
    assert all(code.startswith("PROCESS_") for code in result)
