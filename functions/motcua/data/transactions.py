"""How a change is written to the one table: the items a dossier, its history and its events become, appended
in one transaction, and what a cancelled transaction says.

The dossiers' repository, the index's and feedback's write a dossier and its history through these, so every
writer builds the same items (keys, indexes, conditions) and reads a failure the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from motcua.data import table
from motcua.data.models import DossierItem, HistoryItem, Item, OutboxItem
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.errors import MotcuaError

if TYPE_CHECKING:
    from motcua.domain.events import EventEnvelope


class StorageUnavailable(MotcuaError):
    """The database did not answer: nothing was written; the client may retry with the same key."""

    code = "STORAGE_UNAVAILABLE"
    http_status = 503
    message_vi = "Hệ thống tạm thời không lưu được dữ liệu. Vui lòng thử lại sau."
    message_en = "Storage is temporarily unavailable. Please retry later."



def _timer_keys(dossier: Dossier) -> tuple[str, str] | None:
    # Imported on the first dossier write: the SLA rules and the events' models are not a read's (cold start).
    from motcua.domain.sla import index_keys

    return index_keys(dossier)

def failed_keys(transaction: TransactWrite, error: TransactWriteError) -> set[tuple[str, str]]:
    """The (pk, sk) of every item whose condition failed. DynamoDB answers with one reason per item in
    request order, and pynamodb sends condition checks, deletes, puts, then updates (not call order)."""
    requests = [*transaction._condition_check_items, *transaction._delete_items,
                *transaction._put_items, *transaction._update_items]
    failed = set()
    for request, code in zip(requests, cancellation_codes(error), strict=False):
        if code == "ConditionalCheckFailed":
            key = request.get("Key") or request.get("Item") or {}
            failed.add((key.get(table.PARTITION_KEY, {}).get("S", ""), key.get(table.SORT_KEY, {}).get("S", "")))
    return failed


def cancellation_codes(error: TransactWriteError) -> list[str | None]:
    reasons = getattr(error, "cancellation_reasons", None) or []
    return [r.code if r is not None else None for r in reasons]


def dossier_item(dossier: Dossier) -> DossierItem:
    submitted = dossier.submitted_at.isoformat()
    item = DossierItem(
        f"DOSSIER#{dossier.id}", "DOSSIER",
        # The work list of the agency holding the dossier now: a transfer (liên thông) moves it there.
        gsi2pk=f"AGENCY#{dossier.current_agency}",
        gsi2sk=f"{int(dossier.status):02d}#{submitted}",
        gsi3pk=f"OWNER#{dossier.owner}",
        gsi3sk=submitted,
        status=int(dossier.status),
        doc=dossier.model_dump_json(),
    )
    # SLA timers index (sparse gsi4): the next timer, recomputed on EVERY write, so a pause moves it, a resume
    # re-creates it and finishing removes it (absent keys keep the item out of the index).
    timer_keys = _timer_keys(dossier)
    if timer_keys is not None:
        item.gsi4pk, item.gsi4sk = timer_keys
    # pynamodb's VersionAttribute adds `version = <stored>` (or "does not exist") and bumps it on write.
    if dossier.version > 1:
        item.version = dossier.version - 1
    return item


# --- the hot path's items as DynamoDB attribute maps, straight into the transaction ---------------------------
# A submission or an action writes five to eight items; building a pynamodb model per item and serialising it
# (attribute by attribute, condition objects rendered into expressions) was the largest part of the
# function's own work (docs/benchmarks.md, submit). These write the same attributes and conditions as the
# models (``tests/unit/test_data_models.py`` compares them) into the same ``TransactWrite``, whose other parts
# keep using pynamodb models.

AttributeMap = dict[str, dict[str, str]]
_NOT_EXISTS = {"ConditionExpression": "attribute_not_exists (#pk)",
               "ExpressionAttributeNames": {"#pk": table.PARTITION_KEY}}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def dossier_attributes(dossier: Dossier) -> AttributeMap:
    """The dossier item as stored (the attributes of ``dossier_item``, its version the dossier's own)."""
    submitted = dossier.submitted_at.isoformat()
    item = {
        table.PARTITION_KEY: _s(f"DOSSIER#{dossier.id}"), table.SORT_KEY: _s("DOSSIER"),
        "gsi2pk": _s(f"AGENCY#{dossier.current_agency}"), "gsi2sk": _s(f"{int(dossier.status):02d}#{submitted}"),
        "gsi3pk": _s(f"OWNER#{dossier.owner}"), "gsi3sk": _s(submitted),
        "status": {"N": str(int(dossier.status))}, "version": {"N": str(dossier.version)},
        "doc": _s(dossier.model_dump_json()),
    }
    timer_keys = _timer_keys(dossier)
    if timer_keys is not None:
        item["gsi4pk"], item["gsi4sk"] = _s(timer_keys[0]), _s(timer_keys[1])
    return item


def put_new(transaction: TransactWrite, item: AttributeMap) -> None:
    """A put of ``item`` into the transaction, only if no item has its key."""
    transaction._put_items.append({"TableName": Item.Meta.table_name, "Item": item, **_NOT_EXISTS})


def put_guarded(transaction: TransactWrite, item: AttributeMap, condition: str, names: dict[str, str],
                values: dict[str, Any] | None = None) -> None:
    """A put of ``item`` under ``condition`` (a DynamoDB condition expression)."""
    request: dict[str, Any] = {"TableName": Item.Meta.table_name, "Item": item, "ConditionExpression": condition,
                               "ExpressionAttributeNames": names}
    if values:
        request["ExpressionAttributeValues"] = values
    transaction._put_items.append(request)


def put_dossier(transaction: TransactWrite, dossier: Dossier) -> None:
    """The dossier, guarded by the version it was read at (none stored for a new one), as ``VersionAttribute``
    guards ``dossier_item``: the stored version is ``dossier.version - 1``."""
    if dossier.version > 1:
        put_guarded(transaction, dossier_attributes(dossier), "#v = :v", {"#v": "version"},
                    {":v": {"N": str(dossier.version - 1)}})
    else:
        put_guarded(transaction, dossier_attributes(dossier), "attribute_not_exists (#v)", {"#v": "version"})


def event_attributes(event: HistoryEvent, position: int = 0) -> AttributeMap:
    return {table.PARTITION_KEY: _s(f"DOSSIER#{event.dossier_id}"),
            table.SORT_KEY: _s(f"EVENT#{event.occurred_at.isoformat()}#{position:02d}#{event.event_id}"),
            "doc": _s(event.model_dump_json())}


def outbox_attributes(envelope: EventEnvelope) -> AttributeMap:
    return {table.PARTITION_KEY: _s(f"OUTBOX#{envelope.id}"), table.SORT_KEY: _s("OUTBOX"),
            "gsi1pk": _s(OUTBOX_PENDING), "gsi1sk": _s(f"{envelope.occurred_at.isoformat()}#{envelope.id}"),
            "type": _s(envelope.type), "doc": _s(envelope.model_dump_json())}


def event_item(event: HistoryEvent, position: int = 0) -> HistoryItem:
    # The position keeps the order of events one action produced at the same instant (decide, then issue).
    return HistoryItem(f"DOSSIER#{event.dossier_id}",
                       f"EVENT#{event.occurred_at.isoformat()}#{position:02d}#{event.event_id}",
                       doc=event.model_dump_json())


OUTBOX_PENDING = "OUTBOX#PENDING"


def outbox_item(envelope: EventEnvelope) -> OutboxItem:
    return OutboxItem(f"OUTBOX#{envelope.id}", "OUTBOX", gsi1pk=OUTBOX_PENDING,
                      gsi1sk=f"{envelope.occurred_at.isoformat()}#{envelope.id}", type=envelope.type,
                      doc=envelope.model_dump_json())


def append(transaction: TransactWrite, events: list[HistoryEvent], envelopes: list[EventEnvelope]) -> None:
    """History is append-only: each event is a new item, written only if no item has its key."""
    for position, event in enumerate(events):
        put_new(transaction, event_attributes(event, position))
    for envelope in envelopes:
        put_new(transaction, outbox_attributes(envelope))
