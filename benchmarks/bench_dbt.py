"""dbt stage: one year built in one invocation, then a one-day increment.

    .venv/bin/python -m benchmarks.bench_dbt [--quick]

A temporary DuckDB gets raw.chains / raw.bars for the 2023 expiration sessions (252 days,
390 bars a day, 210 on early closes; 200 strikes x C/P for the day's own expiration plus
the next day's, so the 0DTE filter has work to do). Then, with the real project:
  1. `dbt build --vars {min_date: first, max_date: last}` on the empty warehouse: what a
     single-run Dagster backfill of the year does;
  2. `dbt build --vars {min_date: d, max_date: d}` for the last day: the nightly run.
Each is timed by wall clock (process start-up and parsing included) and by dbt's own
run_results.json elapsed time. Writes benchmarks/results/dbt.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from assets.common import calendar
from benchmarks.results_io import write_results

ROOT = Path(__file__).resolve().parents[1]

DBT_PROJECT_DIR = ROOT / "dbt_project"
DBT = str(Path(sys.executable).with_name("dbt"))
N_STRIKES = 200


def make_raw(db: Path, days: list[dt.date], seed: int = 7) -> tuple[int, int]:
    rng = np.random.default_rng(seed)
    bars, chains = [], []
    price = 4000.0
    for i, day in enumerate(days):
        sess = calendar.session(day)
        ts = sess.bar_starts()
        close = price + np.cumsum(rng.normal(0.0, 0.8, len(ts)))
        open_ = np.concatenate([[price], close[:-1]])
        bars.append(pd.DataFrame({
            "quote_date": day, "symbol": "SPX", "ts": ts, "open": open_,
            "high": np.maximum(open_, close) + 0.3, "low": np.minimum(open_, close) - 0.3,
            "close": close, "volume": 0, "source_file": f"bars/{day}.csv",
            "source_row": np.arange(1, len(ts) + 1)}))
        price = float(close[-1])
        center = 5 * round(open_[0] / 5)
        strikes = center + 5 * (np.arange(N_STRIKES) - N_STRIKES // 2)
        nxt = days[i + 1] if i + 1 < len(days) else day + dt.timedelta(days=1)
        for expiration in (day, nxt):
            for side in ("C", "P"):
                oi = rng.poisson(2000 * np.exp(-((strikes - center) / 60.0) ** 2) + 10)
                chains.append(pd.DataFrame({
                    "quote_date": day, "underlying": "SPX", "root": "SPXW",
                    "expiration": expiration, "strike": strikes.astype(float),
                    "option_type": side, "open_interest": oi.astype("int64"), "volume": 0,
                    "bid": np.nan, "ask": np.nan, "implied_volatility": np.nan,
                    "underlying_price": np.nan, "source_file": f"chains/{day}.csv",
                    "source_row": np.arange(1, N_STRIKES + 1)}))
    bars_df, chains_df = pd.concat(bars), pd.concat(chains)
    con = duckdb.connect(str(db))
    con.execute("create schema raw")
    con.execute("create table raw.chains as select quote_date::date as quote_date, underlying, "
                "root, expiration::date as expiration, strike, option_type, "
                "open_interest::bigint as open_interest, volume::bigint as volume, "
                "bid::double as bid, ask::double as ask, "
                "implied_volatility::double as implied_volatility, "
                "underlying_price::double as underlying_price, source_file, "
                "source_row::bigint as source_row from chains_df")
    con.execute("create table raw.bars as select quote_date::date as quote_date, symbol, "
                "ts::timestamptz as ts, open, high, low, close, volume::bigint as volume, "
                "source_file, source_row::bigint as source_row from bars_df")
    con.close()
    return len(bars_df), len(chains_df)


def dbt_build(db: Path, work: Path, first: dt.date, last: dt.date) -> dict:
    env = {**os.environ, "PRESSURE_LAB_DUCKDB": str(db), "DO_NOT_TRACK": "1",
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = work / f"target-{first}-{last}"
    cmd = [DBT, "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
           str(DBT_PROJECT_DIR), "--target-path", str(target), "--log-path", str(work / "logs"),
           "--vars", json.dumps({"min_date": first.isoformat(), "max_date": last.isoformat()})]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout[-4000:])
    results = json.loads((target / "run_results.json").read_text())
    return {"wall_seconds": round(wall, 2),
            "dbt_elapsed_seconds": round(results["elapsed_time"], 2),
            "nodes": len(results["results"])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="20 days instead of a year")
    args = parser.parse_args()
    days = calendar.expiration_days("2023-01-03", "2023-12-29", "spxw")
    if args.quick:
        days = days[-20:]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = work / "warehouse.duckdb"
        t0 = time.perf_counter()
        n_bars, n_chain_rows = make_raw(db, days)
        gen = time.perf_counter() - t0
        full = dbt_build(db, work, days[0], days[-1])
        one_day = dbt_build(db, work, days[-1], days[-1])
        con = duckdb.connect(str(db), read_only=True)
        mart_rows = {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
                     for t in ("oi_concentration", "oi_concentration_daily", "daily_outcomes")}
        con.close()
    out = {
        "stage": "dbt", "quick": args.quick, "days": len(days),
        "raw_bars": n_bars, "raw_chain_rows": n_chain_rows, "strikes_per_day": N_STRIKES,
        "data_generation_seconds": round(gen, 2),
        "year_single_invocation": full, "one_day_increment": one_day,
        "mart_rows": mart_rows,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
    }
    write_results("dbt", out)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
