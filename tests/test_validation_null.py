"""The random-entry null: calibrated on a random walk, powerful on a planted drift, exact
in its bookkeeping."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.trading.simulator import build_bar_tape
from assets.validation.statistics.null_model import random_entry_null, window_alert_bars
from tests.support.validation_fixtures import priced_trades, random_walk_days

CFG = LabConfig()
RULES = CFG.pressure.urgency_rules


def _null(trades, days, B=199, seed=0, **kw):
    return random_entry_null(trades, build_bar_tape(days), RULES, CFG.trading, B, seed, **kw)


def test_windows_follow_the_urgency_rules():
    tape = build_bar_tape(random_walk_days(1, 0))
    rules = {r.name: r for r in RULES}
    panic = window_alert_bars(tape, 0, rules["ASSIGNMENT_PANIC"], 1)
    pin = window_alert_bars(tape, 0, rules["PIN_RISK_MANAGEMENT"], 1)
    m = tape.minutes_to_expiry
    assert np.all(m[panic] < 15) and m[panic].max() == 14
    assert np.all((m[pin] >= 30) & (m[pin] <= 60)) and m[pin].min() == 30 and m[pin].max() == 60
    # the entry (next bar) must come before the hard-exit bar (389 - 1 = 388)
    assert panic.max() + 1 < 388 and panic.max() == 386


def test_trades_in_a_planted_drift_are_detected():
    days = random_walk_days(10, 7, drift=0.4, drift_from_minutes=61)
    trades = priced_trades(days, 60, 8, CFG, direction="up")
    res = _null(trades, days, B=999, seed=3)
    assert res.p_value < 0.01
    assert res.observed_mean_pnl_points > np.percentile(res.null_means, 99)
    assert res.binomial_p_value < 0.01
    # and against the drift the same bars give a large p-value
    against = priced_trades(days, 60, 8, CFG, direction="down")
    assert _null(against, days, B=199, seed=3).p_value > 0.5


def test_p_value_formula_and_determinism():
    days = random_walk_days(5, 11)
    trades = priced_trades(days, 25, 12, CFG)
    a = _null(trades, days, B=300, seed=5)
    b = _null(trades, days, B=300, seed=5, chunk_trades=100)  # other chunking, same stream
    np.testing.assert_array_equal(a.null_means, b.null_means)
    assert a.null_win_rate == b.null_win_rate
    k = int((a.null_means >= a.observed_mean_pnl_points).sum())
    assert a.p_value == pytest.approx((1 + k) / 301)
    assert a.observed_mean_pnl_points == pytest.approx(trades["pnl_points"].mean())
    assert a.binomial_p_value == pytest.approx(stats.binomtest(
        int((trades["pnl_dollars"] > 0).sum()), len(trades), a.null_win_rate,
        alternative="greater").pvalue)
    c = _null(trades, days, B=300, seed=6)
    assert not np.array_equal(a.null_means, c.null_means)


def _flat_day_with_jump(jump_bar: int) -> MarketDay:
    """Flat at 4000 except one huge jump at `jump_bar` (outside every window)."""
    n = 390
    close = np.full(n, 4000.0)
    close[jump_bar:] += 500.0
    open_ = np.concatenate([[4000.0], close[:-1]])
    start = pd.Timestamp("2024-03-04 14:30", tz="UTC")
    ts = (start + pd.to_timedelta(np.arange(n), unit="min")).tz_localize(None).to_numpy()
    return MarketDay(dt.date(2024, 3, 4), start, start + pd.Timedelta(minutes=n), ts, open_,
                     np.maximum(open_, close), np.minimum(open_, close), close,
                     np.arange(n - 1, -1, -1, dtype=float), np.array([4000.0]),
                     np.array([1.0]), np.array([1.0]))


def test_entries_stay_inside_the_windows_and_pay_slippage_twice():
    # a jump 100 minutes before the close is outside both windows and before any PIN
    # entry: every null trade sees a flat market, so its P&L is exactly -2 x slippage
    day = _flat_day_with_jump(390 - 100)
    trades = pd.DataFrame({"quote_date": [day.quote_date] * 4,
                           "urgency": ["ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT"] * 2,
                           "pnl_points": [1.0, 2.0, -1.0, 0.5], "size": 1.0,
                           "pnl_dollars": [45.5, 95.5, -54.5, 20.5],
                           "is_calibration": False})
    res = _null(trades, [day], B=64, seed=1, entries="uniform")
    np.testing.assert_allclose(res.null_means, -2 * CFG.trading.slippage_points)
    assert res.null_win_rate == 0.0
    assert res.null_exit_reasons["STOP"] == 0 and res.null_exit_reasons["TARGET"] == 0


def test_trades_on_days_without_bars_are_excluded_and_counted():
    days = random_walk_days(3, 2)
    trades = priced_trades(days, 10, 3, CFG)
    extra = trades.iloc[[0]].assign(quote_date=dt.date(2030, 1, 2), pnl_points=99.0)
    calib = trades.iloc[[1]].assign(is_calibration=True, pnl_points=-99.0)
    res = _null(pd.concat([trades, extra, calib], ignore_index=True), days, B=20)
    assert res.n_trades == 10 and res.n_excluded == 1
    assert res.observed_mean_pnl_points == pytest.approx(trades["pnl_points"].mean())


def test_to_dict_is_complete():
    days = random_walk_days(3, 4)
    res = _null(priced_trades(days, 20, 5, CFG), days, B=50)
    d = res.to_dict()
    assert d["replications"] == 50 and d["p_value"] == res.p_value
    assert set(d["per_class"]) <= {"ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT"}
    hist = res.histogram(10)
    assert sum(hist["counts"]) == 50 and len(hist["bin_edges"]) == 11
