"""The outbox relay: pending events -> the notifications queue, oldest first, each sent once per claim.

Why a claim and not a deduplication scheme: the notifications queue is a standard queue (no
deduplication in SQS), and a FIFO queue's deduplication only covers five minutes. So every event is first
*claimed* with a conditional update on its outbox item (still pending, and no unexpired claim by anyone
else): of two overlapping runs exactly one wins each event, and only the winner sends it. After sending,
the winner drops the event from the pending index, on condition that it still holds the claim.

The claim is a lease (``LEASE_S``) longer than the relay function's timeout, so it cannot expire while
its holder still runs. If a run dies between sending and marking, the lease runs out and a later run
sends the event again: delivery to the queue is at least once, and the notifier is idempotent on the
event id. A send that SQS refuses releases the claim at once, for the next run.

A status change goes to the national portal's sync queue too (FIFO, grouped by dossier, deduplicated per
(dossier, version)), before the notifications queue: an event is marked relayed only when both took it.
When a dossier's sync message is refused, its later events wait for the next run with it, so the sync
queue receives each dossier's changes in the order they happened; other dossiers go on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from motcua.data import notifications, queues
from motcua.domain.events import StatusChangedEnvelope
from motcua.domain.national_portal import sync_message

logger = Logger(child=True)

LEASE_S = 300  # > the declared relay timeout (60 s): a live run never loses its claims
MAX_PER_RUN = 500  # bounded: a backlog drains over several runs instead of one that times out
SAFETY_MS = 10_000  # stop taking new batches when less than this is left of the invocation


@dataclass
class RelayReport:
    sent: int = 0
    skipped: int = 0  # claimed by another run meanwhile (or already relayed)
    failed: int = 0  # SQS refused; released for the next run

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "skipped": self.skipped, "failed": self.failed}


def _chunks(items: Iterator[notifications.PendingEvent], size: int) -> Iterator[list[notifications.PendingEvent]]:
    chunk: list[notifications.PendingEvent] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _sync_entry(event: notifications.PendingEvent) -> tuple[str, tuple[str, dict[str, str], str, str]] | None:
    """The status change's sync message (dossier id, message), or None for events the portal is not told."""
    if event.type != "dossier.status_changed":
        return None
    envelope = StatusChangedEnvelope.model_validate_json(event.doc)
    if envelope.data.dossier_version is None:  # written before versions were announced: nothing to key it on
        return None
    message = sync_message(envelope, envelope.data.dossier_version)
    return message.dossier_id, (message.model_dump_json(), {"motcua_event_id": event.id}, message.group_id,
                                message.deduplication_id)


def relay_pending(queue_url: str, *, sync_queue_url: str | None = None, max_items: int = MAX_PER_RUN,
                  owner: str | None = None, time_left_ms: Callable[[], int] = lambda: 60_000,
                  clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> RelayReport:
    """One run: claim, send (ten per SQS call), mark. Returns what happened."""
    owner = owner or uuid.uuid4().hex
    report = RelayReport()
    held: set[str] = set()  # dossiers whose sync message was refused this run: their later events wait
    for chunk in _chunks(notifications.pending_outbox(max_items), queues.SQS_BATCH_MAX):
        if time_left_ms() < SAFETY_MS:
            break
        now_s = int(clock().timestamp())
        claimed = []
        for event in chunk:
            if notifications.claim_outbox(event.id, owner, now_s, LEASE_S):
                claimed.append(event)
            else:
                report.skipped += 1
        if not claimed:
            continue
        refused: set[str] = set()
        try:
            if sync_queue_url:
                refused |= _send_sync(sync_queue_url, claimed, held)
            refused |= queues.send_batch(queue_url, {
                e.id: (e.doc, {"motcua_event_type": e.type, "motcua_event_id": e.id})
                for e in claimed if e.id not in refused})
        except Exception:
            for event in claimed:  # SQS did not answer: hand the events back now, not after the lease
                notifications.release_claim(event.id, owner)
            raise
        for event in claimed:
            if event.id in refused:
                notifications.release_claim(event.id, owner)
                report.failed += 1
            elif notifications.mark_relayed(event.id, owner, clock()):
                report.sent += 1
            else:  # cannot happen while LEASE_S exceeds the timeout; the consumers absorb the duplicate
                logger.warning("claim lost after sending", extra={"event_id": event.id})
                report.sent += 1
    return report


def _send_sync(sync_queue_url: str, claimed: list[notifications.PendingEvent], held: set[str]) -> set[str]:
    """The chunk's status changes to the sync queue; returns the events to hand back (refused, or behind a
    refused one of their dossier)."""
    back: set[str] = set()
    entries: dict[str, tuple[str, dict[str, str], str, str]] = {}
    dossier_of: dict[str, str] = {}
    for event in claimed:
        entry = _sync_entry(event)
        if entry is None:
            continue
        dossier_id, message = entry
        if dossier_id in held:
            back.add(event.id)
            continue
        entries[event.id], dossier_of[event.id] = message, dossier_id
    refused = queues.send_fifo_batch(sync_queue_url, entries)
    for event_id in entries:  # in order: a refusal holds back the dossier's later messages of the batch too
        if event_id in refused or dossier_of[event_id] in held:
            held.add(dossier_of[event_id])
            back.add(event_id)
    return back
