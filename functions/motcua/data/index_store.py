"""Storage of the monthly index (docs/index.md §9): the only module of the index path that touches DynamoDB.

Items (single table, see ``motcua.data.table``; ``<month>`` is ``yyyy-mm`` in Asia/Ho_Chi_Minh):

=========================  ==============================  ==================================================
item                       pk                              sk
=========================  ==============================  ==================================================
dossier facts              ``DOSSIER#<id>``                ``INDEX#FACTS`` (``DossierFacts`` JSON, the dossier
                                                           version it reflects, the last event folded)
evaluation                 ``DOSSIER#<id>``                ``EVALUATION`` (one per dossier, conditional put)
unit-month counters        ``AGG#<month>``                 ``UNIT#<own agency code>``: one numeric attribute
                                                           ``c:<counter>`` per counter, atomic ADDs
contribution row           ``AGGD#<month>#<agency>``       ``L#<dossier id>`` (late that month) or
                                                           ``D#<dossier id>``: the dossier's counters for the
                                                           month, its receipt code, its late-list entry;
                                                           ``F#<feedback id>``: feedback about a procedure or
                                                           an agency (its 5.1-5.3 counters, no text)
results                    ``INDEX#<month>``               ``UNIT#<code>`` (``UnitIndex`` + rank), ``SUMMARY``
index settings             ``INDEXCFG``                    ``ONLINE_PAYMENT`` (the payment platform's list)
=========================  ==============================  ==================================================

Counters are written for the dossier's **own** agency only (``facts.units[0]``); every ancestor up to the
province is the sum of its descendants' items, computed when the month is scored (the counters are additive),
so no event ever updates a province-wide item. The writes of one change go into the caller's
``TransactWrite`` (``add_to_transaction``), with the dossier and its history: exactly once per event.
Feedback about a procedure or an agency has no dossier: its counters and row (``FeedbackIndexWrite``) go into
the transaction that writes the feedback item, guarded by the feedback's version.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.operand import Path
from pynamodb.transactions import TransactWrite

from motcua.data.models import Item, ReceiptItem, dynamodb_client, shared_connection
from motcua.data.table import PARTITION_KEY, SORT_KEY
from motcua.data.transactions import (
    StorageUnavailable,
    append,
    cancellation_codes,
    dossier_item,
    event_item,
    put_guarded,
    put_new,
)
from motcua.domain.dossier import Dossier, HistoryEvent, StaleDossier
from motcua.domain.outbox import envelopes_for

FACTS_SK = "INDEX#FACTS"
EVALUATION_SK = "EVALUATION"
COUNTER_PREFIX = "c:"
TRANSACTION_ATTEMPTS = 4


def aggregate_pk(month: str) -> str:
    return f"AGG#{month}"


def row_pk(month: str, unit: str) -> str:
    return f"AGGD#{month}#{unit}"


def row_sk(dossier_id: str, late: bool) -> str:
    return f"{'L' if late else 'D'}#{dossier_id}"


FEEDBACK_ROW_PREFIX = "F#"


def feedback_row_sk(feedback_id: str) -> str:
    return FEEDBACK_ROW_PREFIX + feedback_id


def results_pk(month: str) -> str:
    return f"INDEX#{month}"


# --- models -----------------------------------------------------------------------------------------------
# ``Meta(Item.Meta)`` without a table name of their own: they follow ``models.bind`` like the others.

class FactsItem(Item):
    class Meta(Item.Meta):
        pass

    doc = UnicodeAttribute()
    dossier_version = NumberAttribute()
    last_event_id = UnicodeAttribute()


class RowItem(Item):
    class Meta(Item.Meta):
        pass

    doc = UnicodeAttribute()


class DocItem(Item):
    """Results, summaries, evaluations, settings: a JSON document under its keys."""

    class Meta(Item.Meta):
        pass

    doc = UnicodeAttribute()


# --- what a change writes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CounterDelta:
    month: str
    unit: str
    counters: Mapping[str, int]


@dataclass(frozen=True)
class RowWrite:
    """Put (``doc``) the dossier's row for a month under its late/not-late key; ``doc=None`` deletes it."""

    month: str
    unit: str
    dossier_id: str
    late: bool
    doc: str | None


@dataclass(frozen=True)
class IndexWrite:
    """Everything one dossier change writes for the index, computed by the service (no index logic here)."""

    dossier_id: str
    facts_json: str
    dossier_version: int  # the dossier version these facts reflect (the one being written)
    last_event_id: str
    expected_version: int | None  # the stored facts' dossier_version; None: no facts stored yet
    deltas: tuple[CounterDelta, ...] = ()
    rows: tuple[RowWrite, ...] = ()

    def add_to(self, transaction: TransactWrite) -> None:
        add_to_transaction(transaction, self)


@dataclass(frozen=True)
class FeedbackRowWrite:
    """Put (``doc``) or delete (``None``) the row of feedback about a procedure or an agency for a month."""

    month: str
    unit: str
    feedback_id: str
    doc: str | None


@dataclass(frozen=True)
class FeedbackIndexWrite:
    """What one step on feedback about a procedure or an agency writes for the index (no facts item: the
    feedback record itself is the facts, and its version guards the transaction)."""

    feedback_id: str
    deltas: tuple[CounterDelta, ...] = ()
    rows: tuple[FeedbackRowWrite, ...] = ()

    def add_to(self, transaction: TransactWrite) -> None:
        for delta in self.deltas:
            actions = _counter_actions(delta.counters)
            if actions:
                transaction.update(Item(aggregate_pk(delta.month), f"UNIT#{delta.unit}"), actions=actions)
        for row in self.rows:
            keys = (row_pk(row.month, row.unit), feedback_row_sk(row.feedback_id))
            if row.doc is None:
                transaction.delete(RowItem(*keys))
            else:
                transaction.save(RowItem(*keys, doc=row.doc))


@dataclass(frozen=True)
class StoredFacts:
    facts_json: str
    dossier_version: int
    last_event_id: str


def _counter_actions(counters: Mapping[str, int]) -> list[Any]:
    # One top-level number per counter: ADD on a nested map path fails while the map does not exist yet.
    # Path([...]) keeps the name one segment even when it holds dots (procedure codes).
    return [Path([COUNTER_PREFIX + name]).add(value) for name, value in sorted(counters.items()) if value]


def add_to_transaction(transaction: TransactWrite, write: IndexWrite) -> None:
    """The facts item (guarded by the facts version read), the counter ADDs and the rows, into the caller's
    transaction: they commit, or not, with the dossier and the events they come from. Written as attribute
    maps (``transactions.put_new``: the hot path builds no pynamodb models)."""
    facts = {PARTITION_KEY: {"S": f"DOSSIER#{write.dossier_id}"}, SORT_KEY: {"S": FACTS_SK},
             "doc": {"S": write.facts_json}, "dossier_version": {"N": str(write.dossier_version)},
             "last_event_id": {"S": write.last_event_id}}
    if write.expected_version is None:
        put_new(transaction, facts)
    else:
        put_guarded(transaction, facts, "#dv = :dv", {"#dv": "dossier_version"},
                    {":dv": {"N": str(write.expected_version)}})
    for delta in write.deltas:
        _add_counters(transaction, delta)
    for row in write.rows:
        key = {PARTITION_KEY: {"S": row_pk(row.month, row.unit)}, SORT_KEY: {"S": row_sk(row.dossier_id, row.late)}}
        if row.doc is None:
            transaction._delete_items.append({"TableName": _table(), "Key": key})
        else:
            transaction._put_items.append({"TableName": _table(), "Item": {**key, "doc": {"S": row.doc}}})


def _add_counters(transaction: TransactWrite, delta: CounterDelta) -> None:
    """One ADD per non-zero counter on the unit-month item (as ``_counter_actions``, low-level)."""
    names, values, parts = {}, {}, []
    for i, (name, value) in enumerate(sorted(delta.counters.items())):
        if value:
            names[f"#c{i}"] = COUNTER_PREFIX + name
            values[f":c{i}"] = {"N": str(value)}
            parts.append(f"#c{i} :c{i}")
    if parts:
        transaction._update_items.append({
            "TableName": _table(),
            "Key": {PARTITION_KEY: {"S": aggregate_pk(delta.month)}, SORT_KEY: {"S": f"UNIT#{delta.unit}"}},
            "UpdateExpression": "ADD " + ", ".join(parts), "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values})


def _retry_pause(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.02 * (attempt + 1)))


# --- low-level reads (dynamic counter attributes are not modelled) ------------------------------------------

def _dynamodb() -> Any:
    return dynamodb_client()


def _table() -> str:
    return str(Item.Meta.table_name)


def _query(request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    client = _dynamodb()
    request = {"TableName": _table(), **request}
    while True:
        response = client.query(**request)
        yield from response.get("Items", [])
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _counters_of(item: Mapping[str, Any]) -> dict[str, int]:
    return {name[len(COUNTER_PREFIX):]: int(value["N"]) for name, value in item.items()
            if name.startswith(COUNTER_PREFIX) and int(value["N"]) != 0}


@dataclass
class ReadCount:
    """Items read by the monthly job (the cost measure of the incremental path)."""

    aggregate_items: int = 0
    late_rows: int = 0
    result_items: int = 0
    queries: int = 0


@dataclass
class IndexRepository:
    reads: ReadCount = field(default_factory=ReadCount)

    # -- facts -------------------------------------------------------------------------------------------
    def facts(self, dossier_id: str) -> StoredFacts | None:
        try:
            item = FactsItem.get(f"DOSSIER#{dossier_id}", FACTS_SK, consistent_read=True)
        except DoesNotExist:
            return None
        return StoredFacts(item.doc, int(item.dossier_version), item.last_event_id)

    def facts_present(self, dossier_ids: Sequence[str]) -> set[str]:
        """Which of these dossiers already have stored facts (a re-run of a bulk load skips them)."""
        keys = [(f"DOSSIER#{d}", FACTS_SK) for d in dossier_ids]
        return {item.pk.removeprefix("DOSSIER#") for item in FactsItem.batch_get(keys, attributes_to_get=["pk"])}

    # -- counters and rows -------------------------------------------------------------------------------
    def aggregates(self, month: str) -> dict[str, dict[str, int]]:
        """The month's counters per own agency: one query, one item per agency that had a dossier."""
        out: dict[str, dict[str, int]] = {}
        self.reads.queries += 1
        for item in _query({"KeyConditionExpression": "pk = :pk", "ConsistentRead": True,
                            "ExpressionAttributeValues": {":pk": {"S": aggregate_pk(month)}}}):
            self.reads.aggregate_items += 1
            counters = _counters_of(item)
            if counters:
                out[item["sk"]["S"].removeprefix("UNIT#")] = counters
        return out

    def rows(self, month: str, unit: str, *, late_only: bool = False) -> Iterator[str]:
        """The contribution rows of one agency's month (the late ones only: the ``L#`` keys)."""
        request: dict[str, Any] = {"KeyConditionExpression": "pk = :pk",
                                   "ExpressionAttributeValues": {":pk": {"S": row_pk(month, unit)}}}
        if late_only:
            request["KeyConditionExpression"] += " AND begins_with(sk, :late)"
            request["ExpressionAttributeValues"][":late"] = {"S": "L#"}
        self.reads.queries += 1
        for item in _query(request):
            if late_only:
                self.reads.late_rows += 1
            yield item["doc"]["S"]

    def row_items(self, month: str, unit: str) -> Iterator[tuple[str, str]]:
        """(sort key, row) of one agency's month, in key order."""
        self.reads.queries += 1
        for item in _query({"KeyConditionExpression": "pk = :pk",
                            "ExpressionAttributeValues": {":pk": {"S": row_pk(month, unit)}}}):
            yield item["sk"]["S"], item["doc"]["S"]

    def replace_aggregates(self, month: str, counters: Mapping[str, Mapping[str, int]]) -> None:
        """Overwrite a month's counters (``motcua index --recompute --repair``, for ended months only:
        no event changes them any more)."""
        with Item.batch_write() as batch:
            for item in _query({"KeyConditionExpression": "pk = :pk", "ProjectionExpression": "pk, sk",
                                "ExpressionAttributeValues": {":pk": {"S": aggregate_pk(month)}}}):
                batch.delete(Item(item["pk"]["S"], item["sk"]["S"]))
        client = _dynamodb()
        for unit, values in counters.items():
            add_counters(client, month, unit, values)

    # -- results -----------------------------------------------------------------------------------------
    def put_results(self, month: str, unit_docs: Mapping[str, str], summary_doc: str) -> None:
        """Every unit's result and the month's summary (a re-run overwrites them: idempotent)."""
        with Item.batch_write() as batch:
            for code, doc in unit_docs.items():
                batch.save(DocItem(results_pk(month), f"UNIT#{code}", doc=doc))
            batch.save(DocItem(results_pk(month), "SUMMARY", doc=summary_doc))

    def summary(self, month: str) -> str | None:
        return self._doc(results_pk(month), "SUMMARY")

    def unit_result(self, month: str, unit: str) -> str | None:
        return self._doc(results_pk(month), f"UNIT#{unit}")

    def results(self, month: str) -> dict[str, str]:
        out = {}
        self.reads.queries += 1
        for item in _query({"KeyConditionExpression": "pk = :pk AND begins_with(sk, :unit)",
                            "ExpressionAttributeValues": {":pk": {"S": results_pk(month)},
                                                          ":unit": {"S": "UNIT#"}}}):
            self.reads.result_items += 1
            out[item["sk"]["S"].removeprefix("UNIT#")] = item["doc"]["S"]
        return out

    @staticmethod
    def _doc(pk: str, sk: str) -> str | None:
        try:
            return str(DocItem.get(pk, sk).doc)
        except DoesNotExist:
            return None

    # -- settings ----------------------------------------------------------------------------------------
    def setting(self, name: str) -> str | None:
        return self._doc("INDEXCFG", name)

    def put_setting(self, name: str, doc: str) -> None:
        DocItem("INDEXCFG", name, doc=doc).save()

    # -- evaluations -------------------------------------------------------------------------------------
    def evaluation(self, dossier_id: str) -> str | None:
        try:
            return str(DocItem.get(f"DOSSIER#{dossier_id}", EVALUATION_SK, consistent_read=True).doc)
        except DoesNotExist:
            return None

    def save_evaluation(self, dossier: Dossier, event: HistoryEvent, evaluation_json: str, index: IndexWrite,
                        correlation_id: str | None = None) -> None:
        """The evaluation, its history event, the dossier (version + 1: guarded by the version read, so a
        late answer can never overwrite a newer state) and the index writes, in one transaction. Raises
        ``StaleDossier`` when the dossier or the evaluation changed meanwhile."""
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                with TransactWrite(connection=shared_connection()) as transaction:
                    transaction.save(dossier_item(dossier))
                    transaction.save(DocItem(f"DOSSIER#{dossier.id}", EVALUATION_SK, doc=evaluation_json),
                                     condition=DocItem.pk.does_not_exist())
                    append(transaction, [event], envelopes_for(dossier, [event], correlation_id))
                    add_to_transaction(transaction, index)
                return
            except TransactWriteError as error:
                codes = cancellation_codes(error)
                if "ConditionalCheckFailed" in codes:
                    raise StaleDossier({"expected_version": dossier.version - 1}) from error
                if "TransactionConflict" in codes and attempt + 1 < TRANSACTION_ATTEMPTS:
                    _retry_pause(attempt)
                    continue
                raise StorageUnavailable({"reason": str(error.cause_response_code or "")}) from error

    # -- recompute ---------------------------------------------------------------------------------------
    def scan_dossiers(self, segment: int = 0, segments: int = 1) -> Iterator[Dossier]:
        """Every dossier item (``motcua index --recompute``: a full scan, fine for an operator's command)."""
        request: dict[str, Any] = {"TableName": _table(), "FilterExpression": "sk = :sk",
                                   "ExpressionAttributeValues": {":sk": {"S": "DOSSIER"}},
                                   "ProjectionExpression": "doc", "Segment": segment, "TotalSegments": segments}
        client = _dynamodb()
        while True:
            response = client.scan(**request)
            for item in response.get("Items", []):
                yield Dossier.model_validate_json(item["doc"]["S"])
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def dossier(self, dossier_id: str) -> Dossier:
        """One dossier item (the recompute's late list: read again for the few late dossiers)."""
        item = _dynamodb().get_item(TableName=_table(), Key={"pk": {"S": f"DOSSIER#{dossier_id}"},
                                                               "sk": {"S": "DOSSIER"}},
                                    ProjectionExpression="doc", ConsistentRead=True)["Item"]
        return Dossier.model_validate_json(item["doc"]["S"])

    def history(self, dossier_id: str) -> list[HistoryEvent]:
        return [HistoryEvent.model_validate_json(item["doc"]["S"]) for item in _query({
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :e)",
            "ExpressionAttributeValues": {":pk": {"S": f"DOSSIER#{dossier_id}"}, ":e": {"S": "EVENT#"}}})]


def add_counters(client: Any, month: str, unit: str, counters: Mapping[str, int]) -> None:
    """One atomic ADD of many counters on a unit-month item (outside a transaction: bulk loads, repairs)."""
    names, values, parts = {}, {}, []
    for i, (name, value) in enumerate(sorted(counters.items())):
        if value:
            names[f"#c{i}"] = COUNTER_PREFIX + name
            values[f":v{i}"] = {"N": str(value)}
            parts.append(f"#c{i} :v{i}")
    if not parts:
        return
    client.update_item(TableName=_table(), Key={"pk": {"S": aggregate_pk(month)}, "sk": {"S": f"UNIT#{unit}"}},
                       UpdateExpression="ADD " + ", ".join(parts), ExpressionAttributeNames=names,
                       ExpressionAttributeValues=values)


class BulkLoader:
    """Loads dossiers whose whole history is already known (``motcua demo-data``) in batches: the dossier,
    its receipt pointer, its history, its facts and rows with BatchWriteItem, and the same per-event
    counter deltas as the live path, summed per unit-month and ADDed once per batch. No outbox: these are
    past events, nobody is to be notified of them."""

    def __init__(self) -> None:
        self._batch = Item.batch_write()
        self._pending: dict[tuple[str, str], dict[str, int]] = {}
        self.items_written = 0

    def __enter__(self) -> BulkLoader:
        self._batch.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._batch.__exit__(*exc)  # type: ignore[arg-type]
        if exc[0] is None:
            self.flush_counters()

    def put(self, dossier: Dossier, events: Sequence[HistoryEvent], write: IndexWrite, *,
            timers: bool = False) -> None:
        if len(events) >= 100:  # the history sort key holds the position in two digits
            raise ValueError(f"{dossier.id}: {len(events)} events is more than one batch put can order")
        item = dossier_item(dossier)
        item.version = dossier.version  # a batch put writes the item as is: store the version itself
        if not timers:  # historical data stays out of the SLA timers index
            item.gsi4pk = item.gsi4sk = None
        for model in (item, ReceiptItem(f"RECEIPT#{dossier.receipt_code}", "RECEIPT", dossier_id=dossier.id),
                      *(event_item(e, position=i) for i, e in enumerate(events)),
                      FactsItem(f"DOSSIER#{write.dossier_id}", FACTS_SK, doc=write.facts_json,
                                dossier_version=write.dossier_version, last_event_id=write.last_event_id)):
            self._batch.save(model)
            self.items_written += 1
        for row in write.rows:
            if row.doc is not None:
                self._batch.save(RowItem(row_pk(row.month, row.unit), row_sk(row.dossier_id, row.late), doc=row.doc))
                self.items_written += 1
        for delta in write.deltas:
            target = self._pending.setdefault((delta.month, delta.unit), {})
            for name, value in delta.counters.items():
                target[name] = target.get(name, 0) + value

    def flush_counters(self) -> None:
        client = _dynamodb()
        for (month, unit), counters in sorted(self._pending.items()):
            add_counters(client, month, unit, counters)
        self._pending.clear()
