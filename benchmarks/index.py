"""The monthly index: a full recompute over a million generated dossiers for one month, and the incremental
job's reads per unit.

Run: .venv/bin/python benchmarks/index.py [--dossiers 1000000] [--workers 2] [--no-stack]
The last line is key=value pairs. Goal: the recompute of 1M dossiers in < 10 s and < 1 GiB on 2 cores.

Recompute. A pool of distinct generated dossiers (``motcua.domain.demo_data``, received in September 2026, their
histories running on into October) is generated once; the million dossiers are drawn from it, each with its own
id, into the month's columns (``motcua.domain.index.columns.MonthColumns``, what ``motcua index --recompute``
exports the histories it reads into; timed apart as ``export_s``, it stands for reading the histories) and
folded as the recompute folds them (``fold_columns``: ``MonthFolder.fold_span`` over each range, no per-dossier
caching, so a copy costs what a new dossier costs), split over ``--workers`` forked processes.
``recompute_1m_s`` is that fold's wall time scaled to a million dossiers. The result is checked against the
reference fold (``facts_from_history`` + ``counters_for_month`` on the pool, times each dossier's number of
copies). Reading the histories from DynamoDB is not part of this measure (see ``docs/benchmarks.md``).

Incremental. Two provinces of different sizes are loaded into DynamoDB Local through the index's write path
(``load_histories``, bulk) and the monthly job's counter reads counted: one item per agency that received a
dossier, whatever the number of dossiers.
"""

from __future__ import annotations

import _paths  # noqa: F401  (first: see benchmarks/_paths.py)

# isort: split

import argparse
import os
import resource
import sys
import time
from typing import Any

from motcua.domain.demo_data import generate
from motcua.domain.dossier import Dossier, HistoryEvent
from motcua.domain.index import Month, counters_for_month, facts_from_history
from motcua.domain.index.columns import MonthColumns, fold_columns, fold_range
from motcua.domain.index.fast import MonthFolder

MONTH = Month(2026, 9)
Pool = list[tuple[Dossier, list[HistoryEvent]]]
_POOL: Pool = []  # set before the workers fork: they share it copy-on-write


def make_pool(size: int, seed: int = 2026) -> Pool:
    return generate(months=1, dossiers=size, end_month=MONTH, seed=seed, as_of=MONTH.next.end)


def export(total: int) -> tuple[MonthFolder, MonthColumns]:
    """The million dossiers' columns, drawn from the pool (each copy its own id)."""
    folder = MonthFolder(MONTH)
    columns = MonthColumns(end=folder.end)
    size = len(_POOL)
    for i in range(total):
        dossier, history = _POOL[i % size]
        columns.add(folder, dossier, history)
        columns.ids[-1] = f"bench{i:08d}"
    return folder, columns


def recompute(folder: MonthFolder, columns: MonthColumns, workers: int) -> tuple[dict[str, dict[str, int]], float,
                                                                                  float]:
    """The columnar fold over ``workers`` processes: counters, wall seconds, CPU seconds (all processes)."""
    fold_range(folder, columns, 0, 1)  # the calendar index, built once before the fork
    before = _cpu()
    started = time.perf_counter()
    folded = fold_columns(folder, columns, processes=workers)
    elapsed = time.perf_counter() - started
    assert folded.dossiers <= len(columns) == len(columns.ids)
    return folded.counters, elapsed, _cpu() - before


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the pool's workers, once joined)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


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
    started = time.perf_counter()
    folder, columns = export(args.dossiers)
    export_s = time.perf_counter() - started
    print(f"export: {len(columns):,} dossiers, {len(columns.at):,} events into the month's columns in "
          f"{export_s:.1f} s (not part of the recompute's time: it replaces reading the histories)", flush=True)
    counters, elapsed, cpu = recompute(folder, columns, args.workers)
    ok = counters == expected(args.dossiers)
    parent_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    worker_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak_mib = (parent_kib + args.workers * worker_kib) / 1024 if args.workers > 1 else parent_kib / 1024
    province = counters[max(counters, key=lambda u: counters[u].get("received", 0))]
    rate = args.dossiers / elapsed
    print(f"recompute: {args.dossiers:,} dossiers of {MONTH} in {elapsed:.2f} s on {args.workers} process(es): "
          f"{rate:,.0f} dossiers/s, {cpu / args.dossiers * 1e6:.1f} us CPU per dossier; "
          f"peak RSS parent {parent_kib / 1024:.0f} MiB, largest worker {worker_kib / 1024:.0f} MiB (the columns are "
          f"shared copy-on-write: the sum is an upper bound); province received {province.get('received', 0):,}, "
          f"late {province.get('late', 0):,}; equal to the reference fold: {ok}", flush=True)
    # On a shared machine the wall time depends on the other processes; the CPU time does not. With the cores
    # to themselves the workers would finish in about their CPU time divided by their number.
    cpu_bound = cpu / args.workers
    print(f"CPU: {cpu:.1f} s in all ({cpu / args.dossiers * 1e6:.1f} us per dossier): about {cpu_bound:.1f} s on "
          f"{args.workers} otherwise idle cores; load average {os.getloadavg()[0]:.1f} during the run", flush=True)
    reads: list[dict[str, Any]] = []
    if not args.no_stack:
        reads = incremental_reads((300, 1200))
        for r in reads:
            print(f"incremental job, {r['dossiers']} dossiers: {r['aggregate_items']} counter items for {r['units']} "
                  f"units ({r['items_per_unit']:.2f} per unit), {r['late_rows']} late rows, job {r['job_s']:.2f} s "
                  f"(load {r['load_s']:.1f} s)", flush=True)
    per_unit = max((r["items_per_unit"] for r in reads), default=float("nan"))
    print(f"dossiers={args.dossiers} workers={args.workers} seconds={elapsed:.2f} recompute_1m_s="
          f"{elapsed * 1_000_000 / args.dossiers:.2f} dossiers_per_s={rate:.0f} export_s={export_s:.1f} "
          f"cpu_seconds_per_worker={cpu_bound:.2f} cpu_us_per_dossier={cpu / args.dossiers * 1e6:.1f} "
          f"peak_mib={peak_mib:.0f} equal={ok} items_read_per_unit={per_unit:.2f} load_avg={os.getloadavg()[0]:.1f}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
