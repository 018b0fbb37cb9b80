"""False-positive rate of the whole numpy half of the graph on `null` worlds.

Runs the same code path as the nightly run (`assets.in_memory_pipeline.run_in_memory`) on
many seeded synthetic years without steering and counts how often the package says VALIDATED
and how often the random-entry null's p falls below 0.05 (expected: about 5 %). With
`--steer X` it measures power instead. Not part of `make bench` timing goals; writes
benchmarks/results/false_positives.json (or power_<X>.json).

    .venv/bin/python -m benchmarks.study_false_positives [--seeds 20] [--steer 3.0]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

from assets.common.config import LabConfig, ValidationConfig
from assets.in_memory_pipeline import run_in_memory
from assets.synthetic_market.in_memory_days import synthetic_market

OUT = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--steer", type=float, default=None, help="steer strength (power study)")
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument("--end", default="2024-12-31")
    parser.add_argument("--replications", type=int, default=1000)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    cfg = LabConfig(validation=ValidationConfig(null_replications=args.replications,
                                                bootstrap_replications=500))
    scenario = "null" if args.steer is None else "steer"
    rows, started = [], time.perf_counter()
    for seed in range(1000, 1000 + args.seeds):
        market = synthetic_market(args.start, args.end, scenario, seed=seed, strength=args.steer)
        pkg = run_in_memory(market, cfg)
        rows.append({"seed": seed, "verdict": pkg["experimental_validity"],
                     "p_value": pkg["statistical_measures"]["p_value"],
                     "n_trades": pkg["performance_metrics"]["total_sample_size"],
                     "win_rate": pkg["performance_metrics"]["win_rate"],
                     "sharpe": pkg["performance_metrics"]["sharpe_ratio"]})
        print(rows[-1], flush=True)
    p = np.array([r["p_value"] for r in rows], dtype=float)
    result = {
        "scenario": scenario, "strength": args.steer, "seeds": args.seeds,
        "range": [args.start, args.end], "null_replications": args.replications,
        "validated": sum(r["verdict"] == "VALIDATED" for r in rows),
        "p_below_0_05": int((p < 0.05).sum()),
        "rate_p_below_0_05": float((p < 0.05).mean()),
        "ks_uniform_p": float(stats.kstest(p, "uniform").pvalue) if scenario == "null" else None,
        "seconds": round(time.perf_counter() - started, 1),
        "runs": rows,
    }
    OUT.mkdir(exist_ok=True)
    name = "false_positives.json" if scenario == "null" else f"power_{args.steer:g}.json"
    (OUT / name).write_text(json.dumps(result, indent=2) + "\n")
    print({k: v for k, v in result.items() if k != "runs"})


if __name__ == "__main__":
    main()
