"""The SLA sweep reads only what is due: items read per due dossier and sweep time at two open totals.

Run: ``make bench``, or ``PYTHONPATH=.:functions .venv/bin/python benchmarks/sla.py [--sizes 10000,100000]
[--due 500]``. The last line is key=value pairs. Goal: at 100,000 open dossiers a sweep reads
<= 1.1 items per dossier actually due, and its time does not grow with the open total.

One process, on the local stack (DynamoDB Local in memory with the full JIT, moto; ``benchmarks/_stack.py``):

1. Open dossiers are generated as items and written straight to the table with ``BatchWriteItem`` (the item
   a dossier write would store, timers-index keys included: ``transactions.dossier_item``), not through the
   API: loading 100k dossiers through the service would take an hour here. Receptions are spread over the
   five weeks before the sweep instant T = Thu 5 Mar 2026 17:00 with limits of 5 to 20 working days; every
   timer of theirs already due before T is marked fired (what earlier sweeps did), and a dossier whose next
   timer would still be due at T is drawn again. Then ``--due`` dossiers are added whose ``warn_2wd`` is
   exactly T (received Mon 2 Mar, 5 working days). Internal-procedure steps share the index (docs/domain.md
   §11.4): ``--step-share`` of the not-due dossiers hold an open step whose next notice is after T, and
   ``--step-due`` more not-due dossiers hold one whose warning is exactly T (entered Thu 5 08:00 with 8.75
   working hours: 80 % of it is 7 hours, 17:00).
2. One sweep at T (``SlaSweeper.sweep``, the handler's code) is timed: it must fire exactly the due ones (the
   dossiers' warnings and the steps' warnings), reading one index entry each. Then an empty sweep at T
   (nothing due any more) is timed.
3. The table grows to the next size (more not-due dossiers plus a fresh set of ``--due`` due ones) and the
   sweep is measured again; the ratio of the two sweep times shows whether it grows with the open total.

``--burst N`` measures the 17:00 burst instead: N timers due at the same instant T, a mix of dossiers' warnings
(``warn_2wd``), breaches (``--breach-share``, each drafting its automatic apology and Form 04) and open steps'
warnings (``--burst-step-share``), loaded as above. The deployed path runs: the scheduled sweep's handler
(``handlers/sla_sweep``) hands one message per shard to the ``sla-shards`` queue, and the local runner's pollers
for the declared ``sla-worker`` (as many as its trigger's declared concurrency, each invoking the handler as an
execution environment of its own, ``infra/local/pollers.py``) fire the shards at once. ``burst_s`` runs from the
schedule's invocation to the queue being empty with every worker returned. Then, not timed: the history and the
outbox are scanned to count what fired (``fired``: timer events in the history, ``duplicates``: a dossier's
timer recorded twice), and ``--letters`` of the breaches' Form 04 drafts are rendered as their consumer (the
notifier) does, to give the cost moved off the burst (``letter_ms``). ``items_per_due`` is what the workers
read (index entries, re-reads after a conflict, and the stored index facts each automatic apology reads) per
due timer.
"""

from __future__ import annotations

import _paths  # noqa: F401  (first: see benchmarks/_paths.py)

# isort: split

import argparse
import os
import platform
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from benchmarks._stack import BenchStack, local_stack

AGENCY = "000.20.01.H36"
T_SWEEP = (2026, 3, 5, 17, 0)
LIMITS = (5, 7, 10, 15, 20)
GOAL_ITEMS_PER_DUE = 1.1


def _dossier(received: datetime, days: int, seq: int) -> Any:
    from motcua.domain import clock
    from motcua.domain.catalogue import Channel
    from motcua.domain.dossier import Applicant, Dossier
    from motcua.domain.status import DossierStatus

    due = clock.due_at(received, days, agency=AGENCY)
    return Dossier(
        id=uuid.uuid4().hex, receipt_code=f"{AGENCY}-{received:%y%m%d}-{seq:04d}", procedure_code="1.001266",
        procedure_name_vi="Chấm dứt hoạt động hộ kinh doanh", agency_code=AGENCY, channel=Channel.ONLINE,
        status=DossierStatus.PROCESSING,
        applicant=Applicant(full_name="Nguyễn Văn Bình", national_id="079203009999", phone="0912000000",
                            address="Phường Xuân Hương - Đà Lạt"),
        owner="citizen-bench", submitted_at=received, received_at=received, appointment_at=due, due_at=due,
        time_limit={"value": str(days), "unit": "working_days"}, rule_version="nd118-2025", version=3,
        updated_at=received,
    )


def not_due(t: datetime, rng: random.Random, seq: int) -> Any:
    """An open dossier whose timers before T fired already and whose next one is after T."""
    from motcua.domain import sla

    while True:
        received = t - timedelta(days=35) + timedelta(seconds=rng.randrange(35 * 86400))
        if received.hour < 7 or received.hour >= 17:
            continue
        d = _dossier(received, rng.choice(LIMITS), seq)
        if d.due_at <= t:
            continue  # overdue before T: its breach would have fired (and it would have left the index)
        fired = tuple(x.key for x in sla.pending_timers(d) if x.at < t - timedelta(minutes=10))
        d = d.model_copy(update={"sla_fired": fired, "updated_at": t - timedelta(minutes=10)})
        timer = sla.next_timer(d, t)
        if timer is not None and timer.at > t:
            return d


def with_step(d: Any, entered: datetime, hours: str) -> Any:
    """The dossier holding one open internal-procedure step, assigned, entered at ``entered``."""
    from decimal import Decimal

    from motcua.domain import clock
    from motcua.domain.actors import Role
    from motcua.domain.status import DossierStatus
    from motcua.domain.steps import AssignmentRule, StepInstance

    budget = Decimal(hours)
    due = clock.deadline_for(clock.TimeLimit(budget, clock.TimeUnit.WORKING_HOURS), entered, agency=AGENCY)
    step = StepInstance(seq=2, code="THAM_DINH", name_vi="Thẩm định hồ sơ", unit="Phòng chuyên môn",
                        role=Role.PROCESSING_OFFICER, status=DossierStatus.PROCESSING, agency_code=AGENCY,
                        entered_at=entered, budget_hours=budget, due_at=due, lead="officer-bench",
                        assigned_by=AssignmentRule.LEAST_LOADED, assigned_at=entered)
    return d.model_copy(update={"steps": (step,)})


def step_not_due(t: datetime, rng: random.Random, seq: int) -> Any:
    """A not-due dossier whose open step was entered 10 minutes before T with 4 to 40 working hours."""
    return with_step(not_due(t, rng, seq), t - timedelta(minutes=10), str(rng.choice((4, 8, 16, 24, 40))))


def step_due_now(t: datetime, rng: random.Random, seq: int) -> Any:
    """A not-due dossier whose open step's warning is exactly T (entered Thu 5 08:00, 8.75 working hours)."""
    from motcua.domain import sla

    d = with_step(not_due(t, rng, seq), t.replace(hour=8), "8.75")
    keys = sla.index_keys(d.model_copy(update={"updated_at": t - timedelta(minutes=10)}))
    assert keys is not None and keys[1].startswith("2026-03-05T10:00:00.000000Z"), keys
    return d


def due_now(t: datetime, rng: random.Random, seq: int) -> Any:
    """Received Mon 2 Mar between 08:00 and 16:00 with 5 working days: due Mon 9 17:00, warn_2wd = T."""
    from motcua.domain import sla

    received = datetime(2026, 3, 2, 8, tzinfo=t.tzinfo) + timedelta(seconds=rng.randrange(8 * 3600))
    d = _dossier(received, 5, seq)
    timer = sla.next_timer(d, t)
    assert timer is not None and timer.kind == "warn_2wd" and timer.at == t, timer
    return d


def breach_now(t: datetime, rng: random.Random, seq: int) -> Any:
    """Received Thu 26 Feb between 08:00 and 16:00 with 5 working days: due Thu 5 Mar 17:00 = T; its warnings
    and last day fired by earlier sweeps, its breach due at T."""
    from motcua.domain import sla

    received = datetime(2026, 2, 26, 8, tzinfo=t.tzinfo) + timedelta(seconds=rng.randrange(8 * 3600))
    d = _dossier(received, 5, seq)
    fired = tuple(x.key for x in sla.pending_timers(d) if x.at < t)
    d = d.model_copy(update={"sla_fired": fired, "updated_at": t - timedelta(hours=9)})
    timer = sla.next_timer(d, t)
    assert d.due_at == t and timer is not None and timer.kind == "breach" and timer.at == t, timer
    return d


def load(stack: BenchStack, dossiers: list[Any]) -> float:
    """BatchWriteItem the dossiers' items (25 per request, 2 threads); returns items per second."""
    from motcua.data.transactions import dossier_item

    client = stack.client("dynamodb")
    table = stack.table_name
    def item(d: Any) -> dict[str, Any]:
        stored = dossier_item(d)
        stored.version = d.version  # as stored after the write (a save bumps it; serialize() does not)
        return stored.serialize()

    requests = [{"PutRequest": {"Item": item(d)}} for d in dossiers]
    chunks = [requests[i:i + 25] for i in range(0, len(requests), 25)]

    def write(chunk: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {table: chunk}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(write, chunks))
    return len(dossiers) / (time.perf_counter() - started)


def measure(size: int, due: int, t: datetime, step_due: int = 0) -> dict[str, Any]:
    from motcua.service.sla import SlaSweeper

    sweeper = SlaSweeper()
    query_s = [0.0]
    due_page = sweeper.timers.due_page

    def timed_due_page(*a: Any, **k: Any) -> Any:  # the reading part of the sweep, timed apart
        t0 = time.perf_counter()
        try:
            return due_page(*a, **k)
        finally:
            query_s[0] += time.perf_counter() - t0

    sweeper.timers.due_page = timed_due_page  # type: ignore[method-assign]
    started = time.perf_counter()
    report = sweeper.sweep(t)
    sweep_s = time.perf_counter() - started
    assert report.fired_total == due + step_due and report.fired["step_warning"] == step_due, report.to_json()
    assert report.errors == 0, report.to_json()
    started = time.perf_counter()
    empty = sweeper.sweep(t)
    empty_s = time.perf_counter() - started
    assert empty.fired_total == 0 and empty.items_read == 0, empty.to_json()
    due += step_due
    return {"size": size, "due": due, "fired": report.fired_total, "items_read": report.items_read,
            "items_per_due": report.items_read / due, "step_fired": report.fired["step_warning"],
            "read_units": report.read_units, "pages": report.pages,
            "conflicts": report.conflicts, "sweep_s": sweep_s, "per_due_ms": 1000 * sweep_s / due,
            "query_s": query_s[0], "fire_s": sweep_s - query_s[0],
            "empty_sweep_s": empty_s}


def scan_fired(stack: BenchStack) -> tuple[int, int, int]:
    """(timer firings in the history, duplicates, breach dossiers with a drafted letter key), from a scan."""
    import json
    from collections import Counter

    client = stack.client("dynamodb")
    seen: Counter[tuple[str, str, str]] = Counter()
    drafted = 0

    def segment(n: int) -> tuple[Counter[tuple[str, str, str]], int]:
        found: Counter[tuple[str, str, str]] = Counter()
        letters = 0
        request: dict[str, Any] = {"TableName": stack.table_name, "Segment": n, "TotalSegments": 2,
                                   "ProjectionExpression": "pk, sk, doc"}
        while True:
            page = client.scan(**request)
            for item in page.get("Items", []):
                sk = item["sk"]["S"]
                if sk.startswith("EVENT#"):
                    event = json.loads(item["doc"]["S"])
                    if event["action"] in ("sla_warning", "sla_breach", "step_alert"):
                        found[(event["dossier_id"], event["action"], event["details"]["kind"])] += 1
                elif sk == "DOSSIER":
                    apology = json.loads(item["doc"]["S"]).get("apology")
                    letters += bool(apology and apology.get("letter_key"))
            if "LastEvaluatedKey" not in page:
                return found, letters
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        for found, letters in pool.map(segment, range(2)):
            seen.update(found)
            drafted += letters
    return sum(seen.values()), sum(n - 1 for n in seen.values() if n > 1), drafted


def burst(args: argparse.Namespace) -> None:
    """N timers due at T fired by the declared fan-out: the sweep's handler, the queue, the shard workers."""
    import threading

    rng = random.Random(args.seed)
    with local_stack(seed=True) as stack:
        from infra import declaration
        from infra.local import load_handler, make_context
        from infra.local.pollers import queue_pollers
        from infra.local.scheduler import schedule_event
        from motcua.data.models import bind
        from motcua.domain.calendar import VN_TZ

        bind(stack.table_name)
        t = datetime(*T_SWEEP, tzinfo=VN_TZ)
        print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
              f"engines up in {stack.startup_s:.1f}s; burst at {t.isoformat()}")
        breaches = round(args.burst * args.breach_share)
        steps = round(args.burst * args.burst_step_share)
        warnings = args.burst - breaches - steps
        started = time.perf_counter()
        dossiers = ([due_now(t, rng, n) for n in range(warnings)]
                    + [breach_now(t, rng, warnings + n) for n in range(breaches)]
                    + [step_due_now(t, rng, warnings + breaches + n) for n in range(steps)])
        generate_s = time.perf_counter() - started
        rate = load(stack, dossiers)
        print(f"due at T: {warnings} warnings, {breaches} breaches (with their apology), {steps} step warnings; "
              f"generated in {generate_s:.1f}s, loaded at {rate:,.0f} items/s")

        from motcua.handlers import sla_worker  # the worker's module, as its pollers import it

        reports: list[Any] = []
        lock = threading.Lock()
        sweep_shard = sla_worker.sweeper.sweep_shard

        def counted(*a: Any, **k: Any) -> Any:  # the workers' reports, summed (the handler only logs them)
            report = sweep_shard(*a, **k)
            with lock:
                reports.append(report)
            return report

        sla_worker.sweeper.sweep_shard = counted  # type: ignore[method-assign]
        worker = declaration.function("sla-worker")
        sqs = stack.client("sqs")
        queues = {name: (q.url, q.arn) for name, q in stack.resources.queues.items()}
        pollers = queue_pollers(sqs, queues, functions=[worker])
        queue_url = stack.resources.queues["sla-shards"].url
        sweep_fn = declaration.function("sla")
        for poller in pollers:
            poller.start()
        try:
            started = time.perf_counter()
            load_handler(sweep_fn.handler)(schedule_event(sweep_fn, at=t), make_context(sweep_fn))
            while True:
                attributes = sqs.get_queue_attributes(
                    QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages",
                                                        "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
                if not any(int(v) for v in attributes.values()):
                    break
                time.sleep(0.2)
            burst_s = time.perf_counter() - started
        finally:
            for poller in pollers:
                poller.stop()
        fired_reported = sum(r.fired_total for r in reports)
        items_read = sum(r.items_read for r in reports)
        conflicts = sum(r.conflicts for r in reports)
        errors = sum(r.errors for r in reports)
        print(f"burst: {len(pollers)} concurrent workers, {len(reports)} shard runs, fired {fired_reported} "
              f"(reported) in {burst_s:.1f}s ({1000 * burst_s / max(fired_reported, 1):.2f} ms per timer), "
              f"read {items_read} items, {conflicts} conflicts, {errors} errors")
        fired, duplicates, drafted = scan_fired(stack)
        letter_ms = 0.0
        if args.letters and breaches:
            from motcua.data.repositories import CatalogueRepository, DossierRepository
            from motcua.service.letters import ApologyLetters

            letters, agencies = ApologyLetters(), CatalogueRepository().agencies()
            breached = [d.id for d in dossiers[warnings:warnings + min(args.letters, breaches)]]
            started = time.perf_counter()
            rendered = sum(letters.render_pending(DossierRepository().get(i), agencies) for i in breached)
            letter_ms = 1000 * (time.perf_counter() - started) / max(len(breached), 1)
            print(f"Form 04 drafts rendered after the burst (as the notifier does): {rendered} of {len(breached)}, "
                  f"{letter_ms:.0f} ms each; all {breaches} would take {breaches * letter_ms / 1000:.0f}s "
                  "of the notifier's time")
        print(f"burst={args.burst} warnings={warnings} breaches={breaches} step_warnings={steps} "
              f"workers={len(pollers)} conflicts={conflicts} errors={errors} letters_drafted={drafted} "
              f"letter_ms={letter_ms:.0f} fired_reported={fired_reported} "
              f"goal_5min_met={burst_s <= 300 and fired == args.burst} "
              f"burst_s={burst_s:.1f} fired={fired} duplicates={duplicates} "
              f"items_per_due={items_read / args.burst:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="open totals, ascending (default 10000,100000)")
    parser.add_argument("--due", type=int, default=500, help="dossiers due at the sweep instant, per size")
    parser.add_argument("--step-due", type=int, default=500, help="dossiers whose open step's warning is due at T")
    parser.add_argument("--step-share", type=float, default=0.5, help="share of the not-due dossiers with an open step")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--burst", type=int, default=0, help="measure N timers due at the same 17:00 instead")
    parser.add_argument("--breach-share", type=float, default=0.07, help="--burst: share of breaches")
    parser.add_argument("--burst-step-share", type=float, default=0.3, help="--burst: share of step warnings")
    parser.add_argument("--letters", type=int, default=50, help="--burst: Form 04 drafts rendered afterwards")
    args = parser.parse_args()
    if args.burst:
        burst(args)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(args.seed)

    with local_stack() as stack:
        from motcua.data.models import bind
        from motcua.domain.calendar import VN_TZ

        bind(stack.table_name)
        t = datetime(*T_SWEEP, tzinfo=VN_TZ)
        print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
              f"engines up in {stack.startup_s:.1f}s; sweep instant {t.isoformat()}")
        from motcua.service.sla import SlaSweeper

        results: list[dict[str, Any]] = []
        loaded = 0
        seq = 0
        for size in sizes:
            if not results:
                # Warm-up (not measured): a first sweep over as many due dossiers, so that the JVM's JIT and the
                # connections are as warm for the first size as for the next ones. They stay open (not due).
                warm = []
                for _ in range(args.due):
                    seq += 1
                    warm.append(due_now(t, rng, seq))
                load(stack, warm)
                warm_started = time.perf_counter()
                warm_report = SlaSweeper().sweep(t)
                print(f"warm-up sweep: fired {warm_report.fired_total} in {time.perf_counter() - warm_started:.2f}s")
                loaded += len(warm)
            started = time.perf_counter()
            batch = []
            for _ in range(size - args.due - args.step_due - loaded):
                seq += 1
                batch.append(step_not_due(t, rng, seq) if rng.random() < args.step_share else not_due(t, rng, seq))
            for _ in range(args.due):
                seq += 1
                batch.append(due_now(t, rng, seq))
            for _ in range(args.step_due):
                seq += 1
                batch.append(step_due_now(t, rng, seq))
            generate_s = time.perf_counter() - started
            if len(results) == 0:
                doc_bytes = sum(len(d.model_dump_json()) for d in batch[:200]) / 200
                print(f"dossier item: ~{doc_bytes:,.0f} bytes of JSON (projected whole into the timers index)")
            rate = load(stack, batch)
            loaded += len(batch)  # the due ones stay open: firing moves their next timer after T
            print(f"size {size:,}: generated {len(batch):,} dossiers in {generate_s:.1f}s, loaded at {rate:,.0f} "
                  f"items/s")
            result = measure(size, args.due, t, args.step_due)
            results.append(result)
            print(f"  sweep at T: fired {result['fired']} of {result['due']} due ({result['step_fired']} steps'), "
                  f"read {result['items_read']} items "
                  f"({result['items_per_due']:.3f} per due dossier, {result['read_units']:.1f} RCU reported, "
                  f"{result['pages']} pages, {result['conflicts']} conflicts) in {result['sweep_s']:.2f}s "
                  f"({result['per_due_ms']:.1f} ms per due dossier: reading {result['query_s']:.2f}s, firing "
                  f"{result['fire_s']:.2f}s); empty sweep {result['empty_sweep_s'] * 1000:.0f} ms")
        small, large = results[0], results[-1]
        ratio = large["sweep_s"] / small["sweep_s"]
        worst = max(r["items_per_due"] for r in results)
        print(f"sizes={','.join(str(r['size']) for r in results)} due_per_sweep={args.due} "
              f"step_due_per_sweep={args.step_due} step_share={args.step_share} "
              f"items_per_due_small={small['items_per_due']:.3f} items_per_due_large={large['items_per_due']:.3f} "
              f"sweep_s_small={small['sweep_s']:.2f} sweep_s_large={large['sweep_s']:.2f} "
              f"sweep_time_ratio={ratio:.2f} size_ratio={large['size'] / small['size']:.0f} "
              f"query_s_small={small['query_s']:.2f} query_s_large={large['query_s']:.2f} "
              f"query_time_ratio={large['query_s'] / small['query_s']:.2f} "
              f"empty_sweep_ms_small={small['empty_sweep_s'] * 1000:.0f} "
              f"empty_sweep_ms_large={large['empty_sweep_s'] * 1000:.0f} "
              f"goal_items_per_due_met={worst <= GOAL_ITEMS_PER_DUE}")


if __name__ == "__main__":
    main()
