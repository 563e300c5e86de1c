"""An internal procedure checked against the law before it can be used (docs/domain.md §11.2).

``violations(definition, procedure)`` lists every rule the definition breaks, each a
:class:`ProcessViolation` with a stable code and a Vietnamese and an English message (the domain's error
convention, ``motcua.domain.errors``); ``ensure_valid`` refuses a definition with any.

The step graph is walked from the start step along ``to_step`` actions; terminal actions end a path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar

from motcua.domain.calendar import OfficeHours
from motcua.domain.catalogue import Channel, Procedure
from motcua.domain.clock import TimeLimit, TimeUnit
from motcua.domain.errors import InvalidInput, MotcuaError
from motcua.domain.process.model import HOURS_PER_WORKING_DAY, ProcessDefinition, Step
from motcua.domain.status import PAUSE_REASONS, DossierStatus, can_transition

_S = DossierStatus
# The statuses a step may hold: the dossier is in the agencies' hands. Before reception (1) there is no
# process yet; 3, 8 and 10 end the dossier, so they are what actions lead to, never steps.
STEP_STATUSES = frozenset({_S.RECEIVED, _S.PROCESSING, _S.SUPPLEMENT_REQUESTED, _S.AWAITING_PAYMENT,
                           _S.WITHDRAWAL_REQUESTED, _S.DECIDED})


class ProcessViolation(MotcuaError):
    """One broken rule. Subclasses' messages are templates filled from ``details``."""

    code: ClassVar[str] = "PROCESS_VIOLATION"
    http_status: ClassVar[int] = 422

    def __init__(self, **details: Any) -> None:
        super().__init__(details, message_vi=type(self).message_vi.format(**details),
                         message_en=type(self).message_en.format(**details))


class WrongProcedure(ProcessViolation):
    code = "PROCESS_WRONG_PROCEDURE"
    message_vi = "Quy trình của thủ tục {defined} được kiểm tra với thủ tục {procedure}."
    message_en = "The process of procedure {defined} was checked against procedure {procedure}."


class ChannelNotAccepted(ProcessViolation):
    code = "PROCESS_CHANNEL_NOT_ACCEPTED"
    message_vi = "Thủ tục không tiếp nhận hồ sơ qua kênh {channel}."
    message_en = "The procedure does not accept dossiers through the {channel} channel."


class UnknownStep(ProcessViolation):
    code = "PROCESS_UNKNOWN_STEP"
    message_vi = "Bước {step} dẫn tới bước {target} không có trong quy trình."
    message_en = "Step {step} leads to step {target}, which the process does not define."


class StartNotReception(ProcessViolation):
    code = "PROCESS_START_NOT_RECEPTION"
    message_vi = "Bước đầu tiên {step} phải là bước tiếp nhận (trạng thái 2): thời hạn tính từ khi tiếp nhận."
    message_en = "The first step {step} must be a reception step (status 2): the clock starts at reception."


class StepStatusNotAllowed(ProcessViolation):
    code = "PROCESS_STEP_STATUS_NOT_ALLOWED"
    message_vi = "Bước {step} không thể thuộc trạng thái {status}; trạng thái kết thúc chỉ là đích của thao tác."
    message_en = "Step {step} cannot be in status {status}; a terminal status is only an action's target."


class ForbiddenStatusMove(ProcessViolation):
    code = "PROCESS_FORBIDDEN_TRANSITION"
    message_vi = "Thao tác {action} ở bước {step} chuyển trạng thái {from_status} sang {to_status}, không được phép."
    message_en = "Action {action} at step {step} moves status {from_status} to {to_status}, which is forbidden."


class TargetNotTerminal(ProcessViolation):
    code = "PROCESS_TARGET_NOT_TERMINAL"
    message_vi = "Thao tác {action} ở bước {step} kết thúc ở trạng thái {to_status}, không phải trạng thái kết thúc."
    message_en = "Action {action} at step {step} ends in status {to_status}, which is not terminal."


class DeadEnd(ProcessViolation):
    code = "PROCESS_DEAD_END"
    message_vi = "Bước {step} không có thao tác nào: hồ sơ sẽ dừng lại mà không kết thúc."
    message_en = "Step {step} has no action: a dossier would stay there without ending."


class UnreachableStep(ProcessViolation):
    code = "PROCESS_UNREACHABLE_STEP"
    message_vi = "Không có đường nào từ bước đầu tới bước {step}."
    message_en = "No path from the start leads to step {step}."


class Cycle(ProcessViolation):
    code = "PROCESS_CYCLE"
    message_vi = ("Quy trình quay lại bước đã qua ({path}): bước đó được tính thời gian lại từ đầu, hồ sơ "
                  "trễ hạn có thể thành đúng hạn.")
    message_en = ("The process comes back to a step already passed ({path}): its time would start again, "
                  "and a late dossier could become on time.")


class NoReturnPath(ProcessViolation):
    code = "PROCESS_NO_RETURN_PATH"
    message_vi = "Không có đường nào dẫn tới trả kết quả (trạng thái 10)."
    message_en = "No path leads to returning the result (status 10)."


class BudgetMissing(ProcessViolation):
    code = "PROCESS_STEP_BUDGET_MISSING"
    message_vi = "Bước {step} chưa có thời gian giải quyết."
    message_en = "Step {step} has no time budget."


class BudgetWhilePaused(ProcessViolation):
    code = "PROCESS_BUDGET_WHILE_PAUSED"
    message_vi = "Bước {step} ở trạng thái {status} (tạm dừng tính thời gian) không được có thời gian giải quyết."
    message_en = "Step {step} is in status {status}, where the clock stands still: it cannot have a budget."


class ContinuationWithBudget(ProcessViolation):
    code = "PROCESS_CONTINUATION_WITH_BUDGET"
    message_vi = "Bước {step} tiếp tục bước {continues} trên thời gian còn lại: không được có thời gian riêng."
    message_en = "Step {step} carries on step {continues} on its remaining time: it cannot have its own budget."


class ContinuationNotAfter(ProcessViolation):
    code = "PROCESS_CONTINUATION_NOT_AFTER"
    message_vi = "Bước {step} tiếp tục bước {continues}, nhưng có đường tới {step} không qua bước {continues}."
    message_en = "Step {step} carries on step {continues}, but some path reaches {step} without passing {continues}."


class BudgetExceedsLimit(ProcessViolation):
    code = "PROCESS_BUDGET_EXCEEDS_LIMIT"
    message_vi = ("Tổng thời gian các bước ({total_hours} giờ làm việc, đường {path}) vượt thời hạn giải quyết "
                  "{limit_hours} giờ làm việc của kênh {channel}.")
    message_en = ("The steps' budgets ({total_hours} working hours on path {path}) exceed the legal limit of "
                  "{limit_hours} working hours for the {channel} channel.")


class SecondSupplement(ProcessViolation):
    code = "PROCESS_SECOND_SUPPLEMENT"
    message_vi = "Có đường yêu cầu bổ sung hồ sơ {count} lần ({path}); chỉ được yêu cầu một lần."
    message_en = "A path requests a supplement {count} times ({path}); a supplement may be requested once."


class ProcessDefinitionRefused(InvalidInput):
    code = "PROCESS_DEFINITION_REFUSED"
    http_status = 422
    message_vi = "Quy trình nội bộ vi phạm quy định nên không được sử dụng."
    message_en = "The internal procedure breaks the rules and cannot be used."


# --------------------------------------------------------------------------------------------------------
# The legal limit on the steps' scale


def min_working_days_in(calendar_days: int) -> int:
    """The fewest Monday-Friday days in ``calendar_days`` consecutive days (a window that starts on a Saturday)."""
    weeks, rest = divmod(calendar_days, 7)
    return weeks * 5 + max(0, rest - 2)


def limit_in_hours(limit: TimeLimit, hours: OfficeHours | None = None) -> Decimal:
    """The working hours a dossier is sure to have under ``limit``, received at the worst moment.

    Working days and hours are the limit itself. A same-day limit (docs/domain.md §5.5) guarantees only the
    office time between the cut-off and closing. A calendar-day limit guarantees the fewest working days its
    window can hold; holidays are left out (UNSURE, §11.2: a Tết window holds fewer, and the clock still
    judges each dossier on the real calendar).
    """
    office = hours or OfficeHours()
    per_day = Decimal(office.seconds_per_day) / 3600
    if limit.unit is TimeUnit.WORKING_DAYS:
        return limit.value * per_day
    if limit.unit is TimeUnit.WORKING_HOURS:
        return limit.value
    if limit.unit is TimeUnit.SAME_DAY_15H_CUTOFF:
        cutoff = office.same_day_cutoff
        after_cutoff = office.seconds_per_day - office.elapsed(cutoff.hour * 3600 + cutoff.minute * 60)
        return Decimal(after_cutoff) / 3600
    return min_working_days_in(int(limit.value)) * per_day


def legal_limits(procedure: Procedure) -> dict[Channel, TimeLimit]:
    """The legal limit for each channel the procedure accepts.

    The catalogue states one limit for all channels (docs/domain.md §10); where a national record lists
    shorter online or postal limits they are text only (UNSURE, §11.2), so every channel gets the stored one.
    Per-channel limits, once stored, change only this function.
    """
    limit = procedure.time_limit.to_domain()
    return {channel: limit for channel in procedure.channels}


# --------------------------------------------------------------------------------------------------------
# The rules


def violations(definition: ProcessDefinition, procedure: Procedure) -> list[ProcessViolation]:
    return list(_violations(definition, procedure))


def ensure_valid(definition: ProcessDefinition, procedure: Procedure) -> ProcessDefinition:
    found = violations(definition, procedure)
    if found:
        raise ProcessDefinitionRefused({"procedure_code": definition.procedure_code, "agency": definition.agency,
                                        "version": definition.version,
                                        "violations": [v.to_body() for v in found]})
    return definition


def _violations(d: ProcessDefinition, procedure: Procedure) -> Iterator[ProcessViolation]:
    if d.procedure_code != procedure.code:
        yield WrongProcedure(defined=d.procedure_code, procedure=procedure.code)
    for channel in sorted((d.channels or frozenset()) - set(procedure.channels)):
        yield ChannelNotAccepted(channel=channel.value)
    steps = {s.code: s for s in d.steps}
    start = steps.get(d.start)
    if start is None:
        yield UnknownStep(step="(start)", target=d.start)
        return
    if start.status is not _S.RECEIVED:
        yield StartNotReception(step=start.code)
    known = True
    for step in d.steps:
        yield from _step_shape(step, steps)
        known = known and all(a.to_step in steps for a in step.actions if a.to_step) and (
            step.continues is None or step.continues in steps)
    if not known:
        return  # the graph has holes: the path rules would only repeat them

    graph = {code: tuple(a.to_step for a in s.actions if a.to_step) for code, s in steps.items()}
    reached = _reachable(graph, d.start)
    for step in d.steps:
        if step.code not in reached:
            yield UnreachableStep(step=step.code)
    loop = _cycle(graph, d.start)
    if loop:
        # A loop re-enters a step and grants its budget again (docs/domain.md §4.5-4.6): the path budget is
        # unbounded and a step late on its first pass would be judged on a fresh budget on the next.
        yield Cycle(path=" → ".join(loop))
        return
    if not _reaches_return(steps, d.start):
        yield NoReturnPath()
    for step in d.steps:
        if step.continues and step.code in reached and step.continues in reached and step.code in _reachable(
                graph, d.start, without=step.continues):
            yield ContinuationNotAfter(step=step.code, continues=step.continues)
    yield from _budget_rule(d, procedure, steps)
    count, path = _most_supplements(steps, d.start)
    if count > 1:
        yield SecondSupplement(count=count, path=" → ".join(path))


def _step_shape(step: Step, steps: Mapping[str, Step]) -> Iterator[ProcessViolation]:
    if step.status not in STEP_STATUSES:
        yield StepStatusNotAllowed(step=step.code, status=int(step.status))
    if not step.actions:
        yield DeadEnd(step=step.code)
    paused = step.status in PAUSE_REASONS
    if step.continues:
        if step.continues not in steps:
            yield UnknownStep(step=step.code, target=step.continues)
        if step.budget is not None:
            yield ContinuationWithBudget(step=step.code, continues=step.continues)
    elif paused and step.budget is not None:
        # docs/domain.md §4.4: the time in a supplement or payment pause does not count against the limit.
        yield BudgetWhilePaused(step=step.code, status=int(step.status))
    elif not paused and step.budget is None:
        yield BudgetMissing(step=step.code)
    for action in step.actions:
        if action.to_step is not None:
            target_step = steps.get(action.to_step)
            if target_step is None:
                yield UnknownStep(step=step.code, target=action.to_step)
                continue
            target = target_step.status
        else:
            target = action.to_status  # type: ignore[assignment]
            if not target.is_terminal:
                yield TargetNotTerminal(step=step.code, action=action.code, to_status=int(target))
        # A hand-over between two sub-states of one code is no status change (a transfer, docs/domain.md
        # §2.3); any other move must be in the one transition table, which never leads back to 1 or 2, so no
        # action restarts the clock that reception started (§4.3).
        if target is not step.status and not can_transition(step.status, target):
            yield ForbiddenStatusMove(step=step.code, action=action.code, from_status=int(step.status),
                                      to_status=int(target))


def _reachable(graph: Mapping[str, tuple[str, ...]], start: str, without: str | None = None) -> set[str]:
    seen: set[str] = set()
    todo = [start] if start != without else []
    while todo:
        code = todo.pop()
        if code in seen:
            continue
        seen.add(code)
        todo.extend(t for t in graph[code] if t != without and t not in seen)
    return seen


def _cycle(graph: Mapping[str, tuple[str, ...]], start: str) -> list[str] | None:
    """One loop among the steps (any step, reachable or not), as the steps it passes, first one repeated."""
    colour: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(code: str) -> list[str] | None:
        colour[code] = 1
        stack.append(code)
        for target in graph[code]:
            if colour.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in colour and (found := visit(target)):
                return found
        stack.pop()
        colour[code] = 2
        return None

    for code in [start, *graph]:
        if code not in colour and (found := visit(code)):
            return found
    return None


def _reaches_return(steps: Mapping[str, Step], start: str) -> bool:
    @cache
    def ok(code: str) -> bool:
        return any(a.to_status is _S.RETURNED or (a.to_step is not None and ok(a.to_step))
                   for a in steps[code].actions)
    return ok(start)


def _budget_rule(d: ProcessDefinition, procedure: Procedure,
                 steps: Mapping[str, Step]) -> Iterator[ProcessViolation]:
    @cache
    def worst(code: str) -> tuple[Decimal, tuple[str, ...]]:
        """The largest sum of budgets on a path from ``code`` to its end, and that path."""
        step = steps[code]
        own = step.budget.in_hours() if step.budget else Decimal(0)
        tails = [worst(a.to_step) for a in step.actions if a.to_step]
        total, tail = max(tails, key=lambda t: t[0], default=(Decimal(0), ()))
        return own + total, (code, *tail)

    total, path = worst(d.start)
    limits = legal_limits(procedure)
    for channel in sorted(d.channels or limits):
        limit = limits.get(channel)
        if limit is None:
            continue  # reported as a channel the procedure does not accept
        allowed = limit_in_hours(limit)
        if total > allowed:
            yield BudgetExceedsLimit(total_hours=_fmt(total), limit_hours=_fmt(allowed), channel=channel.value,
                                     path=" → ".join(path))


def _most_supplements(steps: Mapping[str, Step], start: str) -> tuple[int, tuple[str, ...]]:
    """The most supplement requests on one path (an action into a status-5 step from outside it)."""
    @cache
    def most(code: str) -> tuple[int, tuple[str, ...]]:
        step = steps[code]
        options: list[tuple[int, tuple[str, ...]]] = [(0, (code,))]
        for a in step.actions:
            if a.to_step is None:
                continue
            request = int(steps[a.to_step].status is _S.SUPPLEMENT_REQUESTED
                          and step.status is not _S.SUPPLEMENT_REQUESTED)
            count, tail = most(a.to_step)
            options.append((count + request, (code, *tail)))
        return max(options, key=lambda o: o[0])
    return most(start)


def _fmt(hours: Decimal) -> str:
    return f"{hours.normalize():f}"


__all__ = ["HOURS_PER_WORKING_DAY", "ProcessDefinitionRefused", "ProcessViolation", "ensure_valid",
           "legal_limits", "limit_in_hours", "violations"]
