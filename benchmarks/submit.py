"""POST /dossiers through the handler, against the bare DynamoDB calls a submission must make.

Run: ``make bench``, or ``PYTHONPATH=.:functions .venv/bin/python benchmarks/submit.py [--n 300]``.
The last line is key=value pairs. Goal: handler / bare <= 1.15 at p50 (``ratio``), interleaved.

One process, on the local stack (DynamoDB Local in memory with the full JIT, moto; ``benchmarks/_stack.py``):

1. **handler**: N sequential ``POST /dossiers`` through ``tests.api_client.ApiClient`` (the same
   routing and API Gateway HTTP API v2 event the local HTTP adapter builds, no socket), each with a fresh
   ``Idempotency-Key`` and a citizen's bearer token. As behind API Gateway's JWT authoriser, the token is
   not verified in the function (no verifier: the authoriser's work is not the function's).
2. **bare**: the same N submissions as plain boto3 calls on the same table. The requests are the handler's
   own, recorded from one of its calls after the warm-up and replayed with fresh ids and keys (so the
   operations, their order, the items, the conditions and the options are the handler's, and stay so when
   the code changes): Powertools' conditional PutItem of the idempotency record, the receipt counter's
   consistent GetItem, the TransactWriteItems (counter conditional update on the value read, dossier with
   its version condition, receipt, history event, outbox envelope: each "does not exist"), Powertools'
   UpdateItem of the idempotency record. Requests are prepared before timing; a sample is the calls alone.
3. **bare without idempotency**: the GetItem and the transaction only (what the goal names "the bare
   writes"), so that both ratios are on the table.

When the p50 ratio misses the goal (or with ``--profile always``) it profiles handler calls with cProfile and
prints where their time goes (analysis in ``docs/benchmarks.md``).
"""

from __future__ import annotations

import _paths  # noqa: F401  (first: see benchmarks/_paths.py)

# isort: split

import argparse
import contextlib
import copy
import cProfile
import json
import os
import platform
import pstats
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore
import botocore.client

from benchmarks._stack import BenchStack, local_stack

GOAL_RATIO = 1.15  # at p50, interleaved (docs/benchmarks.md, submit)

Call = Callable[[], None]


# --- statistics --------------------------------------------------------------------------------------

def percentile(samples: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Summary:
    p50: float
    p99: float
    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> Summary:
        return cls(percentile(samples_ms, 50), percentile(samples_ms, 99), sum(samples_ms) / len(samples_ms),
                   min(samples_ms), max(samples_ms))

    def row(self, label: str) -> str:
        return (f"{label:<48}{self.p50:>9.2f}{self.p99:>9.2f}{self.mean:>9.2f}{self.low:>9.2f}"
                f"{self.high:>9.2f}")


class BotocoreClock:
    """Time spent inside botocore API calls (serialise, sign, HTTP round trip, parse), by any client.

    What it leaves out of a handler call is the function's own work: the adapter, Powertools, pydantic,
    pynamodb, the domain, and creating botocore clients (pynamodb creates them outside ``_make_api_call``).
    The wrapper costs about a microsecond per call, the same in every series.
    """

    def __init__(self) -> None:
        self.ns = 0
        self._original = botocore.client.BaseClient._make_api_call

    def __enter__(self) -> BotocoreClock:
        original, clock = self._original, time.perf_counter_ns

        def timed(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            start = clock()
            try:
                return original(client, operation_name, api_params)
            finally:
                self.ns += clock() - start

        botocore.client.BaseClient._make_api_call = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        botocore.client.BaseClient._make_api_call = self._original  # type: ignore[method-assign]


@dataclass
class Samples:
    total: list[float]  # ms per call
    botocore: list[float]  # ms of it inside botocore API calls


def run_timed(calls: dict[str, Call], n: int, interleave: bool) -> dict[str, Samples]:
    """Each callable n times, one series after the other (default) or in turns."""
    samples = {name: Samples([], []) for name in calls}
    clock = time.perf_counter_ns
    order = [name for _ in range(n) for name in calls] if interleave else [name for name in calls for _ in range(n)]
    with BotocoreClock() as inside:
        for name in order:
            call = calls[name]
            inside_before = inside.ns
            start = clock()
            call()
            elapsed = clock() - start
            samples[name].total.append(elapsed / 1e6)
            samples[name].botocore.append((inside.ns - inside_before) / 1e6)
    return samples


# --- the handler -------------------------------------------------------------------------------------

class HandlerSubmission:
    """One ``POST /dossiers`` per call, in-process, each with a new idempotency key."""

    def __init__(self) -> None:
        from tests.api_client import ApiClient
        from tests.integration.helpers import bearer, submission

        self.client = ApiClient()
        self.auth = bearer("citizen-bench")  # one token (its RS256 signature is made once, outside timing)
        self.body = submission()
        self.last: dict[str, Any] = {}

    def __call__(self) -> None:
        response = self.client.post("/dossiers", json=self.body,
                                    headers={**self.auth, "idempotency-key": uuid.uuid4().hex})
        if response.status != 201:
            raise RuntimeError(f"POST /dossiers answered {response.status}: {response.text[:500]}")
        self.last = response.json()


@dataclass
class Recorded:
    """One botocore call as the handler made it."""

    operation: str
    params: dict[str, Any]
    response: dict[str, Any]


@contextlib.contextmanager
def recorded_calls() -> Iterator[list[Recorded]]:
    """Every botocore call made inside the block, whatever client makes it (pynamodb's, Powertools')."""
    calls: list[Recorded] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        params = copy.deepcopy(api_params)
        response = original(client, operation_name, api_params)
        calls.append(Recorded(operation_name, params, response))
        return response

    botocore.client.BaseClient._make_api_call = recording  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def _partition(params: dict[str, Any]) -> str:
    key = params.get("Key") or params.get("Item") or {}
    return str(key.get("pk", {}).get("S", ""))


def _kind(params: dict[str, Any]) -> str:
    """``DOSSIER/EVENT`` for an item whose pk is ``DOSSIER#...`` and sk ``EVENT#...``."""
    key = params.get("Key") or params.get("Item") or {}
    return "/".join(str(key.get(name, {}).get("S", "?")).split("#")[0] for name in ("pk", "sk"))


def describe(calls: list[Recorded]) -> str:
    """``PutItem IDEMPOTENCY/.., GetItem SEQ/SEQ, TransactWriteItems[Update SEQ/SEQ, Put DOSSIER/DOSSIER, ...]``"""
    parts = []
    for call in calls:
        if call.operation == "TransactWriteItems":
            items = [f"{kind} {_kind(body)}" for entry in call.params["TransactItems"] for kind, body in entry.items()]
            parts.append(f"TransactWriteItems[{', '.join(items)}]")
        else:
            parts.append(f"{call.operation} {_kind(call.params)}")
    return ", ".join(parts)


# A uuid4 (hex or canonical) or an md5 hex: dossier, event and envelope ids, idempotency key hashes, the
# transaction's ClientRequestToken. Each gets a fresh value per replayed submission.
_UNIQUE = re.compile(r"\b(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")


def _fresh(token: str) -> str:
    return uuid.uuid4().hex if len(token) == 32 else str(uuid.uuid4())


class BareSubmission:
    """The handler's DynamoDB requests for one submission, replayed with a plain boto3 client.

    The requests are the ones recorded from a real handler call (same operations, order, items, conditions
    and options), with fresh ids, receipt code and idempotency key each time, so that every write is new as
    the handler's are. The receipt counter is this series' own: its consistent GetItem is made, and the
    value read goes into the transaction's conditional update, as the repository does. All the requests are
    prepared before timing starts; a call is the requests alone. ``with_idempotency=False`` leaves out the
    calls on the idempotency partition (Powertools' conditional PutItem and UpdateItem).
    """

    def __init__(self, dynamodb: Any, recorded: list[Recorded], receipt_code: str, *, with_idempotency: bool,
                 series: str, count: int) -> None:
        self.dynamodb = dynamodb
        calls = [c for c in recorded if with_idempotency or not _partition(c.params).startswith("IDEMPOTENCY#")]
        transaction = next(c for c in calls if c.operation == "TransactWriteItems")
        updated = [e["Update"]["Key"] for e in transaction.params["TransactItems"] if "Update" in e]
        read = next((c for c in calls if c.operation == "GetItem" and c.params["Key"] in updated), None)
        if read is None or "Item" not in read.response:
            raise RuntimeError("the handler no longer reads then updates an existing counter in its transaction: "
                               "BareSubmission needs updating (or the day rolled over during the warm-up)")
        self.counter_attribute, value = next((k, v["N"]) for k, v in read.response["Item"].items() if "N" in v)
        self.read_index = calls.index(read)
        self.transaction_index = calls.index(transaction)
        self.update_index = next(i for i, e in enumerate(transaction.params["TransactItems"])
                                 if e.get("Update", {}).get("Key") == read.params["Key"])
        values = transaction.params["TransactItems"][self.update_index]["Update"]["ExpressionAttributeValues"]
        # pynamodb's placeholders: the value read (the condition) and the value written.
        self.current_slot = next(name for name, v in values.items() if v.get("N") == value)
        self.next_slot = next(name for name, v in values.items() if v.get("N") == str(int(value) + 1))
        counter_pk = read.params["Key"]["pk"]["S"]
        self.counter_key = {**read.params["Key"], "pk": {"S": f"{counter_pk}#{series}"}}
        dynamodb.put_item(TableName=read.params["TableName"],
                          Item={**self.counter_key, self.counter_attribute: {"N": "1"}})
        self.methods = [getattr(dynamodb, botocore.xform_name(c.operation)) for c in calls]
        template = json.dumps([c.params for c in calls]).replace(counter_pk, f"{counter_pk}#{series}")
        self.template, self.receipt_code, self.series = template, receipt_code, series
        self.prepared = [self._prepare(i) for i in range(count)]
        self.used = 0
        self.operations = [c.operation for c in calls]

    def _prepare(self, index: int) -> list[dict[str, Any]]:
        fresh: dict[str, str] = {}
        text = _UNIQUE.sub(lambda m: fresh.setdefault(m.group(0), _fresh(m.group(0))), self.template)
        text = text.replace(self.receipt_code, f"{self.receipt_code}-{self.series}{index:06d}")
        prepared: list[dict[str, Any]] = json.loads(text)
        return prepared

    def __call__(self) -> None:
        requests = self.prepared[self.used] if self.used < len(self.prepared) else self._prepare(self.used)
        self.used += 1
        current = 0
        for index, (method, params) in enumerate(zip(self.methods, requests, strict=True)):
            if index == self.transaction_index:
                values = params["TransactItems"][self.update_index]["Update"]["ExpressionAttributeValues"]
                values[self.current_slot] = {"N": str(current)}
                values[self.next_slot] = {"N": str(current + 1)}
            response = method(**params)
            if index == self.read_index:
                current = int(response["Item"][self.counter_attribute]["N"])


# --- profile -----------------------------------------------------------------------------------------

# (file suffix, function) whose cumulative time the breakdown reports.
_CREATE_CLIENT = ("botocore/session.py", "create_client")
_HTTP_SEND = ("botocore/endpoint.py", "_send")
_API_CALL = ("botocore/client.py", "_make_api_call")
# The DynamoDB client's own code: what the bare baseline runs too.
_CLIENT_CODE = ("/botocore/", "/urllib3/", "/http/client.py", "/socket.py", "/ssl.py")

Key = tuple[str, int, str]  # pstats: (file, line, function)
Stat = tuple[int, int, float, float, dict[Key, tuple[int, int, float, float]]]  # cc, nc, own, cumulative, callers


def _short(key: Key) -> str:
    file, line, name = key
    for marker in ("site-packages/", f"{Path(__file__).resolve().parents[1]}/", "/lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{file}:{line}({name})"


def _is(key: Key, where: tuple[str, str]) -> bool:
    return key[0].endswith(where[0]) and key[2] == where[1]


def function_work(raw: dict[Key, Stat]) -> tuple[dict[Key, float], float]:
    """The handler's own work as the profiler saw it, split into the subtrees that hang off the path to the
    DynamoDB calls (Powertools' validation, idempotency hashing, pydantic, pynamodb's item building, the
    domain...), each charged through its edge from that path only (json.dumps is not charged for botocore's
    use of it); plus the own time of the frames on the path. In seconds, for the whole profile."""
    targets = [k for k in raw if _is(k, _API_CALL) or _is(k, _CREATE_CLIENT)]
    above: set[Key] = set()  # every frame from which a DynamoDB call or a client creation is reached
    pending = list(targets)
    while pending:
        for caller in raw[pending.pop()][4]:
            if caller in raw and caller not in above:
                above.add(caller)
                pending.append(caller)
    path = {k for k in above if not any(marker in k[0] for marker in _CLIENT_CODE)}
    subtrees: dict[Key, float] = {}
    for callee, (_, _, _, _, callers) in raw.items():
        if callee in path or any(marker in callee[0] for marker in _CLIENT_CODE):
            continue
        for caller, edge in callers.items():
            if caller in path:
                subtrees[callee] = subtrees.get(callee, 0.0) + edge[3]
    return subtrees, sum(raw[k][2] for k in path)


def profile_handler(call: Call, n: int, top: int, out: str | None) -> None:
    """cProfile over n handler calls: where a call's time goes, and the function's own work by subtree."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(n):
        call()
    profiler.disable()
    total_ms = (time.perf_counter() - started) * 1000 / n
    if out:
        profiler.dump_stats(out)
    raw: dict[Key, Stat] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative_ms(where: tuple[str, str]) -> float:
        return sum(stat[3] for key, stat in raw.items() if _is(key, where)) * 1000 / n

    create, send, api_call = cumulative_ms(_CREATE_CLIENT), cumulative_ms(_HTTP_SEND), cumulative_ms(_API_CALL)
    print(f"\ncProfile over {n} handler calls: {total_ms:.1f} ms per call under the profiler (it inflates "
          f"Python-heavy code more than waiting: read shares and ranks, not absolutes)")
    for label, ms in (
        ("botocore Session.create_client (new sessions and clients)", create),
        ("botocore API calls: HTTP round trips to DynamoDB Local (Endpoint._send)", send),
        ("botocore API calls: request building, signing, response parsing", api_call - send),
        ("the function's own work (all the rest)", total_ms - create - api_call),
    ):
        print(f"  {label:<76}{ms:>9.2f} ms {100 * ms / total_ms:>5.1f}%")

    subtrees, path_own = function_work(raw)
    print(f"\nthe function's own work by subtree off the path to DynamoDB, per call (top {top}); "
          f"own time of the path's frames: {path_own * 1000 / n:.2f} ms")
    for key, seconds in sorted(subtrees.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {seconds * 1000 / n:>8.2f} ms  {_short(key)}")

    print(f"\ntop {top} by own time (excluding callees), per call: own ms, cumulative ms, calls")
    for key, (_, calls, own, cumulative, _) in sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]:
        print(f"  {own * 1000 / n:>8.2f} {cumulative * 1000 / n:>8.2f} {calls / n:>7.1f}  {_short(key)}")


# --- main --------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=300, help="measured calls per series (default 300)")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured calls per series first (default 50)")
    parser.add_argument("--interleave", action=argparse.BooleanOptionalAction, default=True,
                        help="run the three series in turns (handler, bare, bare without idempotency), the "
                             "default: background load then hits all three alike; --no-interleave: one after "
                             "the other")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help=f"cProfile handler calls: auto = when ratio_p50 > {GOAL_RATIO} (default)")
    parser.add_argument("--profile-n", type=int, default=50, help="handler calls under the profiler (default 50)")
    parser.add_argument("--profile-top", type=int, default=25,
                        help="entries listed, by subtree and by own time (default 25)")
    parser.add_argument("--profile-out", help="also write the pstats file here (for snakeviz, pstats)")
    args = parser.parse_args(argv)
    if args.n < 2 or args.warmup < 1:
        parser.error("--n must be >= 2 and --warmup >= 1")

    with local_stack(seed=True) as stack:
        return run(stack, args)


def run(stack: BenchStack, args: argparse.Namespace) -> int:
    from motcua.handlers import api  # noqa: F401 - after local_stack set the environment: it binds the table

    print(f"local stack up in {stack.startup_s:.1f} s (DynamoDB Local {stack.endpoints.dynamodb}, full JIT); "
          f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    handler = HandlerSubmission()
    for _ in range(args.warmup):
        handler()
    with recorded_calls() as recorded:
        handler()
    print(f"the handler's DynamoDB calls for one submission: {describe(recorded)}")
    dynamodb = stack.client("dynamodb")
    count = args.warmup + args.n
    bare = BareSubmission(dynamodb, recorded, handler.last["receipt_code"], with_idempotency=True,
                          series="bare", count=count)
    bare_no_idem = BareSubmission(dynamodb, recorded, handler.last["receipt_code"], with_idempotency=False,
                                  series="bare0", count=count)
    print(f"bare replays them: {', '.join(bare.operations)}; without idempotency: "
          f"{', '.join(bare_no_idem.operations)}")
    for _ in range(args.warmup):
        bare()
        bare_no_idem()

    samples = run_timed({"handler": handler, "bare": bare, "bare_no_idem": bare_no_idem}, args.n, args.interleave)
    h, b, b0 = (Summary.of(samples[name].total) for name in ("handler", "bare", "bare_no_idem"))
    h_inside = Summary.of(samples["handler"].botocore)
    h_outside = Summary.of([t - i for t, i in zip(samples["handler"].total, samples["handler"].botocore, strict=True)])
    b_inside = Summary.of(samples["bare"].botocore)
    order = "interleaved" if args.interleave else "blocks"
    print(f"\n{args.n} sequential calls per series after {args.warmup} warm-up, {order}, in ms:")
    print(f"{'':<48}{'p50':>9}{'p99':>9}{'mean':>9}{'min':>9}{'max':>9}")
    print(h.row("handler: POST /dossiers in-process"))
    print(b.row("bare: idem put, get, transaction, idem update"))
    print(b0.row("bare without idempotency: get, transaction"))
    print("split of each call (percentiles of parts do not add up):")
    print(h_inside.row("  handler, inside botocore API calls"))
    print(h_outside.row("  handler, outside them (the function's own work)"))
    print(b_inside.row("  bare, inside botocore API calls"))
    ratio_p50, ratio_p99 = h.p50 / b.p50, h.p99 / b.p99
    ratio0_p50, ratio0_p99 = h.p50 / b0.p50, h.p99 / b0.p99
    print(f"ratio handler / bare:                     p50 {ratio_p50:.2f}  p99 {ratio_p99:.2f}")
    print(f"ratio handler / bare without idempotency: p50 {ratio0_p50:.2f}  p99 {ratio0_p99:.2f}")
    met = ratio_p50 <= GOAL_RATIO
    print(f"goal ratio <= {GOAL_RATIO} (p50, against the full bare baseline): {'met' if met else 'NOT met'}")

    if args.profile == "always" or (args.profile == "auto" and ratio_p50 > GOAL_RATIO):
        profile_handler(handler, args.profile_n, args.profile_top, args.profile_out)

    print(f"n={args.n} warmup={args.warmup} order={order} ratio={ratio_p50:.3f} handler_p50_ms={h.p50:.2f} "
          f"handler_p99_ms={h.p99:.2f} "
          f"bare_p50_ms={b.p50:.2f} bare_p99_ms={b.p99:.2f} bare_no_idem_p50_ms={b0.p50:.2f} "
          f"bare_no_idem_p99_ms={b0.p99:.2f} ratio_p50={ratio_p50:.2f} ratio_p99={ratio_p99:.2f} "
          f"ratio_p50_no_idem={ratio0_p50:.2f} ratio_p99_no_idem={ratio0_p99:.2f} "
          f"handler_outside_botocore_p50_ms={h_outside.p50:.2f} handler_botocore_p50_ms={h_inside.p50:.2f} "
          f"bare_botocore_p50_ms={b_inside.p50:.2f} goal_met={str(met).lower()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
