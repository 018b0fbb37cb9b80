"""Quadratic intensification must not be fooled by intraday volatility seasonality.

The world here is built in the test, independently of the project's generator: a random
walk whose per-minute volatility is U-shaped (high at the open, low at midday, rising
into the close), with no steering at all. Moves measured nearer the close are larger only
because that minute is more volatile; a test that calls that "intensification" is wrong.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from assets.common.market_day import MarketDay
from assets.validation.statistics import secondary as SEC

N_BARS = 390
PANIC_H, PIN_H = 8, 45


def _u_shaped_sd(minutes_left: np.ndarray) -> np.ndarray:
    since_open = N_BARS - 1 - minutes_left
    return 0.25 + 1.6 * np.exp(-minutes_left / 12.0) + 0.8 * np.exp(-since_open / 25.0)


def _world(n_days: int, seed: int, plant: float = 0.0):
    """(days, outcomes): U-shaped-volatility random walks and alert rows at random minutes.
    `plant` > 0 adds a jump of plant / minutes right after each alert (true intensification
    with b = 1)."""
    rng = np.random.default_rng(seed)
    minutes = np.arange(N_BARS - 1, -1, -1, dtype=float)
    sd = _u_shaped_sd(minutes)
    days, rows = [], []
    start_day = dt.date(2023, 1, 2)
    for i in range(n_days):
        qd = start_day + dt.timedelta(days=i)
        steps = rng.normal(0.0, sd)
        alerts = sorted(rng.choice(np.r_[1:15, 30:61], size=12, replace=False))
        for m in alerts:
            t = N_BARS - 1 - m
            if plant:
                steps[t + 1] += rng.choice([-1, 1]) * plant / m
        close = 4000.0 + np.cumsum(steps)
        for m in alerts:
            t = N_BARS - 1 - m
            h = min(PANIC_H if m < 15 else PIN_H, int(m))
            rows.append({"quote_date": qd, "minutes_to_expiry": float(m),
                         "horizon_minutes": float(h),
                         "actual_magnitude": abs(close[t + h] - close[t]),
                         "urgency": "ASSIGNMENT_PANIC" if m < 15 else "PIN_RISK_MANAGEMENT",
                         "is_calibration": i < 30})
        open_ = np.r_[4000.0, close[:-1]]
        ts0 = pd.Timestamp(qd) + pd.Timedelta(hours=14, minutes=30)
        ts = (ts0 + pd.to_timedelta(np.arange(N_BARS), unit="min")).to_numpy()
        days.append(MarketDay(qd, ts0.tz_localize("UTC"),
                              (ts0 + pd.Timedelta(minutes=N_BARS)).tz_localize("UTC"), ts,
                              open_, np.maximum(open_, close), np.minimum(open_, close), close,
                              minutes, np.array([4000.0]), np.array([1.0]), np.array([1.0])))
    return days, pd.DataFrame(rows)


@pytest.fixture(scope="module")
def u_world():
    return _world(160, seed=42)


def test_horizon_only_normalisation_is_fooled_by_seasonality(u_world):
    # the old measure, |move| / sqrt(horizon), "finds" intensification on a null world:
    # this is the failure the seasonality-robust measure fixes
    _, outcomes = u_world
    old = SEC.quadratic_intensification(outcomes)
    assert old["b"] > 0 and old["p_value"] < 0.01


def test_same_minute_normalisation_finds_nothing_on_a_u_shaped_null(u_world):
    days, outcomes = u_world
    got = SEC.quadratic_intensification(outcomes, days)
    assert got["seasonality_robust"]
    assert got["n"] > 1000
    assert got["p_value"] > 0.05
    assert got["b_ci"][0] < 0 < got["b_ci"][1]


def test_same_minute_normalisation_still_finds_planted_intensification():
    days, outcomes = _world(160, seed=43, plant=30.0)
    got = SEC.quadratic_intensification(outcomes, days)
    assert got["b"] > 0 and got["p_value"] < 0.01


def test_same_minute_volatility_is_causal_and_matches_a_naive_loop(u_world):
    days, outcomes = u_world
    got = SEC.same_minute_volatility(outcomes, days, min_history=20)
    order = {d.quote_date: i for i, d in enumerate(days)}
    for k in (0, 500, 1500, len(outcomes) - 1):
        r = outcomes.iloc[k]
        i = order[r["quote_date"]]
        t = N_BARS - 1 - int(r["minutes_to_expiry"])
        h = int(r["horizon_minutes"])
        past = [(d.close[t + h] - d.close[t]) ** 2 for d in days[:i]]
        expected = np.sqrt(np.mean(past)) if len(past) >= 20 else np.nan
        np.testing.assert_allclose(got[k], expected, rtol=1e-12)
    # a later day's bars never change an earlier row's reference
    cut = SEC.same_minute_volatility(outcomes, days[:80], min_history=20)
    early = np.array([order[d] < 80 for d in outcomes["quote_date"]])
    np.testing.assert_array_equal(cut[early], got[early])
