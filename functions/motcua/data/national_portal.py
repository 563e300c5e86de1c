"""The national portal's adapter (HTTP, the contract of docs/integrations.md §1) and its acknowledgements.

Items (single table, see ``motcua.data.table``):

==========================  ==========================  ==============================================
item                        pk                          sk
==========================  ==========================  ==============================================
acknowledgement             ``DOSSIER#<id>``            ``SYNCACK#<version:08d>#<history event id>``: what the
                                                        portal answered to one step (service, code, when)
national code               ``DOSSIER#<id>``            ``NATIONALCODE``: the portal's code of a dossier filed
                                                        there (written before the dossier: its first sync
                                                        already names it so)
==========================  ==========================  ==============================================

The first acknowledgement of a dossier (``DongBoHoSoMC``) is written in the same transaction as the
``sync_national_portal`` history event it causes (``AckWrite`` joins ``DossierRepository.save_change``), so
indicator 1.4 counts exactly the dossiers the portal acknowledged. A later step's acknowledgement is a
conditional put: written once, whoever delivers the message twice.

The connection (endpoint, account, unit code) is one Secrets Manager secret, ``<prefix>connection``, JSON
(``PortalConnection``: url, paths, username, password, unit_code, dstcode, read_timeout_s): nothing of it is in
code or in the function's environment, only the prefix. Nothing here logs a record: they carry the
applicant's name and contacts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import urllib3
from pydantic import BaseModel, ConfigDict, Field
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.transactions import TransactWrite

from motcua.data.models import Item
from motcua.data.secrets import secret_string
from motcua.domain.national_portal import (
    PortalAnswer,
    PortalMapping,
    PortalService,
    PortalUnavailable,
    verdict,
)

ACK_PREFIX = "SYNCACK#"
CONNECTION_SECRET = "connection"  # noqa: S105 - the secret's name under the prefix, not its value
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0  # well inside the consumer's timeout, so a hung portal fails the attempt, not the batch


# --- acknowledgements ------------------------------------------------------------------------------------

class _AckItem(Item):
    class Meta(Item.Meta):  # follows ``models.bind`` like the models in ``models``
        pass

    service = UnicodeAttribute()
    error_code = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    acked_at = UnicodeAttribute()
    to_status = UnicodeAttribute()


@dataclass(frozen=True)
class Ack:
    dossier_id: str
    step_key: str
    service: str
    error_code: str
    reference: str | None
    acked_at: str
    to_status: str

    @property
    def version(self) -> int:
        return int(self.step_key.split("#", 1)[0])

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "version": self.version}


def _item(dossier_id: str, step_key: str, service: PortalService, answer: PortalAnswer, at: datetime,
          to_status: int) -> _AckItem:
    return _AckItem(f"DOSSIER#{dossier_id}", f"{ACK_PREFIX}{step_key}", service=service,
                    error_code=answer.error_code, reference=answer.reference, acked_at=at.isoformat(),
                    to_status=str(to_status))


@dataclass(frozen=True)
class AckWrite:
    """An acknowledgement written in the transaction of the dossier change it comes with (``TransactionPart``)."""

    dossier_id: str
    step_key: str
    service: PortalService
    answer: PortalAnswer
    at: datetime
    to_status: int

    def add_to(self, transaction: TransactWrite) -> None:
        transaction.save(_item(self.dossier_id, self.step_key, self.service, self.answer, self.at, self.to_status),
                         condition=_AckItem.pk.does_not_exist())


def record_ack(dossier_id: str, step_key: str, service: PortalService, answer: PortalAnswer, at: datetime,
               to_status: int) -> bool:
    """``False`` when the step was acknowledged before (a duplicate delivery): nothing is written."""
    try:
        _item(dossier_id, step_key, service, answer, at, to_status).save(condition=_AckItem.pk.does_not_exist())
    except PutError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _ack(item: _AckItem) -> Ack:
    return Ack(dossier_id=item.pk.removeprefix("DOSSIER#"), step_key=item.sk.removeprefix(ACK_PREFIX),
               service=item.service, error_code=item.error_code, reference=item.reference, acked_at=item.acked_at,
               to_status=item.to_status)


def acks_of(dossier_id: str) -> list[Ack]:
    """A dossier's acknowledgements, oldest version first."""
    return [_ack(item) for item in _AckItem.query(f"DOSSIER#{dossier_id}", _AckItem.sk.startswith(ACK_PREFIX),
                                                  consistent_read=True)]


class _NationalCodeItem(Item):
    class Meta(Item.Meta):
        pass

    code = UnicodeAttribute()


def put_national_code(dossier_id: str, code: str) -> None:
    _NationalCodeItem(f"DOSSIER#{dossier_id}", "NATIONALCODE", code=code).save()


def national_code(dossier_id: str) -> str | None:
    try:
        return str(_NationalCodeItem.get(f"DOSSIER#{dossier_id}", "NATIONALCODE", consistent_read=True).code)
    except DoesNotExist:
        return None


# --- the HTTP client ----------------------------------------------------------------------------------------

class PortalConnection(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    url: str = Field(min_length=8)
    auth_path: str = "/api/auth"
    integration_path: str = "/api/integration"
    username: str
    password: str
    unit_code: str  # madonvi
    dstcode: str = ""
    read_timeout_s: float = Field(default=READ_TIMEOUT_S, gt=0, le=60)


def load_connection(secret_prefix: str) -> PortalConnection:
    return PortalConnection.model_validate_json(secret_string(f"{secret_prefix}{CONNECTION_SECRET}"))


class PortalClient:
    """``NationalPortal`` over HTTP: a session token from the auth endpoint, kept while the portal accepts it
    (a ``session_expired`` answer logs in again once), and the unit code on every request."""

    def __init__(self, connection: PortalConnection, mapping: PortalMapping,
                 http: urllib3.PoolManager | None = None) -> None:
        self.connection, self.mapping = connection, mapping
        self._http = http or urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=connection.read_timeout_s), retries=False)
        self._session: str | None = None
        self._lock = threading.Lock()

    def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.request(
                "POST", self.connection.url.rstrip("/") + path, body=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
                         "dstcode": self.connection.dstcode})
        except urllib3.exceptions.HTTPError as error:  # timeouts, refused connections, resets
            raise PortalUnavailable({"reason": type(error).__name__}) from None
        if response.status >= 500 or response.status == 429:
            raise PortalUnavailable({"http_status": response.status})
        try:
            answer = json.loads(response.data or b"{}")
        except ValueError:
            raise PortalUnavailable({"http_status": response.status, "reason": "not JSON"}) from None
        if not isinstance(answer, dict):
            raise PortalUnavailable({"http_status": response.status, "reason": "not an object"})
        return answer

    def _login(self) -> str:
        answer = self._post(self.connection.auth_path, {"username": self.connection.username,
                                                         "password": self.connection.password})
        session = answer.get("session")
        if str(answer.get("error_code")) not in self.mapping.accepted_codes or not session:
            raise PortalUnavailable({"reason": "login refused", "error_code": str(answer.get("error_code"))})
        return str(session)

    def _token(self, renew: bool = False) -> str:
        with self._lock:
            if renew or self._session is None:
                self._session = self._login()
            return self._session

    def send(self, service: PortalService, records: Sequence[Mapping[str, Any]], *,
             updating: bool = False) -> PortalAnswer:
        body: dict[str, Any] = {"service": service, "madonvi": self.connection.unit_code, "data": list(records)}
        if service == "DongBoHoSoMC":
            body["isUpdating"] = "True" if updating else "False"
        answer = PortalAnswer(error_code="")
        for renew in (False, True):
            raw = self._post(self.connection.integration_path, {"session": self._token(renew), **body})
            answer = PortalAnswer(error_code=str(raw.get("error_code", "")), message=raw.get("message"),
                                  reference=raw.get("reference"))
            if verdict(answer, self.mapping) != "session_expired":
                return answer
        raise PortalUnavailable({"reason": "session refused after a new login", "error_code": answer.error_code})
