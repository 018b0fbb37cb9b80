"""The engine in memory: calibration, per-day units (with and without their Monte Carlo
shares), the aggregation and the whole validation, on the synthetic market.

    .venv/bin/python -m benchmarks.bench_engine [--quick]

One and three years of the embedded default (`null`, seed 7; `--quick`: one quarter),
with the default config (B = 2,000 null and direction-null replications, R = 99 OI
placebos per day). Reports seconds per step, milliseconds per unit, and the peak resident
memory. Writes benchmarks/results/engine.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import warnings

from threadpoolctl import threadpool_limits

from assets.common.config import LabConfig
from assets.engine.run import (
    aggregate_in_memory,
    calibration_record,
    engine_record,
    procedure_for,
    risk_report,
)
from assets.engine.unit import compute_units
from assets.synthetic_market.in_memory_days import synthetic_market
from assets.validation.package.evaluate import evaluate
from benchmarks.results_io import write_results


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, round(time.perf_counter() - t0, 3)


def one_span(start: str, end: str, cfg: LabConfig) -> dict:
    market, synth_s = _timed(synthetic_market, start, end, "null", seed=7)
    days = [market[d] for d in sorted(market)]
    proc, calib_s = _timed(procedure_for, market, cfg)
    _, plain_s = _timed(compute_units, days, proc, monte_carlo=False)
    units, units_s = _timed(compute_units, days, proc)
    agg, agg_s = _timed(aggregate_in_memory, units, market, proc)
    record = {"calibration_split": calibration_record(agg), "engine": engine_record(agg)}
    (package, _), eval_s = _timed(evaluate, agg, cfg, risk_report(agg), record,
                                  validation_timestamp="",
                                  load_days=lambda ds: {d: market[d] for d in ds})
    n = len(days)
    return {"start": start, "end": end, "days": n, "scored_days": len(agg.scored_days),
            "trades": int(len(agg.trades)), "synthetic_market_seconds": synth_s,
            "calibration_seconds": calib_s,
            "units_without_monte_carlo_seconds": plain_s,
            "units_seconds": units_s, "ms_per_unit": round(1000 * units_s / n, 2),
            "aggregation_seconds": agg_s, "validation_seconds": eval_s,
            "engine_total_seconds": round(calib_s + units_s + agg_s + eval_s, 3),
            "verdict": package["experimental_validity"],
            "p_value": package["statistical_measures"]["p_value"],
            "peak_rss_mb": round(_peak_rss_mb(), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one quarter only")
    args = parser.parse_args()
    cfg = LabConfig()
    spans = ([("2024-01-01", "2024-03-31")] if args.quick else
             [("2024-01-01", "2024-12-31"), ("2022-01-01", "2024-12-31")])
    warnings.simplefilter("ignore")
    with threadpool_limits(limits=1, user_api="blas"):
        runs = [one_span(a, b, cfg) for a, b in spans]
    out = {"benchmark": "engine", "quick": args.quick,
           "replications": {"null": cfg.validation.null_replications,
                            "oi_placebo_per_day": cfg.validation.oi_placebo_replications},
           "runs": runs,
           "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                       "platform": platform.platform(),
                       "note": "2 cores shared with other jobs: wall times are upper bounds"}}
    write_results("engine", out)
    sys.stdout.write(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
