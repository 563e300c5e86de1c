"""pynamodb models of the one table (schema in ``motcua.data.table``). Only the data layer imports this.

Domain objects are stored whole as JSON in ``doc`` (read back through pydantic); the attributes next to
it are the keys and the few fields conditions and indexes need. The table name is bound at cold start
(``bind``), not at import, so one process can point at another table (tests, tools).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from motcua.data import table
from motcua.settings import aws_endpoint_url, environment


class _Meta:
    table_name = environment().table_name or "motcua-main"
    region = environment().region
    max_retry_attempts = 3


def shared_connection() -> Connection:
    """The process's one pynamodb ``Connection`` with no table (transactions), made on first use."""
    return _connection_for(_Meta.region, _Meta.max_retry_attempts, aws_endpoint_url("dynamodb"))


@lru_cache(maxsize=8)
def _connection_for(region: str, max_retry_attempts: int, endpoint: str | None) -> Connection:
    # Keyed on the endpoint too: a test process that moves to another DynamoDB gets a client for it.
    return Connection(region=region, max_retry_attempts=max_retry_attempts)


def dynamodb_client() -> Any:
    """The process's one DynamoDB client (botocore), made on first use, never at import: every model, every
    transaction, Powertools idempotency and the low-level reads send through it. A client costs tens of
    milliseconds to build (more in a new session), and a cold start used to build nine."""
    return shared_connection().client


class Item(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name=table.PARTITION_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=table.SORT_KEY)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Every model caches its own connection. pynamodb looks ``_connection`` up like any class attribute:
        # a model without one reuses its parent's (same table name), built without this model's indexes, and
        # its index queries then fail with "no index" or not, depending on which model was used first.
        cls._connection = None

    @classmethod
    def _get_connection(cls) -> TableConnection:
        # Each model keeps its own table connection (its indexes), all of them on the one shared client.
        connection = super()._get_connection()
        connection.connection._client = dynamodb_client()
        return connection


class ListingIndex(GlobalSecondaryIndex):
    """``gsi1``: every item of one kind under one partition (``CATALOGUE``, ``AGENCIES``)."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ProcedureItem(Item):
    class Meta(_Meta):
        pass

    gsi1pk = UnicodeAttribute(default="CATALOGUE")
    gsi1sk = UnicodeAttribute()
    listing = ListingIndex()
    doc = UnicodeAttribute()


class AgencyItem(Item):
    class Meta(_Meta):
        pass

    gsi1pk = UnicodeAttribute(default="AGENCIES")
    gsi1sk = UnicodeAttribute()
    listing = ListingIndex()
    doc = UnicodeAttribute()


class OwnerIndex(GlobalSecondaryIndex):
    """``gsi3``: a citizen's own dossiers, newest last (``OWNER#<subject>`` / ``<submitted_at>``)."""

    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class DossierItem(Item):
    class Meta(_Meta):
        pass

    by_owner = OwnerIndex()

    gsi2pk = UnicodeAttribute()  # AGENCY#<code>
    gsi2sk = UnicodeAttribute()  # <status:02d>#<submitted_at>
    gsi3pk = UnicodeAttribute()  # OWNER#<subject>
    gsi3sk = UnicodeAttribute()  # <submitted_at>
    gsi4pk = UnicodeAttribute(null=True)  # TIMER#<shard> while an SLA timer is pending (sparse: else absent)
    gsi4sk = UnicodeAttribute(null=True)  # <next timer instant UTC>#<dossier id>
    status = NumberAttribute()
    version = VersionAttribute()
    doc = UnicodeAttribute()


class HistoryItem(Item):
    class Meta(_Meta):
        pass

    doc = UnicodeAttribute()


class OutboxItem(Item):
    """An event to deliver (``OUTBOX#<event id>``), written in the same transaction as the change.

    While pending it sits in ``gsi1`` under ``OUTBOX#PENDING`` (sorted by time); the relay removes those
    keys once the event is on the notifications queue, so the index only ever holds what is undelivered.
    """

    class Meta(_Meta):
        pass

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    pending = ListingIndex()
    type = UnicodeAttribute()
    doc = UnicodeAttribute()
    relayed_at = UnicodeAttribute(null=True)


class ReceiptItem(Item):
    """``RECEIPT#<code>``: makes receipt codes unique forever and gives public tracking a consistent read."""

    class Meta(_Meta):
        pass

    dossier_id = UnicodeAttribute()


class SequenceItem(Item):
    """Receipt-code sequence per agency per day (``SEQ#<agency>#<yyMMdd>``)."""

    class Meta(_Meta):
        pass

    value = NumberAttribute(default=0)


ALL_MODELS: tuple[type[Item], ...] = (Item, ProcedureItem, AgencyItem, DossierItem, HistoryItem, OutboxItem,
                                        ReceiptItem,
                                        SequenceItem)


def bind(table_name: str) -> None:
    """Point every model at ``table_name`` (and drop cached connections, which hold the old name)."""
    for model in ALL_MODELS:
        model.Meta.table_name = table_name
        model._connection = None
