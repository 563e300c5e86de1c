"""Actions per second through the queue consumer, against the DynamoDB work they need.

On the local stack: N dossiers are submitted, then N ``receive`` actions go through the real FIFO actions
queue and the consumer (``motcua.handlers.actions_consumer``, invoked with the SQS event Lambda would build,
in batches of 10). Every DynamoDB call the consumer makes is timed where botocore sends it; the ratio is
the consumer's time over the time those calls took: what the handler, Powertools idempotency and the
domain add on top of the bare storage work. SQS receive/delete time is outside both. The two are measured
in the same batches (interleaved by construction); ``ratio`` is the median over batches of their quotient
(goal <= 1.15), ``ratio_sum`` the quotient of the run's totals.

    PYTHONPATH=.:functions .venv/bin/python benchmarks/actions.py [--n 200]
"""

from __future__ import annotations

import _paths  # noqa: F401  (first: see benchmarks/_paths.py)

# isort: split

import argparse
import json
import statistics
import sys
import time
import uuid

from benchmarks._stack import local_stack

GOAL_RATIO = 1.15  # the consumer's time over its DynamoDB calls' time, at p50 over batches


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="actions to push through the consumer")
    args = parser.parse_args()
    with local_stack(seed=True) as stack:
        import botocore.client

        from infra import declaration
        from infra.local import load_handler, make_context
        from infra.local.pollers import build_sqs_event
        from motcua.domain.actors import Actor, Role
        from motcua.service.actions import service
        from schemas.api import DossierSubmission
        from tests.integration.helpers import COMMUNE, submission

        body = DossierSubmission.model_validate(submission())
        dossiers = [service.submit(body, Actor(subject=f"bench-{i}", role=Role.CITIZEN),
                                   idempotency_key=uuid.uuid4().hex).id for i in range(args.n)]
        sqs, url = stack.client("sqs"), stack.resources.queues["actions"].url
        desk = {"subject": "desk-bench", "role": "reception_officer", "agency_code": COMMUNE}
        for dossier_id in dossiers:
            message = {"source_system": "bench", "action_id": uuid.uuid4().hex, "dossier_id": dossier_id,
                       "action": "receive", "actor": desk, "payload": {}}
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message), MessageGroupId=dossier_id,
                             MessageDeduplicationId=uuid.uuid4().hex)

        storage_s: list[float] = []
        original = botocore.client.BaseClient._make_api_call

        def timed(self, operation, params):  # type: ignore[no-untyped-def]
            if self.meta.service_model.service_name != "dynamodb":
                return original(self, operation, params)
            started = time.perf_counter()
            try:
                return original(self, operation, params)
            finally:
                storage_s.append(time.perf_counter() - started)

        function = declaration.function("actions")
        handler = load_handler(function.handler)
        batch_s: list[float] = []
        batch_storage_s: list[float] = []  # the DynamoDB time inside each batch (same calls: interleaved)
        done = 0
        botocore.client.BaseClient._make_api_call = timed  # type: ignore[method-assign]
        try:
            while done < args.n:
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                               MessageAttributeNames=["All"], WaitTimeSeconds=1).get("Messages", [])
                if not messages:
                    continue
                event = build_sqs_event(messages, stack.resources.queues["actions"].arn)
                storage_before = len(storage_s)
                started = time.perf_counter()
                response = handler(event, make_context(function))
                batch_s.append(time.perf_counter() - started)
                batch_storage_s.append(sum(storage_s[storage_before:]))
                assert response == {"batchItemFailures": []}, response
                for message in messages:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                done += len(messages)
        finally:
            botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]

        consumer_s, bare_s = sum(batch_s), sum(storage_s)
        per_action_ms = statistics.median(b / 10 for b in batch_s) * 1000 if batch_s else 0.0
        bare_per_action_ms = statistics.median(b / 10 for b in batch_storage_s) * 1000 if batch_s else 0.0
        # The goal's ratio: per batch, the consumer's time over its own DynamoDB calls' time, at the median.
        quotients = [b / s for b, s in zip(batch_s, batch_storage_s, strict=True) if s]
        ratio_p50 = statistics.median(quotients) if quotients else 0.0
        print(f"{done} actions in {len(batch_s)} batches: consumer {consumer_s:.2f} s, of which DynamoDB "
              f"{bare_s:.2f} s in {len(storage_s)} calls ({len(storage_s) / max(done, 1):.1f} per action)")
        verdict = "met" if ratio_p50 <= GOAL_RATIO else "NOT met"
        print(f"ratio consumer / its DynamoDB calls: p50 over batches {ratio_p50:.3f}, over the run "
              f"{consumer_s / bare_s:.3f} (goal <= {GOAL_RATIO} at p50: {verdict})")
        print(f"n={done} actions_per_s={done / consumer_s:.1f} bare_actions_per_s={done / bare_s:.1f} "
              f"ratio={ratio_p50:.3f} ratio_sum={consumer_s / bare_s:.3f} p50_ms_per_action={per_action_ms:.2f} "
              f"bare_p50_ms_per_action={bare_per_action_ms:.2f} "
              f"dynamodb_calls_per_action={len(storage_s) / max(done, 1):.1f} "
              f"goal_met={str(ratio_p50 <= GOAL_RATIO).lower()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
