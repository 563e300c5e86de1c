"""Powertools idempotency, persisted in the one table (``IDEMPOTENCY#<function>`` partitions, TTL
``expiration``).

One persistence layer per idempotent function: Powertools configures a layer once, with the first
function's key expression, and would silently skip idempotency for another function sharing it.
"""

from __future__ import annotations

import boto3
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from motcua.data import table
from motcua.data.models import Item

_STORES: dict[str, DynamoDBPersistenceLayer] = {}


def persistence_store(function: str) -> DynamoDBPersistenceLayer:
    if function not in _STORES:
        _STORES[function] = DynamoDBPersistenceLayer(
            table_name=Item.Meta.table_name,
            key_attr=table.PARTITION_KEY,
            sort_key_attr=table.SORT_KEY,
            static_pk_value=f"IDEMPOTENCY#{function}",
            expiry_attr=table.TTL_ATTRIBUTE,
        )
    return _STORES[function]


def rebind(table_name: str) -> None:
    """Follow ``models.bind``: each store keeps its own table name and client."""
    for store in _STORES.values():
        store.table_name = table_name
        store.client = boto3.client("dynamodb")  # picks up the current endpoint and credentials
