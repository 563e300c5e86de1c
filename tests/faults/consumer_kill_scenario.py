"""The actions consumer killed mid-batch and started again (driven by ``test_consumer_kill.py``).

Two halves:

- ``consume()`` (``python -m tests.faults.consumer_kill_scenario``) is ONE consumer process: the real
  ``QueuePoller`` (Lambda's event source mapping, emulated) invoking the real handler
  (``motcua.handlers.actions_consumer.handler``) on batches from a FIFO queue declared like ``actions``,
  until it is killed or told to stop. Faults are injected by environment variables, in this process only
  (production code carries no test hooks): a pause inside each record after Powertools has saved its
  INPROGRESS record, and a self-SIGKILL right after a dossier change has committed but before Powertools
  marks the record COMPLETED (the narrowest and worst window).
- ``ConsumerFleet`` (used by the test) starts such processes one after another, SIGKILLs them, and reads
  what the queue and the table hold.

How this maps to Lambda
-----------------------
A Lambda invocation that dies (timeout, out of memory, a crashed runtime) deletes nothing: the event source
mapping deletes a batch's messages only after the function returns, so SQS makes all of them visible again
once the *visibility timeout* has passed, and invokes the function with them again. Records the dead
invocation had finished are COMPLETED in the idempotency store and are answered from it; the record it was
in the middle of is INPROGRESS. Powertools gives an INPROGRESS record an expiry equal to the invocation's
remaining time (``register_lambda_context``): after the function's timeout nobody can still be working on
it, and the next attempt takes it over. That only works if SQS waits longer than the function may run:
**visibility timeout > function timeout** (AWS recommends 6x; the stack declares 180 s against 60 s).
Otherwise the redelivered record meets a live INPROGRESS record, fails, and burns a receive on the way to
the DLQ. Here the same relation holds on a small scale: ``TIMEOUT_S`` as the function timeout (the Lambda
context's remaining time, and a watchdog that ends this process at the deadline, as Lambda ends the
sandbox) and ``VISIBILITY_S`` > ``TIMEOUT_S`` on the test's queue.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[2]
BOOT = time.monotonic()

TIMEOUT_S = 20  # the function timeout of the test (the declared one is 60 s); room for a loaded 2-core machine
VISIBILITY_S = 25  # the test queue's visibility timeout: > TIMEOUT_S (declared: 180 s)
BATCH_SIZE = 3
KILL_QUEUE = "actions-killtest"  # declared like `actions` (FIFO, same redrive count), short timeouts

# What a consumer process reads from its environment.
ENV_URL, ENV_ARN = "KILLTEST_QUEUE_URL", "KILLTEST_QUEUE_ARN"
ENV_PAUSE = "KILLTEST_PAUSE_IN_RECORD_S"  # sleep inside each record, after INPROGRESS was saved
ENV_KILL_AFTER_COMMIT = "KILLTEST_KILL_AFTER_COMMIT"  # "1": SIGKILL self after the first commit of a fresh batch
ENV_GO = "KILLTEST_GO_FILE"  # poll only once this file exists (the process starts, warm, ahead of its turn)
WATCHDOG_EXIT = 124  # exit status when the watchdog ended an invocation that outran TIMEOUT_S


# --- one consumer process ----------------------------------------------------------------------------

def _say(line: str) -> None:
    print(line, flush=True)


def _install_faults(fresh_batch: Callable[[], bool]) -> None:
    """Wrap the service the handler uses (this process only) with the configured faults."""
    from motcua.service import actions

    service = actions.service
    pause = float(os.environ.get(ENV_PAUSE, "0") or 0)
    if pause:
        act = service.act

        def slow_act(*args: Any, **kwargs: Any) -> Any:
            time.sleep(pause)  # Powertools has saved INPROGRESS for this record; nothing else is written yet
            return act(*args, **kwargs)

        service.act = slow_act  # type: ignore[method-assign]

    kill_after_commit = os.environ.get(ENV_KILL_AFTER_COMMIT) == "1"
    save_change = service.dossiers.save_change

    def save_then_maybe_die(*args: Any, **kwargs: Any) -> Any:
        saved = save_change(*args, **kwargs)
        _say(f"committed {saved.id[:8]} v{saved.version} at {time.monotonic() - BOOT:.2f} s")  # for failures
        # Only in a batch no earlier kill touched (every receive count 1): a message is killed at most once,
        # so none reaches the DLQ's receive count because of the test's own kills.
        if kill_after_commit and fresh_batch():
            _say(f"killing self after commit of {saved.id[:8]} v{saved.version}")
            os.kill(os.getpid(), signal.SIGKILL)
        return saved

    service.dossiers.save_change = save_then_maybe_die  # type: ignore[method-assign]


@dataclasses.dataclass
class _Invocation:
    fresh: bool = False  # every record of the batch is on its first receive
    deadline: float = 0.0  # monotonic time the function timeout ends it; 0 between invocations


def _warm_up(sqs: Any) -> None:
    """Create the clients a first batch would (one per pynamodb model, Powertools', SQS's) before polling: on
    a loaded machine they take seconds, which would eat into the short function timeout of the test."""
    from motcua.data.idempotency import persistence_store
    from motcua.data.repositories import DossierNotFound
    from motcua.service import actions

    with contextlib.suppress(DossierNotFound):
        actions.service.dossiers.get("0" * 32)
    actions.service.dossiers.applied("0" * 32, "warm-up")
    actions.service.dossiers.history("0" * 32)
    persistence_store("queued-action").client.describe_table(TableName=os.environ["TABLE_NAME"])
    sqs.get_queue_attributes(QueueUrl=os.environ[ENV_URL], AttributeNames=["QueueArn"])


def consume() -> int:
    from infra import declaration
    from infra.declaration import QueueTrigger
    from infra.local import Invoker
    from infra.local.pollers import QueuePoller

    actions = declaration.function("actions")
    # The declared consumer, with the test's function timeout and batch size.
    function = dataclasses.replace(actions, timeout_s=TIMEOUT_S,
                                   triggers=(QueueTrigger(KILL_QUEUE, batch_size=BATCH_SIZE),))
    state = _Invocation()

    class LambdaLike(Invoker):
        """One invocation at a time, ended at the function timeout as Lambda ends the sandbox."""

        def __call__(self, event: Any) -> Any:
            counts = [int(r["attributes"].get("ApproximateReceiveCount", "1")) for r in event["Records"]]
            state.fresh = all(c == 1 for c in counts)
            _say(f"batch of {len(counts)} (receive counts {counts})")
            started = time.monotonic()
            state.deadline = started + TIMEOUT_S
            try:
                return super().__call__(event)
            finally:
                state.deadline = 0.0
                _say(f"batch done in {time.monotonic() - started:.2f} s")

    def watchdog() -> None:
        while True:
            time.sleep(0.1)
            if state.deadline and time.monotonic() > state.deadline:
                _say("function timeout: the invocation is ended")
                os._exit(WATCHDOG_EXIT)

    invoker = LambdaLike(function)
    invoker.handler  # noqa: B018 - import the handler (cold start) before receiving anything
    import boto3

    sqs = boto3.client("sqs")
    _warm_up(sqs)
    _install_faults(lambda: state.fresh)
    threading.Thread(target=watchdog, daemon=True).start()
    poller = QueuePoller(invoker, function.triggers[0], os.environ[ENV_URL], os.environ[ENV_ARN],  # type: ignore[arg-type]
                         sqs)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    _say(f"ready after {time.monotonic() - BOOT:.1f} s")
    go = Path(os.environ[ENV_GO])
    while not go.exists() and not stop.is_set():
        time.sleep(0.05)
    while not stop.is_set():
        poller.poll_once()
    return 0


# --- the test's side ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Consumer:
    process: subprocess.Popen[str]
    log: TextIO
    log_path: Path
    go_path: Path

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@dataclasses.dataclass
class ConsumerFleet:
    """Starts consumer processes against one queue, one at a time, as the event source mapping invokes."""

    env: dict[str, str]
    log_dir: Path
    started: list[Consumer] = dataclasses.field(default_factory=list)

    def start(self, **faults: str) -> Consumer:
        """A consumer process, started and warming up; it polls once ``go`` is called."""
        number = len(self.started)
        env = {**os.environ, **self.env, **faults, ENV_GO: str(self.log_dir / f"go-{number}"),
               "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'functions'}", "PYTHONUNBUFFERED": "1"}
        path = self.log_dir / f"consumer-{number}.log"
        log = path.open("w", encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.consumer_kill_scenario"], cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        consumer = Consumer(process, log, path, self.log_dir / f"go-{number}")
        self.started.append(consumer)
        return consumer

    def wait_ready(self, consumer: Consumer, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while "ready" not in consumer.output():
            if consumer.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"consumer did not start:\n{consumer.output()[-3000:]}")
            time.sleep(0.1)

    def go(self, consumer: Consumer) -> None:
        self.wait_ready(consumer)
        consumer.go_path.touch()

    @staticmethod
    def kill(consumer: Consumer) -> None:
        with contextlib.suppress(ProcessLookupError):
            consumer.process.send_signal(signal.SIGKILL)
        consumer.process.wait(10)

    @staticmethod
    def stop(consumer: Consumer) -> None:
        if consumer.process.poll() is None:
            consumer.process.terminate()
            try:
                consumer.process.wait(20)
            except subprocess.TimeoutExpired:
                consumer.process.kill()
                consumer.process.wait(10)

    def close(self) -> None:
        for consumer in self.started:
            if consumer.process.poll() is None:
                self.kill(consumer)
            consumer.log.close()


class Feeder(threading.Thread):
    """Sends each dossier's next action once the previous one shows in the table, as an official acts on
    what they see: one message per dossier (message group) on the queue at a time.

    This also keeps the test clear of a moto bug (5.2): when several messages of one FIFO group are in flight
    and their visibility timeout passes together, moto frees the group only on the LAST of them and returns
    that one first, out of order; real SQS keeps the order. A killed batch holding two actions of one
    dossier would then see the later one refused and the earlier one applied after it, a failure of the
    emulator, not of the consumer."""

    def __init__(self, sqs: Any, dynamodb: Any, table_name: str, url: str,
                 chains: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__(name="feeder", daemon=True)
        self.sqs, self.dynamodb, self.table_name, self.url, self.chains = sqs, dynamodb, table_name, url, chains
        self.sent = dict.fromkeys(chains, 0)
        self.done = threading.Event()
        self.error: BaseException | None = None

    @property
    def total(self) -> int:
        return sum(len(chain) for chain in self.chains.values())

    def feed(self) -> None:
        versions = {i["pk"]["S"].removeprefix("DOSSIER#"): int(i["version"]["N"])
                    for i in scan_all(self.dynamodb, self.table_name) if i["sk"]["S"] == "DOSSIER"}
        for dossier_id, chain in self.chains.items():
            applied = versions[dossier_id] - 1
            if self.sent[dossier_id] == applied < len(chain):
                body = chain[applied]
                self.sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(body, ensure_ascii=False),
                                      MessageGroupId=dossier_id, MessageDeduplicationId=body["action_id"])
                self.sent[dossier_id] += 1

    def run(self) -> None:
        try:
            while not self.done.wait(0.1):
                self.feed()
        except BaseException as error:  # reported by the test
            self.error = error


def wait_until(condition: Callable[[], bool], timeout_s: float, every_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every_s)
    return condition()


def scan_all(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table_name, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**kwargs)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def applied_changes(dynamodb: Any, table_name: str) -> int:
    """How many actions the stored dossiers carry (each one bumped its version by one)."""
    return sum(int(i["version"]["N"]) - 1 for i in scan_all(dynamodb, table_name)
               if i["sk"]["S"] == "DOSSIER" and "version" in i)


def queue_counts(sqs: Any, url: str) -> dict[str, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return {name: int(attributes[name]) for name in names}


def drain_dlq(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                  WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return messages
        messages += got


def stored_outcomes(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    """The queued-action idempotency records: status and the stored outcome."""
    outcomes = []
    for item in scan_all(dynamodb, table_name):
        if item["pk"]["S"] == "IDEMPOTENCY#queued-action":
            data = item.get("data", {}).get("S")
            outcomes.append({"status": item["status"]["S"], "outcome": json.loads(data) if data else None})
    return outcomes


if __name__ == "__main__":
    sys.exit(consume())
