"""Random-entry null speed: B replications of ~500 trades over a synthetic year.

    .venv/bin/python -m benchmarks.bench_null [--quick]

A year of random-walk bars (252 days x 390 one-minute bars), ~500 trades at random
entries in the two urgency windows (priced by the shared exit engine, like the
simulator), then `random_entry_null` with B = 10,000 (`--quick`: B = 1,000). Reports wall
time, simulated trades per second, peak resident memory and the null's own numbers
(a random-entry strategy, so its p-value should be unremarkable).
Writes benchmarks/results/null.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time

import numpy as np

from assets.common.config import LabConfig
from assets.trading.simulator import build_bar_tape
from assets.validation.statistics.null_model import DEFAULT_CHUNK_TRADES, random_entry_null
from benchmarks.results_io import write_results
from tests.support.validation_fixtures import priced_trades, random_walk_days

DAYS = 252
TRADES = 500


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="B = 1,000 instead of 10,000")
    args = parser.parse_args()
    B = 1_000 if args.quick else 10_000
    cfg = LabConfig()

    t0 = time.perf_counter()
    days = random_walk_days(DAYS, 20250115)
    trades = priced_trades(days, TRADES, 20250116, cfg)
    tape = build_bar_tape(days)
    setup = time.perf_counter() - t0
    rss_before = _peak_rss_mb()

    t0 = time.perf_counter()
    res = random_entry_null(trades, tape, cfg.pressure.urgency_rules, cfg.trading, B,
                            cfg.validation.seed)
    wall = time.perf_counter() - t0
    simulated = B * res.n_trades

    out = {
        "benchmark": "random_entry_null",
        "quick": args.quick,
        "days": DAYS, "bars": int(tape.n_bars), "trades": res.n_trades,
        "replications": B, "simulated_trades": simulated,
        "chunk_trades": DEFAULT_CHUNK_TRADES,
        "setup_seconds": round(setup, 3),
        "wall_seconds": round(wall, 3),
        "simulated_trades_per_second": round(simulated / wall),
        "peak_rss_mb_before_null": round(rss_before, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "result": {"observed_mean_pnl_points": res.observed_mean_pnl_points,
                   "null_mean_pnl_points": float(np.mean(res.null_means)),
                   "p_value": res.p_value, "null_win_rate": res.null_win_rate,
                   "observed_win_rate": res.observed_wins / res.n_trades,
                   "binomial_p_value": res.binomial_p_value,
                   "null_exit_reasons": res.null_exit_reasons},
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                    "platform": platform.platform(),
                    "note": "2 cores shared with other jobs: wall times are upper bounds"},
    }
    write_results("null", out)
    sys.stdout.write(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
