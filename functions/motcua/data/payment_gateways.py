"""Payment gateway adapters (the port ``motcua.domain.payment.PaymentGateway``) and the transactions' store.

The first adapter is the national payment platform (*Nền tảng thanh toán trực tuyến* of the national public
service portal), over HTTP, with the contract of docs/integrations.md §2. Others (PayGov, Keypay, Viettel
Pay) join the registry (:data:`ADAPTERS`) under their own name with the same three answers.

Each gateway's connection (endpoint, merchant code, checksum key) is one Secrets Manager secret,
``<prefix><gateway>`` (``PaymentConnection``), read on first use: nothing of it is in code or in the
function's environment, only the prefix.

Items (single table, see ``motcua.data.table``):

==========================  ==========================  ==============================================
item                        pk                          sk
==========================  ==========================  ==============================================
transaction                 ``PAYMENT#<transaction id>`` ``TRANSACTION``: the ``PaymentTransaction`` (JSON),
                                                        its version guarding every change
==========================  ==========================  ==============================================

Nothing here logs a body: a callback names the payer's bank, and a link may carry the payer's session.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import urllib3
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.transactions import TransactWrite

from motcua.data.models import Item
from motcua.data.secrets import secret_string
from motcua.domain.payment import (
    GatewayConfirmation,
    PaymentCallbackMalformed,
    PaymentChecksumInvalid,
    PaymentGateway,
    PaymentGatewayUnavailable,
    PaymentGatewayUnknown,
    PaymentLink,
    PaymentOrder,
    PaymentTransaction,
    checksum,
    checksum_matches,
)

NATIONAL = "national"  # the national payment platform's name in routes and secrets
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 8.0
_VN = timezone(timedelta(hours=7))


# --- the connection ----------------------------------------------------------------------------------------

class PaymentConnection(BaseModel):
    """One gateway's secret. The field lists are configuration: the platform's published names are not all
    confirmed (docs/integrations.md §2, the UNSURE marks)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    url: str = Field(min_length=8)
    create_path: str = "/api/thanhtoan/taogiaodich"
    merchant_code: str = Field(min_length=1)  # MaDoiTac
    checksum_key: str = Field(min_length=16)
    return_url: str = ""  # where the platform sends the citizen back after paying
    create_checksum_fields: tuple[str, ...] = ("MaDoiTac", "MaThamChieu", "SoTien", "ThoiGianGD")
    callback_checksum_fields: tuple[str, ...] = ("MaDoiTac", "MaThamChieu", "MaGiaoDich", "SoTien", "MaKetQua",
                                                 "ThoiGianThanhToan")
    answer_checksum_fields: tuple[str, ...] = ("MaLoi", "MaThamChieu")
    success_codes: tuple[str, ...] = ("00",)
    read_timeout_s: float = Field(default=READ_TIMEOUT_S, gt=0, le=30)


def load_connection(secret_prefix: str, gateway: str) -> PaymentConnection:
    return PaymentConnection.model_validate_json(secret_string(f"{secret_prefix}{gateway}"))


def _stamp(at: datetime) -> str:
    return at.astimezone(_VN).strftime("%Y%m%d%H%M%S")


def _parse_stamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=_VN)


# --- the national payment platform -------------------------------------------------------------------------

class NationalPaymentPlatform:
    """``PaymentGateway`` over HTTP for the national payment platform (docs/integrations.md §2)."""

    name = NATIONAL

    def __init__(self, connection: PaymentConnection, http: urllib3.PoolManager | None = None) -> None:
        self.connection = connection
        self._http = http or urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=connection.read_timeout_s), retries=False)

    def _sign(self, fields: Mapping[str, Any], names: tuple[str, ...]) -> str:
        return checksum(self.connection.checksum_key, [str(fields.get(n, "")) for n in names])

    def create_link(self, order: PaymentOrder) -> PaymentLink:
        c = self.connection
        body: dict[str, Any] = {
            "MaDoiTac": c.merchant_code, "MaThamChieu": order.transaction_id, "SoTien": str(order.amount_vnd),
            "NoiDungThanhToan": order.description[:200], "MaDichVu": order.procedure_code,
            "MaDonVi": order.agency_code, "MaHoSo": order.receipt_code, "ThoiGianGD": _stamp(order.created_at),
            "UrlTraVe": c.return_url,
        }
        body["MaXacThuc"] = self._sign(body, c.create_checksum_fields)
        try:
            response = self._http.request("POST", c.url.rstrip("/") + c.create_path,
                                          body=json.dumps(body, ensure_ascii=False).encode(),
                                          headers={"Content-Type": "application/json; charset=utf-8"})
        except urllib3.exceptions.HTTPError as error:  # timeouts, refused connections, resets
            raise PaymentGatewayUnavailable({"reason": type(error).__name__}) from None
        if response.status >= 500 or response.status == 429:
            raise PaymentGatewayUnavailable({"http_status": response.status})
        try:
            answer = json.loads(response.data or b"{}")
        except ValueError:
            raise PaymentGatewayUnavailable({"http_status": response.status, "reason": "not JSON"}) from None
        if not isinstance(answer, dict) or str(answer.get("MaLoi")) not in c.success_codes \
                or not answer.get("UrlThanhToan"):
            code = str(answer.get("MaLoi")) if isinstance(answer, dict) else None
            raise PaymentGatewayUnavailable({"http_status": response.status, "reason": "refused", "code": code})
        return PaymentLink(url=str(answer["UrlThanhToan"]))

    def verify_callback(self, body: Mapping[str, Any]) -> GatewayConfirmation:
        c = self.connection
        given = body.get("MaXacThuc")
        required = {*c.callback_checksum_fields, "MaThamChieu", "SoTien", "MaKetQua"}
        missing = sorted(n for n in required if not isinstance(body.get(n), str | int) or body.get(n) == "")
        if missing or not isinstance(given, str):
            raise PaymentCallbackMalformed({"missing": missing or ["MaXacThuc"]})
        if not checksum_matches(c.checksum_key, [str(body.get(n, "")) for n in c.callback_checksum_fields], given):
            raise PaymentChecksumInvalid({"gateway": self.name})
        if str(body.get("MaDoiTac", c.merchant_code)) != c.merchant_code:
            raise PaymentChecksumInvalid({"gateway": self.name, "reason": "merchant"})
        try:
            amount = int(str(body["SoTien"]))
            paid_at = _parse_stamp(str(body["ThoiGianThanhToan"])) if body.get("ThoiGianThanhToan") else None
        except ValueError:
            raise PaymentCallbackMalformed({"fields": ["SoTien", "ThoiGianThanhToan"]}) from None
        result = str(body["MaKetQua"])
        return GatewayConfirmation(
            gateway=self.name, transaction_id=str(body["MaThamChieu"]),
            gateway_transaction_id=str(body.get("MaGiaoDich") or ""), amount_vnd=amount,
            succeeded=result in c.success_codes, result_code=result, paid_at=paid_at,
            bank_code=str(body["MaNganHang"]) if body.get("MaNganHang") else None)

    def answer(self, body: Mapping[str, Any], accepted: bool) -> dict[str, Any]:
        reply: dict[str, Any] = {"MaLoi": "00" if accepted else "01",
                                 "MaThamChieu": str(body.get("MaThamChieu", ""))}
        reply["MaXacThuc"] = self._sign(reply, self.connection.answer_checksum_fields)
        return reply


# --- the registry --------------------------------------------------------------------------------------------

ADAPTERS: dict[str, Callable[[PaymentConnection], PaymentGateway]] = {NATIONAL: NationalPaymentPlatform}


class Gateways:
    """The gateways a function may use, each built on first use from its secret and kept."""

    def __init__(self, secret_prefix: str,
                 loader: Callable[[str, str], PaymentConnection] = load_connection) -> None:
        self.secret_prefix, self._loader = secret_prefix, loader
        self._built: dict[str, PaymentGateway] = {}

    def get(self, name: str) -> PaymentGateway:
        if name not in ADAPTERS:
            raise PaymentGatewayUnknown({"gateway": name[:32]})
        if name not in self._built:
            if not self.secret_prefix:
                raise PaymentGatewayUnavailable({"gateway": name, "reason": "not configured"})
            try:
                connection = self._loader(self.secret_prefix, name)
            except ClientError as error:  # no such secret yet, or Secrets Manager down: retry later
                raise PaymentGatewayUnavailable({"gateway": name,
                                                 "reason": error.response.get("Error", {}).get("Code")}) from None
            self._built[name] = ADAPTERS[name](connection)
        return self._built[name]


# --- the transactions -------------------------------------------------------------------------------------------

class _TransactionItem(Item):
    class Meta(Item.Meta):  # follows ``models.bind`` like the models in ``models``
        pass

    body = UnicodeAttribute()
    version = NumberAttribute()
    dossier_id = UnicodeAttribute()


def _key(transaction_id: str) -> str:
    return f"PAYMENT#{transaction_id}"


def get_transaction(transaction_id: str) -> PaymentTransaction | None:
    try:
        item = _TransactionItem.get(_key(transaction_id), "TRANSACTION", consistent_read=True)
    except DoesNotExist:
        return None
    return PaymentTransaction.model_validate_json(item.body)


def put_transaction(transaction: PaymentTransaction) -> bool:
    """Write a new transaction (``transaction.version == 1``) or its next version, guarded by the version it
    was read at. ``False``: someone else wrote first (a duplicate), nothing is written."""
    item = _TransactionItem(_key(transaction.transaction_id), "TRANSACTION", body=transaction.model_dump_json(),
                            version=transaction.version, dossier_id=transaction.dossier_id)
    condition = (_TransactionItem.pk.does_not_exist() if transaction.version == 1
                 else _TransactionItem.version == transaction.version - 1)
    try:
        item.save(condition=condition)
    except PutError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


@dataclass(frozen=True)
class TransactionWrite:
    """A transaction's next version, in the transaction of the dossier's change (``TransactionPart``)."""

    transaction: PaymentTransaction

    def add_to(self, transaction: TransactWrite) -> None:
        t = self.transaction
        item = _TransactionItem(_key(t.transaction_id), "TRANSACTION", body=t.model_dump_json(),
                                version=t.version, dossier_id=t.dossier_id)
        transaction.save(item, condition=_TransactionItem.version == t.version - 1)
