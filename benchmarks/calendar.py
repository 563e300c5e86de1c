"""due_at throughput: computations per second for 1..60 working days, against a plain date addition.

Run: .venv/bin/python benchmarks/calendar.py  (one process, one core). The last line is key=value pairs.
Goal (issue 4): >= 200,000 due_at computations per second for 15-working-day deadlines.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder is sys.path[0] and "calendar.py" would shadow the standard library's
# calendar module (which holidays imports): drop the folder, add the repo's import roots instead.
_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
for _entry in (os.path.join(_ROOT, "functions"), _ROOT):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

import random  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from motcua.domain.calendar import default_calendar  # noqa: E402
from motcua.domain.clock import due_at  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")
N_INPUTS = 20_000
REPEATS = 5


def receptions(n: int, seed: int = 4) -> list[datetime]:
    """Random reception instants in 2024-2025 (their deadlines stay inside the covered years)."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=VN)
    return [start + timedelta(seconds=rng.randrange(0, 2 * 365 * 86400)) for _ in range(n)]


def rate(fn, inputs: list[datetime], arg) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for r in inputs:
            fn(r, arg)
        best = min(best, time.perf_counter() - t0)
    return len(inputs) / best


def main() -> None:
    default_calendar().index(None)  # build the index once, outside the timing (as a warm Lambda would)
    inputs = receptions(N_INPUTS)
    plain_delta = timedelta(days=21)

    def plain_add(r: datetime, delta: timedelta) -> datetime:
        return r + delta

    plain = rate(plain_add, inputs, plain_delta)
    print(f"plain datetime + timedelta: {plain:,.0f}/s")
    results: dict[int, float] = {}
    for n in (1, 2, 5, 10, 15, 20, 30, 45, 60):
        results[n] = rate(due_at, inputs, n)
        print(f"due_at {n:>2} working days: {results[n]:>12,.0f}/s")
    r15 = results[15]
    print(f"due_at_per_s_15d={r15:.0f} due_at_per_s_1d={results[1]:.0f} due_at_per_s_60d={results[60]:.0f} "
          f"plain_add_per_s={plain:.0f} ratio_vs_date_add={plain / r15:.1f} goal_200k_met={r15 >= 200_000}")


if __name__ == "__main__":
    main()
