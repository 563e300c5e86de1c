"""Citizens' feedback in the one table (docs/feedback.md): the only module that reads and writes its items.

=========================  ==========================  ==================================================
item                       pk                          sk
=========================  ==========================  ==================================================
feedback                   ``FEEDBACK#<id>``           ``FEEDBACK`` (``Feedback`` JSON, ``version``)
feedback trail event       ``FEEDBACK#<id>``           ``EVENT#<occurred_at>#<position>#<event id>``
=========================  ==========================  ==================================================

Index keys the feedback item sets (the table's overloaded GSIs, no new index):

- ``gsi1``: ``FEEDBACK#PUBLIC`` / ``<published_at>#<id>``, only once the answer is published (sparse);
- ``gsi2``: the agency's work list, ``FBAGENCY#<code>`` / ``<received_at>#<id>``;
- ``gsi3``: the author's feedback, ``FBOWNER#<subject>`` / ``<received_at>#<id>``;
- ``gsi4``: the SLA timers index shared with dossiers, ``TIMER#<shard>`` / ``<next timer UTC>#<id>``, recomputed
  on every write (``motcua.domain.feedback.timers.index_keys``), absent when no step is owed.

A step writes, in ONE transaction: the feedback (guarded by the version read), its trail event, its
``feedback.status_changed`` envelope in the outbox and, when the feedback is about a dossier, the dossier
(version + 1, guarded), the ``feedback_*`` event on the dossier's trail and the monthly index's writes; when it
is about a procedure or an agency, the index's counter ADDs and row (``FeedbackIndexWrite``) directly.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynamodb.attributes import UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from motcua.data.models import Item, ListingIndex, OutboxItem, OwnerIndex, shared_connection
from motcua.data.transactions import (
    StorageUnavailable,
    append,
    cancellation_codes,
    dossier_item,
    failed_keys,
    outbox_item,
)
from motcua.domain.dossier import Dossier, HistoryEvent, StaleDossier
from motcua.domain.errors import MotcuaError, NotFound
from motcua.domain.feedback import Feedback, FeedbackEvent, FeedbackStatus, StaleFeedback

if TYPE_CHECKING:
    from motcua.data.index_store import FeedbackIndexWrite, IndexWrite
    from motcua.domain.events import EventEnvelope

PUBLIC_PARTITION = "FEEDBACK#PUBLIC"
ATTEMPTS = 4


class FeedbackNotFound(NotFound):
    code = "FEEDBACK_NOT_FOUND"
    message_vi = "Không tìm thấy phản ánh, kiến nghị."
    message_en = "Feedback not found."


class FeedbackAlreadyExists(MotcuaError):
    code = "FEEDBACK_ALREADY_EXISTS"
    http_status = 409


class _WorkListIndex(GlobalSecondaryIndex):
    """``gsi2``: an agency's feedback, oldest first."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class FeedbackItem(Item):
    class Meta(Item.Meta):  # follows ``models.bind``
        pass

    public = ListingIndex()
    work_list = _WorkListIndex()
    by_owner = OwnerIndex()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi3pk = UnicodeAttribute()
    gsi3sk = UnicodeAttribute()
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    version = VersionAttribute()
    doc = UnicodeAttribute()


class FeedbackEventItem(Item):
    class Meta(Item.Meta):
        pass

    doc = UnicodeAttribute()


def feedback_pk(feedback_id: str) -> str:
    return f"FEEDBACK#{feedback_id}"


def _feedback_item(fb: Feedback, *, timers: bool = True) -> FeedbackItem:
    received = f"{fb.received_at.isoformat()}#{fb.id}"
    item = FeedbackItem(feedback_pk(fb.id), "FEEDBACK", gsi2pk=f"FBAGENCY#{fb.agency_code}", gsi2sk=received,
                        gsi3pk=f"FBOWNER#{fb.owner}", gsi3sk=received, status=fb.status.value,
                        doc=fb.model_dump_json())
    if fb.status is FeedbackStatus.PUBLISHED and fb.answer is not None and fb.answer.published_at is not None:
        item.gsi1pk, item.gsi1sk = PUBLIC_PARTITION, f"{fb.answer.published_at.isoformat()}#{fb.id}"
    from motcua.domain.feedback.timers import index_keys  # the SLA timers' keys: on the first write

    timer = index_keys(fb) if timers else None
    if timer is not None:
        item.gsi4pk, item.gsi4sk = timer
    if fb.version > 1:  # pynamodb adds `version = <stored>` (or "does not exist") and bumps it on write
        item.version = fb.version - 1
    return item


def _event_item(event: FeedbackEvent, position: int = 0) -> FeedbackEventItem:
    return FeedbackEventItem(feedback_pk(event.feedback_id),
                             f"EVENT#{event.occurred_at.isoformat()}#{position:02d}#{event.event_id}",
                             doc=event.model_dump_json())


@dataclass(frozen=True)
class DossierTrail:
    """The dossier side of a step on feedback about it: written in the same transaction."""

    before: Dossier  # as read (its version guards the write)
    dossier: Dossier  # version + 1
    events: list[HistoryEvent]
    index: IndexWrite | None = None


class FeedbackRepository:
    def save(self, fb: Feedback, events: Sequence[FeedbackEvent], envelopes: Sequence[EventEnvelope],
             trail: DossierTrail | None = None, index: FeedbackIndexWrite | None = None, *,
             timers: bool = True) -> Feedback:
        """Write the feedback (new, or guarded by the version it was read at), its trail events, its envelopes
        and the dossier side (or, not about a dossier, the index's writes ``index``), all or nothing.
        ``timers=False`` keeps it out of the SLA timers index (historical data loaded by ``motcua demo-data``).
        ``FeedbackAlreadyExists`` for a new one whose id is taken,
        ``StaleFeedback`` when the feedback moved on, ``StaleDossier`` when only the dossier did (re-read it)."""
        for attempt in range(ATTEMPTS):
            transaction = TransactWrite(connection=shared_connection())
            try:
                with transaction:
                    transaction.save(_feedback_item(fb, timers=timers))
                    for position, event in enumerate(events):
                        transaction.save(_event_item(event, position), condition=FeedbackEventItem.pk.does_not_exist())
                    for envelope in envelopes:
                        transaction.save(outbox_item(envelope), condition=OutboxItem.pk.does_not_exist())
                    if trail is not None:
                        transaction.save(dossier_item(trail.dossier))
                        append(transaction, trail.events, [])
                        if trail.index is not None:
                            trail.index.add_to(transaction)
                    if index is not None:
                        index.add_to(transaction)
                return fb
            except TransactWriteError as error:
                codes = cancellation_codes(error)
                if "ConditionalCheckFailed" in codes:
                    if (feedback_pk(fb.id), "FEEDBACK") in failed_keys(transaction, error):
                        if fb.version == 1:
                            raise FeedbackAlreadyExists({"feedback_id": fb.id}) from error
                        raise StaleFeedback({"expected_version": fb.version - 1}) from error
                    if trail is not None:
                        raise StaleDossier({"dossier_id": trail.dossier.id}) from error
                    raise StaleFeedback({"expected_version": fb.version - 1}) from error
                if "TransactionConflict" in codes and attempt + 1 < ATTEMPTS:
                    time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
                    continue
                raise StorageUnavailable({"reason": str(error.cause_response_code or "")}) from error
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, feedback_id: str) -> Feedback:
        try:
            item = FeedbackItem.get(feedback_pk(feedback_id), "FEEDBACK", consistent_read=True)
        except DoesNotExist:
            raise FeedbackNotFound({"feedback_id": feedback_id}) from None
        return Feedback.model_validate_json(item.doc)

    def history(self, feedback_id: str) -> list[FeedbackEvent]:
        return [FeedbackEvent.model_validate_json(item.doc)
                for item in FeedbackEventItem.query(feedback_pk(feedback_id), FeedbackEventItem.sk.startswith("EVENT#"),
                                                    consistent_read=True)]

    def scan(self) -> Iterator[Feedback]:
        """Every feedback record (``motcua index --recompute``: a full scan, fine for an operator's command)."""
        for item in FeedbackItem.scan((FeedbackItem.sk == "FEEDBACK") & FeedbackItem.pk.startswith("FEEDBACK#")):
            yield Feedback.model_validate_json(item.doc)

    def append_event(self, event: FeedbackEvent) -> None:
        """An audit event that changes nothing else (an official read the feedback)."""
        _event_item(event).save(condition=FeedbackEventItem.pk.does_not_exist())

    def of_agency(self, agency_code: str, *, limit: int = 50,
                  after: str | None = None) -> tuple[list[Feedback], str | None]:
        """The agency's feedback, newest first; ``after``: the previous page's token."""
        condition = FeedbackItem.gsi2sk < after if after else None
        page = FeedbackItem.work_list.query(f"FBAGENCY#{agency_code}", condition, scan_index_forward=False,
                                            limit=limit)
        found = [Feedback.model_validate_json(i.doc) for i in page]
        return found, _token(found, page.last_evaluated_key, limit, "received")

    def of_owner(self, owner: str, *, limit: int = 50, after: str | None = None) -> tuple[list[Feedback], str | None]:
        condition = FeedbackItem.gsi3sk < after if after else None
        page = FeedbackItem.by_owner.query(f"FBOWNER#{owner}", condition, scan_index_forward=False, limit=limit)
        found = [Feedback.model_validate_json(i.doc) for i in page]
        return found, _token(found, page.last_evaluated_key, limit, "received")

    def all_of_owner(self, owner: str) -> list[Feedback]:
        out, after = [], None
        while True:
            page, after = self.of_owner(owner, limit=100, after=after)
            out += page
            if after is None:
                return out

    def published(self, *, limit: int = 50, after: str | None = None) -> tuple[list[Feedback], str | None]:
        """Published answers, newest first."""
        condition = FeedbackItem.gsi1sk < after if after else None
        page = FeedbackItem.public.query(PUBLIC_PARTITION, condition, scan_index_forward=False, limit=limit)
        found = [Feedback.model_validate_json(i.doc) for i in page]
        return found, _token(found, page.last_evaluated_key, limit, "published")


def _token(found: list[Feedback], last_key: object, limit: int, by: str) -> str | None:
    if last_key is None or len(found) < limit:
        return None
    last = found[-1]
    if by == "published":
        assert last.answer is not None and last.answer.published_at is not None
        return f"{last.answer.published_at.isoformat()}#{last.id}"
    return f"{last.received_at.isoformat()}#{last.id}"
