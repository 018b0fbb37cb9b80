"""Trade simulation speed: vectorized simulator vs the plain bar-by-bar reference loop vs
vectorbt 0.28, on 1 and 10 synthetic years (252 days x 390 one-minute bars each, random
walk bars, a few random alerts a day); plus the raw exit engine on 10^6 entries (the
null model's load).

    .venv/bin/python -m benchmarks.bench_trading [--quick]

Writes benchmarks/results/trading.json. `--quick`: 1 year only, one repetition.
vectorbt prices the same (non-overlapping) entries in one column with per-entry stops and
an exit signal at the time-stop/hard-exit bar; it has no adaptive sizing, so it does less
work than the simulator. Its numba compile time is reported apart, not in its speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time

import numpy as np
import pandas as pd

from assets.common.config import SPECIFICATION_URGENCY_RULES, TradingConfig
from assets.common.market_day import MarketDay
from assets.trading.exits import first_exits
from assets.trading.simulator import build_bar_tape, hold_bars, simulate_trades
from benchmarks.results_io import write_results
from tests.support.trading_fixtures import reference_simulate

BARS_PER_DAY = 390
DAYS_PER_YEAR = 252
ALERTS_PER_DAY = 4.0
CLASSES = ("ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT")


def BenchConfig() -> TradingConfig:  # noqa: N802
    """The default config: sized by signal accuracy, so trading never stalls for good."""
    return TradingConfig()


def synthetic_year(rng: np.random.Generator, years: int) -> tuple[dict, pd.DataFrame]:
    """Random-walk bars (open = previous close) and random alerts for `years` x 252 days."""
    n_days = years * DAYS_PER_YEAR
    dates = [d.date() for d in pd.bdate_range("2010-01-04", periods=n_days)]
    steps = rng.normal(0.0, 0.8, (n_days, BARS_PER_DAY))
    close = 4000.0 + np.cumsum(steps.ravel()).reshape(n_days, BARS_PER_DAY)
    open_ = np.concatenate([[4000.0], close.ravel()[:-1]]).reshape(n_days, BARS_PER_DAY)
    high = np.maximum(open_, close) + rng.exponential(0.4, close.shape)
    low = np.minimum(open_, close) - rng.exponential(0.4, close.shape)
    mte = (BARS_PER_DAY - 1 - np.arange(BARS_PER_DAY)).astype(float)
    empty = np.empty(0)
    days, rows = {}, []
    for k, d in enumerate(dates):
        start = pd.Timestamp(d).tz_localize("UTC") + pd.Timedelta(hours=14, minutes=30)
        ts = (start + pd.to_timedelta(np.arange(BARS_PER_DAY), unit="min"))
        days[d] = MarketDay(d, start, start + pd.Timedelta(minutes=BARS_PER_DAY),
                            ts.tz_localize(None).to_numpy().astype("datetime64[ns]"),
                            open_[k], high[k], low[k], close[k], mte, empty, empty, empty)
        bars = np.unique(rng.integers(0, BARS_PER_DAY, rng.poisson(ALERTS_PER_DAY)))
        for b in bars:
            urg = CLASSES[int(rng.integers(0, 2))]
            rows.append((f"{d:%Y%m%d}-{b:03d}-4000", d, ts[b], int(b), urg,
                         int(rng.choice([-1, 1])), float(rng.uniform(0.3, 1.0)),
                         float(rng.exponential(100.0))))
    alerts = pd.DataFrame(rows, columns=["alert_id", "quote_date", "ts", "bar_index", "urgency",
                                         "steering_direction", "confidence", "pressure"])
    alerts["expected_move"] = np.where(alerts["urgency"] == CLASSES[0], 25.0, 15.0)
    alerts["expected_duration"] = np.where(alerts["urgency"] == CLASSES[0], 5.5, 32.5)
    alerts["is_calibration"] = False
    return days, alerts


def timed(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def vectorbt_run(vbt, tape, trades, cfg):
    """Price the simulator's entries with vectorbt, exit bars in trade order.

    vectorbt enters at the close of bar e-1 (== open of e on these bars) and handles one
    order per bar and column, so trades go to a few columns, greedily, such that a column's
    next entry comes after its previous trade's last possible bar."""
    n = tape.n_bars
    entry = trades["entry_index"].to_numpy()
    direction = trades["predicted_direction"].to_numpy()
    last = tape.hard_exit_index(cfg.exit_before_close_minutes)[tape.day_of(entry)]
    end = np.minimum(entry + hold_bars(trades["max_hold_minutes"].to_numpy()) - 1, last)
    col = np.empty(len(entry), dtype=np.int64)
    col_end: list[int] = []
    for k in range(len(entry)):  # interval colouring of [e-1, end]
        free = [c for c, busy in enumerate(col_end) if busy < entry[k] - 1]
        c = free[0] if free else len(col_end)
        if c == len(col_end):
            col_end.append(-1)
        col[k], col_end[c] = c, end[k]
    m = len(col_end)
    le, lx, se, sx = (np.zeros((n, m), dtype=bool) for _ in range(4))
    le[entry - 1, col], se[entry - 1, col] = direction > 0, direction < 0
    lx[end, col], sx[end, col] = direction > 0, direction < 0
    ep = tape.open[entry]
    sl, tp, size = (np.full((n, m), np.nan) for _ in range(3))
    sl[entry - 1, col] = trades["stop_points"].to_numpy() / ep
    tp[entry - 1, col] = trades["target_points"].to_numpy() / ep
    size[entry - 1, col] = trades["size"].to_numpy() * cfg.point_value
    size = pd.DataFrame(size).ffill().fillna(1.0).to_numpy()

    def wide(x):
        return np.broadcast_to(x[:, None], (n, m))

    pf = vbt.Portfolio.from_signals(wide(tape.close), entries=le, exits=lx, short_entries=se,
                                    short_exits=sx, open=wide(tape.open), high=wide(tape.high),
                                    low=wide(tape.low), sl_stop=sl, tp_stop=tp, size=size,
                                    init_cash=1e12, freq="1min")
    rec = pf.trades.records.sort_values("entry_idx", kind="mergesort")
    return rec


def bench_years(years: int, repeat: int, run_reference: bool, vbt) -> dict:
    rng = np.random.default_rng(20250115 + years)
    t0 = time.perf_counter()
    days, alerts = synthetic_year(rng, years)
    gen_s = time.perf_counter() - t0
    cfg = BenchConfig()
    rules = SPECIFICATION_URGENCY_RULES
    mult = {r.name: r.size_multiplier for r in rules}
    tape = build_bar_tape(days)
    t_vec, trades = timed(lambda: simulate_trades(alerts, tape, cfg, rules), repeat)
    t_vec_days, _ = timed(lambda: simulate_trades(alerts, days, cfg, rules), 1)
    out = {
        "years": years, "days": len(days), "bars": tape.n_bars, "alerts": len(alerts),
        "trades": len(trades), "skipped": trades.attrs["skipped"],
        "exit_reasons": trades["exit_reason"].value_counts().to_dict(),
        "data_generation_s": gen_s,
        "vectorized_s": t_vec, "vectorized_trades_per_s": len(trades) / t_vec,
        "vectorized_from_days_dict_s": t_vec_days,
    }
    if run_reference:
        t_ref, ref = timed(lambda: reference_simulate(alerts, days, cfg, mult), 1)
        same = (len(ref) == len(trades)
                and np.array_equal(ref["exit_index"].to_numpy(), trades["exit_index"].to_numpy())
                and np.allclose(ref["pnl_dollars"].to_numpy(), trades["pnl_dollars"].to_numpy(),
                                rtol=0, atol=1e-9))
        out.update({"reference_s": t_ref, "reference_trades_per_s": len(ref) / t_ref,
                    "reference_agrees": bool(same), "speedup_vs_reference": t_ref / t_vec})
    if vbt is not None:
        t_vbt, rec = timed(lambda: vectorbt_run(vbt, tape, trades, cfg), max(repeat, 2))
        agree = (len(rec) == len(trades)
                 and np.array_equal(rec["exit_idx"].to_numpy(), trades["exit_index"].to_numpy()))
        out.update({"vectorbt_s": t_vbt, "vectorbt_trades_per_s": len(trades) / t_vbt,
                    "vectorbt_exit_bars_agree": bool(agree)})
    return out


def bench_engine(repeat: int) -> dict:
    """first_exits alone on 10^6 random entries over one synthetic year."""
    rng = np.random.default_rng(7)
    n_bars = BARS_PER_DAY * DAYS_PER_YEAR
    close = 4000.0 + np.cumsum(rng.normal(0, 0.8, n_bars))
    open_ = np.r_[4000.0, close[:-1]]
    high = np.maximum(open_, close) + rng.exponential(0.4, n_bars)
    low = np.minimum(open_, close) - rng.exponential(0.4, n_bars)
    n = 1_000_000
    day = rng.integers(0, DAYS_PER_YEAR, n)
    bar = rng.integers(0, BARS_PER_DAY - 2, n)
    entry = day * BARS_PER_DAY + bar
    last = day * BARS_PER_DAY + BARS_PER_DAY - 2
    panic = rng.random(n) < 0.5
    args = (open_, high, low, close, entry, rng.choice([-1, 1], n),
            np.where(panic, 15.0, 10.0), np.where(panic, 15.0, 10.0),
            np.where(panic, 8, 45), last)
    t, (_, _, reason) = timed(lambda: first_exits(*args), repeat)
    return {"entries": n, "seconds": t, "entries_per_s": n / t,
            "reasons": {k: int(v) for k, v in zip(("STOP", "TARGET", "TIME", "CLOSE"),
                                                   np.bincount(reason, minlength=4),
                                                   strict=False)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    repeat = 1 if opts.quick else 3
    try:
        import vectorbt as vbt

        t0 = time.perf_counter()
        warm_days, warm_alerts = synthetic_year(np.random.default_rng(1), 1)
        warm_tape = build_bar_tape(dict(list(warm_days.items())[:3]))
        warm_trades = simulate_trades(warm_alerts[warm_alerts["quote_date"].isin(
            list(warm_days)[:3])], warm_tape, BenchConfig(), SPECIFICATION_URGENCY_RULES)
        vectorbt_run(vbt, warm_tape, warm_trades, BenchConfig())
        vbt_compile_s = time.perf_counter() - t0
        vbt_version = vbt.__version__
    except ImportError:
        vbt, vbt_compile_s, vbt_version = None, None, None

    results = {
        "benchmark": "trading",
        "quick": opts.quick,
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "numpy": np.__version__,
        "pandas": pd.__version__, "vectorbt": vbt_version,
        "cpu_count": os.cpu_count(), "repeat_best_of": repeat,
        "vectorbt_warmup_compile_s": vbt_compile_s,
        "exit_engine_1e6_entries": bench_engine(repeat),
        "runs": [bench_years(1, repeat, True, vbt)],
    }
    if not opts.quick:
        results["runs"].append(bench_years(10, 1, True, vbt))
    write_results("trading", results)
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
