"""Pressure kernel vs the specification's per-strike loop: one day and one year, one core.

    .venv/bin/python -m benchmarks.bench_pressure [--quick]

Days are random walks on real sessions with 390 bars x 250 strikes (5 points apart). The
loop is tests/support/pressure_reference.specification_pressure_loop, the specification's code
transcribed in plain Python (lists, not numpy scalars). For the year the kernel runs on all 252
days; the loop is timed on a sample of days and extrapolated to 252 (the JSON says how many).
Each kernel timing is the median of many calls; each loop timing one run. One-day
speed-up: best loop run / best kernel timing (timeit's best-of rule: the least disturbed
run of each side); loop and kernel runs are also interleaved in rounds, and the median of
the paired ratios is reported beside it. All times are the process's CPU time
(time.process_time), so being descheduled by other processes does not count. Year speed-up:
the loop's time extrapolated from its best-of-2 runs on the sample days / the sum over all
days of the kernel's best call on each day (the best full pass over the year is reported
beside it). On a shared machine the loop's runs vary by 2x with the load (the JSON records
the load average). BLAS is pinned to one thread before numpy loads, so every number is
single-core. Writes benchmarks/results/pressure.json.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from assets.common.calendar import expiration_days  # noqa: E402
from assets.common.config import PressureConfig  # noqa: E402
from assets.pressure.kernel import GridWorkspace, pressure_grid  # noqa: E402
from benchmarks.results_io import write_results  # noqa: E402
from tests.support.pressure_fixtures import make_day  # noqa: E402
from tests.support.pressure_reference import specification_pressure_loop  # noqa: E402

# CPU time of this process: time slices lost to other processes on a shared machine do
# not count (contention for caches and memory still does).
CLOCK = time.process_time
N_STRIKES = 250
YEAR_DAYS = 252
GOAL_RATIO = 300.0
GOAL_CELLS_PER_SECOND = 50e6


def loop_seconds(day) -> float:
    start = CLOCK()
    specification_pressure_loop(day.close, day.minutes_to_expiry, day.strikes, day.call_oi,
                       day.put_oi)
    return CLOCK() - start


def kernel_seconds(day, cfg, repeats: int, workspace=None) -> float:
    """Median of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = CLOCK()
        pressure_grid(day, cfg, workspace=workspace)
        times.append(CLOCK() - start)
    return float(np.median(times))


def year_seconds(days, cfg, rounds: int, workspace=None) -> tuple[float, float]:
    """(sum over days of each day's best call over the rounds, best full pass).

    The first is the same best-of rule as the one-day figure, applied day by day; the
    second is one uninterrupted pass over all the days (loop overhead included)."""
    per_day = np.full(len(days), np.inf)
    best_pass = np.inf
    for _ in range(rounds):
        pass_start = CLOCK()
        for i, day in enumerate(days):
            start = CLOCK()
            pressure_grid(day, cfg, workspace=workspace)
            per_day[i] = min(per_day[i], CLOCK() - start)
        best_pass = min(best_pass, CLOCK() - pass_start)
    return float(per_day.sum()), float(best_pass)


def regular_days(n: int) -> list:
    """n random-walk days on the regular (390-bar) sessions of 2023-2024."""
    out = []
    for i, d in enumerate(expiration_days("2023-01-01", "2024-12-31", "daily")):
        day = make_day(1000 + i, d, n_strikes=N_STRIKES)
        if day.n_bars == 390:
            out.append(day)
        if len(out) == n:
            break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer rounds and loop samples (a smoke run)")
    args = parser.parse_args()
    rounds = 2 if args.quick else 5
    repeats = 20 if args.quick else 50
    loop_samples = 2 if args.quick else 6

    load_at_start = os.getloadavg()
    cfg = PressureConfig()
    days = regular_days(YEAR_DAYS)
    cells_per_day = 390 * N_STRIKES
    year_cells = cells_per_day * len(days)
    workspace = GridWorkspace()
    one = days[0]
    kernel_seconds(one, cfg, 5)
    kernel_seconds(one, cfg, 5, workspace)

    # One day: rounds of (loop, kernel fresh, kernel in a workspace), paired.
    loop_day, fresh_day, ws_day = [], [], []
    for _ in range(rounds):
        loop_day.append(loop_seconds(one))
        fresh_day.append(kernel_seconds(one, cfg, repeats))
        ws_day.append(kernel_seconds(one, cfg, repeats, workspace))

    # One year: the kernel on every day (both modes); the loop on a sample of days, each
    # paired with the kernel on that same day.
    year_ws, pass_ws = year_seconds(days, cfg, rounds, workspace)
    year_fresh, pass_fresh = year_seconds(days, cfg, rounds)
    sample = days[:: max(len(days) // loop_samples, 1)][:loop_samples]
    loop_sample, kernel_sample = [], []
    for day in sample:
        loop_sample.append(min(loop_seconds(day) for _ in range(2)))
        kernel_sample.append(kernel_seconds(day, cfg, repeats, workspace))
    loop_year = float(np.mean(loop_sample)) * len(days)

    itm = PressureConfig(probability_model="itm_normal")
    kernel_seconds(one, itm, 2, workspace)
    itm_day = kernel_seconds(one, itm, max(repeats // 5, 5), workspace)

    def ratio(a, b) -> float:
        return float(np.median(np.asarray(a) / np.asarray(b)))

    def mode(day_s: list[float], year_s: float, pass_s: float) -> dict:
        best_day = float(min(day_s))
        return {"one_day_seconds_best": best_day,
                "one_day_cells_per_second": cells_per_day / best_day,
                "one_day_speedup_best_of": float(min(loop_day)) / best_day,
                "one_day_speedup_paired_median": ratio(loop_day, day_s),
                "one_year_seconds": year_s,
                "one_year_cells_per_second": year_cells / year_s,
                "one_year_speedup": loop_year / year_s,
                "one_year_best_full_pass_seconds": pass_s,
                "one_year_speedup_full_pass": loop_year / pass_s}

    modes = {"workspace": mode(ws_day, year_ws, pass_ws),
             "fresh_arrays": mode(fresh_day, year_fresh, pass_fresh)}
    result = {
        "benchmark": "pressure kernel vs specification per-strike loop",
        "quick": args.quick,
        "single_core": True,
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(),
                    "load_average_at_start": [round(x, 2) for x in load_at_start],
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "shape": {"bars": 390, "strikes": N_STRIKES, "cells_per_day": cells_per_day,
                  "year_days": len(days)},
        "kernel": {
            **modes,
            "sample_days_speedup_paired_median": ratio(loop_sample, kernel_sample),
            "rounds": rounds, "repeats_per_timing": repeats,
            "note": ("workspace: pressure_grid(..., workspace=GridWorkspace()) reusing one "
                     "buffer across days, as a day-by-day pipeline calls it; fresh_arrays: "
                     "new (T, K) arrays on every call (their page faults can dominate)"),
        },
        "itm_normal": {"one_day_seconds_median": itm_day,
                       "one_day_cells_per_second": cells_per_day / itm_day},
        "loop": {
            "one_day_seconds": loop_day,
            "one_day_cells_per_second": cells_per_day / float(np.median(loop_day)),
            "one_year_seconds_extrapolated": loop_year,
            "one_year_sample_days": len(sample),
            "one_year_sample_seconds": loop_sample,
            "note": (f"timed on {len(sample)} of the {len(days)} days (best of 2 runs "
                     f"each), mean scaled to {len(days)}"),
        },
        "goals": {
            "speedup_at_least": GOAL_RATIO,
            "cells_per_second_at_least": GOAL_CELLS_PER_SECOND,
            **{f"{name}_{what}": bool(ok) for name, m in modes.items() for what, ok in (
                ("one_day_speedup_met", m["one_day_speedup_best_of"] >= GOAL_RATIO),
                ("one_year_speedup_met", m["one_year_speedup"] >= GOAL_RATIO),
                ("throughput_met", m["one_year_cells_per_second"] >= GOAL_CELLS_PER_SECOND))},
        },
    }
    write_results("pressure", result)
    sys.stdout.write(json.dumps({k: result[k] for k in ("machine", "kernel", "loop", "goals")},
                                indent=2) + "\n")


if __name__ == "__main__":
    main()
