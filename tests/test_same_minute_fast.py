"""The vectorized same-minute volatility against a plain loop over days, on irregular
days: missing bars, early closes, days without some minutes, rows of unknown days."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from assets.common.market_day import MarketDay
from assets.validation.statistics.same_minute import same_minute_volatility


def _naive(outcomes: pd.DataFrame, days: list[MarketDay], min_history: int) -> np.ndarray:
    order = sorted(days, key=lambda d: d.quote_date)
    out = np.full(len(outcomes), np.nan)
    for i, row in enumerate(outcomes.itertuples()):
        today = pd.Timestamp(row.quote_date).date()
        if today not in {d.quote_date for d in order}:
            continue
        squares = []
        for day in order:
            if day.quote_date >= today:
                break
            where = np.flatnonzero(day.minutes_to_expiry == row.minutes_to_expiry)
            if where.size and where[0] + int(row.horizon_minutes) < day.n_bars:
                t = where[0]
                squares.append((day.close[t + int(row.horizon_minutes)] - day.close[t]) ** 2)
        total = sum(squares)
        if len(squares) >= min_history and total > 0:
            out[i] = math.sqrt(total / len(squares))
    return out


def _day(rng: np.random.Generator, day: dt.date) -> MarketDay:
    n = 210 if rng.random() < 0.1 else 390  # some early closes
    keep = np.sort(rng.choice(n, size=n - int(rng.integers(0, 6)), replace=False))  # gaps
    minutes = (n - 1 - keep).astype(float)
    close = 4700 + np.cumsum(rng.normal(0, 1, keep.size))
    ts = (np.datetime64(f"{day}T14:30") + keep.astype("timedelta64[m]")).astype("datetime64[ns]")
    empty = np.empty(0)
    return MarketDay(day, pd.Timestamp(ts[0], tz="UTC"), pd.Timestamp(ts[-1], tz="UTC"), ts,
                     close, close + 0.5, close - 0.5, close, minutes, empty, empty, empty)


def test_fast_path_equals_a_loop_over_days_on_irregular_days():
    rng = np.random.default_rng(5)
    first = dt.date(2024, 1, 1)
    days = [_day(rng, first + dt.timedelta(days=2 * k)) for k in range(45)]
    n = 400
    outcomes = pd.DataFrame({
        "quote_date": [first + dt.timedelta(days=2 * int(k)) for k in rng.integers(0, 47, n)],
        "minutes_to_expiry": rng.choice([10.0, 15.0, 30.0, 60.0, 200.0, 389.0, 7.5], n),
        "horizon_minutes": rng.choice([5.0, 15.0, 30.0], n)})
    expected = _naive(outcomes, days, min_history=8)
    got = same_minute_volatility(outcomes, days, min_history=8)
    assert np.isfinite(expected).sum() > 100  # the comparison covers real values
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
