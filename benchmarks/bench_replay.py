"""The replay's compute latency per minute: what the engine takes, once a bar has closed,
to give that minute's alerts, entries and exits.

    .venv/bin/python -m benchmarks.bench_replay [--days N]

A planted-steering world (the end-to-end tests' `steer`, strength 3, seed 11, 2024-01-02 ..
2024-03-28) is run by the batch engine; its last N scored days (default 10) are replayed
minute by minute from the open's sizing state, twice: on the synthetic chain (about 140
strikes listed, +/-7 % around the previous close) and on a full SPXW-sized chain (every
5 points from 75 % to 125 % of the previous close, about 480 strikes; the added wings get
OI like the listed wings). The goal is p99 <= 50 ms per minute. Writes
benchmarks/results/replay.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np

from assets.common.market_day import MarketDay
from assets.engine.replay import opening, replay_day
from benchmarks.results_io import write_results
from tests.support.replay_world import replay_world

GOAL_P99_MS = 50.0
WIDE = (0.75, 1.25)  # the full chain's strikes, as fractions of the previous close
STEP = 5.0


def full_chain(day: MarketDay, reference: float, rng: np.random.Generator) -> MarketDay:
    """The day with its chain widened to every 5 points over WIDE x `reference`; listed
    strikes keep their OI, the new wings draw theirs from the listed outer strikes'."""
    grid = np.arange(np.floor(WIDE[0] * reference / STEP) * STEP,
                     np.ceil(WIDE[1] * reference / STEP) * STEP + STEP / 2, STEP)
    listed = {float(k): i for i, k in enumerate(day.strikes)}
    outer = np.r_[day.call_oi[-10:], day.put_oi[:10]]
    scale = float(np.median(outer[outer > 0])) if (outer > 0).any() else 10.0
    call, put = rng.lognormal(np.log(scale), 0.8, (2, grid.size)).round()
    for j, k in enumerate(grid):
        if float(k) in listed:
            call[j], put[j] = day.call_oi[listed[float(k)]], day.put_oi[listed[float(k)]]
    return MarketDay(day.quote_date, day.session_open, day.session_close, day.ts, day.open,
                     day.high, day.low, day.close, day.minutes_to_expiry, grid, call, put)


def percentiles(latency: np.ndarray) -> dict:
    return {"minutes": int(latency.size), "p50_ms": round(float(np.percentile(latency, 50)), 2),
            "p99_ms": round(float(np.percentile(latency, 99)), 2),
            "max_ms": round(float(latency.max()), 2), "mean_ms": round(float(latency.mean()), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=10, help="scored days replayed")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    load_start = os.getloadavg()
    started = time.perf_counter()
    world = replay_world()
    market, cfg, agg, units, n_bars = (world.market, world.cfg, world.agg, world.units,
                                       world.n_bars)
    setup_s = time.perf_counter() - started
    rng = np.random.default_rng(0)
    days = agg.scored_days[-args.days:]
    chains, rows = {"synthetic": [], "full": []}, []
    for day in days:
        start = opening(units.candidates, n_bars, day, cfg.trading)
        previous = market[sorted(d for d in market if d < day)[-1]].close[-1]
        for name, md in (("synthetic", market[day]),
                         ("full", full_chain(market[day], float(previous), rng))):
            t0 = time.perf_counter()
            replay = replay_day(md, agg.procedure, start)
            wall = time.perf_counter() - t0
            chains[name].append(replay.latency_ms)
            rows.append({"day": day.isoformat(), "chain": name, "strikes": int(md.strikes.size),
                         "alerts": int(len(replay.alerts)), "trades": int(len(replay.trades)),
                         "replay_wall_seconds": round(wall, 3),
                         **percentiles(replay.latency_ms)})
    summary = {name: {"strikes_median": int(np.median([r["strikes"] for r in rows
                                                       if r["chain"] == name])),
                      **percentiles(np.concatenate(lat))} for name, lat in chains.items()}
    out = {"benchmark": "replay", "goal_p99_ms": GOAL_P99_MS,
           "meets_goal": all(s["p99_ms"] <= GOAL_P99_MS for s in summary.values()),
           "days": [d.isoformat() for d in days], "summary": summary, "per_day": rows,
           "setup_seconds": round(setup_s, 2),
           "total_seconds": round(time.perf_counter() - started, 2),
           "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                       "platform": platform.platform(),
                       "load_average_at_start": [round(x, 2) for x in load_start],
                       "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                       "note": "2 cores shared with other jobs: latencies are upper bounds"}}
    write_results("replay", out)
    sys.stdout.write(json.dumps({k: out[k] for k in ("goal_p99_ms", "meets_goal", "summary",
                                                     "total_seconds")}, indent=2) + "\n")


if __name__ == "__main__":
    main()
