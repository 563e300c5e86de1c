"""Storage outage in the middle of a load of submissions (run by ``test_faults.py`` in its own process).

DynamoDB Local persists to a temporary directory; submissions run from several threads; part-way the
engine is stopped, then started again on the same port and data. Prints one JSON line: what every client
got back and what the table holds afterwards, for the test to judge.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from infra.local.engines import dynamodb_local, free_port, moto_server
from infra.local.env import Endpoints, local_environment
from infra.local.resources import create_all


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="motcua-outage-"))
    ddb_port = free_port()
    ddb = dynamodb_local(ddb_port, data_dir)
    moto = moto_server(free_port())
    for engine in (ddb, moto):
        engine.start()
    for engine in (ddb, moto):
        engine.wait_ready()
    results: list[dict] = []
    try:
        endpoints = Endpoints(dynamodb=ddb.endpoint, moto=moto.endpoint)
        os.environ.update(local_environment(endpoints))
        # Fail fast while the engine is down, as a Lambda would within its timeout.
        os.environ["AWS_MAX_ATTEMPTS"] = "2"
        os.environ["AWS_RETRY_MODE"] = "standard"
        create_all(endpoints)
        from motcua.cli.catalogue_cmds import seed_catalogue
        from tests.api_client import ApiClient
        from tests.integration.helpers import submission, submit_headers

        seed_catalogue(os.environ["TABLE_NAME"])
        client = ApiClient()
        lock = threading.Lock()
        stop_after = threading.Event()

        per_worker = int(os.environ.get("OUTAGE_PER_WORKER", "12"))
        # The citizens signed in before the outage (signing in registers them, and needs the table too).
        signed_in = {(i, n): submit_headers(f"citizen-{i}-{n}", uuid.uuid4().hex)
                     for i in range(4) for n in range(per_worker)}

        def worker(index: int) -> None:
            for n in range(per_worker):
                headers = signed_in[(index, n)]
                key = headers["idempotency-key"]
                response = client.post("/dossiers", json=submission(), headers=headers)
                with lock:
                    results.append({"status": response.status, "body": response.json(), "key": key})
                    if len(results) == 10:
                        stop_after.set()
                time.sleep(0.05)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        stop_after.wait(120)
        ddb.stop()  # the outage
        time.sleep(2)
        ddb.start()
        ddb.wait_ready()
        for thread in threads:
            thread.join()
        import boto3

        items = []
        kwargs: dict = {"TableName": os.environ["TABLE_NAME"]}
        while True:
            page = boto3.client("dynamodb").scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        dossiers = {i["pk"]["S"][len("DOSSIER#"):]: json.loads(i["doc"]["S"]) for i in items
                    if i["sk"]["S"] == "DOSSIER"}
        receipts = {i["pk"]["S"][len("RECEIPT#"):]: i["dossier_id"]["S"] for i in items if i["sk"]["S"] == "RECEIPT"}
        events = {i["pk"]["S"][len("DOSSIER#"):] for i in items if i["sk"]["S"].startswith("EVENT#")}
        counters = {i["pk"]["S"]: int(i["value"]["N"]) for i in items if i["sk"]["S"] == "SEQ"}
        print(json.dumps({"results": results, "dossiers": {k: v["receipt_code"] for k, v in dossiers.items()},
                          "receipts": receipts, "with_events": sorted(events), "counters": counters}))
        return 0
    finally:
        for engine in (moto, ddb):
            engine.stop()


if __name__ == "__main__":
    sys.exit(main())
