"""The monthly index: a full recompute over a million generated dossiers for one month, and the incremental
job's reads per unit.

Run: .venv/bin/python benchmarks/index.py [--dossiers 1000000] [--workers 2] [--no-stack]
The last line is key=value pairs. Goal: the recompute of 1M dossiers in < 60 s and < 1 GiB on 2 cores.

Recompute. A pool of distinct generated dossiers (``motcua.domain.demo_data``, received in September 2026, their
histories running on into October) is generated once; the million dossiers are drawn from it lazily, each a
copy with its own id and receipt code, one at a time (never all in memory), and folded as ``motcua index
--recompute`` folds them (``motcua.domain.index.fast.MonthFolder``: no per-dossier caching, so a copy costs
what a new dossier costs). ``--workers`` processes split the range; their counters are summed. The result is
checked against the reference fold (``facts_from_history`` + ``counters_for_month`` on the pool, times each
dossier's number of copies). Reading the histories from DynamoDB is not part of this measure (see
``docs/benchmarks.md``).

Incremental. Two provinces of different sizes are loaded into DynamoDB Local through the index's write path
(``load_histories``, bulk) and the monthly job's counter reads counted: one item per agency that received a
dossier, whatever the number of dossiers.
"""

from __future__ import annotations

import _paths  # noqa: F401  (first: see benchmarks/_paths.py)

# isort: split

import argparse
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Iterator
from typing import Any

from motcua.domain.demo_data import generate
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.index import Month, counters_for_month, facts_from_history
from motcua.domain.index.fast import MonthFolder

MONTH = Month(2026, 9)
Pool = list[tuple[Dossier, list[HistoryEvent]]]
_POOL: Pool = []  # set before the workers fork: they share it copy-on-write


def make_pool(size: int, seed: int = 2026) -> Pool:
    return generate(months=1, dossiers=size, end_month=MONTH, seed=seed, as_of=MONTH.next.end)


def dossiers(start: int, stop: int) -> Iterator[tuple[Dossier, list[HistoryEvent]]]:
    """Dossiers ``start..stop`` of the million, made one at a time from the pool."""
    pool = _POOL
    size = len(pool)
    for i in range(start, stop):
        dossier, history = pool[i % size]
        yield dossier.model_copy(update={"id": f"bench{i:08d}", "receipt_code": f"{dossier.agency_code}-{i:08d}"}), \
            history


def fold(span: tuple[int, int]) -> tuple[dict[str, dict[str, int]], int, int, float]:
    """One worker: counters of its dossiers, how many it folded, its peak RSS (KiB), its CPU seconds."""
    cpu = time.process_time()
    folder = MonthFolder(MONTH)
    by_units: dict[tuple[str, ...], dict[str, int]] = {}  # summed per ancestry, spread over its units at the end
    n = 0
    for dossier, history in dossiers(*span):
        n += 1
        found = folder.contribution(dossier, history)
        if found is None:
            continue
        units, counters = found
        row = by_units.get(units)
        if row is None:
            row = by_units[units] = {}
        for key, value in counters.items():
            row[key] = row.get(key, 0) + value
    out: dict[str, dict[str, int]] = {}
    for units, row in by_units.items():
        for unit in units:
            target = out.setdefault(unit, {})
            for key, value in row.items():
                target[key] = target.get(key, 0) + value
    return out, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.process_time() - cpu


def recompute(total: int, workers: int) -> tuple[dict[str, dict[str, int]], float, list[int], list[float]]:
    spans = [(total * w // workers, total * (w + 1) // workers) for w in range(workers)]
    MonthFolder(MONTH).contribution(*_POOL[0])  # the calendar index, built once per process before the fork
    started = time.perf_counter()
    if workers == 1:
        parts = [fold(spans[0])]
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(fold, spans)
    elapsed = time.perf_counter() - started
    merged: dict[str, dict[str, int]] = {}
    for counters, _, _, _ in parts:
        for unit, row in counters.items():
            target = merged.setdefault(unit, {})
            for key, value in row.items():
                target[key] = target.get(key, 0) + value
    assert sum(p[1] for p in parts) == total
    return ({u: {k: v for k, v in r.items() if v} for u, r in merged.items()}, elapsed, [p[2] for p in parts],
            [p[3] for p in parts])


def expected(total: int) -> dict[str, dict[str, int]]:
    """The reference fold on the pool, each dossier weighted by its number of copies."""
    size = len(_POOL)
    out: dict[str, dict[str, int]] = {}
    for j, (dossier, history) in enumerate(_POOL):
        copies = total // size + (1 if j < total % size else 0)
        facts = facts_from_history(dossier, history, MONTH.end)
        if facts is None or not copies:
            continue
        for unit, row in counters_for_month([facts], MONTH).items():
            target = out.setdefault(unit, {})
            for key, value in row.items():
                target[key] = target.get(key, 0) + value * copies
    return out


def incremental_reads(sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    """Load provinces into DynamoDB Local through the index's write path; count the job's reads."""
    from benchmarks._stack import local_stack

    results = []
    with local_stack() as stack:
        from motcua.data.index_store import IndexRepository
        from motcua.data.models import bind
        from motcua.service.index.job import IndexJob
        from motcua.service.index.loading import load_histories
        from tests.conftest import truncate_table

        bind(stack.table_name)
        for n in sizes:
            truncate_table(stack.client("dynamodb"), stack.table_name)
            province = generate(months=1, dossiers=n, end_month=MONTH, seed=n, as_of=MONTH.next.end)
            started = time.perf_counter()
            load_histories(province)
            loaded_s = time.perf_counter() - started
            store = IndexRepository()
            job = IndexJob(store=store)
            started = time.perf_counter()
            c = job.from_aggregates(MONTH)
            job_s = time.perf_counter() - started
            units = len(c.results)
            results.append({"dossiers": len(province), "units": units, "aggregate_items": store.reads.aggregate_items,
                            "items_per_unit": store.reads.aggregate_items / units, "late_rows": store.reads.late_rows,
                            "load_s": loaded_s, "job_s": job_s})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool", type=int, default=2000, help="distinct generated dossiers to draw from")
    parser.add_argument("--no-stack", action="store_true", help="skip the incremental job on DynamoDB Local")
    args = parser.parse_args()

    global _POOL
    started = time.perf_counter()
    _POOL = make_pool(args.pool)
    print(f"pool: {len(_POOL)} distinct dossiers generated in {time.perf_counter() - started:.1f} s "
          f"(not measured), {sum(len(h) for _, h in _POOL) / len(_POOL):.1f} events each", flush=True)
    counters, elapsed, worker_kib, worker_cpu = recompute(args.dossiers, args.workers)
    ok = counters == expected(args.dossiers)
    parent_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mib = (parent_kib + sum(worker_kib)) / 1024  # upper bound: every process at its own peak at once
    province = counters[max(counters, key=lambda u: counters[u].get("received", 0))]
    rate = args.dossiers / elapsed
    print(f"recompute: {args.dossiers:,} dossiers of {MONTH} in {elapsed:.1f} s on {args.workers} process(es): "
          f"{rate:,.0f} dossiers/s, {elapsed / args.dossiers * 1e6 * args.workers:.0f} us per dossier per process; "
          f"peak RSS parent {parent_kib / 1024:.0f} MiB + workers {[round(k / 1024) for k in worker_kib]} MiB; "
          f"province received {province.get('received', 0):,}, late {province.get('late', 0):,}; "
          f"equal to the reference fold: {ok}", flush=True)
    # On a shared machine the wall time depends on the other processes; the workers' CPU time does not. With
    # the cores to themselves the workers would finish in about the largest worker's CPU time.
    cpu_bound = max(worker_cpu)
    print(f"CPU: workers {[round(c, 1) for c in worker_cpu]} s ({sum(worker_cpu) / args.dossiers * 1e6:.0f} us CPU "
          f"per dossier): about {cpu_bound:.0f} s on {args.workers} otherwise idle cores; load average "
          f"{os.getloadavg()[0]:.1f} during the run", flush=True)
    reads: list[dict[str, Any]] = []
    if not args.no_stack:
        reads = incremental_reads((300, 1200))
        for r in reads:
            print(f"incremental job, {r['dossiers']} dossiers: {r['aggregate_items']} counter items for {r['units']} "
                  f"units ({r['items_per_unit']:.2f} per unit), {r['late_rows']} late rows, job {r['job_s']:.2f} s "
                  f"(load {r['load_s']:.1f} s)", flush=True)
    per_unit = max((r["items_per_unit"] for r in reads), default=float("nan"))
    print(f"dossiers={args.dossiers} workers={args.workers} seconds={elapsed:.1f} dossiers_per_s={rate:.0f} "
          f"cpu_seconds_max_worker={cpu_bound:.1f} cpu_us_per_dossier={sum(worker_cpu) / args.dossiers * 1e6:.0f} "
          f"peak_mib={peak_mib:.0f} equal={ok} items_read_per_unit={per_unit:.2f} load_avg={os.getloadavg()[0]:.1f}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
