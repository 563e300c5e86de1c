"""Load test: citizens submitting dossiers and officials acting on them, concurrently, over HTTP (locust).

Run: ``make bench``, or ``PYTHONPATH=.:functions .venv/bin/python benchmarks/load.py [--concurrency 1,2,4]
[--seconds 30] [--users 10]``. The last line is key=value pairs: ``rps_c1= rps_c2= rps_c4= scale= p50_ms_c1= ...
errors= lost= duplicate_codes= receipts_unique=``; ``scale`` is the highest level's throughput over the lowest's.

- Concurrency: the local runtime runs each function in execution environments of its own (worker processes,
  ``infra.local.workers``), up to N invocations of a function at once, as Lambda's concurrency does. The load
  runs once per level of ``--concurrency`` (default ``1,2,4``), each against a fresh server with that N, for
  ``--seconds`` each; a level's own run is this script again (``--level-result``), so that locust's
  monkey-patching starts afresh too.
- The API runs in a SEPARATE process (``benchmarks/_serve.py``: DynamoDB Local in memory, moto, the HTTP
  adapter with the JWT authoriser, the actions queue's poller) on 127.0.0.1 only, never under gevent. A
  level's process patches itself with gevent first thing (locust needs it, before ssl is imported).
- Users (locust as a library, ``FastHttpUser``): citizens (1 in 5) submit dossiers with their own tokens and
  a fresh ``Idempotency-Key`` each; officials (a reception and a processing officer's token each) take
  submitted dossiers one at a time through ``receive``, ``start_processing``, ``decide`` and
  ``return_result``. A dossier is in one official's hands at a time, so any 409 is a real error.
- Bounded: ``--seconds`` (default 30 per level) and ``--max-requests`` (default 20,000 per level), whichever
  comes first; the server stops with this process, or on its own after a deadline.
- Afterwards: every request must have had its expected status (201, 200): errors are 5xx, any unexpected
  4xx and connection failures. Receipt codes must be unique among the answers AND in the table, each
  pointing at the dossier it was returned with, and every dossier must carry exactly the actions the
  officials were told succeeded (version = 1 + actions, status of the last one). ``lost`` counts dossiers
  answered 201 but not stored and acknowledged actions not stored; ``duplicate_codes`` receipt codes answered
  twice or stored for another dossier than answered. Both must be 0.

The machine's cores bound the growth: locust, the server's adapter, its environments, DynamoDB Local and moto
all share them; what still grows past the cores is the time invocations spend waiting on DynamoDB Local.
Exits non-zero when any check fails at any level.
"""

from __future__ import annotations

import _paths  # first: see benchmarks/_paths.py

# isort: split

import sys

if "--level-result" in sys.argv:
    # A level's own process loads with locust, whose gevent must patch the standard library before ssl and
    # urllib3 are imported (here, by urllib.request and botocore), or creating an SSL context recurses forever.
    from gevent import monkey

    monkey.patch_all()

# isort: split

import argparse
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from infra.local.examples import example_submission

SUBMIT = "POST /dossiers"
COMMUNE = "000.20.01.H36"  # a commune of the seed catalogue that offers the procedure below
PROCEDURE = "1.001266"
DESK, PROCESSOR = "reception_officer", "processing_officer"
# (action, role taking it, body, status code after it)
STEPS: tuple[tuple[str, str, dict[str, Any], int], ...] = (
    ("receive", DESK, {}, 2),
    ("start_processing", PROCESSOR, {}, 4),
    ("decide", PROCESSOR, {}, 9),
    ("return_result", DESK, {"method": "counter"}, 10),
)
NAMES = (SUBMIT, *(step[0] for step in STEPS))
SERVER_START_TIMEOUT_S = 300.0


def submission() -> dict[str, Any]:
    return example_submission(PROCEDURE, COMMUNE)


def percentile(samples: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- the server process ------------------------------------------------------------------------------

def start_server(workdir: Path, max_seconds: float, concurrency: int) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    ready = workdir / "ready.json"
    log_path = workdir / "serve.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([_paths.ROOT, os.path.join(_paths.ROOT, "functions")])}
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # a fixed argv, no shell
            [sys.executable, os.path.join(_paths.HERE, "_serve.py"), "--ready-file", str(ready),
             "--max-seconds", str(max_seconds), "--concurrency", str(concurrency),
             "--stats-file", str(workdir / "stats.json")],
            cwd=_paths.ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(process)
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
            raise SystemExit(f"the API server did not start:\n{tail}")
        time.sleep(0.2)
    info = json.loads(ready.read_text(encoding="utf-8"))
    if urlparse(info["url"]).hostname != "127.0.0.1":
        stop_server(process)
        raise SystemExit(f"refusing to load anything but loopback: {info['url']}")
    return process, info


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _call(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "authorization": f"Bearer {token}", "idempotency-key": uuid.uuid4().hex, "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # loopback: checked in start_server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def warm_up(info: dict[str, str], identity: Any, rounds: int = 2) -> None:
    """Cold starts (handler imports, first clients, the JIT) are not the steady state: take a few dossiers
    through every step before measuring (they are not counted)."""
    from motcua.domain.actors import Role

    citizen = identity.token("load-warm-up", Role.CITIZEN)
    officials = {role: identity.token(f"load-warm-up-{role}", Role(role), COMMUNE) for role in (DESK, PROCESSOR)}
    for _ in range(rounds):
        status, dossier = _call(f"{info['url']}/dossiers", citizen, submission())
        if status != 201:
            raise SystemExit(f"warm-up submission failed: {status} {dossier}")
        for name, role, body, _code in STEPS:
            status, answer = _call(f"{info['url']}/dossiers/{dossier['id']}/actions/{name}", officials[role], body)
            if status != 200:
                raise SystemExit(f"warm-up {name} failed: {status} {answer}")


# --- the load ----------------------------------------------------------------------------------------

@dataclass
class Outcome:
    started: float = 0.0
    stopped: float = 0.0
    samples: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in NAMES})
    errors: dict[str, list[str]] = field(default_factory=lambda: {name: [] for name in NAMES})
    receipts: dict[str, str] = field(default_factory=dict)  # receipt code -> dossier id, as answered
    duplicates: list[str] = field(default_factory=list)
    done: dict[str, int] = field(default_factory=dict)  # dossier id -> actions acknowledged

    @property
    def requests(self) -> int:
        return sum(len(s) for s in self.samples.values()) + sum(len(e) for e in self.errors.values())


def run_load(info: dict[str, str], identity: Any, seconds: float, users: int, max_requests: int) -> Outcome:
    # Imported here, in this process only, after the server process exists: locust monkey-patches on import.
    import gevent
    from locust import FastHttpUser, between, constant, events, task
    from locust.env import Environment

    from motcua.domain.actors import Role

    outcome = Outcome()
    work: deque[tuple[str, int]] = deque()  # (dossier id, index of its next step): one official at a time
    quitting: list[bool] = []  # set once --max-requests is reached
    citizens = max(1, users // 5)  # 1 in 5 users, at least one; the officials are the rest
    # Everyone signs in before the clock starts: signing in is not what is measured.
    citizen_tokens = [identity.token(f"load-citizen-{uuid.uuid4().hex[:8]}", Role.CITIZEN) for _ in range(citizens)]
    official_tokens = []
    for _ in range(users - citizens):
        who = uuid.uuid4().hex[:8]
        official_tokens.append({role: identity.token(f"load-{role}-{who}", Role(role), COMMUNE)
                                for role in (DESK, PROCESSOR)})

    class Citizen(FastHttpUser):
        fixed_count = citizens
        wait_time = between(0.0, 0.05)

        def on_start(self) -> None:
            self.token = citizen_tokens.pop()

        @task
        def submit(self) -> None:
            headers = {"authorization": f"Bearer {self.token}", "idempotency-key": uuid.uuid4().hex}
            with self.client.post("/dossiers", json=submission(), headers=headers, name=SUBMIT,
                                  catch_response=True) as response:
                if response.status_code != 201:
                    response.failure(f"{response.status_code} {(response.text or '')[:300]}")
                    return
                body = response.json()
                code, dossier_id = body["receipt_code"], body["id"]
                if code in outcome.receipts:
                    outcome.duplicates.append(code)
                outcome.receipts[code] = dossier_id
                outcome.done[dossier_id] = 0
                work.append((dossier_id, 0))
                response.success()

    class Official(FastHttpUser):
        wait_time = constant(0)

        def on_start(self) -> None:
            self.tokens = official_tokens.pop()

        @task
        def act(self) -> None:
            try:
                dossier_id, step = work.popleft()
            except IndexError:
                gevent.sleep(0.02)  # nothing submitted yet to act on
                return
            name, role, body, status = STEPS[step]
            headers = {"authorization": f"Bearer {self.tokens[role]}", "idempotency-key": uuid.uuid4().hex}
            with self.client.post(f"/dossiers/{dossier_id}/actions/{name}", json=body, headers=headers, name=name,
                                  catch_response=True) as response:
                if response.status_code != 200 or response.json()["status"]["code"] != status:
                    response.failure(f"{response.status_code} {(response.text or '')[:300]}")
                    return
                outcome.done[dossier_id] = step + 1
                if step + 1 < len(STEPS):
                    work.append((dossier_id, step + 1))
                response.success()

    environment = Environment(user_classes=[Citizen, Official], host=info["url"], events=events)
    runner = environment.create_local_runner()

    def on_request(name: str, response_time: float, exception: BaseException | None = None, **_: Any) -> None:
        if exception is None:
            outcome.samples.setdefault(name, []).append(response_time)
        else:
            outcome.errors.setdefault(name, []).append(str(exception)[:300])
        if outcome.requests >= max_requests and not quitting:
            quitting.append(True)  # the main loop below stops the runner

    environment.events.request.add_listener(on_request)
    outcome.started = time.monotonic()
    runner.start(users, spawn_rate=users)
    deadline = outcome.started + seconds
    while time.monotonic() < deadline and not quitting:
        gevent.sleep(0.1)
    outcome.stopped = time.monotonic()
    runner.quit()  # stops every user (a request in flight is abandoned and not counted), then the runner
    return outcome


# --- checks and report -------------------------------------------------------------------------------

@dataclass
class Checks:
    problems: list[str] = field(default_factory=list)
    lost: int = 0  # dossiers answered 201 and not stored, actions acknowledged and not stored
    duplicate_codes: int = 0  # receipt codes answered twice, or stored for another dossier than answered


def check_table(info: dict[str, str], outcome: Outcome) -> Checks:
    """What the table holds against what the clients were told."""
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=info["dynamodb"], region_name="ap-southeast-1",
                            aws_access_key_id="local", aws_secret_access_key="local")  # dummy, local
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": info["table"], "ConsistentRead": True,
                              "ProjectionExpression": "pk, sk, dossier_id, version, #s",
                              "ExpressionAttributeNames": {"#s": "status"}}
    while True:
        page = dynamodb.scan(**kwargs)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    stored = {i["pk"]["S"].removeprefix("RECEIPT#"): i["dossier_id"]["S"] for i in items if i["sk"]["S"] == "RECEIPT"}
    dossiers = {i["pk"]["S"].removeprefix("DOSSIER#"): (int(i["version"]["N"]), int(i["status"]["N"]))
                for i in items if i["sk"]["S"] == "DOSSIER"}
    checks = Checks()
    problems = checks.problems
    if outcome.duplicates:
        checks.duplicate_codes += len(outcome.duplicates)
        problems.append(f"receipt codes answered twice: {outcome.duplicates[:5]}")
    if len(stored) != len(dossiers):
        checks.duplicate_codes += max(0, len(dossiers) - len(stored))  # two dossiers, one receipt item
        problems.append(f"{len(stored)} receipt items for {len(dossiers)} dossiers")
    for code, dossier_id in outcome.receipts.items():
        if code in stored and stored[code] != dossier_id:
            checks.duplicate_codes += 1
            problems.append(f"receipt {code} answered for {dossier_id} but stored for {stored[code]}")
        elif code not in stored:
            checks.lost += 1
            problems.append(f"receipt {code} answered for {dossier_id} but not stored")
    statuses = {0: 1, **{n + 1: step[3] for n, step in enumerate(STEPS)}}
    for dossier_id, done in outcome.done.items():
        if dossier_id not in dossiers:
            checks.lost += 1
            problems.append(f"dossier {dossier_id} answered 201 but is not stored")
            continue
        version, status = dossiers[dossier_id]
        # An action in flight when the load stopped may have committed without its answer being counted.
        if (version, status) != (1 + done, statuses[done]) and (version, status) != (2 + done, statuses.get(done + 1)):
            checks.lost += max(0, 1 + done - version)  # acknowledged, not stored
            problems.append(f"dossier {dossier_id}: {done} actions acknowledged, stored v{version} status {status}")
    return checks


def report(outcome: Outcome, users: int, checks: Checks, concurrency: int) -> dict[str, Any]:
    """Print one level's table; returns its figures (what the sweep's last line is made of)."""
    elapsed = max(outcome.stopped - outcome.started, 1e-9)
    every = [t for name in NAMES for t in outcome.samples[name]]
    errors = sum(len(e) for e in outcome.errors.values())
    print(f"{'request':<18} {'count':>7} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name in NAMES:
        samples = outcome.samples[name]
        print(f"{name:<18} {len(samples):>7} {len(samples) / elapsed:>7.1f} {percentile(samples, 50):>8.1f} "
              f"{percentile(samples, 99):>8.1f} {len(outcome.errors[name]):>7}")
    print(f"{'all':<18} {len(every):>7} {len(every) / elapsed:>7.1f} {percentile(every, 50):>8.1f} "
          f"{percentile(every, 99):>8.1f} {errors:>7}")
    finished = sum(1 for done in outcome.done.values() if done == len(STEPS))
    print(f"{len(outcome.receipts)} dossiers submitted, {finished} taken through all {len(STEPS)} actions, "
          f"{users} users, concurrency {concurrency}, {elapsed:.1f} s")
    for name, messages in outcome.errors.items():
        for message in messages[:3]:
            print(f"error {name}: {message}")
    for problem in checks.problems[:20]:
        print(f"check failed: {problem}")
    return {"concurrency": concurrency, "rps": len(every) / elapsed, "p50_ms": percentile(every, 50),
            "p99_ms": percentile(every, 99), "requests": len(every), "errors": errors, "lost": checks.lost,
            "duplicate_codes": checks.duplicate_codes, "problems": len(checks.problems),
            "dossiers": len(outcome.receipts), "finished": finished, "seconds": elapsed}


def run_level(args: argparse.Namespace, concurrency: int) -> dict[str, Any]:
    """One level: a server with ``concurrency`` environments per function, warmed, loaded, checked."""
    with tempfile.TemporaryDirectory(prefix="motcua-load-") as workdir:
        started = time.monotonic()
        process, info = start_server(Path(workdir), args.seconds + SERVER_START_TIMEOUT_S + 600, concurrency)
        try:
            from infra import declaration
            from infra.local.cognito import LocalAccounts, ensure_pool, pre_token_trigger
            from infra.local.env import Endpoints, local_environment
            from infra.local.resources import client

            # People sign in to the server's user pool here and the declared pre token trigger runs here, which
            # registers each subject in the server's table (the API serves known subjects only).
            sign_in = [f for f in declaration.FUNCTIONS if f.name == "sign-in"]
            endpoints = Endpoints(dynamodb=info["dynamodb"], moto=info["moto"])
            os.environ.update(local_environment(endpoints, sign_in, table=info["table"]))
            cognito = client("cognito-idp", endpoints)
            identity = LocalAccounts(ensure_pool(cognito, endpoints.moto), cognito, pre_token_trigger())
            warm_up(info, identity)
            print(f"load: concurrency {concurrency}, {args.users} users for {args.seconds:.0f} s (at most "
                  f"{args.max_requests} requests) against {info['url']} (loopback); server ready and warm in "
                  f"{time.monotonic() - started:.1f} s", flush=True)
            outcome = run_load(info, identity, args.seconds, args.users, args.max_requests)
            checks = check_table(info, outcome)
        finally:
            stop_server(process)
        stats_path = Path(workdir) / "stats.json"
        stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    figures = report(outcome, args.users, checks, concurrency)
    figures["peak_busy"] = stats.get("api", {}).get("peak_busy", -1)  # the API's invocations at once, at most
    print(f"the API ran at most {figures['peak_busy']} invocations at once (of {concurrency} allowed)")
    return figures


def sweep(args: argparse.Namespace, levels: list[int]) -> int:
    """Each level in a process of its own (this script with ``--level-result``), then the comparison."""
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="motcua-load-sweep-") as workdir:
        for level in levels:
            print(f"==> concurrency {level}", flush=True)
            result_file = Path(workdir) / f"c{level}.json"
            subprocess.run(  # a fixed argv, no shell
                [sys.executable, os.path.abspath(__file__), "--concurrency", str(level), "--seconds", str(args.seconds),
                 "--users", str(args.users), "--max-requests", str(args.max_requests),
                 "--level-result", str(result_file)], check=False, stdin=subprocess.DEVNULL)
            if not result_file.exists():
                print(f"concurrency {level}: the level did not finish")
                return 1
            results.append(json.loads(result_file.read_text(encoding="utf-8")))
    print(f"{'concurrency':>11} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'at once':>7} {'errors':>6} {'lost':>5} "
          f"{'dup':>4}")
    for r in results:
        print(f"{r['concurrency']:>11} {r['rps']:>7.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['peak_busy']:>7} "
              f"{r['errors']:>6} {r['lost']:>5} {r['duplicate_codes']:>4}")
    low, high = results[0], results[-1]
    errors = sum(r["errors"] for r in results)
    lost = sum(r["lost"] for r in results)
    duplicates = sum(r["duplicate_codes"] for r in results)
    problems = sum(r["problems"] for r in results)
    line = " ".join(f"rps_c{r['concurrency']}={r['rps']:.1f}" for r in results)
    line += f" scale={high['rps'] / low['rps'] if low['rps'] else float('nan'):.2f} "
    line += " ".join(f"p50_ms_c{r['concurrency']}={r['p50_ms']:.1f}" for r in results)
    line += " " + " ".join(f"peak_c{r['concurrency']}={r['peak_busy']}" for r in results)
    print(f"{line} errors={errors} lost={lost} duplicate_codes={duplicates} receipts_unique={int(duplicates == 0)}")
    return 0 if errors == 0 and problems == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--concurrency", default="1,2,4",
                        help="execution environments per function, one run per level (default 1,2,4)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to load each level (default 30)")
    parser.add_argument("--users", type=int, default=10, help="concurrent users, 1 in 5 a citizen (default 10)")
    parser.add_argument("--max-requests", type=int, default=20_000,
                        help="stop a level after this many (default 20,000)")
    parser.add_argument("--level-result", type=Path, help=argparse.SUPPRESS)  # one level, its figures there
    args = parser.parse_args()
    try:
        levels = sorted({int(level) for level in args.concurrency.split(",") if level.strip()})
    except ValueError:
        parser.error("--concurrency: levels as numbers, comma-separated (1,2,4)")
    if args.seconds <= 0 or args.users < 2 or args.max_requests < 1 or not levels or levels[0] < 1:
        parser.error("--seconds > 0, --users >= 2 (a citizen and an official), --max-requests >= 1, levels >= 1")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    if args.level_result is None:
        return sweep(args, levels)
    if len(levels) != 1:
        parser.error("--level-result runs one level")
    figures = run_level(args, levels[0])
    args.level_result.write_text(json.dumps(figures), encoding="utf-8")
    return 0 if figures["errors"] == 0 and figures["problems"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
