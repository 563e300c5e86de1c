"""VNPost's adapter (HTTP, the contract of docs/integrations.md §3): ``PostalCarrier`` for the first carrier.

The connection (endpoint, paths, account, customer code) is one Secrets Manager secret per carrier,
``<prefix><carrier>`` (``CarrierConnection``, JSON), read by the postal consumer alone; the key the carrier signs
its callbacks with is another, ``<callback prefix><carrier>`` (``{"checksum_key"}``), read by the api alone.
Nothing of either is in code or in a function's environment, only the prefixes. Nothing here logs an order: it
carries the receiver's name, phone and address.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import urllib3
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from motcua.data import queues
from motcua.data.models import Item
from motcua.data.secrets import secret_string
from motcua.domain.postal import (
    CallbackRejected,
    CarrierAnswer,
    CarrierMapping,
    CarrierRefused,
    CarrierUnavailable,
    OrderKind,
    OrderMessage,
    PostalCarrier,
    PostalOrder,
    Receiver,
    TrackingUpdate,
)

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0


class CarrierConnection(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    url: str = Field(min_length=8)
    token_path: str = "/serviceApi/v1/getToken"  # noqa: S105 - a path, not a secret
    order_path: str = "/serviceApi/v1/createOrder"
    cancel_path: str = "/serviceApi/v1/cancelOrder"
    tracking_path: str = "/serviceApi/v1/getTracking"
    username: str
    password: str
    customer_code: str
    checksum_key: str | None = None  # not needed to send: the callback key is a secret of its own
    read_timeout_s: float = Field(default=READ_TIMEOUT_S, gt=0, le=60)


def load_connection(secret_prefix: str, carrier: str) -> CarrierConnection:
    return CarrierConnection.model_validate_json(secret_string(f"{secret_prefix}{carrier}"))


class CallbackKey(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    checksum_key: str = Field(min_length=16)


# The carriers Motcua has an adapter for (route and secret name -> adapter); another carrier joins here.
ADAPTERS: dict[str, Callable[[CarrierConnection, CarrierMapping], PostalCarrier]] = {}


class Carriers:
    """The carriers' adapters, each built on first use from its connection secret (read once per container)."""

    def __init__(self, secret_prefix: str, mapping: CarrierMapping) -> None:
        self.secret_prefix, self.mapping = secret_prefix, mapping
        self._built: dict[str, PostalCarrier] = {}
        self._lock = threading.Lock()

    def __call__(self, carrier: str) -> PostalCarrier:
        with self._lock:
            if carrier not in self._built:
                adapter = ADAPTERS.get(carrier)
                if adapter is None:
                    raise KeyError(carrier)
                self._built[carrier] = adapter(load_connection(self.secret_prefix, carrier), self.mapping)
            return self._built[carrier]


class CallbackKeys:
    """The key each carrier signs its callbacks with (``<prefix><carrier>``), read on first use. An unknown
    carrier, or one whose secret does not exist, is refused (``CallbackRejected``), never a 5xx."""

    def __init__(self, secret_prefix: str) -> None:
        self.secret_prefix = secret_prefix
        self._keys: dict[str, str] = {}

    def __call__(self, carrier: str) -> str:
        if carrier not in self._keys:
            if carrier not in ADAPTERS:
                raise CallbackRejected({"carrier": carrier[:32], "reason": "unknown carrier"})
            try:
                raw = secret_string(f"{self.secret_prefix}{carrier}")
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    raise CallbackRejected({"carrier": carrier, "reason": "no callback key"}) from None
                raise CarrierUnavailable({"reason": "callback key unreadable"}) from None
            self._keys[carrier] = CallbackKey.model_validate_json(raw).checksum_key
        return self._keys[carrier]


def enqueue(queue_url: str, message: OrderMessage) -> None:
    """One operation on the FIFO postal queue, grouped by dossier (a create before its cancel)."""
    failed = queues.send_fifo_batch(queue_url, {"m": (message.model_dump_json(), {"op": message.op},
                                                      message.dossier_id, message.deduplication_id)})
    if failed:
        raise CarrierUnavailable({"reason": "postal queue refused the message"})


def tracking_update(raw: Mapping[str, Any]) -> TrackingUpdate:
    """A step as VNPost names it (a callback body or an item of the tracking answer)."""
    return TrackingUpdate(client_code=str(raw["OrderCode"]), order_code=str(raw["ItemCode"]),
                          status_code=str(raw["StatusCode"]),
                          occurred_at=datetime.fromisoformat(str(raw["StatusTime"])),
                          sequence=int(raw.get("Sequence") or 0))


class VnpostClient:
    """``PostalCarrier`` over HTTP: a bearer token from the token endpoint, kept while VNPost accepts it (a 401
    logs in again once); the customer code on every order."""

    def __init__(self, connection: CarrierConnection, mapping: CarrierMapping,
                 http: urllib3.PoolManager | None = None) -> None:
        self.connection, self.mapping = connection, mapping
        self._http = http or urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=connection.read_timeout_s), retries=False)
        self._token: str | None = None
        self._lock = threading.Lock()

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None,
                 fields: Mapping[str, str] | None = None, token: str | None = None) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self._http.request(
                method, self.connection.url.rstrip("/") + path, fields=fields,
                body=json.dumps(body, ensure_ascii=False).encode() if body is not None else None, headers=headers)
        except urllib3.exceptions.HTTPError as error:  # timeouts, refused connections, resets
            raise CarrierUnavailable({"reason": type(error).__name__}) from None
        if response.status >= 500 or response.status == 429:
            raise CarrierUnavailable({"http_status": response.status})
        try:
            answer = json.loads(response.data or b"{}")
        except ValueError:
            raise CarrierUnavailable({"http_status": response.status, "reason": "not JSON"}) from None
        if not isinstance(answer, dict):
            raise CarrierUnavailable({"http_status": response.status, "reason": "not an object"})
        return response.status, answer

    def _login(self) -> str:
        _, answer = self._request("POST", self.connection.token_path, {"Username": self.connection.username,
                                                                         "Password": self.connection.password})
        if str(answer.get("Code")) not in self.mapping.accepted_codes or not answer.get("Token"):
            raise CarrierUnavailable({"reason": "login refused", "error_code": str(answer.get("Code"))})
        return str(answer["Token"])

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None,
              fields: Mapping[str, str] | None = None) -> dict[str, Any]:
        for renew in (False, True):
            with self._lock:
                if renew or self._token is None:
                    self._token = self._login()
                token = self._token
            status, answer = self._request(method, path, body, fields, token)
            if status != 401:
                code = str(answer.get("Code", ""))
                if code in self.mapping.accepted_codes:
                    return answer
                if code in self.mapping.refused_codes:
                    raise CarrierRefused({"error_code": code, "fields": answer.get("Fields")})
                raise CarrierUnavailable({"error_code": code})
        raise CarrierUnavailable({"reason": "token refused after a new login"})

    def create_order(self, order: PostalOrder) -> CarrierAnswer:
        r = order.receiver
        answer = self._call("POST", self.connection.order_path, {
            "OrderCode": order.client_code, "CustomerCode": self.connection.customer_code,
            "SenderFullname": order.sender_name, "ReceiverFullname": r.full_name, "ReceiverTel": r.phone,
            "ReceiverAddress": r.address, "ReceiverProvinceCode": r.province_code or "",
            "PackageContent": f"Hồ sơ {order.receipt_code}: " + "; ".join(order.documents),
            "ServiceName": "HCC",  # UNSURE: the public-administration service's code (Decision 45/2016/QĐ-TTg)
            "OrderKind": order.kind})
        data = answer.get("Data") or {}
        if not data.get("ItemCode"):
            raise CarrierUnavailable({"reason": "no item code"})
        fee = data.get("TotalFee")
        return CarrierAnswer(order_code=str(data["ItemCode"]), fee_vnd=int(fee) if fee is not None else None)

    def cancel_order(self, order_code: str) -> None:
        self._call("POST", self.connection.cancel_path, {"ItemCode": order_code})

    def tracking(self, order_code: str) -> Sequence[TrackingUpdate]:
        answer = self._call("GET", self.connection.tracking_path, fields={"ItemCode": order_code})
        return [tracking_update(step) for step in answer.get("Data") or []]


ADAPTERS["vnpost"] = VnpostClient


# --- the order store ------------------------------------------------------------------------------------------
#
# ==========================  ==========================  ================================================
# item                        pk                          sk
# ==========================  ==========================  ================================================
# postal order                ``DOSSIER#<id>``            ``POSTAL#<kind>``: what was asked, the receiver
#                                                         (applicant contact data, like the dossier's
#                                                         applicant), the carrier's item code, the latest
#                                                         tracking step applied
# tracking step               ``DOSSIER#<id>``            ``POSTALSTEP#<kind>#<step key>``: each step once
# ==========================  ==========================  ================================================
#
# An order under way (queued, created at the carrier, its cancel asked) also sits in ``gsi1`` under
# ``POSTAL#OPEN`` (sparse): the scheduled tracking poll reads only those, and the keys go once the order ends
# (delivered, cancelled, refused, failed).

ORDER_PREFIX = "POSTAL#"
STEP_PREFIX = "POSTALSTEP#"
OPEN_PARTITION = "POSTAL#OPEN"
OrderState = Literal["requested", "queued", "created", "cancel_requested", "cancelled", "refused", "delivered",
                     "failed"]


class _OpenIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _OrderItem(Item):
    class Meta(Item.Meta):
        pass

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    open_orders = _OpenIndex()
    queued_at = UnicodeAttribute(null=True)
    carrier = UnicodeAttribute()
    state = UnicodeAttribute()
    receiver = UnicodeAttribute()  # JSON of ``Receiver``
    attempt = NumberAttribute(default=1)
    requested_at = UnicodeAttribute()
    item_code = UnicodeAttribute(null=True)
    last_key = UnicodeAttribute(null=True)
    last_status = UnicodeAttribute(null=True)
    delivered_at = UnicodeAttribute(null=True)
    refused_code = UnicodeAttribute(null=True)


class _StepItem(Item):
    class Meta(Item.Meta):
        pass

    status_code = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    item_code = UnicodeAttribute()


@dataclass(frozen=True)
class OrderRecord:
    dossier_id: str
    kind: OrderKind
    carrier: str
    state: str
    receiver: Receiver
    attempt: int
    requested_at: str
    item_code: str | None
    last_status: str | None
    delivered_at: str | None
    refused_code: str | None
    queued_at: str | None = None

    def as_view(self) -> dict[str, Any]:
        """What the API shows: no receiver (the dossier's owner knows it; officials read it on the order)."""
        return {"kind": self.kind, "carrier": self.carrier, "state": self.state, "attempt": self.attempt,
                "requested_at": self.requested_at, "item_code": self.item_code, "last_status": self.last_status,
                "delivered_at": self.delivered_at, "refused_code": self.refused_code}


def step_key(update: TrackingUpdate) -> str:
    """Sortable: the carrier's instant in UTC, then its sequence (``domain.postal.is_newer``'s order)."""
    return f"{update.occurred_at.astimezone(UTC).strftime('%Y%m%dT%H%M%S.%f')}#{update.sequence:012d}"


def _record(item: _OrderItem) -> OrderRecord:
    return OrderRecord(dossier_id=item.pk.removeprefix("DOSSIER#"),
                       kind=item.sk.removeprefix(ORDER_PREFIX),  # type: ignore[arg-type]
                       carrier=item.carrier, state=item.state, receiver=Receiver.model_validate_json(item.receiver),
                       attempt=int(item.attempt or 1), requested_at=item.requested_at, item_code=item.item_code,
                       last_status=item.last_status, delivered_at=item.delivered_at, refused_code=item.refused_code,
                       queued_at=item.queued_at)


def get_order(dossier_id: str, kind: OrderKind) -> OrderRecord | None:
    try:
        return _record(_OrderItem.get(f"DOSSIER#{dossier_id}", f"{ORDER_PREFIX}{kind}", consistent_read=True))
    except DoesNotExist:
        return None


def orders_of(dossier_id: str) -> list[OrderRecord]:
    return [_record(i) for i in _OrderItem.query(f"DOSSIER#{dossier_id}", _OrderItem.sk.startswith(ORDER_PREFIX),
                                                 consistent_read=True)]


def _conditional(action: Any) -> bool:
    try:
        action()
    except (PutError, UpdateError) as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


REOPENABLE = ("requested", "cancelled", "refused", "failed")


def put_request(dossier_id: str, kind: OrderKind, carrier: str, receiver: Receiver, at: datetime) -> bool:
    """Asked for (or asked again with a new receiver): only while no live order exists (``REOPENABLE``)."""
    item = _OrderItem(f"DOSSIER#{dossier_id}", f"{ORDER_PREFIX}{kind}", carrier=carrier, state="requested",
                      receiver=receiver.model_dump_json(), attempt=1, requested_at=at.isoformat())
    reopenable = _OrderItem.pk.does_not_exist() | _OrderItem.state.is_in(*REOPENABLE)
    return _conditional(lambda: item.save(condition=reopenable))


def _update(dossier_id: str, kind: OrderKind, actions: list[Any], condition: Any) -> bool:
    item = _OrderItem(f"DOSSIER#{dossier_id}", f"{ORDER_PREFIX}{kind}")
    return _conditional(lambda: item.update(actions=actions, condition=_OrderItem.pk.exists() & condition))


def open_orders(limit: int = 200) -> list[OrderRecord]:
    """Orders under way (``POSTAL#OPEN``), at most ``limit``."""
    return [_record(i) for i in _OrderItem.open_orders.query(OPEN_PARTITION, limit=limit)]


def _opened(dossier_id: str, kind: OrderKind) -> list[Any]:
    return [_OrderItem.gsi1pk.set(OPEN_PARTITION), _OrderItem.gsi1sk.set(f"{dossier_id}#{kind}")]


_CLOSED = [_OrderItem.gsi1pk.remove(), _OrderItem.gsi1sk.remove()]
ENDED = ("cancelled", "refused", "failed", "delivered")


def mark_queued(dossier_id: str, kind: OrderKind, at: datetime, *, retry: bool) -> int | None:
    """The order goes to the queue: its attempt number (a retry bumps it), or ``None`` if it is not in a state to."""
    states = ("refused", "failed", "queued", "cancelled") if retry else ("requested",)
    current = get_order(dossier_id, kind)
    if current is None or current.state not in states:
        return None
    attempt = current.attempt + (1 if retry else 0)
    ok = _update(dossier_id, kind, [_OrderItem.state.set("queued"), _OrderItem.attempt.set(attempt),
                                    _OrderItem.refused_code.remove(), _OrderItem.queued_at.set(at.isoformat()),
                                    *_opened(dossier_id, kind)],
                 _OrderItem.state == current.state)
    return attempt if ok else None


def mark_created(dossier_id: str, kind: OrderKind, item_code: str) -> None:
    _update(dossier_id, kind, [_OrderItem.state.set("created"), _OrderItem.item_code.set(item_code)],
            _OrderItem.state.is_in("queued", "created"))


def mark_state(dossier_id: str, kind: OrderKind, state: OrderState, *, refused_code: str | None = None,
               from_states: tuple[str, ...]) -> bool:
    actions = [_OrderItem.state.set(state), *(_CLOSED if state in ENDED else [])]
    if refused_code is not None:
        actions.append(_OrderItem.refused_code.set(refused_code))
    return _update(dossier_id, kind, actions, _OrderItem.state.is_in(*from_states))


def record_step(dossier_id: str, kind: OrderKind, update: TrackingUpdate) -> bool:
    """Each step once (a duplicate answers ``False``), then the order's latest if it is newer than the latest."""
    key = step_key(update)
    step = _StepItem(f"DOSSIER#{dossier_id}", f"{STEP_PREFIX}{kind}#{key}", status_code=update.status_code,
                     occurred_at=update.occurred_at.isoformat(), item_code=update.order_code)
    first = _conditional(lambda: step.save(condition=_StepItem.pk.does_not_exist()))
    if first:
        _update(dossier_id, kind, [_OrderItem.last_key.set(key), _OrderItem.last_status.set(update.status_code)],
                _OrderItem.last_key.does_not_exist() | (_OrderItem.last_key < key))
    return first


def mark_delivered(dossier_id: str, kind: OrderKind, at: datetime) -> bool:
    """Once: ``False`` when the order was marked delivered before."""
    return _update(dossier_id, kind, [_OrderItem.state.set("delivered"), _OrderItem.delivered_at.set(at.isoformat()),
                                      *_CLOSED],
                   _OrderItem.delivered_at.does_not_exist())
