"""The one table's schema: the single source for pynamodb models, the CDK stack and the local runner.

Single-table design. Items and their keys (``pk`` / ``sk``):

=====================  ==============================  ==============================
item                   pk                              sk
=====================  ==============================  ==============================
procedure              ``PROC#<code>``                 ``PROC``
agency                 ``AGENCY#<code>``               ``AGENCY``
dossier                ``DOSSIER#<id>``                ``DOSSIER``
dossier history event  ``DOSSIER#<id>``                ``EVENT#<occurred_at>#<position>#<event id>``
action applied         ``DOSSIER#<id>``                ``APPLIED#<caller>#<key>`` (with the change; TTL)
index facts            ``DOSSIER#<id>``                ``INDEX#FACTS`` (``motcua.data.index_store``)
evaluation             ``DOSSIER#<id>``                ``EVALUATION`` (the citizen's, ``motcua.data.index_store``)
sync acknowledgement   ``DOSSIER#<id>``                ``SYNCACK#<version>#<event id>`` (``data.national_portal``)
national portal code   ``DOSSIER#<id>``                ``NATIONALCODE`` (a dossier filed on the portal)
postal order           ``DOSSIER#<id>``                ``POSTAL#<kind>`` (``data.postal``: receiver, carrier order)
postal tracking step   ``DOSSIER#<id>``                ``POSTALSTEP#<kind>#<carrier time>#<sequence>`` (each once)
notification delivery  ``DOSSIER#<id>``                ``NOTIFY#<occurred_at>#<event id>#<ref>#<channel>[#<device>]``
outbox event           ``OUTBOX#<event id>``           ``OUTBOX`` (written with the change, claimed by the relay)
payment transaction    ``PAYMENT#<transaction id>``    ``TRANSACTION`` (``data.payment_gateways``; versioned)
receipt code           ``RECEIPT#<code>``              ``RECEIPT`` (points at the dossier)
receipt sequence       ``SEQ#<agency>#<yyMMdd>``       ``SEQ``
index counters         ``AGG#<month>``                 ``UNIT#<unit>`` (one attribute per counter)
index row              ``AGGD#<month>#<unit>``         ``L#``/``D#<dossier id>`` (late or not), ``F#<feedback id>``
index results          ``INDEX#<month>``               ``UNIT#<unit>``, ``SUMMARY``
index configuration    ``INDEXCFG``                    ``<name>``
idempotency record     ``IDEMPOTENCY#<function>``      ``<hash>`` (Powertools)
feedback               ``FEEDBACK#<id>``               ``FEEDBACK`` (``motcua.data.feedback``)
feedback trail event   ``FEEDBACK#<id>``               ``EVENT#<occurred_at>#<position>#<event id>``
stored document        ``CDOC#<id>``                   ``CDOC`` (``motcua.data.citizen_store``)
notification settings  ``CONTACT#<subject>``           ``SETTINGS`` (``motcua.data.contacts``)
push device            ``CONTACT#<subject>``           ``DEVICE#<installation id>``
push token holder      ``PUSHTOKEN#<sha-256>``         ``HOLDER`` (the token's last registrant)
known subject          ``SUBJECT#<subject>``           ``SUBJECT`` (``motcua.data.subjects``: tokens issued)
rate-limit counter     ``RATE#<limit>#<digest>``       ``<window start>`` (TTL; ``motcua.data.rate_limits``)
open step task         ``TASKS#<subject>``             ``<step due UTC>#<dossier id>#<seq>`` (``motcua.data.tasks``)
assignment turn        ``TURN#<agency>#<role>``        ``TURN`` (round-robin counter, ``motcua.data.tasks``)
=====================  ==============================  ==============================

Global secondary indexes (overloaded; each item sets only the keys it needs, so they stay sparse):

- ``gsi1``: listings by kind: ``CATALOGUE`` -> procedures, ``AGENCIES`` -> agencies, ``OUTBOX#PENDING`` -> outbox
  events not yet relayed, sorted by ``<occurred_at>#<event id>``.
- ``gsi2``: an agency's work list, the dossiers it holds now (``current_agency``: the receiving agency until a
  transfer): ``AGENCY#<code>`` sorted by ``<status>#<submitted_at>``.
- ``gsi3``: a citizen's own dossiers: ``OWNER#<subject>`` sorted by ``submitted_at``.
- ``gsi4``: SLA timers (sparse: only dossiers with a timer to fire): ``TIMER#<shard>`` sorted by
  ``<next timer instant, UTC>#<dossier id>`` (``motcua.domain.sla.index_keys``, set on every dossier write).

Feedback and stored documents reuse these indexes: feedback sets ``gsi1`` (``FEEDBACK#PUBLIC`` once published), ``gsi2``
(``FBAGENCY#<code>``), ``gsi3`` (``FBOWNER#<subject>``) and ``gsi4`` (its step timers); stored documents set
``gsi3`` (``CDOCOWNER#<subject>``). Officials' notification settings set ``gsi2`` (``STAFF#<agency>#<role>``,
sorted by subject): an agency's leaders in one query.
"""

from __future__ import annotations

from dataclasses import dataclass

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expiration"


@dataclass(frozen=True)
class GlobalIndex:
    name: str
    partition_key: str
    sort_key: str


GLOBAL_INDEXES: tuple[GlobalIndex, ...] = (
    GlobalIndex("gsi1", "gsi1pk", "gsi1sk"),
    GlobalIndex("gsi2", "gsi2pk", "gsi2sk"),
    GlobalIndex("gsi3", "gsi3pk", "gsi3sk"),
    GlobalIndex("gsi4", "gsi4pk", "gsi4sk"),
)


def key_attributes() -> list[str]:
    """Every attribute that is part of a key: all strings."""
    names = [PARTITION_KEY, SORT_KEY]
    for index in GLOBAL_INDEXES:
        names += [index.partition_key, index.sort_key]
    return names


def create_table_request(table_name: str) -> dict:
    """The ``CreateTable`` request for DynamoDB Local (on-demand, streams on, as in the CDK stack)."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in key_attributes()],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in GLOBAL_INDEXES
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }
