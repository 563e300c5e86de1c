"""Powertools idempotency, persisted in the one table (``IDEMPOTENCY#...`` partitions, TTL ``expiration``)."""

from __future__ import annotations

from functools import lru_cache

import boto3
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from motcua.data import table
from motcua.data.models import Item


@lru_cache(maxsize=1)
def persistence_store() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=Item.Meta.table_name,
        key_attr=table.PARTITION_KEY,
        sort_key_attr=table.SORT_KEY,
        static_pk_value="IDEMPOTENCY#motcua",
        expiry_attr=table.TTL_ATTRIBUTE,
    )


def rebind(table_name: str) -> None:
    """Follow ``models.bind``: the store keeps its own table name and client."""
    store = persistence_store()
    store.table_name = table_name
    store.client = boto3.client("dynamodb")  # picks up the current endpoint and credentials
