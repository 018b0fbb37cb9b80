"""Parameter sweeps through the CLI, end to end: grids of 12, 48 and 192 variants over one
synthetic year, and 48 variants over three years.

    .venv/bin/python -m benchmarks.bench_sweep [--years 1 3] [--variants 12 48 192] [--out F]

For each size of data (years of the `null` scenario, seed 1, ending 2024-12-31) in a fresh
temporary `PRESSURE_LAB_HOME`: `pressure-lab synth`, then `pressure-lab run` (ingestion,
recorded but not part of the goal), then `pressure-lab sweep` with each grid, as child
processes, so the wall time includes interpreter start-up, imports, the Dagster runs, the
fan-in's DuckDB load, PBO (16 blocks: 12,870 combinations), SPA (1,000 bootstrap
replications), the walk-forward, sweep.json and the HTML page. The grids all use both
probability models: 12 = 2 x 2 x 3, 48 = 2 x 4 x 6, 192 = 2 x 4 x 6 x 4.
Goal: the 48-variant sweep over one year in <= 30 s. CPU time (children's user + system)
is reported beside the wall time: on shared cores it is the steadier figure.
Writes benchmarks/results/sweep.json (or --out).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_e2e import machine
from benchmarks.results_io import write_results

CLI = str(Path(sys.executable).with_name("pressure-lab"))
END = dt.date(2024, 12, 31)
GOAL_SECONDS = 30.0
THRESHOLDS = [60, 75, 85, 90]
STOPS = [4, 6, 8, 10, 12, 15]
GRIDS = {
    12: {"pressure.probability_model": ["seed", "itm_normal"],
         "pressure.threshold_percentile": [75, 90],
         "trading.stop_points.PIN_RISK_MANAGEMENT": [6, 10, 15]},
    48: {"pressure.probability_model": ["seed", "itm_normal"],
         "pressure.threshold_percentile": THRESHOLDS,
         "trading.stop_points.PIN_RISK_MANAGEMENT": STOPS},
    192: {"pressure.probability_model": ["seed", "itm_normal"],
          "pressure.threshold_percentile": THRESHOLDS,
          "trading.stop_points.PIN_RISK_MANAGEMENT": STOPS,
          "trading.target_points.PIN_RISK_MANAGEMENT": [6, 10, 15, 20]},
}


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DAGSTER_", "DBT_", "PRESSURE_LAB_"))}
    env.update(PRESSURE_LAB_HOME=str(home), GX_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    return env


def timed(argv: list[str], home: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([CLI, *argv], env=_env(home), capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise RuntimeError(f"{argv} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"argv": ["pressure-lab", *argv], "wall_seconds": round(wall, 2),
            "cpu_seconds": round(cpu, 2)}


def bench_years(years: int, variant_counts: list[int]) -> dict:
    start = dt.date(END.year - years + 1, 1, 1)
    home = Path(tempfile.mkdtemp(prefix=f"bench-sweep-{years}y-"))
    try:
        out = {"start": start.isoformat(), "end": END.isoformat()}
        out["synth"] = timed(["synth", "--scenario", "null", "--seed", "1", "--start",
                              start.isoformat(), "--end", END.isoformat()], home)
        out["run"] = timed(["run"], home)
        for n in variant_counts:
            grid = home / f"grid{n}.json"
            grid.write_text(json.dumps(GRIDS[n]))
            result = timed(["sweep", str(grid), "--name", f"bench{n}"], home)
            doc = json.loads((home / "evidence" / "sweeps" / f"bench{n}" / "sweep.json")
                             .read_text())
            result.update(variants=doc["n_variants"],
                          out_of_sample_days=doc["out_of_sample_days"]["n"],
                          variants_per_second=round(doc["n_variants"] / result["wall_seconds"],
                                                    2),
                          step_timings=doc["timings"],
                          pbo=doc["pbo"]["value"], spa_p_value=doc["spa"]["p_value"],
                          best_deflated_sharpe=doc["best"]["deflated_sharpe_ratio"])
            out[f"sweep_{n}"] = result
            print(f"{years}y {n} variants: {result['wall_seconds']} s wall, "
                  f"{result['cpu_seconds']} s cpu, {result['variants_per_second']} variants/s",
                  flush=True)
        return out
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--variants", type=int, nargs="+", default=[12, 48, 192],
                        choices=sorted(GRIDS))
    parser.add_argument("--out", default="sweep")
    args = parser.parse_args()
    sizes = {}
    for years in args.years:
        counts = args.variants if years == min(args.years) else [48]
        sizes[f"{years}_years"] = bench_years(years, counts)
    one = sizes.get("1_years", {}).get("sweep_48")
    payload = {
        "benchmark": "pressure-lab sweep, end to end through the CLI",
        "goal": {"one_year_48_variants_seconds": GOAL_SECONDS,
                 "measured_wall_seconds": one["wall_seconds"] if one else None,
                 "met": bool(one and one["wall_seconds"] <= GOAL_SECONDS)},
        "sizes": sizes,
        "load_average_at_end": list(os.getloadavg()),
        "machine": machine(),
    }
    path = write_results(args.out, payload)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
