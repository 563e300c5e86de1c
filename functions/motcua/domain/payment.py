"""Online payment of a dossier's financial obligation (status 6): the port a payment gateway adapter
implements, the transaction record, and the pure decision on a gateway's callback.

docs/integrations.md §2 states the national payment platform's contract the first adapter implements
(``motcua.data.payment_gateways``). The domain never talks to a gateway: the service asks the adapter for a
link, records the transaction, and on the callback the adapter checks the checksum and reads the fields into
a :class:`GatewayConfirmation`; :func:`confirm` then decides, against the stored transaction and dossier.

A confirmed payment moves the dossier through the workflow (``motcua.domain.workflow.pay_online``: the
payment is recorded with its receipt, processing resumes 6 -> 4, both checked against the one transition
table), and the ``record_payment`` event it writes carries the gateway's receipt, which is what group 3b of
the index counts (:func:`motcua.domain.actions.paid_through_gateway`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from motcua.domain.errors import Conflict, InvalidInput, MotcuaError, NotFound

TransactionStatus = Literal["pending", "paid", "failed"]
_ID_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


class PaymentOrder(BaseModel):
    """What a gateway is asked to collect: one financial obligation of one dossier. No personal data: the
    platform asks the payer for their own details on its page."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    transaction_id: str  # ours, the gateway's reference for it (MaThamChieu)
    dossier_id: str
    receipt_code: str
    procedure_code: str
    agency_code: str
    amount_vnd: int = Field(gt=0)
    description: str
    created_at: datetime


class PaymentLink(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    url: str


class GatewayConfirmation(BaseModel):
    """A callback whose checksum the adapter verified, in our terms."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    gateway: str
    transaction_id: str  # ours (MaThamChieu)
    gateway_transaction_id: str  # the platform's own (MaGiaoDich)
    amount_vnd: int
    succeeded: bool  # the platform's result code says paid
    result_code: str
    paid_at: datetime | None = None
    bank_code: str | None = None


class PaymentTransaction(BaseModel):
    """One payment link given to the citizen, and what became of it (the receipt once paid)."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    transaction_id: str
    gateway: str
    dossier_id: str
    owner: str
    amount_vnd: int
    requested_at: datetime  # the obligation's (Payment.requested_at): one transaction per obligation and gateway
    created_at: datetime
    payment_url: str
    status: TransactionStatus = "pending"
    version: int = 1
    confirmed_at: datetime | None = None
    gateway_transaction_id: str | None = None
    result_code: str | None = None
    paid_at: datetime | None = None
    bank_code: str | None = None


class PaymentGateway(Protocol):
    """The port: one adapter per payment platform (the national platform first; PayGov, Keypay, Viettel Pay
    can follow with the same three answers)."""

    name: str

    def create_link(self, order: PaymentOrder) -> PaymentLink:
        """Register the order with the platform and return the page the citizen pays on."""
        ...

    def verify_callback(self, body: Mapping[str, Any]) -> GatewayConfirmation:
        """The callback's fields, once its checksum is verified; :class:`PaymentChecksumInvalid` otherwise."""
        ...

    def answer(self, body: Mapping[str, Any], accepted: bool) -> dict[str, Any]:
        """The acknowledgement the platform expects back (its own result code, signed)."""
        ...


# --- errors: every refusal has a stable code (docs/integrations.md §2.5) ---------------------------------

class PaymentGatewayUnknown(NotFound):
    code = "PAYMENT_GATEWAY_UNKNOWN"
    message_vi = "Không hỗ trợ cổng thanh toán này."
    message_en = "This payment gateway is not supported."


class PaymentNotDue(Conflict):
    code = "PAYMENT_NOT_DUE"
    message_vi = "Hồ sơ không ở trạng thái chờ thực hiện nghĩa vụ tài chính."
    message_en = "The dossier is not awaiting a payment."


class PaymentChecksumInvalid(MotcuaError):
    code = "PAYMENT_CHECKSUM_INVALID"
    http_status = 401
    message_vi = "Mã xác thực (checksum) của thông báo thanh toán không đúng."
    message_en = "The payment notification's checksum is invalid."


class PaymentCallbackMalformed(InvalidInput):
    code = "PAYMENT_CALLBACK_MALFORMED"
    message_vi = "Thông báo thanh toán thiếu trường hoặc sai định dạng."
    message_en = "The payment notification lacks a field or is malformed."


class PaymentTransactionUnknown(NotFound):
    code = "PAYMENT_TRANSACTION_UNKNOWN"
    message_vi = "Không tìm thấy giao dịch thanh toán."
    message_en = "No such payment transaction."


class PaymentAmountMismatch(MotcuaError):
    code = "PAYMENT_AMOUNT_MISMATCH"
    http_status = 422
    message_vi = "Số tiền thanh toán không khớp với nghĩa vụ tài chính của hồ sơ."
    message_en = "The amount paid does not match the dossier's financial obligation."


class PaymentAlreadyConfirmed(Conflict):
    code = "PAYMENT_ALREADY_CONFIRMED"
    message_vi = "Giao dịch thanh toán đã được ghi nhận trước đó."
    message_en = "This payment transaction was already confirmed."


class PaymentGatewayUnavailable(MotcuaError):
    code = "PAYMENT_GATEWAY_UNAVAILABLE"
    http_status = 503
    message_vi = "Cổng thanh toán tạm thời không phản hồi. Vui lòng thử lại sau."
    message_en = "The payment gateway is temporarily unavailable. Please retry later."


class PaymentCallbackBusy(MotcuaError):
    """A concurrent notification of the same transaction is being applied: nothing was applied by this one; the
    platform retries it (``Retry-After``) and then gets the idempotent answer."""

    code = "PAYMENT_CALLBACK_IN_PROGRESS"
    http_status = 503
    message_vi = "Thông báo thanh toán của giao dịch này đang được xử lý. Vui lòng gửi lại sau."
    message_en = "A notification of this payment transaction is being applied. Please resend it later."


CALLBACK_RETRY_AFTER_S = 2  # what a busy answer asks the platform to wait (Retry-After, seconds)


# --- the pure rules --------------------------------------------------------------------------------------

def transaction_id(dossier_id: str, requested_at: datetime, gateway: str, attempt: int = 1) -> str:
    """One id per obligation, gateway and attempt (a new attempt only after a failed one): a repeated request,
    or a retry after a timeout, names the same transaction, so the platform never holds two live orders for
    one obligation. 20 characters, [0-9A-Z].

    Letters only after the "MC" prefix: hex would put twelve digits in a row in about one id in forty, and
    such a run reads as a national ID number, which the logging layer masks (``motcua.observability``), so
    the id would be garbled in the very log lines that trace a payment. 24 letters (no I, O: read over the
    counter) over 18 places are 82 bits of the digest, enough against a collision."""
    seed = f"{dossier_id}\n{requested_at.isoformat()}\n{gateway}\n{attempt}"
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest())
    letters = []
    for _ in range(18):
        value, place = divmod(value, len(_ID_LETTERS))
        letters.append(_ID_LETTERS[place])
    return "MC" + "".join(letters)


def confirm(transaction: PaymentTransaction, confirmation: GatewayConfirmation,
            now: datetime) -> PaymentTransaction:
    """The transaction after a verified callback, or the refusal. A transaction is confirmed once: a second
    callback (a replay, the platform's retry) is :class:`PaymentAlreadyConfirmed` and changes nothing. The
    amount must be the obligation's to the dong."""
    if transaction.status != "pending":
        raise PaymentAlreadyConfirmed({"transaction_id": transaction.transaction_id, "status": transaction.status})
    if confirmation.amount_vnd != transaction.amount_vnd:
        raise PaymentAmountMismatch({"transaction_id": transaction.transaction_id,
                                     "expected_vnd": transaction.amount_vnd, "received_vnd": confirmation.amount_vnd})
    return transaction.model_copy(update={
        "status": "paid" if confirmation.succeeded else "failed", "version": transaction.version + 1,
        "confirmed_at": now, "gateway_transaction_id": confirmation.gateway_transaction_id,
        "result_code": confirmation.result_code, "paid_at": confirmation.paid_at or now,
        "bank_code": confirmation.bank_code,
    })


def checksum(key: str, values: list[str]) -> str:
    """HMAC-SHA256 over the values joined by ``|``, lower-case hex (docs/integrations.md §2.3)."""
    return hmac.new(key.encode(), "|".join(values).encode(), hashlib.sha256).hexdigest()


def checksum_matches(key: str, values: list[str], given: str) -> bool:
    return hmac.compare_digest(checksum(key, values), given.strip().lower())
