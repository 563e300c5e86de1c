"""Officials' open steps (``GET /me/tasks``, the least-loaded rule) and the round-robin turn counters.

One ``TASKS#<subject>`` item per officer of an open step (lead or supporting), sorted by the step's due time:
written and removed in the very transaction of the dossier change that opens, reassigns or closes the step
(``task_writes``), so an officer's list is never out of step with the dossiers. ``open_steps`` counts one
officer's items (the least-loaded rule); ``next_turn`` takes the next turn of an agency's role (round robin:
an atomic counter outside the change, so a change that fails only skips a turn).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException
from pynamodb.transactions import TransactWrite

from motcua.data.models import DossierItem, Item, dynamodb_client
from motcua.data.transactions import StorageUnavailable
from motcua.domain.dossier import Dossier
from motcua.domain.steps import StepInstance

# Steps without a due time (a paused status) sort after every dated one.
_UNDATED = "9999-12-31T23:59:59.999999Z"


class _TaskItem(Item):
    class Meta(Item.Meta):  # follows ``models.bind`` like the models in ``models``
        pass

    doc = UnicodeAttribute()


class _TurnItem(Item):
    class Meta(Item.Meta):
        pass

    turn = NumberAttribute(default=0)


@dataclass(frozen=True)
class Task:
    """One open step of one officer, as their work list shows it."""

    dossier_id: str
    receipt_code: str
    procedure_code: str
    procedure_name_vi: str
    seq: int
    step_code: str
    step_name_vi: str
    unit: str
    agency_code: str
    role: str  # "lead" or "supporting"
    entered_at: datetime
    due_at: datetime | None
    budget_hours: str | None


def _sort_key(dossier_id: str, step: StepInstance) -> str:
    due = step.due_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if step.due_at else _UNDATED
    return f"{due}#{dossier_id}#{step.seq:03d}"


def _open_tasks(dossier: Dossier | None) -> dict[tuple[str, str], dict[str, Any]]:
    step = dossier.current_step if dossier is not None else None
    if dossier is None or step is None:
        return {}
    out = {}
    for subject in step.officers:
        doc = {"dossier_id": dossier.id, "receipt_code": dossier.receipt_code,
               "procedure_code": dossier.procedure_code, "procedure_name_vi": dossier.procedure_name_vi,
               "seq": step.seq, "step_code": step.code, "step_name_vi": step.name_vi, "unit": step.unit,
               "agency_code": step.agency_code, "role": "lead" if subject == step.lead else "supporting",
               "entered_at": step.entered_at.isoformat(),
               "due_at": step.due_at.isoformat() if step.due_at else None,
               "budget_hours": str(step.budget_hours) if step.budget_hours is not None else None}
        out[(f"TASKS#{subject}", _sort_key(dossier.id, step))] = doc
    return out


@dataclass(frozen=True)
class TaskWrites:
    """The task items a dossier change adds and removes (``repositories.TransactionPart``)."""

    puts: dict[tuple[str, str], dict[str, Any]]
    deletes: tuple[tuple[str, str], ...]

    def add_to(self, transaction: TransactWrite) -> None:
        for key in self.deletes:
            transaction.delete(_TaskItem(*key))
        for key, doc in self.puts.items():
            transaction.save(_TaskItem(*key, doc=json.dumps(doc, ensure_ascii=False)))

    def __bool__(self) -> bool:
        return bool(self.puts or self.deletes)


def task_writes(before: Dossier | None, after: Dossier) -> TaskWrites:
    old, new = _open_tasks(before), _open_tasks(after)
    return TaskWrites(puts={k: v for k, v in new.items() if old.get(k) != v},
                      deletes=tuple(k for k in old if k not in new))


def _storage_error(error: Exception) -> StorageUnavailable:
    return StorageUnavailable({"reason": str(getattr(error, "cause_response_code", "") or "")})


def tasks_of(subject: str, *, limit: int = 50, after: str | None = None) -> tuple[list[Task], str | None]:
    """An officer's open steps, the soonest due first; ``after``: the previous page's token."""
    request: dict[str, Any] = {
        "TableName": DossierItem.Meta.table_name, "Limit": limit,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"TASKS#{subject}"}},
    }
    if after:
        request["ExclusiveStartKey"] = {"pk": {"S": f"TASKS#{subject}"}, "sk": {"S": after}}
    response = dynamodb_client().query(**request)
    tasks = []
    for item in response.get("Items", []):
        doc = json.loads(item["doc"]["S"])
        doc["entered_at"] = datetime.fromisoformat(doc["entered_at"])
        doc["due_at"] = datetime.fromisoformat(doc["due_at"]) if doc["due_at"] else None
        tasks.append(Task(**doc))
    last = response.get("LastEvaluatedKey")
    return tasks, (last["sk"]["S"] if last else None)


def open_steps(subject: str) -> int:
    """How many open steps the officer holds (one COUNT query of their task items)."""
    response = dynamodb_client().query(
        TableName=DossierItem.Meta.table_name, Select="COUNT", KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"TASKS#{subject}"}})
    return int(response.get("Count", 0))


def next_turn(agency_code: str, role: str) -> int:
    """The next round-robin turn of the agency's officers in ``role`` (0, 1, 2, ...)."""
    item = _TurnItem(f"TURN#{agency_code}#{role}", "TURN")
    try:
        item.update(actions=[_TurnItem.turn.add(1)])
    except PynamoDBException as error:
        raise _storage_error(error) from error
    return int(item.turn) - 1
