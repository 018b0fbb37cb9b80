"""Ingestion throughput: parse, validate (great-expectations) and load, timed apart.

    .venv/bin/python -m benchmarks.bench_ingest [--quick]

1. Chains: one whole-market Cboe "Option EOD Summary" Calcs day (~1.5 M rows, every
   column of the real file, generated with numpy, written with pyarrow into a temp dir):
   parse = UTF-8 scan + Arrow CSV read + filter to the day's 0DTE SPXW rows + normalize;
   validate = the chain rules on the kept rows; load = stage + publish in DuckDB.
   Also at full size (every row mapped to the contract): normalize, validate, stage.
2. Bars: a year of canonical 1-minute bar files (the real sessions of one exchange year,
   early closes included, ~250 x 390): parse all files, validate the year in one GX run,
   stage + publish.
3. The bars check's scaling: what `bars_quality` computes after loading the stage (the GX
   bar rules, then bars against chains) on in-memory staged frames of 1 and 10 years of
   expiration days; the cost per day must not grow with the horizon.
Writes benchmarks/results/ingest.json. `--quick`: 150 000 chain rows, a quarter of bars,
and 1 vs 3 years for the scaling.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # before GX is imported

import duckdb  # noqa: E402

from assets.common import calendar  # noqa: E402
from assets.common.config import LabConfig  # noqa: E402
from assets.ingestion import plausibility, readers  # noqa: E402
from assets.ingestion.adapters import cboe, read_days  # noqa: E402
from assets.ingestion.contract import normalize_chains  # noqa: E402
from assets.ingestion.gx_validation import validate_bars, validate_chains  # noqa: E402
from assets.ingestion.write_audit_publish import publish_days, record_verdict, stage_days  # noqa: E402
from benchmarks.results_io import write_results  # noqa: E402
from tests.support.ingestion_fixtures import CBOE_COLUMNS  # noqa: E402 (the vendor's file layout)

CHAIN_DAY = dt.date(2024, 1, 5)
BAR_YEAR = 2023


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def cboe_market_day(rng: np.random.Generator, n_rows: int, day: dt.date) -> tuple[pa.Table, int]:
    """A full-market EOD day: SPXW (0DTE + 30 later expirations), SPX monthlies, then
    equity/ETF options up to `n_rows`. Returns the table and the 0DTE SPXW row count."""
    blocks = []

    def block(und, root, exps, strikes):
        e, k = np.meshgrid(np.asarray(exps, dtype="datetime64[D]"), strikes, indexing="ij")
        e, k = np.repeat(e.ravel(), 2), np.repeat(k.ravel(), 2)
        t = np.tile(np.array(["C", "P"]), e.size // 2)
        blocks.append((np.full(e.size, und, dtype=object), np.full(e.size, root, dtype=object),
                       e, k, t))

    d0 = np.datetime64(day)
    spx_strikes = np.arange(3700.0, 5700.0, 5.0)  # 400 strikes
    block("^SPX", "SPXW", [d0], spx_strikes)
    zero_dte = 2 * spx_strikes.size
    block("^SPX", "SPXW", d0 + np.arange(1, 31) * 2, spx_strikes[::2])
    block("^SPX", "SPX", d0 + np.arange(14, 14 + 12 * 28, 28), spx_strikes[::2])
    used = sum(b[0].size for b in blocks)
    per_ticker = 8 * 25 * 2  # 8 expirations x 25 strikes x C/P
    tickers = max(1, (n_rows - used) // per_ticker + 1)
    for i in range(tickers):
        base = float(rng.uniform(10, 500))
        block(f"T{i:04d}", f"T{i:04d}", d0 + np.arange(0, 8) * 7 + 2,
              np.round(base * np.linspace(0.7, 1.3, 25), 1))
    und, root, exp, strike, otype = (np.concatenate(x)[:n_rows] for x in zip(*blocks, strict=True))
    n = und.size
    price = rng.uniform(0.05, 50.0, n).round(2)
    cols: dict[str, pa.Array] = {
        "underlying_symbol": pa.array(und, pa.string()),
        "quote_date": pa.array(np.full(n, d0)), "root": pa.array(root, pa.string()),
        "expiration": pa.array(exp), "strike": pa.array(strike),
        "option_type": pa.array(otype, pa.string()),
    }
    for c in CBOE_COLUMNS[6:]:
        if c in ("trade_volume", "open_interest", "bid_size_1545", "ask_size_1545",
                 "bid_size_eod", "ask_size_eod"):
            cols[c] = pa.array(rng.integers(0, 20_000, n))
        elif c == "delivery_code":
            cols[c] = pa.array(np.full(n, "", dtype=object), pa.string())
        else:
            cols[c] = pa.array((price * rng.uniform(0.9, 1.1, n)).round(4))
    return pa.table(cols), zero_dte


def bar_files(rng: np.random.Generator, directory: Path, sessions) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    total = 0
    for s in sessions:
        ts = s.bar_starts()
        close = 4000.0 + np.cumsum(rng.normal(0, 0.8, ts.size))
        open_ = np.r_[close[0], close[:-1]]
        table = pa.table({
            "symbol": pa.array(np.full(ts.size, "SPX", dtype=object), pa.string()),
            "ts": pa.array(ts.tz_convert(calendar.EXCHANGE_TZ).strftime("%Y-%m-%dT%H:%M:%S%z")
                           .str.replace(r"(\d{2})(\d{2})$", r"\1:\2", regex=True), pa.string()),
            "open": open_, "high": np.maximum(open_, close) + 0.25,
            "low": np.minimum(open_, close) - 0.25, "close": close,
            "volume": rng.integers(10, 1000, ts.size)})
        pacsv.write_csv(table, directory / f"{s.day.isoformat()}.csv")
        total += ts.size
    return total


def rate(rows: int, seconds: float) -> float:
    return round(rows / seconds, 1) if seconds > 0 else float("inf")


def bench_chains(tmp: Path, cfg: LabConfig, n_rows: int, rng) -> dict:
    table, zero_dte = cboe_market_day(rng, n_rows, CHAIN_DAY)
    path = tmp / "landing" / "chains" / f"UnderlyingOptionsEODCalcs_{CHAIN_DAY}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    _, t_write = _timed(pacsv.write_csv, table, path)
    del table
    size_mb = path.stat().st_size / 2**20

    _, t_scan = _timed(readers.check_text, path, str(path))
    (arrow, _), t_read = _timed(cboe.read_table, path, False)
    read, t_map = _timed(cboe.map_table, arrow, str(path), CHAIN_DAY, cfg)
    t_parse = t_scan + t_read + t_map
    kept = read.frame
    report, t_validate = _timed(validate_chains, kept, cfg, [CHAIN_DAY])
    db = tmp / "chains.duckdb"
    with duckdb.connect(str(db)) as conn:
        _, t_stage = _timed(stage_days, conn, "chains", kept, [CHAIN_DAY])
        record_verdict(conn, "chains", [CHAIN_DAY], report.passed)
        _, t_publish = _timed(publish_days, conn, "chains", [CHAIN_DAY])

    # Full size: every row of the market mapped to the contract, validated and staged.
    frame = arrow.to_pandas(date_as_object=False)
    mapped = pd.DataFrame({
        "quote_date": frame["quote_date"], "underlying": frame["underlying_symbol"],
        "root": frame["root"], "expiration": frame["expiration"], "strike": frame["strike"],
        "option_type": frame["option_type"], "open_interest": frame["open_interest"],
        "volume": frame["trade_volume"], "bid": frame["bid_1545"], "ask": frame["ask_1545"],
        "implied_volatility": frame["implied_volatility_1545"],
        "underlying_price": frame["active_underlying_price_1545"]})
    del frame, arrow
    full, t_norm_full = _timed(normalize_chains, mapped, source_file=str(path), day=CHAIN_DAY)
    # Equity strikes are not on SPX's 5-point grid: that rule fails by design here; the
    # point is the cost of running every rule over 1.5 M rows in one GX validation.
    full_report, t_validate_full = _timed(validate_chains, full, cfg, [CHAIN_DAY])
    with duckdb.connect(str(tmp / "chains_full.duckdb")) as conn:
        _, t_stage_full = _timed(stage_days, conn, "chains", full, [CHAIN_DAY])
    n = int(read.rows_in_files)
    return {
        "file_rows": n, "file_mb": round(size_mb, 1), "generate_write_s": round(t_write, 3),
        "kept_rows_0dte": int(len(kept)), "expected_0dte_rows": zero_dte,
        "parse": {"seconds": round(t_parse, 3), "file_rows_per_s": rate(n, t_parse),
                  "utf8_scan_s": round(t_scan, 3), "arrow_read_s": round(t_read, 3),
                  "filter_map_normalize_s": round(t_map, 3)},
        "validate": {"seconds": round(t_validate, 3), "rows": int(len(kept)),
                     "rows_per_s": rate(len(kept), t_validate), "passed": report.passed},
        "load": {"seconds": round(t_stage + t_publish, 3), "stage_s": round(t_stage, 3),
                 "publish_s": round(t_publish, 3),
                 "rows_per_s": rate(len(kept), t_stage + t_publish)},
        "full_size": {
            "rows": int(len(full)),
            "normalize_s": round(t_norm_full, 3),
            "validate_s": round(t_validate_full, 3),
            "validate_rows_per_s": rate(len(full), t_validate_full),
            "failed_rules": [r.rule for r in full_report.errors],
            "stage_s": round(t_stage_full, 3),
            "stage_rows_per_s": rate(len(full), t_stage_full)},
    }


def bench_bars(tmp: Path, cfg: LabConfig, quarter: bool, rng) -> dict:
    sessions = calendar.sessions(dt.date(BAR_YEAR, 1, 1), dt.date(BAR_YEAR, 12, 31),
                                 cfg.calendar.exchange)
    if quarter:
        sessions = sessions[: len(sessions) // 4]
    directory = tmp / "landing" / "bars"
    n_rows = bar_files(rng, directory, sessions)
    days = [s.day for s in sessions]
    reads, t_parse = _timed(read_days, "bars", days, directory, cfg)
    frame = pd.concat([r.frame for r in reads], ignore_index=True)
    report, t_validate = _timed(validate_bars, frame, cfg, days)
    with duckdb.connect(str(tmp / "bars.duckdb")) as conn:
        _, t_stage = _timed(stage_days, conn, "bars", frame, days)
        record_verdict(conn, "bars", days, report.passed)
        _, t_publish = _timed(publish_days, conn, "bars", days)
    return {
        "days": len(days), "rows": n_rows,
        "early_closes": sum(s.is_early_close for s in sessions),
        "parse": {"seconds": round(t_parse, 3), "rows_per_s": rate(n_rows, t_parse),
                  "files_per_s": rate(len(days), t_parse)},
        "validate": {"seconds": round(t_validate, 3), "rows_per_s": rate(n_rows, t_validate),
                     "gx_validations": 1, "passed": report.passed},
        "load": {"seconds": round(t_stage + t_publish, 3), "stage_s": round(t_stage, 3),
                 "publish_s": round(t_publish, 3), "rows_per_s": rate(n_rows, t_stage + t_publish)},
    }


def staged_frames(rng: np.random.Generator, sessions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staged bars and 0DTE chains (stage columns) of `sessions`, as `load_stage` returns."""
    bars, chains = [], []
    strikes = np.arange(3700.0, 4300.0, 5.0)
    for s in sessions:
        ts = s.bar_starts()
        close = 4000.0 + np.cumsum(rng.normal(0, 0.8, ts.size))
        open_ = np.r_[close[0], close[:-1]]
        day = pd.Timestamp(s.day)
        bars.append(pd.DataFrame({
            "quote_date": day, "symbol": "SPX", "ts": ts, "open": open_,
            "high": np.maximum(open_, close) + 0.25, "low": np.minimum(open_, close) - 0.25,
            "close": close, "volume": 100.0, "source_file": f"landing/bars/{s.day}.csv",
            "source_row": np.arange(1, ts.size + 1), "partition_date": day}))
        n = strikes.size
        chains.append(pd.DataFrame({
            "quote_date": day, "underlying": "SPX", "root": "SPXW", "expiration": day,
            "strike": np.r_[strikes, strikes], "option_type": ["C"] * n + ["P"] * n,
            "open_interest": 10.0, "volume": 1.0, "bid": 1.0, "ask": 1.1,
            "implied_volatility": 0.2, "underlying_price": float(open_[0]),
            "source_file": f"landing/chains/{s.day}.csv",
            "source_row": np.arange(1, 2 * n + 1), "partition_date": day}))
    return pd.concat(bars, ignore_index=True), pd.concat(chains, ignore_index=True)


def bench_check_scaling(cfg: LabConfig, horizons: tuple[int, ...], rng) -> dict:
    """The bars check (GX rules + bars_match_chain) per horizon: seconds and ms per day."""
    out = {}
    for years in horizons:
        sessions = calendar.expiration_sessions(
            dt.date(BAR_YEAR - years + 1, 1, 1), dt.date(BAR_YEAR, 12, 31),
            cfg.calendar.expiration_rule, cfg.calendar.exchange)
        bars, chains = staged_frames(rng, sessions)
        days = [s.day for s in sessions]
        report, t_rules = _timed(validate_bars, bars, cfg, days)
        checks, t_match = _timed(plausibility.check_days, bars, chains, days, cfg)
        seconds = t_rules + t_match
        out[f"{years}y"] = {
            "days": len(days), "rows": int(len(bars)), "seconds": round(seconds, 3),
            "rules_s": round(t_rules, 3), "bars_match_chain_s": round(t_match, 3),
            "ms_per_day": round(1000 * seconds / len(days), 3),
            "passed": report.passed and all(c.passed for c in checks)}
    first, last = out[f"{horizons[0]}y"], out[f"{horizons[-1]}y"]
    out["per_day_cost_ratio"] = round(last["ms_per_day"] / first["ms_per_day"], 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    cfg = LabConfig()
    rng = np.random.default_rng(20240105)
    # Import GX (seconds) outside every timed section.
    _, t_gx_import = _timed(validate_chains, pd.DataFrame(), cfg, [])
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        chains = bench_chains(Path(tmp), cfg, 150_000 if args.quick else 1_500_000, rng)
        bars = bench_bars(Path(tmp), cfg, args.quick, rng)
    scaling = bench_check_scaling(cfg, (1, 3) if args.quick else (1, 10), rng)
    result = {
        "benchmark": "ingest", "quick": args.quick,
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "pandas": pd.__version__,
        "pyarrow": pa.__version__, "duckdb": duckdb.__version__,
        "cpu_count": os.cpu_count(), "gx_first_call_s": round(t_gx_import, 3),
        "chains_cboe_day": chains, "bars_year": bars, "bars_check_scaling": scaling,
    }
    write_results("ingest", result)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
