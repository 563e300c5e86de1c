"""Powertools idempotency, persisted in the one table (``IDEMPOTENCY#<function>`` partitions, TTL
``expiration``).

One persistence layer per idempotent function: Powertools configures a layer once, with the first
function's key expression, and would silently skip idempotency for another function sharing it. Every layer
sends through the process's one DynamoDB client (``models.dynamodb_client``), made when a request first needs
it: the layers are built at import (by the decorators), and Powertools' own default would build a new boto3
session and client for each of them there, the largest part of a cold start (docs/benchmarks.md).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from motcua.data import table
from motcua.data.models import Item, dynamodb_client

# How long a key is remembered. A client retries within the day (API requests); a queued message can come back
# from its DLQ as late as SQS keeps it there, 14 days (infra/declaration.py SQS_MAX_RETENTION_DAYS, tested).
CLIENT_RETRY_WINDOW_S = 24 * 3600
REDRIVE_WINDOW_S = 14 * 24 * 3600

_STORES: dict[str, DynamoDBPersistenceLayer] = {}


class _NoClientYet:
    """Given to Powertools as ``boto3_client`` so that it builds none (it only registers a user-agent hook on it,
    and skips that for an object without botocore's event system)."""


class _TableStore(DynamoDBPersistenceLayer):
    """Powertools' DynamoDB layer on the process's one client, read when a record is read or written."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(boto3_client=_NoClientYet(), **kwargs)  # type: ignore[arg-type]
        self._built = True

    # Powertools hashes the key and the payload of one invocation twice each (the in-progress record, then the
    # completed one), from the same ``data`` dict: each hash is remembered for that very object (held, so its
    # identity cannot be reused by another) and computed once.
    _hashed_for: tuple[Any, str | None, str] | None = None

    def _hashes(self, data: dict[str, Any]) -> tuple[str | None, str]:
        remembered = self._hashed_for
        if remembered is None or remembered[0] is not data:
            remembered = (data, super()._get_hashed_idempotency_key(data), super()._get_hashed_payload(data))
            self._hashed_for = remembered
        return remembered[1], remembered[2]

    def _get_hashed_idempotency_key(self, data: dict[str, Any]) -> str | None:
        return self._hashes(data)[0]

    def _get_hashed_payload(self, data: dict[str, Any]) -> str:
        return self._hashes(data)[1]

    @property  # type: ignore[override]
    def client(self) -> Any:
        return dynamodb_client() if getattr(self, "_built", False) else _NoClientYet()

    @client.setter
    def client(self, _value: Any) -> None:
        """Powertools' ``__init__`` assigns the client it was given; the shared one is always used instead."""

    @property  # type: ignore[override]
    def table_name(self) -> str:
        """The models' table, read on every call: ``models.bind`` moves the stores with the models."""
        return Item.Meta.table_name

    @table_name.setter
    def table_name(self, _value: str) -> None:
        """Powertools' ``__init__`` assigns the name it was given; the models' binding is always used instead."""


def persistence_store(function: str) -> DynamoDBPersistenceLayer:
    if function not in _STORES:
        _STORES[function] = _TableStore(
            table_name=Item.Meta.table_name,
            key_attr=table.PARTITION_KEY,
            sort_key_attr=table.SORT_KEY,
            static_pk_value=f"IDEMPOTENCY#{function}",
            expiry_attr=table.TTL_ATTRIBUTE,
        )
    return _STORES[function]
