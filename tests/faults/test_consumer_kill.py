"""Faults: the actions consumer SIGKILLed mid-batch, twice, and started again; every message acts once.

The consumers are separate processes (``consumer_kill_scenario.py``: the real poller and handler), so a
kill is a real SIGKILL: no ``finally``, no deletes, Powertools' INPROGRESS records left behind. The
engines are the session's; the queue is a FIFO queue declared like ``actions`` (same redrive count) but
with a short visibility timeout, longer than the short function timeout, as the stack's are (180 s > 60 s).
See the scenario module's docstring for how this maps to Lambda.
"""

from __future__ import annotations

import dataclasses
import json
import signal
from pathlib import Path
from typing import Any

from infra import declaration
from infra.local.resources import create_queue
from motcua.cli.catalogue_cmds import seed_catalogue
from tests.api_client import ApiClient
from tests.conftest import LocalStack
from tests.faults.consumer_kill_scenario import (
    BATCH_SIZE,
    ENV_ARN,
    ENV_KILL_AFTER_COMMIT,
    ENV_PAUSE,
    ENV_URL,
    KILL_QUEUE,
    TIMEOUT_S,
    VISIBILITY_S,
    WATCHDOG_EXIT,
    ConsumerFleet,
    Feeder,
    applied_changes,
    drain_dlq,
    queue_counts,
    scan_all,
    stored_outcomes,
    wait_until,
)
from tests.integration.helpers import COMMUNE, submission, submit_headers

DESK = {"subject": "officer-lan", "role": "reception_officer", "agency_code": COMMUNE}
PROCESSOR = {"subject": "officer-minh", "role": "processing_officer", "agency_code": COMMUNE}
# Status-changing and status-neutral actions alike (record_payment changes no status: only the domain's own
# guard would stop a second one).
CHAIN: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("receive", DESK, {}),
    ("start_processing", PROCESSOR, {}),
    ("request_payment", PROCESSOR, {"amount_vnd": 50000, "description": "Lệ phí đăng ký"}),
    ("record_payment", DESK, {"amount_vnd": 50000, "online": True}),
    ("resume_processing", PROCESSOR, {}),
    ("decide", PROCESSOR, {"electronic": True}),
    ("return_result", DESK, {"method": "electronic"}),
]
DOSSIERS = BATCH_SIZE  # a batch holds one action of each dossier (see Feeder)
RETURNED = 10
AUDIT_ONLY = {"read_personal_data"}


def _chain(dossier_id: str) -> list[dict[str, Any]]:
    return [{"source_system": "tthc-lamdong", "action_id": f"tthc-{dossier_id[:8]}-{position}",
             "dossier_id": dossier_id, "action": name, "actor": actor, "payload": payload}
            for position, (name, actor, payload) in enumerate(CHAIN)]


def test_a_consumer_killed_mid_batch_applies_every_message_exactly_once(
    local_stack: LocalStack, clean_table: str, tmp_path: Path
) -> None:
    # The relation that makes this safe in the cloud holds in the declaration, and in this test.
    assert declaration.queue("actions").visibility_timeout_s > declaration.function("actions").timeout_s
    assert VISIBILITY_S > TIMEOUT_S

    # Given three submitted dossiers, and their seven actions each coming on a FIFO queue (grouped by dossier)
    seed_catalogue(clean_table)
    sqs, dynamodb = local_stack.client("sqs"), local_stack.client("dynamodb")
    queue = dataclasses.replace(declaration.queue("actions"), name=KILL_QUEUE, visibility_timeout_s=VISIBILITY_S)
    urls = create_queue(sqs, queue)
    fleet = ConsumerFleet(env={ENV_URL: urls.url, ENV_ARN: urls.arn, "ACTIONS_DLQ_URL": urls.dlq_url},
                          log_dir=tmp_path)
    feeder: Feeder | None = None
    try:
        # (the three consumers start now and warm up meanwhile; each polls only when its turn comes)
        a, b, c = fleet.start(**{ENV_PAUSE: "1.0"}), fleet.start(**{ENV_KILL_AFTER_COMMIT: "1"}), fleet.start()
        api = ApiClient()
        dossier_ids = []
        for n in range(DOSSIERS):
            response = api.post("/dossiers", json=submission("1.001266"), headers=submit_headers(f"citizen-k{n}"))
            assert response.status == 201, response.text
            dossier_ids.append(response.json()["id"])
        feeder = Feeder(sqs, dynamodb, clean_table, urls.url, {d: _chain(d) for d in dossier_ids})
        total = feeder.total
        feeder.start()

        # When consumer A, slow inside each record (Powertools' INPROGRESS saved, nothing else written), is
        # SIGKILLed from outside once two actions are in the table, in the middle of its first batch
        fleet.go(a)
        assert wait_until(lambda: applied_changes(dynamodb, clean_table) >= 2, 90), a.output()[-3000:]
        fleet.kill(a)
        at_first_kill = applied_changes(dynamodb, clean_table)
        assert a.process.returncode == -signal.SIGKILL
        assert at_first_kill < BATCH_SIZE, a.output()  # A's first batch was not finished: killed mid-batch

        # and consumer B kills itself right after a dossier change has committed, before Powertools marks
        # the record COMPLETED (a batch untouched by the first kill)
        fleet.go(b)
        assert wait_until(lambda: b.process.poll() is not None, 100, every_s=0.2), b.output()[-3000:]
        assert b.process.returncode == -signal.SIGKILL, b.output()[-3000:]
        assert "killing self after commit" in b.output()
        # Then the worst case is really on the table: a committed change whose record is still INPROGRESS.
        assert any(o["status"] == "INPROGRESS" for o in stored_outcomes(dynamodb, clean_table))
        assert applied_changes(dynamodb, clean_table) > at_first_kill

        # and consumers started again until the queue is empty (a function timeout ends one, as Lambda does)
        def drained() -> bool:
            return (sum(feeder.sent.values()) == total and not any(queue_counts(sqs, urls.url).values())
                    and applied_changes(dynamodb, clean_table) >= total)

        def diagnose() -> str:
            logs = "\n".join(f"--- consumer {n} (exit {x.process.returncode})\n{x.output()[-2000:]}"
                             for n, x in enumerate(fleet.started))
            statuses = [o["status"] for o in stored_outcomes(dynamodb, clean_table)]
            return (f"queue {queue_counts(sqs, urls.url)}, applied {applied_changes(dynamodb, clean_table)}/{total}, "
                    f"sent {feeder.sent}, feeder error {feeder.error!r}, idempotency {statuses}\n{logs}")

        timeouts = 0
        while not drained():
            fleet.go(c)
            wait_until(lambda: drained() or c.process.poll() is not None, 100, every_s=0.2)  # noqa: B023
            fleet.stop(c)
            if c.process.returncode == WATCHDOG_EXIT:
                timeouts += 1
                assert timeouts <= 2, c.output()[-3000:]
                c = fleet.start()
                continue
            assert drained(), diagnose()
    finally:
        if feeder is not None:
            feeder.done.set()
        fleet.close()
    assert feeder is not None and feeder.error is None

    # Then every message took effect exactly once: each dossier went through its chain once, in order
    items = scan_all(dynamodb, clean_table)
    for dossier_id in dossier_ids:
        stored = next(i for i in items if i["pk"]["S"] == f"DOSSIER#{dossier_id}" and i["sk"]["S"] == "DOSSIER")
        events = [json.loads(i["doc"]["S"]) for i in sorted(items, key=lambda i: i["sk"]["S"])
                  if i["pk"]["S"] == f"DOSSIER#{dossier_id}" and i["sk"]["S"].startswith("EVENT#")]
        actions = [e["action"] for e in events if e["action"] not in AUDIT_ONLY]
        # No refusal on the trail either: a redelivered message that already took effect is not "refused".
        assert actions == ["submit", "receive", "start_processing", "request_payment", "record_payment",
                           "resume_processing", "decide", "issue_electronic_result", "return_result"], actions
        assert int(stored["version"]["N"]) == 1 + len(CHAIN)
        assert json.loads(stored["doc"]["S"])["status"] == RETURNED
        # and announced each status change once (the outbox is written in the change's own transaction)
        announced = sorted(json.loads(i["doc"]["S"])["data"]["action"] for i in items
                           if i["pk"]["S"].startswith("OUTBOX#") and f'"{dossier_id}"' in i["doc"]["S"])
        moved = sorted(e["action"] for e in events if e["from_status"] != e["to_status"])
        assert announced == moved and len(set(moved)) == len(moved), (announced, moved)
    # and every message's stored outcome says so, and nothing was parked or dead-lettered
    outcomes = stored_outcomes(dynamodb, clean_table)
    assert len(outcomes) == total
    assert all(o["status"] == "COMPLETED" and o["outcome"]["result"] == "applied" for o in outcomes), outcomes
    assert drain_dlq(sqs, urls.dlq_url) == []
    assert not any(queue_counts(sqs, urls.url).values())

