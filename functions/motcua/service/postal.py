"""Postal collection and return (docs/integrations.md §3): requests, carrier orders, tracking, delivery.

1. The citizen (or the desk, for them) asks for collection at home and/or the result by post, with the
   receiver's details (applicant contact data, stored on the dossier's order item, never logged or queued).
2. An order goes to the carrier through the postal queue (``OrderMessage``: identifiers only): a collection at
   once, a return when the desk orders it once the result is ready (status 9). The consumer
   (``handlers/postal_orders.py``) creates it at the carrier, idempotent per (dossier, kind): the carrier's
   ``OrderCode`` is ours, so a create retried after a timeout answers the first order. A carrier outage fails
   the message, retried with backoff, then the DLQ; nothing is lost. Cancel and retry are actions too.
3. Tracking steps arrive by callback (checksum verified) or polling, duplicated or out of order: each step is
   recorded once, the latest kept. Delivery of a return moves the dossier 9 -> 10 at the carrier's delivery time
   (``workflow.deliver_by_post``), once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError

from motcua.data import postal as store
from motcua.data.postal import OrderRecord, tracking_update
from motcua.domain.access import AccessDenied
from motcua.domain.actors import Actor, Role
from motcua.domain.dossier import StaleDossier
from motcua.domain.errors import Conflict, InvalidInput, MotcuaError
from motcua.domain.postal import (
    COLLECTION,
    RETURN,
    CallbackRejected,
    CarrierMapping,
    CarrierRefused,
    CarrierUnavailable,
    OrderKind,
    OrderMessage,
    PostalCarrier,
    PostalOrder,
    PostalRequest,
    Receiver,
    TrackingUpdate,
    verify_checksum,
)
from motcua.domain.status import DossierStatus
from motcua.domain.workflow import DESK, deliver_by_post
from motcua.service.dossiers import DossierService


class PostalMessageInvalid(MotcuaError):
    """Can never be delivered (malformed, or naming no order): parked."""

    code = "POSTAL_MESSAGE_INVALID"
    http_status = 422


class PostalAccessDenied(AccessDenied):
    """Postal orders are the dossier's owner's and its agency's desk's (reception officers, leaders)."""

    code = "POSTAL_ACCESS_DENIED"
    message_vi = "Bạn không có quyền thực hiện thao tác bưu chính với hồ sơ này."
    message_en = "You may not handle this dossier's postal orders."


class PostalNotAllowed(Conflict):
    code = "POSTAL_ORDER_NOT_ALLOWED"
    message_vi = "Không thể thực hiện thao tác này với đơn bưu chính ở trạng thái hiện tại."
    message_en = "This postal order cannot take this action in its current state."


log = logging.getLogger("motcua.postal")


@dataclass(frozen=True)
class PollOutcome:
    """One run of the scheduled tracking poll: counts only (no order's receiver, ever)."""

    polled: int = 0
    steps: int = 0
    delivered: int = 0
    requeued: int = 0
    unavailable: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"polled": self.polled, "steps": self.steps, "delivered": self.delivered,
                "requeued": self.requeued, "unavailable": self.unavailable}


_ORDER_CODE = re.compile(rb'"OrderCode"\s*:\s*"([0-9A-Za-z_-]{1,80})-[CR]"')


def _claimed_dossier(body: bytes) -> str | None:
    """The dossier a refused callback claims to be about (its OrderCode), for the audit trail only."""
    found = _ORDER_CODE.search(body[:4096])
    return found.group(1).decode() if found else None


def _actor_for(carrier: str) -> Actor:
    return Actor(subject=f"postal-{carrier}", role=Role.SYSTEM)


@dataclass
class PostalService:
    """``carriers``: a carrier's adapter (the consumer's; its connection secret). ``callback_key``: the key a
    carrier signs its callbacks with (the api's; a secret of its own). ``enqueue``: onto the postal queue."""

    carriers: Callable[[str], PostalCarrier]
    enqueue: Callable[[OrderMessage], None]
    callback_key: Callable[[str], str] = field(default=lambda carrier: "")
    mapping: CarrierMapping = field(default_factory=CarrierMapping)
    dossiers: DossierService = field(default_factory=DossierService)
    default_carrier: str = "vnpost"
    stale_retries: int = 3
    # An order still queued this long after it was queued (its message lost before SQS took it) is sent again
    # by the poll; a create is idempotent at the carrier (our OrderCode), so a late original is harmless.
    requeue_after: timedelta = timedelta(hours=1)

    def _now(self) -> datetime:
        return self.dossiers.clock()

    # -- actions ------------------------------------------------------------------------------------------
    def request(self, dossier_id: str, body: PostalRequest, actor: Actor,
                request_id: str | None = None) -> list[OrderRecord]:
        """The citizen's (or the desk's, for them) request: collection is ordered at once, a return waits for
        the result (``order``)."""
        dossier = self.dossiers.readable(dossier_id, actor, request_id)
        if not self._owner_or_desk(dossier, actor):
            raise PostalAccessDenied({"reason": "the dossier's owner or the desk asks"})
        if dossier.status.is_terminal:
            raise PostalNotAllowed({"status": int(dossier.status)})
        kinds: list[OrderKind] = []
        if body.collection:
            kinds.append("collection")
        if body.return_by_post:
            kinds.append("return")
        if not kinds:
            raise InvalidInput({"reason": "collection or return_by_post"})
        if COLLECTION in kinds and dossier.status is not DossierStatus.SUBMITTED:
            raise PostalNotAllowed({"kind": COLLECTION, "status": int(dossier.status)})
        for kind in kinds:
            if not store.put_request(dossier.id, kind, self.default_carrier, body.receiver, self._now()):
                raise PostalNotAllowed({"kind": kind, "reason": "an order is under way"})
        if COLLECTION in kinds:
            self._queue(dossier.id, COLLECTION, retry=False)
        return store.orders_of(dossier.id)

    def order(self, dossier_id: str, kind: OrderKind, actor: Actor, request_id: str | None = None,
              receiver: Receiver | None = None) -> OrderRecord:
        """The desk creates the carrier order: a return once the result is ready (status 9), a collection while
        the dossier waits to be received (1). ``receiver``: the details the citizen gave at the desk (or
        corrected); without it, what the citizen asked with."""
        dossier = self._desk(dossier_id, actor, request_id)
        if kind == RETURN and dossier.status is not DossierStatus.DECIDED:
            raise PostalNotAllowed({"kind": kind, "status": int(dossier.status), "allowed": [9]})
        if kind == COLLECTION and dossier.status is not DossierStatus.SUBMITTED:
            raise PostalNotAllowed({"kind": kind, "status": int(dossier.status), "allowed": [1]})
        if receiver is not None and not store.put_request(dossier.id, kind, self.default_carrier, receiver,
                                                          self._now()):
            raise PostalNotAllowed({"kind": kind, "reason": "an order is under way"})
        return self._queue(dossier.id, kind, retry=False)

    def retry(self, dossier_id: str, kind: OrderKind, actor: Actor, request_id: str | None = None) -> OrderRecord:
        self._desk(dossier_id, actor, request_id)
        return self._queue(dossier_id, kind, retry=True)

    def cancel(self, dossier_id: str, kind: OrderKind, actor: Actor, request_id: str | None = None) -> OrderRecord:
        dossier = self.dossiers.readable(dossier_id, actor, request_id)
        if not self._owner_or_desk(dossier, actor):
            raise PostalAccessDenied({"reason": "the dossier's owner or the desk cancels"})
        current = self._order(dossier_id, kind)
        if current.state in ("requested", "refused", "failed"):
            store.mark_state(dossier_id, kind, "cancelled", from_states=(current.state,))
        elif current.state in ("queued", "created"):
            if not store.mark_state(dossier_id, kind, "cancel_requested", from_states=(current.state,)):
                raise PostalNotAllowed({"kind": kind, "state": current.state})
            self.enqueue(OrderMessage(op="cancel", carrier=current.carrier, dossier_id=dossier_id, kind=kind,
                                      attempt=current.attempt))
        else:
            raise PostalNotAllowed({"kind": kind, "state": current.state})
        return self._order(dossier_id, kind)

    def orders(self, dossier_id: str, actor: Actor, request_id: str | None = None) -> list[OrderRecord]:
        self.dossiers.readable(dossier_id, actor, request_id)
        return store.orders_of(dossier_id)

    @staticmethod
    def _owner_or_desk(dossier, actor: Actor) -> bool:
        if actor.role is Role.CITIZEN:
            return dossier.owner == actor.subject
        return actor.role in DESK and actor.agency_code in (dossier.current_agency, dossier.agency_code)

    def _desk(self, dossier_id: str, actor: Actor, request_id: str | None):
        if actor.role not in DESK:
            raise PostalAccessDenied({"reason": "the desk orders"})
        dossier = self.dossiers.readable(dossier_id, actor, request_id)
        if actor.role is not Role.SYSTEM and actor.agency_code not in (dossier.current_agency, dossier.agency_code):
            raise PostalAccessDenied({"reason": "another agency's dossier"})
        return dossier

    def _order(self, dossier_id: str, kind: OrderKind) -> OrderRecord:
        current = store.get_order(dossier_id, kind)
        if current is None:
            raise PostalNotAllowed({"kind": kind, "reason": "not requested"})
        return current

    def _queue(self, dossier_id: str, kind: OrderKind, *, retry: bool) -> OrderRecord:
        current = self._order(dossier_id, kind)
        attempt = store.mark_queued(dossier_id, kind, self._now(), retry=retry)
        if attempt is None:
            raise PostalNotAllowed({"kind": kind, "state": current.state})
        self.enqueue(OrderMessage(op="create", carrier=current.carrier, dossier_id=dossier_id, kind=kind,
                                  attempt=attempt))
        return self._order(dossier_id, kind)

    # -- the consumer -------------------------------------------------------------------------------------
    def deliver(self, body: str) -> str:
        """One queued operation at the carrier. ``CarrierUnavailable`` propagates (retried with backoff);
        ``CarrierRefused`` is recorded on the order and propagates (parked)."""
        try:
            message = OrderMessage.model_validate_json(body)
        except ValidationError as error:
            raise PostalMessageInvalid({"reason": type(error).__name__}) from None
        current = store.get_order(message.dossier_id, message.kind)
        if current is None:
            raise PostalMessageInvalid({"dossier_id": message.dossier_id, "reason": "no such order"})
        carrier = self.carriers(message.carrier)
        if message.op == "cancel":
            if current.state != "cancel_requested" or current.item_code is None:
                if current.state == "cancel_requested":  # never created at the carrier
                    store.mark_state(message.dossier_id, message.kind, "cancelled", from_states=("cancel_requested",))
                    return "cancelled"
                return "stale"
            try:
                carrier.cancel_order(current.item_code)
            except CarrierRefused as refused:  # collected already: the order goes on
                store.mark_state(message.dossier_id, message.kind, "created",
                                 refused_code=str(refused.details.get("error_code")), from_states=("cancel_requested",))
                raise
            store.mark_state(message.dossier_id, message.kind, "cancelled", from_states=("cancel_requested",))
            return "cancelled"
        if current.state != "queued" or current.attempt != message.attempt:
            return "stale"  # created by an earlier delivery, cancelled, or superseded by a retry
        dossier = self.dossiers.dossiers.get(message.dossier_id)
        agency = self.dossiers.catalogue.agencies().get(dossier.current_agency)
        agency_name = agency.name_vi if agency is not None else dossier.current_agency
        order = PostalOrder(
            dossier_id=dossier.id, kind=message.kind, receipt_code=dossier.receipt_code, receiver=current.receiver,
            documents=tuple(self._documents(dossier, message.kind)),
            sender_name=agency_name if message.kind == RETURN else current.receiver.full_name)
        try:
            answer = carrier.create_order(order)
        except CarrierRefused as refused:
            store.mark_state(message.dossier_id, message.kind, "refused",
                             refused_code=str(refused.details.get("error_code")), from_states=("queued",))
            raise
        store.mark_created(message.dossier_id, message.kind, answer.order_code)
        return "created"

    @staticmethod
    def _documents(dossier, kind: OrderKind) -> list[str]:
        if kind == RETURN and dossier.result is not None:
            return [d.rsplit("/", 1)[-1] for d in dossier.result.documents]
        return [x.document_name for x in dossier.attachments] or ["Hồ sơ"]

    # -- tracking -----------------------------------------------------------------------------------------
    def callback(self, carrier: str, body: bytes, signature: str | None, request_id: str | None = None) -> str:
        """A carrier's callback: refused unless its checksum verifies with the carrier's key. Every refusal is
        audited: a log line (carrier, code, reason; never the body), and on the dossier's trail when the
        step names one of our orders."""
        try:
            key = self.callback_key(carrier)
            if not key or not verify_checksum(key, body, signature):
                raise CallbackRejected({"carrier": carrier[:32], "reason": "checksum"})
            try:
                update = tracking_update(json.loads(body))
            except (ValueError, KeyError, TypeError, ValidationError):
                raise CallbackRejected({"carrier": carrier, "reason": "not a tracking step"}) from None
            return self.apply(carrier, update)
        except CallbackRejected as error:
            self._refused(carrier[:32], body, error, request_id)
            raise

    def _refused(self, carrier: str, body: bytes, error: CallbackRejected, request_id: str | None) -> None:
        dossier_id = _claimed_dossier(body)
        log.warning("postal callback refused", extra={"audit": True, "carrier": carrier, "code": error.code,
                                                      "reason": error.details.get("reason"),
                                                      "dossier_id": dossier_id})
        if dossier_id is not None:
            with contextlib.suppress(MotcuaError):  # no such dossier: the log line above is the audit
                self.dossiers.record_rejection(dossier_id, "postal_tracking", error, _actor_for(carrier), request_id)

    def poll(self, dossier_id: str, kind: OrderKind) -> list[str]:
        current = self._order(dossier_id, kind)
        if current.item_code is None:
            return []
        steps = self.carriers(current.carrier).tracking(current.item_code)
        return [self.apply(current.carrier, step) for step in steps]

    def poll_open(self, limit: int = 200) -> PollOutcome:
        """The scheduled poll, for carriers' callbacks that never came: every order created at the carrier and
        not ended is asked for its tracking (each step applied once, as from a callback); an order still
        queued after ``requeue_after`` is sent to the queue again. A carrier not answering skips its orders
        until the next run."""
        polled = steps = delivered = requeued = unavailable = 0
        now = self._now()
        down: set[str] = set()
        for current in store.open_orders(limit):
            if current.state == "queued":
                queued_at = datetime.fromisoformat(current.queued_at) if current.queued_at else None
                if queued_at is None or now - queued_at >= self.requeue_after:
                    self.enqueue(OrderMessage(op="create", carrier=current.carrier, dossier_id=current.dossier_id,
                                              kind=current.kind, attempt=current.attempt))
                    requeued += 1
                continue
            if current.item_code is None or current.carrier in down:
                continue
            polled += 1
            try:
                outcomes = self.poll(current.dossier_id, current.kind)
            except CarrierUnavailable:
                down.add(current.carrier)
                unavailable += 1
                continue
            except CallbackRejected:  # the carrier answers steps of another order: nothing applied
                continue
            steps += sum(1 for o in outcomes if o != "duplicate")
            delivered += outcomes.count("delivered")
        return PollOutcome(polled, steps, delivered, requeued, unavailable)

    def apply(self, carrier: str, update: TrackingUpdate) -> str:
        """Once per step; a delivery (whatever order the steps came in) ends the order, once."""
        dossier_id, _, suffix = update.client_code.rpartition("-")
        kind: OrderKind | None = {"R": RETURN, "C": COLLECTION}.get(suffix)  # type: ignore[assignment]
        current = store.get_order(dossier_id, kind) if kind else None
        if kind is None or current is None or current.item_code not in (None, update.order_code):
            raise CallbackRejected({"carrier": carrier, "reason": "no such order"})
        first = store.record_step(dossier_id, kind, update)
        stage = self.mapping.stage(update.status_code)
        if stage == "delivered":
            if kind == RETURN:
                self._returned(dossier_id, carrier, update)
            store.mark_delivered(dossier_id, kind, update.occurred_at)
            return "delivered" if first else "duplicate"
        if stage == "failed" and first:
            store.mark_state(dossier_id, kind, "failed", refused_code=update.status_code, from_states=("created",))
        return "recorded" if first else "duplicate"

    def _returned(self, dossier_id: str, carrier: str, update: TrackingUpdate) -> None:
        """9 -> 10 at the carrier's delivery time; a dossier already returned is left as it is."""
        service = self.dossiers
        for attempt in range(self.stale_retries + 1):
            dossier = service.dossiers.get(dossier_id)
            if dossier.status is not DossierStatus.DECIDED:
                return
            now = self._now()
            process = service.steps.definition_for(dossier, now)
            changed, events = deliver_by_post(dossier, update.occurred_at, carrier, update.order_code,
                                              _actor_for(carrier), now, process=process)
            changed, events, task_items = service.steps.assign_entered(dossier, changed, events, process, now, None)
            changed = service.control_slips.attach(changed, [*service.dossiers.history(dossier.id), *events],
                                                   service.catalogue.agencies())
            try:
                service.dossiers.save_change(changed, events, index=service.index.for_change(dossier, changed, events),
                                             extra=[task_items])
                return
            except StaleDossier:
                if attempt == self.stale_retries:
                    raise
