"""Repositories: the only code that reads and writes the table. They speak in domain objects."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from motcua.data import table
from motcua.data.models import (
    AgencyItem,
    DossierItem,
    HistoryItem,
    Item,
    ProcedureItem,
    ReceiptItem,
    SequenceItem,
    shared_connection,
)
from motcua.data.transactions import (
    AttributeMap,
    StorageUnavailable,
    append,
    cancellation_codes,
    event_item,
    failed_keys,
    put_dossier,
    put_new,
)
from motcua.domain.catalogue import Agency, Procedure
from motcua.domain.dossier import Dossier, HistoryEvent, StaleDossier
from motcua.domain.errors import IdempotencyKeyReused, MotcuaError, NotFound
from motcua.domain.receipt import sequence_day

if TYPE_CHECKING:  # the index's writes join the dossier's transactions
    from motcua.data.index_store import IndexWrite
    from motcua.domain.events import EventEnvelope

T = TypeVar("T")


def _envelopes_for(dossier: Dossier, events: list[HistoryEvent], correlation_id: str | None) -> list[EventEnvelope]:
    """``motcua.domain.outbox.envelopes_for``, imported on the first write: the events' models are not a read's."""
    from motcua.domain.outbox import envelopes_for

    return envelopes_for(dossier, events, correlation_id)


class TransactionPart(Protocol):
    """More items a change writes in its own transaction (records of the citizen's document store)."""

    def add_to(self, transaction: TransactWrite) -> None: ...


# DynamoDB's limit of actions in one TransactWriteItems call.
MAX_TRANSACTION_ITEMS = 100


@dataclass(frozen=True)
class Change:
    """One dossier's change for ``DossierRepository.save_changes``: the dossier as it will be written (its
    version one above the version read), its new history events and the envelopes beyond ``envelopes_for``."""

    dossier: Dossier
    events: list[HistoryEvent]
    extra_envelopes: Sequence[EventEnvelope] = ()


class ProcedureNotFound(NotFound):
    code = "PROCEDURE_NOT_FOUND"
    message_vi = "Không tìm thấy thủ tục hành chính."
    message_en = "Procedure not found."


class DossierNotFound(NotFound):
    code = "DOSSIER_NOT_FOUND"
    message_vi = "Không tìm thấy hồ sơ."
    message_en = "Dossier not found."


class DossierAlreadyExists(MotcuaError):
    code = "DOSSIER_ALREADY_EXISTS"
    http_status = 409


class ReceiptSequenceContention(StorageUnavailable):
    code = "RECEIPT_SEQUENCE_BUSY"


# --- catalogue ---------------------------------------------------------------------------------------

@dataclass
class _Cached(Generic[T]):
    loaded_at: float
    items: dict[str, T]


class CatalogueRepository:
    """The catalogue is small (hundreds of procedures) and changes rarely: read it whole, keep it in the
    warm Lambda for ``ttl_s`` seconds."""

    def __init__(self, ttl_s: float = 300.0) -> None:
        self.ttl_s = ttl_s
        self._cache: _Cached[Procedure] | None = None
        self._agencies: _Cached[Agency] | None = None

    def put_all(self, procedures: list[Procedure], agencies: list[Agency]) -> None:
        """Write the whole catalogue in batches (seeding, imports)."""
        with ProcedureItem.batch_write() as batch:
            for procedure in procedures:
                batch.save(ProcedureItem(f"PROC#{procedure.code}", "PROC", gsi1sk=procedure.code,
                                         doc=procedure.model_dump_json()))
        with AgencyItem.batch_write() as batch:
            for agency in agencies:
                batch.save(AgencyItem(f"AGENCY#{agency.code}", "AGENCY", gsi1sk=agency.code,
                                      doc=agency.model_dump_json()))
        self._cache = self._agencies = None

    def procedures(self) -> dict[str, Procedure]:
        if self._cache is None or time.monotonic() - self._cache.loaded_at > self.ttl_s:
            self._cache = _Cached(time.monotonic(), {p.code: p for p in self._read_catalogue()})
        return self._cache.items

    @staticmethod
    def _read_catalogue() -> Iterator[Procedure]:
        # gsi1 partition CATALOGUE holds every procedure, sorted by code.
        for item in ProcedureItem.listing.query("CATALOGUE"):
            yield Procedure.model_validate_json(item.doc)

    def procedure(self, code: str) -> Procedure:
        found = self.procedures().get(code)
        if found is None:
            raise ProcedureNotFound({"procedure_code": code})
        return found

    def agencies(self) -> dict[str, Agency]:
        if self._agencies is None or time.monotonic() - self._agencies.loaded_at > self.ttl_s:
            loaded = (Agency.model_validate_json(i.doc) for i in AgencyItem.listing.query("AGENCIES"))
            self._agencies = _Cached(time.monotonic(), {a.code: a for a in loaded})
        return self._agencies.items


# --- dossiers ----------------------------------------------------------------------------------------

# --- actions applied under an idempotency key ------------------------------------------------------------

class _AppliedItem(Item):
    """``DOSSIER#<id>`` / ``APPLIED#<caller>#<key>``: the change a caller's idempotency key made."""

    class Meta(Item.Meta):  # follows ``models.bind`` like the models in ``models``
        pass

    action = UnicodeAttribute()
    dossier_version = NumberAttribute()
    expiration = NumberAttribute(attr_name=table.TTL_ATTRIBUTE)
    digest = UnicodeAttribute(null=True)  # the request the key was used for (``AppliedKey.digest``)


@dataclass(frozen=True)
class AppliedKey:
    """A caller's idempotency key, committed WITH the change it makes (``save_change(applied=...)``).

    Powertools records an action's outcome only after the change has committed. An invocation that dies in
    between (a Lambda timeout, a throttled or failed completion write) leaves the change without its record,
    and the redelivered message or the client's retry runs the action again: the domain refuses it (no action
    applies twice), as a conflict although it took effect. The marker exists
    exactly when the change does, so the retry can tell (``DossierRepository.applied``)."""

    key: str  # "<caller>#<idempotency key>"
    action: str
    expires_at: int  # epoch seconds (TTL): as long as the idempotency record lives
    # SHA-256 of the request (action and body): the marker outlives its TTL until DynamoDB deletes it, and
    # a key is never the same request for another body.
    digest: str | None = None


def applied_attributes(dossier: Dossier, applied: AppliedKey) -> AttributeMap:
    """The ``_AppliedItem`` of the key a change carries, as stored."""
    item = {table.PARTITION_KEY: {"S": f"DOSSIER#{dossier.id}"}, table.SORT_KEY: {"S": f"APPLIED#{applied.key}"},
            "action": {"S": applied.action}, "dossier_version": {"N": str(dossier.version)},
            table.TTL_ATTRIBUTE: {"N": str(applied.expires_at)}}
    if applied.digest is not None:
        item["digest"] = {"S": applied.digest}
    return item


def _take_sequence(transaction: TransactWrite, counter_key: str, current: int) -> None:
    """The receipt counter moved from the value read to the next one, only if it still holds that value
    (``current`` 0: only if there is no counter yet)."""
    request: dict[str, Any] = {
        "TableName": SequenceItem.Meta.table_name,
        "Key": {table.PARTITION_KEY: {"S": counter_key}, table.SORT_KEY: {"S": "SEQ"}},
        "UpdateExpression": "SET #value = :next",
        "ExpressionAttributeNames": {"#value": "value"},
        "ExpressionAttributeValues": {":next": {"N": str(current + 1)}},
    }
    if current:
        request["ConditionExpression"] = "#value = :current"
        request["ExpressionAttributeValues"][":current"] = {"N": str(current)}
    else:
        request["ConditionExpression"] = "attribute_not_exists (#pk)"
        request["ExpressionAttributeNames"]["#pk"] = table.PARTITION_KEY
    transaction._update_items.append(request)


class DossierRepository:
    max_sequence_attempts = 25
    max_conflict_attempts = 4  # a change cancelled by TransactionConflict (hot counters) is retried

    def create(self, agency_code: str, now: datetime,
               build: Callable[[int], tuple[Dossier, HistoryEvent]], correlation_id: str | None = None,
               index: Callable[[Dossier, HistoryEvent], IndexWrite] | None = None,
               extra: Sequence[TransactionPart] = (),
               then: Callable[[Dossier, HistoryEvent], tuple[Dossier, list[HistoryEvent], TransactionPart]]
               | None = None) -> Dossier:
        """Allocate the next receipt sequence of (agency, day) and write the dossier, its first history
        event, its receipt-code item and the counter in ONE transaction. The counter update is
        conditional on the value read, so two concurrent submissions can never share a sequence, and a
        failed write leaves no gap. ``build(sequence)`` returns the dossier for that sequence; ``index(dossier,
        event)`` the index's writes for it, in the same transaction; ``then(dossier, event)`` what follows in the
        same change (a counter dossier's first step: the dossier, its events after the first, their items)."""
        counter_key = f"SEQ#{agency_code}#{sequence_day(now)}"
        for attempt in range(self.max_sequence_attempts):
            try:
                current = int(SequenceItem.get(counter_key, "SEQ", consistent_read=True).value)
            except DoesNotExist:
                current = 0
            dossier, event = build(current + 1)
            index_write = index(dossier, event) if index is not None else None
            later: list[HistoryEvent] = []
            parts = list(extra)
            if then is not None:
                dossier, later, part = then(dossier, event)
                parts.append(part)
            transaction = TransactWrite(connection=shared_connection())
            try:
                with transaction:
                    _take_sequence(transaction, counter_key, current)
                    put_dossier(transaction, dossier)
                    put_new(transaction, {table.PARTITION_KEY: {"S": f"RECEIPT#{dossier.receipt_code}"},
                                          table.SORT_KEY: {"S": "RECEIPT"}, "dossier_id": {"S": dossier.id}})
                    append(transaction, [event, *later], _envelopes_for(dossier, [event, *later], correlation_id))
                    if index_write is not None:
                        index_write.add_to(transaction)
                    for part in parts:
                        part.add_to(transaction)
                return dossier
            except TransactWriteError as error:
                failed = failed_keys(transaction, error)
                if (f"DOSSIER#{dossier.id}", "DOSSIER") in failed:
                    # This very dossier was written before (its id derives from the caller's idempotency
                    # key): a retry whose first attempt committed but never answered. Nothing new to write.
                    raise DossierAlreadyExists({"dossier_id": dossier.id}) from error
                if (counter_key, "SEQ") in failed or "TransactionConflict" in cancellation_codes(error):
                    time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # another submission took the number
                    continue
                raise StorageUnavailable({"reason": str(error.cause_response_code or "")}) from error
        raise ReceiptSequenceContention({"agency_code": agency_code})

    def save_change(self, dossier: Dossier, events: list[HistoryEvent], correlation_id: str | None = None,
                    extra_envelopes: Sequence[EventEnvelope] = (), index: IndexWrite | None = None,
                    applied: AppliedKey | None = None, extra: Sequence[TransactionPart] = ()) -> Dossier:
        """Write a changed dossier (guarded by the version it was read at), its history events and the
        events it announces (plus ``extra_envelopes``: SLA timers), in one transaction: all of it or nothing.
        ``index``: the monthly index's writes for these events, in the same transaction. A
        transaction cancelled by a conflicting one (not by a condition) is retried a few times. ``applied``: the
        caller's idempotency key, written with the change, only if no change carries it yet."""
        for attempt in range(self.max_conflict_attempts):
            try:
                with TransactWrite(connection=shared_connection()) as transaction:
                    put_dossier(transaction, dossier)
                    append(transaction, events, [*_envelopes_for(dossier, events, correlation_id), *extra_envelopes])
                    if index is not None:
                        index.add_to(transaction)
                    for part in extra:
                        part.add_to(transaction)
                    if applied is not None:
                        put_new(transaction, applied_attributes(dossier, applied))
                return dossier
            except TransactWriteError as error:
                codes = cancellation_codes(error)
                if "ConditionalCheckFailed" in codes:  # the dossier (or the facts read with it) moved on
                    current = self.get(dossier.id)
                    raise StaleDossier({"current_version": current.version, "current_status": int(current.status),
                                        "expected_version": dossier.version - 1}) from error
                if "TransactionConflict" in codes and attempt + 1 < self.max_conflict_attempts:
                    time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
                    continue
                raise StorageUnavailable({"reason": str(error.cause_response_code or "")}) from error
        raise AssertionError("unreachable")  # pragma: no cover

    def save_changes(self, changes: Sequence[Change], correlation_id: str | None = None) -> set[str]:
        """Write several dossiers' changes in as few transactions as DynamoDB allows (at most
        ``MAX_TRANSACTION_ITEMS`` items each): every dossier's items (the dossier guarded by the version it was
        read at, its history events, its envelopes) commit together or not at all, as with ``save_change``.
        A transaction is cancelled whole when any of its conditions fails: the dossiers whose condition failed
        are left out and the rest is written again. Returns the ids of the dossiers that were not written
        because they changed since they were read (the caller re-reads and decides again on those).
        Changes that write the monthly index (shared counter items, which one transaction may not touch twice)
        go through ``save_change`` one by one instead."""
        stale: set[str] = set()
        chunk: list[tuple[Change, list[EventEnvelope]]] = []
        size = 0
        for change in changes:
            envelopes = [*_envelopes_for(change.dossier, change.events, correlation_id), *change.extra_envelopes]
            items = 1 + len(change.events) + len(envelopes)
            if chunk and size + items > MAX_TRANSACTION_ITEMS:
                stale |= self._write_chunk(chunk)
                chunk, size = [], 0
            chunk.append((change, envelopes))
            size += items
        if chunk:
            stale |= self._write_chunk(chunk)
        return stale

    def _write_chunk(self, chunk: list[tuple[Change, list[EventEnvelope]]]) -> set[str]:
        stale: set[str] = set()
        attempt = 0
        while chunk:
            owner: dict[tuple[str, str], str] = {}  # item key -> the dossier it belongs to
            with_conditions = TransactWrite(connection=shared_connection())
            try:
                with with_conditions as transaction:
                    for change, envelopes in chunk:
                        put_dossier(transaction, change.dossier)
                        append(transaction, change.events, envelopes)
                        owner.update({(f"OUTBOX#{e.id}", "OUTBOX"): change.dossier.id for e in envelopes})
                return stale
            except TransactWriteError as error:
                codes = cancellation_codes(error)
                if "ConditionalCheckFailed" in codes:
                    failed = {owner.get(key) or key[0].removeprefix("DOSSIER#")
                              for key in failed_keys(with_conditions, error)}
                    if not failed:  # no reason names an item of ours: not a condition we can act on
                        raise StorageUnavailable({"reason": "ConditionalCheckFailed"}) from error
                    stale |= failed
                    chunk = [(c, e) for c, e in chunk if c.dossier.id not in failed]
                    continue
                attempt += 1
                if "TransactionConflict" in codes and attempt < self.max_conflict_attempts:
                    time.sleep(random.uniform(0, 0.02 * attempt))
                    continue
                raise StorageUnavailable({"reason": str(error.cause_response_code or "")}) from error
        return stale

    def applied(self, dossier_id: str, key: str, digest: str | None = None) -> bool:
        """Whether a committed change carries this idempotency key (``AppliedKey.key``) for this request;
        ``IdempotencyKeyReused`` when it carries it for another one (``digest``)."""
        try:
            item = _AppliedItem.get(f"DOSSIER#{dossier_id}", f"APPLIED#{key}", consistent_read=True,
                                    attributes_to_get=["pk", "digest"])
        except DoesNotExist:
            return False
        if digest is not None and item.digest != digest:
            raise IdempotencyKeyReused({"dossier_id": dossier_id})
        return True

    def get(self, dossier_id: str) -> Dossier:
        try:
            item = DossierItem.get(f"DOSSIER#{dossier_id}", "DOSSIER", consistent_read=True)
        except DoesNotExist:
            raise DossierNotFound({"dossier_id": dossier_id}) from None
        return Dossier.model_validate_json(item.doc)

    def get_by_receipt(self, receipt_code: str) -> Dossier:
        try:
            pointer = ReceiptItem.get(f"RECEIPT#{receipt_code}", "RECEIPT", consistent_read=True)
        except DoesNotExist:
            raise DossierNotFound({"receipt_code": receipt_code}) from None
        return self.get(pointer.dossier_id)

    def owned_by(self, subject: str, *, limit: int = 50, after: str | None = None) -> tuple[list[Dossier], str | None]:
        """A citizen's dossiers, newest first; ``after`` is the previous page's last ``submitted_at``."""
        condition = DossierItem.gsi3sk < after if after else None
        page = DossierItem.by_owner.query(f"OWNER#{subject}", condition, scan_index_forward=False, limit=limit)
        dossiers = [Dossier.model_validate_json(item.doc) for item in page]
        more = page.last_evaluated_key is not None and len(dossiers) == limit
        return dossiers, (dossiers[-1].submitted_at.isoformat() if more else None)

    def append_history(self, event: HistoryEvent) -> None:
        """An audit event that changes nothing else (e.g. an official read personal data)."""
        event_item(event).save(condition=HistoryItem.pk.does_not_exist())

    def history(self, dossier_id: str) -> list[HistoryEvent]:
        return [HistoryEvent.model_validate_json(item.doc)
                for item in HistoryItem.query(f"DOSSIER#{dossier_id}", HistoryItem.sk.startswith("EVENT#"),
                                              consistent_read=True)]

    def history_page(self, dossier_id: str, *, limit: int, after: str | None = None,
                     ) -> tuple[list[HistoryEvent], str | None]:
        """One page of the trail, oldest first; ``after`` is the previous page's token (its last event's key,
        without the ``EVENT#`` prefix, so a token can only ever start inside this dossier's trail)."""
        pk = f"DOSSIER#{dossier_id}"
        start = {table.PARTITION_KEY: {"S": pk}, table.SORT_KEY: {"S": "EVENT#" + after}} if after else None
        page = HistoryItem.query(pk, HistoryItem.sk.startswith("EVENT#"), consistent_read=True, limit=limit,
                                 last_evaluated_key=start)
        items = list(page)
        more = page.last_evaluated_key is not None and len(items) == limit
        return ([HistoryEvent.model_validate_json(item.doc) for item in items],
                items[-1].sk.removeprefix("EVENT#") if more else None)
