"""The matched random-entry null and the direction-only null against a strategy whose
entries cluster near the close, on a world built here (not by the project's generator or
its trade fixtures), with trades priced by a naive per-bar loop.

Pressure grows as 1/minutes², so real alerts cluster minutes before the close, where
intraday volatility is highest. A null that draws entries uniformly over the class window
is then a different experiment from the strategy: its p-values are not uniform even when
the strategy has no edge. The matched null draws from the strategy's own entry minutes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.trading.simulator import build_bar_tape
from assets.validation.statistics.direction_null import direction_only_null
from assets.validation.statistics.null_model import random_entry_null

CFG = LabConfig()
TC = CFG.trading
N_BARS = 390
PANIC = "ASSIGNMENT_PANIC"


def _world(n_days: int, rng: np.random.Generator, u_shaped: bool = True) -> list[MarketDay]:
    minutes = np.arange(N_BARS - 1, -1, -1, dtype=float)
    # volatility rising steeply into the close, or flat
    sd = 0.2 + 4.0 * np.exp(-minutes / 3.0) if u_shaped else np.ones(N_BARS)
    days = []
    for i in range(n_days):
        qd = dt.date(2023, 3, 1) + dt.timedelta(days=i)
        close = 4000.0 + np.cumsum(rng.normal(0.0, sd))
        open_ = np.r_[4000.0, close[:-1]]
        wick = np.abs(rng.normal(0.0, sd / 3, (2, N_BARS)))
        ts0 = pd.Timestamp(qd) + pd.Timedelta(hours=14, minutes=30)
        ts = (ts0 + pd.to_timedelta(np.arange(N_BARS), unit="min")).to_numpy()
        days.append(MarketDay(qd, ts0.tz_localize("UTC"),
                              (ts0 + pd.Timedelta(minutes=N_BARS)).tz_localize("UTC"), ts,
                              open_, np.maximum(open_, close) + wick[0],
                              np.minimum(open_, close) - wick[1], close, minutes,
                              np.array([4000.0]), np.array([1.0]), np.array([1.0])))
    return days


def _naive_exit(day: MarketDay, e: int, d: int, stop: float, target: float,
                hold: int) -> float:
    """Exit price by walking the bars: stop before target on the same bar, gaps fill at
    the open, else the close of the time-stop or hard-exit bar."""
    entry = day.open[e]
    last = min(e + hold - 1, N_BARS - 1 - TC.exit_before_close_minutes)
    stop_px, target_px = entry - d * stop, entry + d * target
    for t in range(e, last + 1):
        o, hi, lo = day.open[t], day.high[t], day.low[t]
        adverse = lo <= stop_px if d > 0 else hi >= stop_px
        favour = hi >= target_px if d > 0 else lo <= target_px
        if adverse:
            return o if (o <= stop_px if d > 0 else o >= stop_px) else stop_px
        if favour:
            return o if (o >= target_px if d > 0 else o <= target_px) else target_px
    return day.close[last]


def _strategy_trades(days: list[MarketDay], n: int, rng: np.random.Generator,
                     edge: float = 0.0) -> pd.DataFrame:
    """PANIC trades entered 3-5 minutes before the close, direction by a coin (or, with
    `edge`, right with probability 1/2 + edge), priced by `_naive_exit`."""
    tape = build_bar_tape(days)
    rows = []
    for _ in range(n):
        k = int(rng.integers(len(days)))
        day = days[k]
        m = int(rng.choice([3, 4, 5]))
        e = N_BARS - 1 - m
        truth = np.sign(day.close[N_BARS - 2] - day.open[e]) or 1.0
        d = int(truth if rng.random() < 0.5 + edge else -truth)
        px = _naive_exit(day, e, d, TC.stop_points[PANIC], TC.target_points[PANIC],
                         int(TC.max_hold_minutes[PANIC]))
        pts = d * (px - day.open[e]) - 2 * TC.slippage_points
        rows.append({"quote_date": day.quote_date, "urgency": PANIC,
                     "entry_index": int(tape.day_start[k] + e), "pnl_points": pts,
                     "pnl_dollars": TC.point_value * pts - 2 * TC.commission_per_contract,
                     "size": 1.0, "stop_points": TC.stop_points[PANIC],
                     "target_points": TC.target_points[PANIC],
                     "max_hold_minutes": TC.max_hold_minutes[PANIC], "is_calibration": False})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def no_edge_p_values():
    rng = np.random.default_rng(2024)
    matched, direction = [], []
    for w in range(60):
        days = _world(6, rng)
        trades = _strategy_trades(days, 40, rng)
        tape = build_bar_tape(days)
        rules = CFG.pressure.urgency_rules
        matched.append(random_entry_null(trades, tape, rules, TC, 199, w).p_value)
        direction.append(direction_only_null(trades, tape, TC, 199, w).p_value)
    return np.array(matched), np.array(direction)


def test_matched_null_p_values_are_uniform_without_an_edge(no_edge_p_values):
    matched, direction = no_edge_p_values
    assert stats.kstest(matched, "uniform").pvalue > 0.01
    assert (matched < 0.05).mean() <= 0.12
    assert stats.kstest(direction, "uniform").pvalue > 0.01


def test_matched_null_is_narrower_and_more_powerful_than_the_uniform_window_null():
    # entries 3-5 minutes before the close hold at most a few bars; the uniform-window
    # null holds up to 8, so its distribution is wider and a real edge scores a smaller z
    rng = np.random.default_rng(11)
    narrower, z_gain = [], []
    for w in range(20):
        days = _world(6, rng, u_shaped=False)
        trades = _strategy_trades(days, 40, rng, edge=0.15)
        tape = build_bar_tape(days)
        rules = CFG.pressure.urgency_rules
        m = random_entry_null(trades, tape, rules, TC, 499, w)
        u = random_entry_null(trades, tape, rules, TC, 499, w, entries="uniform")
        narrower.append(m.null_means.std() < u.null_means.std())
        z = [(r.observed_mean_pnl_points - r.null_means.mean()) / r.null_means.std()
             for r in (m, u)]
        z_gain.append(z[0] - z[1])
    assert stats.binomtest(int(sum(narrower)), len(narrower), 0.5,
                           alternative="greater").pvalue < 0.01
    assert stats.ttest_1samp(z_gain, 0.0, alternative="greater").pvalue < 0.01


def test_both_nulls_find_a_planted_edge():
    rng = np.random.default_rng(7)
    days = _world(10, rng)
    trades = _strategy_trades(days, 120, rng, edge=0.25)
    tape = build_bar_tape(days)
    assert random_entry_null(trades, tape, CFG.pressure.urgency_rules, TC, 999, 1).p_value < 0.01
    assert direction_only_null(trades, tape, TC, 999, 1).p_value < 0.01


def test_direction_only_null_reprices_the_real_trades():
    rng = np.random.default_rng(3)
    days = _world(4, rng)
    trades = _strategy_trades(days, 30, rng)
    res = direction_only_null(trades, build_bar_tape(days), TC, 64, 0)
    assert res.observed_mean_pnl_points == pytest.approx(trades["pnl_points"].mean())
    # all directions flipped in one replication is a legal draw: the null's support
    # contains both the real and the mirrored book; means are bounded by them
    assert np.all(np.isfinite(res.null_means)) and res.null_means.size == 64
