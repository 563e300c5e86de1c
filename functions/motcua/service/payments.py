"""Online payment of a dossier's financial obligation (docs/integrations.md §2): the citizen's payment link,
and the gateway's callback, verified, applied once, refused and audited otherwise.

The rules are ``motcua.domain.payment`` (one transaction per obligation and gateway, ``confirm``) and
``motcua.domain.workflow.pay_online`` (6 -> 4 with the receipt); the gateways are the adapters of
``motcua.data.payment_gateways``. A confirmed transaction and the dossier's change are written in one
DynamoDB transaction, so a payment is never recorded without its dossier moving on, nor twice.

Refusals are logged as audit lines carrying the gateway, the stable code and our transaction reference only
(no payer data: the bodies are never logged) and, when the transaction is ours, kept on the dossier's trail.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from motcua.data import payment_gateways as store
from motcua.data.payment_gateways import Gateways, TransactionWrite
from motcua.data.transactions import StorageUnavailable
from motcua.domain.actors import Actor, Role
from motcua.domain.dossier import StaleDossier
from motcua.domain.errors import MotcuaError
from motcua.domain.payment import (
    CALLBACK_RETRY_AFTER_S,
    GatewayConfirmation,
    PaymentAlreadyConfirmed,
    PaymentCallbackBusy,
    PaymentGatewayUnavailable,
    PaymentNotDue,
    PaymentOrder,
    PaymentTransaction,
    PaymentTransactionUnknown,
    confirm,
    transaction_id,
)
from motcua.domain.status import DossierStatus
from motcua.domain.workflow import pay_online
from motcua.service.dossiers import DossierService

log = logging.getLogger("motcua.payments")
MAX_ATTEMPTS = 5  # a new transaction only after a failed one; more failures than this: ask the desk
APPLY_ATTEMPTS = 3  # a callback's tries against a dossier moving meanwhile, before the busy answer


class NotDossierOwner(MotcuaError):
    http_status = 403
    code = "PAYMENT_NOT_OWNER"
    message_vi = "Chỉ người nộp hồ sơ được thanh toán trực tuyến hồ sơ này."
    message_en = "Only the dossier's applicant may pay for it online."


@dataclass(frozen=True)
class CallbackOutcome:
    status: int
    body: dict[str, Any]
    code: str | None = None  # the refusal's stable code; None when accepted
    headers: dict[str, str] = field(default_factory=dict)  # Retry-After on a busy answer


def _same_notification(transaction: PaymentTransaction, confirmation: GatewayConfirmation) -> bool:
    """The transaction was closed by this very notification (same platform reference and amount)."""
    return (transaction.status != "pending" and transaction.gateway_transaction_id
            == confirmation.gateway_transaction_id and transaction.amount_vnd == confirmation.amount_vnd)


def _gateway_actor(gateway: str) -> Actor:
    return Actor(subject=f"payment-gateway:{gateway}", role=Role.SYSTEM)


@dataclass
class PaymentService:
    gateways: Gateways
    dossiers: DossierService = field(default_factory=DossierService)

    # --- the citizen's link ------------------------------------------------------------------------------------

    def request_link(self, dossier_id: str, gateway_name: str, actor: Actor) -> PaymentTransaction:
        """The open transaction of the dossier's obligation on this gateway (made now if none): asking again
        gives the same link, so a citizen's retry never opens a second order."""
        gateway = self.gateways.get(gateway_name)
        dossier = self.dossiers.dossiers.get(dossier_id)
        if actor.role is not Role.CITIZEN or dossier.owner != actor.subject:
            raise NotDossierOwner({"dossier_id": dossier_id})
        payment = dossier.payment
        if dossier.status is not DossierStatus.AWAITING_PAYMENT or payment is None or payment.paid_at is not None:
            raise PaymentNotDue({"dossier_id": dossier_id, "status": int(dossier.status)})
        for attempt in range(1, MAX_ATTEMPTS + 1):
            tx_id = transaction_id(dossier.id, payment.requested_at, gateway.name, attempt)
            existing = store.get_transaction(tx_id)
            if existing is not None and existing.status == "failed":
                continue
            if existing is not None:
                if existing.status == "paid":
                    raise PaymentAlreadyConfirmed({"transaction_id": tx_id})
                return existing
            now = self.dossiers.clock()
            order = PaymentOrder(transaction_id=tx_id, dossier_id=dossier.id, receipt_code=dossier.receipt_code,
                                 procedure_code=dossier.procedure_code, agency_code=dossier.current_agency,
                                 amount_vnd=payment.amount_vnd,
                                 description=f"{dossier.receipt_code} {payment.description}",
                                 created_at=now)
            link = gateway.create_link(order)  # the platform keeps one order per reference: a retry is safe
            transaction = PaymentTransaction(transaction_id=tx_id, gateway=gateway.name, dossier_id=dossier.id,
                                             owner=dossier.owner, amount_vnd=payment.amount_vnd,
                                             requested_at=payment.requested_at, created_at=now, payment_url=link.url)
            if store.put_transaction(transaction):
                log.info("payment link issued", extra={"gateway": gateway.name, "transaction_id": tx_id})
                return transaction
            written = store.get_transaction(tx_id)  # a concurrent request wrote it first: the same link
            assert written is not None
            return written
        raise PaymentGatewayUnavailable({"reason": "too many failed attempts", "dossier_id": dossier_id})

    # --- the gateway's callback --------------------------------------------------------------------------------

    def callback(self, gateway_name: str, body: Mapping[str, Any], request_id: str | None = None) -> CallbackOutcome:
        """Verify and apply one callback. Never raises a refusal: every one is an answer with its stable code
        (the platform's own negative acknowledgement in the body), audited.

        Concurrent notifications of one transaction (the platform's duplicates, racing): the transaction's
        version guard and the dossier's, in one DynamoDB transaction, let one apply; the others find the
        transaction confirmed when they look again and get the idempotent answer, or, while the winner's write
        is still in flight, :class:`PaymentCallbackBusy` (503 with ``Retry-After``): never a second
        application, never a refusal of a payment that was applied."""
        try:
            gateway = self.gateways.get(gateway_name)
        except MotcuaError as error:
            return self._refused(gateway_name[:32], None, error, {}, None)
        transaction: PaymentTransaction | None = None
        try:
            confirmation = gateway.verify_callback(body)
            transaction = store.get_transaction(confirmation.transaction_id)
            if transaction is None or transaction.gateway != gateway.name:
                raise PaymentTransactionUnknown({"transaction_id": confirmation.transaction_id[:32]})
            for _attempt in range(APPLY_ATTEMPTS):
                if _same_notification(transaction, confirmation):
                    # The platform's retry of a callback we applied: the same answer, nothing applied again.
                    return CallbackOutcome(200, gateway.answer(body, True))
                updated = confirm(transaction, confirmation, self.dossiers.clock())
                try:
                    self._apply(updated, request_id)
                    break
                except (StaleDossier, PaymentNotDue, PaymentAlreadyConfirmed, StorageUnavailable) as lost:
                    # Lost a race (or the dossier moved meanwhile): what is the transaction now?
                    current = store.get_transaction(transaction.transaction_id)
                    assert current is not None  # transactions are never deleted
                    if _same_notification(current, confirmation):
                        log.info("payment callback applied by a concurrent one",
                                 extra={"gateway": gateway.name, "transaction_id": current.transaction_id})
                        return CallbackOutcome(200, gateway.answer(body, True))
                    transaction = current
                    if current.status != "pending":  # closed by another notification (another reference)
                        raise PaymentAlreadyConfirmed({"transaction_id": current.transaction_id}) from None
                    if isinstance(lost, PaymentNotDue):  # the dossier is not awaiting this payment any more
                        raise
                    # still pending: the winner's write is in flight, or the dossier moved for another reason
            else:
                return self._busy(gateway.name, transaction.transaction_id)
            log.info("payment confirmed", extra={"gateway": gateway.name, "transaction_id": updated.transaction_id,
                                                 "result_code": updated.result_code})
            return CallbackOutcome(200, gateway.answer(body, True))
        except MotcuaError as error:
            if isinstance(error, PaymentGatewayUnavailable):
                raise
            return self._refused(gateway.name, transaction, error, body, request_id, gateway.answer(body, False))

    def _busy(self, gateway: str, reference: str) -> CallbackOutcome:
        """Nothing applied by this notification and nothing refused: the platform is asked to send it again."""
        error = PaymentCallbackBusy({"transaction_id": reference})
        log.info("payment callback busy", extra={"gateway": gateway, "code": error.code, "transaction_id": reference})
        body = {"code": error.code, "message_vi": error.message_vi, "message_en": error.message_en,
                "retry_after_s": CALLBACK_RETRY_AFTER_S}
        return CallbackOutcome(error.http_status, body, error.code,
                               headers={"Retry-After": str(CALLBACK_RETRY_AFTER_S)})

    def _apply(self, updated: PaymentTransaction, request_id: str | None) -> None:
        part = TransactionWrite(updated)
        if updated.status != "paid":  # the platform says not paid: the transaction is closed, a new link may follow
            if not store.put_transaction(updated):
                raise PaymentAlreadyConfirmed({"transaction_id": updated.transaction_id})
            return
        service = self.dossiers
        dossier = service.dossiers.get(updated.dossier_id)
        if dossier.status is not DossierStatus.AWAITING_PAYMENT:
            raise PaymentNotDue({"dossier_id": dossier.id, "status": int(dossier.status)})
        now = service.clock()
        process = service.steps.definition_for(dossier, now)
        changed, events = pay_online(dossier, updated.transaction_id, updated.gateway, updated.amount_vnd,
                                     _gateway_actor(updated.gateway), now, request_id, process=process)
        changed, events, task_items = service.steps.assign_entered(dossier, changed, events, process, now,
                                                                   request_id)
        service.dossiers.save_change(changed, events, correlation_id=request_id,
                                     index=service.index.for_change(dossier, changed, events),
                                     extra=[task_items, part])

    def _refused(self, gateway: str, transaction: PaymentTransaction | None, error: MotcuaError,
                 body: Mapping[str, Any], request_id: str | None,
                 answer: dict[str, Any] | None = None) -> CallbackOutcome:
        reference = transaction.transaction_id if transaction else None
        log.warning("payment callback refused", extra={"audit": True, "gateway": gateway, "code": error.code,
                                                       "transaction_id": reference})
        if transaction is not None:
            with contextlib.suppress(MotcuaError):  # the log line above is the audit then
                self.dossiers.record_rejection(transaction.dossier_id, "pay_online", error,
                                               _gateway_actor(gateway), request_id)
        payload = {"code": error.code, "message_vi": error.message_vi, "message_en": error.message_en,
                   **(answer or {})}
        return CallbackOutcome(error.http_status, payload, error.code)
