"""due_at throughput: computations per second for 1..60 working days, against a plain date addition.

Run: .venv/bin/python benchmarks/calendar.py  (one process, one core). The last line is key=value pairs.
Goal: >= 200,000 due_at computations per second for 15-working-day deadlines.
"""

from __future__ import annotations

import _paths  # noqa: F401  (first: see benchmarks/_paths.py)

# isort: split

import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from motcua.domain.calendar import default_calendar
from motcua.domain.clock import Pause, due_at

VN = ZoneInfo("Asia/Ho_Chi_Minh")
N_INPUTS = 10_000
REPEATS = 3


def receptions(n: int, seed: int = 4) -> list[datetime]:
    """Random reception instants in 2024-2025 (their deadlines stay inside the covered years)."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=VN)
    return [start + timedelta(seconds=rng.randrange(0, 2 * 365 * 86400)) for _ in range(n)]


def rate(fn, inputs: list, arg) -> float:  # type: ignore[no-untyped-def]
    """Calls per second, best of REPEATS runs over the inputs."""
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for r in inputs:
            fn(r, arg)
        best = min(best, time.perf_counter() - t0)
    return len(inputs) / best


def main() -> None:
    t0 = time.perf_counter()
    default_calendar().index(None)  # built once per process (a warm Lambda keeps it)
    build_ms = (time.perf_counter() - t0) * 1000
    print(f"calendar + index build (first use, includes importing holidays): {build_ms:.0f} ms")
    inputs = receptions(N_INPUTS)
    dates = [r.date() for r in inputs]
    three_weeks = timedelta(days=21)

    def plain_add(d, delta):  # type: ignore[no-untyped-def]
        return d + delta

    plain = rate(plain_add, dates, three_weeks)
    print(f"plain date + timedelta: {plain:,.0f}/s")
    results: dict[int, float] = {}
    for n in range(1, 61):
        results[n] = rate(due_at, inputs, n)
    for first in range(1, 61, 6):
        print("  ".join(f"{n:>2}d {results[n] / 1000:>6,.0f}k/s" for n in range(first, first + 6)))
    utc_inputs = [r.astimezone(UTC) for r in inputs]
    utc15 = rate(due_at, utc_inputs, 15)
    print(f"due_at 15 days, inputs in UTC (timezone conversion included): {utc15:,.0f}/s")
    pause_inputs = inputs[:2000]
    paused = rate(lambda r, n: due_at(r, n, [Pause(r + timedelta(days=2), r + timedelta(days=4))]),
                  pause_inputs, 15)
    print(f"due_at 15 days with one closed pause: {paused:,.0f}/s")
    r15 = results[15]
    print(f"due_at_per_s_15d={r15:.0f} due_at_per_s_1d={results[1]:.0f} due_at_per_s_60d={results[60]:.0f} "
          f"min_per_s_1_to_60d={min(results.values()):.0f} due_at_per_s_15d_utc={utc15:.0f} "
          f"due_at_per_s_15d_paused={paused:.0f} date_add_per_s={plain:.0f} "
          f"ratio_vs_date_add={plain / r15:.1f} goal_200k_met={r15 >= 200_000}")


if __name__ == "__main__":
    main()
