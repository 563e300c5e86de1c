"""Postal collection and return (*thu gom hồ sơ tại nhà*, *trả kết quả qua bưu chính*): the carrier port, pure.

The public postal service carries administrative dossiers and results (Decision 45/2016/QĐ-TTg); a citizen
may ask for collection at home and/or the result by post. What Motcua sends and receives, in the carrier's
words, is docs/integrations.md §3 (a CONFIRMED / UNSURE mark per field); everything unsure (status codes, the
checksum header) is :class:`CarrierMapping`, configuration, not code.

* :class:`PostalOrder`: one carrier order per (dossier, kind), the receiver's details (personal data: never in
  a log line or a queue message, see :class:`OrderMessage`), the receipt code and the document list.
* :class:`TrackingUpdate`: one step the carrier reports, by callback or polling. Updates come duplicated and out
  of order: :func:`is_newer` keeps the latest by the carrier's time then sequence, so each applies once.
* :func:`checksum` / :func:`verify_checksum`: the callback's HMAC-SHA256 over the raw body with the carrier's key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime
from typing import Final, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from motcua.domain.errors import MotcuaError

OrderKind = Literal["collection", "return"]
COLLECTION: Final = "collection"
RETURN: Final = "return"
Stage = Literal["created", "collected", "in_transit", "delivered", "failed", "cancelled"]
FINAL_STAGES: Final = frozenset({"delivered", "cancelled"})
# A carrier's name in routes and secret names (``vnpost``).
CARRIER_NAME: Final = r"^[a-z0-9-]{2,32}$"


class Receiver(BaseModel):
    """Who the carrier collects from or delivers to: applicant contact data (stored as such, never logged)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True, str_strip_whitespace=True)

    full_name: str = Field(min_length=1, max_length=200)
    phone: str = Field(pattern=r"^\+?[0-9]{9,15}$")
    address: str = Field(min_length=5, max_length=500)
    province_code: str | None = Field(default=None, max_length=10)  # UNSURE: the carrier's own area codes

    def __repr__(self) -> str:  # a stray repr in a traceback names no one
        return "Receiver(…)"

    __str__ = __repr__


class PostalRequest(BaseModel):
    """What the citizen asked for: at submission or later (``POST /dossiers/{id}/postal``)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    collection: bool = False
    return_by_post: bool = False
    receiver: Receiver


class PostalOrder(BaseModel):
    """A carrier order as it is sent: built by the consumer from the dossier and the stored receiver."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    dossier_id: str
    kind: OrderKind
    receipt_code: str
    receiver: Receiver
    documents: tuple[str, ...]
    sender_name: str  # the agency (a return) or the citizen (a collection is sent to the agency's desk)

    @property
    def client_code(self) -> str:
        """The order's own key at the carrier: creating it twice creates one order (idempotent per key)."""
        return order_key(self.dossier_id, self.kind)


def order_key(dossier_id: str, kind: OrderKind) -> str:
    return f"{dossier_id}-{'C' if kind == COLLECTION else 'R'}"


class OrderMessage(BaseModel):
    """The postal queue's body: identifiers only (the consumer reads the receiver from the store)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    op: Literal["create", "cancel"]
    carrier: str = "vnpost"
    dossier_id: str
    kind: OrderKind
    attempt: int = Field(default=1, ge=1)  # a retry action bumps it, so FIFO dedup lets it through

    @property
    def deduplication_id(self) -> str:
        return f"{self.dossier_id}#{self.kind}#{self.op}#{self.attempt}"


class CarrierAnswer(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    order_code: str  # the carrier's item code (tracking number)
    fee_vnd: int | None = None


class TrackingUpdate(BaseModel):
    """One tracking step, as the carrier reports it (names in docs/integrations.md §3)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    client_code: str
    order_code: str
    status_code: str
    occurred_at: datetime  # the carrier's time of the step: a delivery's is the returned-at time
    sequence: int = 0

    @property
    def order_of(self) -> tuple[datetime, int]:
        return (self.occurred_at, self.sequence)


DEFAULT_STAGES: Final[dict[str, Stage]] = {
    "10": "created", "20": "collected", "30": "in_transit", "40": "in_transit", "50": "delivered",
    "60": "failed", "70": "failed", "90": "cancelled"}


class CarrierMapping(BaseModel):
    """What the sources leave UNSURE, as configuration (the ``postal-mapping`` setting, JSON)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    stages: dict[str, Stage] = Field(default_factory=lambda: dict(DEFAULT_STAGES))
    checksum_header: str = "X-Checksum"
    accepted_codes: frozenset[str] = frozenset({"00"})
    refused_codes: frozenset[str] = frozenset({"01", "02", "03", "04"})  # invalid data, unknown order, ...

    def stage(self, status_code: str) -> Stage:
        return self.stages.get(status_code, "in_transit")


class CarrierUnavailable(MotcuaError):
    """No answer, a timeout, a 5xx or an unknown answer: the order is retried with backoff, then the DLQ."""

    code = "POSTAL_CARRIER_UNAVAILABLE"
    http_status = 503
    message_vi = "Dịch vụ bưu chính tạm thời không phản hồi."
    message_en = "The postal carrier is not answering."


class CarrierRefused(MotcuaError):
    """The carrier refused the order itself: retrying the same order cannot help; parked for an official."""

    code = "POSTAL_CARRIER_REFUSED"
    http_status = 422
    message_vi = "Dịch vụ bưu chính từ chối đơn hàng."
    message_en = "The postal carrier refused the order."


class CallbackRejected(MotcuaError):
    """A tracking callback whose checksum does not verify, or that names no order of ours."""

    code = "POSTAL_CALLBACK_REJECTED"
    http_status = 401
    message_vi = "Thông báo của đơn vị bưu chính không hợp lệ."
    message_en = "The carrier's callback is not valid."


class PostalCarrier(Protocol):
    """A carrier's order and tracking contract (one adapter per carrier in ``motcua.data``)."""

    def create_order(self, order: PostalOrder) -> CarrierAnswer: ...

    def cancel_order(self, order_code: str) -> None: ...

    def tracking(self, order_code: str) -> Sequence[TrackingUpdate]: ...


def checksum(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def verify_checksum(key: str, body: bytes, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(checksum(key, body), str(given).strip().lower())


def is_newer(current: TrackingUpdate | None, incoming: TrackingUpdate) -> bool:
    """``True`` when ``incoming`` is after everything applied so far: a duplicate (same time and sequence) or an
    older step that arrives late is not applied again (it is still recorded in the order's history)."""
    return current is None or incoming.order_of > current.order_of


def latest(updates: Sequence[TrackingUpdate]) -> TrackingUpdate | None:
    return max(updates, key=lambda u: u.order_of, default=None)


def delivered_at(updates: Sequence[TrackingUpdate], mapping: CarrierMapping) -> datetime | None:
    """The carrier's delivery time, whatever order the steps came in (the earliest delivery step)."""
    times = [u.occurred_at for u in updates if mapping.stage(u.status_code) == "delivered"]
    return min(times, default=None)
