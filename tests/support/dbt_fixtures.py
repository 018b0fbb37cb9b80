"""Raw-table fixtures and a dbt runner for the dbt-stage tests (no tests in here).

The raw tables are written with the column names and types of docs/data-contract.md, so the
dbt project is exercised exactly as the ingestion stage will feed it. dbt runs as a real
subprocess (the `dbt` beside this interpreter) against a DuckDB file in a temporary
directory; PRESSURE_LAB_DUCKDB is the only thing that points it there.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from assets.common import calendar
from assets.common.settings import DBT_PROJECT_DIR
from assets.transform.dbt_args import window_env

DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

RAW_DDL = """
create schema if not exists raw;
create table if not exists raw.chains (
    quote_date date, underlying varchar, root varchar, expiration date, strike double,
    option_type varchar, open_interest bigint, volume bigint, bid double, ask double,
    implied_volatility double, underlying_price double, source_file varchar, source_row bigint
);
create table if not exists raw.bars (
    quote_date date, symbol varchar, ts timestamptz, open double, high double, low double,
    close double, volume bigint, source_file varchar, source_row bigint
);
"""

CHAIN_COLUMNS = ["quote_date", "underlying", "root", "expiration", "strike", "option_type",
                 "open_interest", "volume", "bid", "ask", "implied_volatility",
                 "underlying_price", "source_file", "source_row"]
BAR_COLUMNS = ["quote_date", "symbol", "ts", "open", "high", "low", "close", "volume",
               "source_file", "source_row"]


@dataclass(frozen=True)
class DayBars:
    """One session's bars as arrays, so a test can compute its oracle with numpy."""

    day: dt.date
    ts: pd.DatetimeIndex  # UTC bar starts
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    def frame(self, symbol: str = "SPX") -> pd.DataFrame:
        n = len(self.ts)
        return pd.DataFrame({
            "quote_date": [self.day] * n, "symbol": symbol, "ts": self.ts,
            "open": self.open, "high": self.high, "low": self.low, "close": self.close,
            "volume": np.zeros(n, dtype="int64"), "source_file": f"bars/{self.day}.csv",
            "source_row": np.arange(1, n + 1, dtype="int64"),
        })


def session_bars(day: dt.date, first_open: float, anchors: dict[int, float]) -> DayBars:
    """Bars over the exchange session of `day`: closes interpolated linearly between
    anchor bar indices (-1 = the last bar), each bar opening at the previous close."""
    sess = calendar.session(day)
    assert sess is not None, f"{day} is not a session"
    ts = sess.bar_starts()
    n = len(ts)
    idx = sorted((i if i >= 0 else n + i) for i in anchors)
    vals = [anchors[i] if i in anchors else anchors[i - n] for i in idx]
    close = np.interp(np.arange(n), idx, vals)
    open_ = np.concatenate([[first_open], close[:-1]])
    high = np.maximum(open_, close) + 0.25
    low = np.minimum(open_, close) - 0.25
    return DayBars(day, ts, open_, high, low, close)


def chain_frame(day: dt.date, rows: list[tuple[float, str, int]],
                expiration: dt.date | None = None) -> pd.DataFrame:
    """Chain rows (strike, C/P, open interest) for one quote day and expiration."""
    expiration = expiration or day
    return pd.DataFrame({
        "quote_date": [day] * len(rows), "underlying": "SPX", "root": "SPXW",
        "expiration": [expiration] * len(rows),
        "strike": [float(r[0]) for r in rows], "option_type": [r[1] for r in rows],
        "open_interest": np.array([r[2] for r in rows], dtype="int64"),
        "volume": np.zeros(len(rows), dtype="int64"), "bid": np.nan, "ask": np.nan,
        "implied_volatility": np.nan, "underlying_price": np.nan,
        "source_file": f"chains/{day}.csv", "source_row": np.arange(1, len(rows) + 1),
    })


def write_raw(db_path: Path, chains: pd.DataFrame | None = None,
              bars: pd.DataFrame | None = None, replace_days: bool = True) -> None:
    """Append rows to raw.chains / raw.bars, first deleting the days they carry (a
    re-delivery of a day replaces it, as the ingestion's publish step does)."""
    con = duckdb.connect(str(db_path))
    try:
        con.execute(RAW_DDL)
        for table, frame, cols in (("raw.chains", chains, CHAIN_COLUMNS),
                                   ("raw.bars", bars, BAR_COLUMNS)):
            if frame is None or frame.empty:
                continue
            con.register("_incoming", frame[cols])
            if replace_days:
                con.execute(f"delete from {table} where quote_date in "
                            "(select distinct quote_date from _incoming)")
            con.execute(f"insert into {table} select * from _incoming")
            con.unregister("_incoming")
    finally:
        con.close()


def query(db_path: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def dbt_env(db_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PRESSURE_LAB_DUCKDB": str(db_path),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    return env


def run_dbt(args: list[str], db_path: Path, work_dir: Path,
            window: tuple[dt.date, dt.date] | None = None,
            window_via: str = "vars") -> subprocess.CompletedProcess:
    """`dbt <args>` on the project, artefacts and logs under work_dir; never raises.

    The window goes in `--vars` (as a person runs dbt) or, with window_via="env", in the
    environment (as the Dagster asset does)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    cmd = [DBT_EXECUTABLE, *args, "--project-dir", str(DBT_PROJECT_DIR),
           "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
    env = dbt_env(db_path)
    bounds = ({"min_date": window[0].isoformat(), "max_date": window[1].isoformat()}
              if window is not None else None)
    if window_via == "env":
        env.update(window_env(bounds))
    elif bounds is not None:
        cmd += ["--vars", json.dumps(bounds)]
    return subprocess.run(cmd, env=env, cwd=str(work_dir), capture_output=True, check=False,
                          text=True, timeout=600)
