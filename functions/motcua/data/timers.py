"""The SLA timers index (``gsi4``, sparse): the only reader of it. Keys are computed by
``motcua.domain.sla.index_keys`` and written with the dossier item itself (``transactions.dossier_item``).

A sweep asks one shard at a time for the entries whose next timer is due (``gsi4sk <= now``), a bounded page at
a time: it reads only what is due, never the open dossiers that are not. The index projects the whole item, so
an entry carries the dossier and its version: firing writes guarded by that version, and a stale entry (the
dossier changed since the index was updated) fails the guard and is re-read consistently by the caller.

Citizens' feedback is the second kind of item in the same index (``FEEDBACK#`` items, keys from
``motcua.domain.feedback.timers.index_keys``); a page returns both kinds, the sweep fires each with its own rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from motcua.data.models import DossierItem, dynamodb_client
from motcua.domain.dossier import Dossier
from motcua.domain.feedback import Feedback
from motcua.domain.feedback.timers import index_keys as feedback_index_keys
from motcua.domain.sla import index_keys, sweep_upper_bound

INDEX = "gsi4"
FEEDBACK_PREFIX = "FEEDBACK#"


def _dynamodb() -> Any:
    return dynamodb_client()


@dataclass(frozen=True)
class DueEntry:
    dossier: Dossier
    index_sk: str  # the sort key the entry was found under


@dataclass(frozen=True)
class FeedbackDueEntry:
    """A citizen's feedback whose step timer is due (the second kind of item in the index)."""

    feedback: Feedback
    index_sk: str


@dataclass(frozen=True)
class DuePage:
    entries: list[DueEntry]
    next_key: dict[str, Any] | None  # pass back as ``start_key`` for the next page
    items_read: int  # items the query read (ScannedCount): the cost measure
    read_units: float  # read capacity consumed (0 when the engine does not report it)
    feedback: list[FeedbackDueEntry] = field(default_factory=list)


class TimerIndex:
    def due_page(self, shard: int, now: datetime, *, limit: int = 100,
                 start_key: dict[str, Any] | None = None) -> DuePage:
        """One page of the shard's entries due at ``now``, earliest first."""
        request: dict[str, Any] = {
            "TableName": DossierItem.Meta.table_name,
            "IndexName": INDEX,
            "KeyConditionExpression": "gsi4pk = :shard AND gsi4sk <= :upper",
            "ExpressionAttributeValues": {":shard": {"S": f"TIMER#{shard}"},
                                          ":upper": {"S": sweep_upper_bound(now)}},
            "Limit": limit,
            "ReturnConsumedCapacity": "TOTAL",
        }
        if start_key:
            request["ExclusiveStartKey"] = start_key
        response = _dynamodb().query(**request)
        entries: list[DueEntry] = []
        feedback: list[FeedbackDueEntry] = []
        for item in response.get("Items", []):
            if item["pk"]["S"].startswith(FEEDBACK_PREFIX):
                feedback.append(FeedbackDueEntry(Feedback.model_validate_json(item["doc"]["S"]), item["gsi4sk"]["S"]))
            else:
                entries.append(DueEntry(Dossier.model_validate_json(item["doc"]["S"]), item["gsi4sk"]["S"]))
        capacity = float((response.get("ConsumedCapacity") or {}).get("CapacityUnits") or 0.0)
        return DuePage(entries, response.get("LastEvaluatedKey"),
                       int(response.get("ScannedCount", len(entries) + len(feedback))), capacity, feedback)

    def reindex(self, dossier: Dossier) -> bool:
        """Rewrite only the dossier's index keys from its current timers (no version bump: nothing about the
        dossier changes), guarded by its version; False if the dossier moved on meanwhile (its own write
        re-indexed it). For entries that turn out to have nothing due (e.g. the timer configuration changed)."""
        return self.reindex_item(f"DOSSIER#{dossier.id}", "DOSSIER", dossier.version, index_keys(dossier))

    def reindex_feedback(self, fb: Feedback) -> bool:
        """The same for a feedback item."""
        return self.reindex_item(f"{FEEDBACK_PREFIX}{fb.id}", "FEEDBACK", fb.version, feedback_index_keys(fb))

    def reindex_item(self, pk: str, sk: str, version: int, keys: tuple[str, str] | None) -> bool:
        request: dict[str, Any] = {
            "TableName": DossierItem.Meta.table_name,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {":v": {"N": str(version)}},
        }
        if keys is None:
            request["UpdateExpression"] = "REMOVE gsi4pk, gsi4sk"
        else:
            request["UpdateExpression"] = "SET gsi4pk = :pk, gsi4sk = :sk"
            request["ExpressionAttributeValues"].update({":pk": {"S": keys[0]}, ":sk": {"S": keys[1]}})
        client = _dynamodb()
        try:
            client.update_item(**request)
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True


def open_dossiers_of(agency_code: str, statuses: Iterable[int]) -> Iterator[Dossier]:
    """The dossiers an agency holds now that are in ``statuses`` (its work list, ``gsi2``:
    ``AGENCY#<code>`` / ``<status:02d>#<submitted_at>``), every page."""
    client = _dynamodb()
    for status in statuses:
        request: dict[str, Any] = {
            "TableName": DossierItem.Meta.table_name,
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :agency AND begins_with(gsi2sk, :status)",
            "ExpressionAttributeValues": {":agency": {"S": f"AGENCY#{agency_code}"},
                                          ":status": {"S": f"{status:02d}#"}},
        }
        while True:
            response = client.query(**request)
            for item in response.get("Items", []):
                yield Dossier.model_validate_json(item["doc"]["S"])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
