"""The seed's per-strike loop in plain Python (the oracle for the vectorized kernel), the
random-walk MarketDay fixtures the pressure tests share, and the kernel-vs-loop agreement.

The loop transcribes ExpirationPressureEngine.calculate_assignment_pressure and
_calculate_assignment_probability statement by statement; it is also what
benchmarks/bench_pressure.py times.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

from assets.common.calendar import minutes_to_close, session
from assets.common.config import PressureConfig
from assets.common.market_day import MarketDay
from assets.pressure.kernel import pressure_grid


# --------------------------------------------------------------------------- reference
class StrikeRow(NamedTuple):
    price: float
    call_oi: float
    put_oi: float


def seed_assignment_probability(distance: float, time_remaining: float) -> float:
    """The seed's _calculate_assignment_probability, verbatim."""
    if time_remaining < 15:
        base_prob = 0.8
        decay_factor = distance / 10
    elif time_remaining < 45:
        base_prob = 0.5
        decay_factor = distance / 20
    else:
        base_prob = 0.2
        decay_factor = distance / 30
    return max(0.1, base_prob - decay_factor)


def seed_pressure_loop(close, minutes, strikes, call_oi, put_oi):
    """Per minute, the seed's loop over the chain. Returns (distance, probability,
    pressure) as nested lists [minute][strike]."""
    chain = [StrikeRow(float(s), float(c), float(p))
             for s, c, p in zip(strikes, call_oi, put_oi)]
    distances, probabilities, pressures = [], [], []
    for current_price, minutes_to_expiry in zip(list(map(float, close)),
                                                list(map(float, minutes))):
        d_row, p_row, x_row = [], [], []
        for strike in chain:
            total_oi = strike.call_oi + strike.put_oi
            distance_to_strike = abs(current_price - strike.price)
            assignment_prob = seed_assignment_probability(distance_to_strike,
                                                          minutes_to_expiry)
            total_assignment_risk = total_oi * assignment_prob
            pressure = total_assignment_risk / max(1, minutes_to_expiry ** 2)
            d_row.append(distance_to_strike)
            p_row.append(assignment_prob)
            x_row.append(pressure)
        distances.append(d_row)
        probabilities.append(p_row)
        pressures.append(x_row)
    return distances, probabilities, pressures


# --------------------------------------------------------------------------- fixtures
def make_day(seed: int, day: str | dt.date = "2024-03-01", n_strikes: int = 80,
             spacing: float = 5.0, step_points: float = 1.0, tick: float = 0.25,
             start_price: float = 5000.0, max_oi: int = 4000) -> MarketDay:
    """A random-walk expiration day on the real session of ``day`` (early closes
    honoured), closes on a ``tick`` grid so exact strike ties happen."""
    rng = np.random.default_rng(seed)
    sess = session(day)
    starts = sess.bar_starts()
    minutes = minutes_to_close(starts, sess.close)
    n = len(starts)
    close = start_price + np.cumsum(rng.normal(0.0, step_points, n))
    close = np.round(close / tick) * tick
    open_ = np.concatenate(([start_price], close[:-1]))
    wick = np.round(rng.exponential(0.5, (2, n)) / tick) * tick
    high = np.maximum(open_, close) + wick[0]
    low = np.minimum(open_, close) - wick[1]
    center = np.round(start_price / spacing) * spacing
    strikes = center + spacing * (np.arange(n_strikes) - n_strikes // 2)
    call_oi = rng.integers(0, max_oi, n_strikes).astype(float)
    put_oi = rng.integers(0, max_oi, n_strikes).astype(float)
    return MarketDay(quote_date=sess.day, session_open=sess.open, session_close=sess.close,
                     ts=starts.tz_convert("UTC").tz_localize(None).to_numpy(),
                     open=open_, high=high, low=low, close=close,
                     minutes_to_expiry=minutes, strikes=strikes.astype(float),
                     call_oi=call_oi, put_oi=put_oi)


def make_custom_day(close, minutes, strikes, call_oi, put_oi, high=None, low=None,
                    day: dt.date = dt.date(2024, 3, 1)) -> MarketDay:
    """A hand-built day: explicit closes and minutes (bars stamped one minute apart)."""
    close = np.asarray(close, dtype=float)
    n = close.shape[0]
    start = pd.Timestamp(day).tz_localize("UTC") + pd.Timedelta(hours=14, minutes=30)
    ts = (start + pd.to_timedelta(np.arange(n), unit="min")).tz_localize(None).to_numpy()
    return MarketDay(quote_date=day, session_open=start,
                     session_close=start + pd.Timedelta(minutes=n),
                     ts=ts, open=close.copy(),
                     high=close.copy() if high is None else np.asarray(high, dtype=float),
                     low=close.copy() if low is None else np.asarray(low, dtype=float),
                     close=close, minutes_to_expiry=np.asarray(minutes, dtype=float),
                     strikes=np.asarray(strikes, dtype=float),
                     call_oi=np.asarray(call_oi, dtype=float),
                     put_oi=np.asarray(put_oi, dtype=float))


# --------------------------------------------------------------------------- tests
def assert_matches_loop(day: MarketDay) -> None:
    grid = pressure_grid(day, PressureConfig())
    dist, prob, pres = (np.array(a, dtype=float).reshape(day.n_bars, day.strikes.shape[0])
                        for a in seed_pressure_loop(day.close, day.minutes_to_expiry,
                                                    day.strikes, day.call_oi, day.put_oi))
    np.testing.assert_array_equal(grid.distance, dist)
    np.testing.assert_array_equal(grid.probability, prob)
    np.testing.assert_allclose(grid.pressure, pres, rtol=1e-12, atol=0.0)
    np.testing.assert_array_equal(grid.minutes, day.minutes_to_expiry)
    np.testing.assert_array_equal(grid.total_oi, day.call_oi + day.put_oi)


@pytest.mark.parametrize("seed,day,n_strikes,spacing", [
    (1, "2024-03-01", 80, 5.0),
    (2, "2024-06-12", 40, 5.0),
    (3, "2024-11-29", 60, 5.0),  # early close, 210 bars
    (4, "2023-07-03", 120, 1.0),  # dense strikes: bands several strikes wide
    (5, "2024-01-17", 30, 25.0),  # sparse strikes: many minutes with no band at all
])
def test_kernel_matches_seed_loop_on_random_days(seed, day, n_strikes, spacing):
    assert_matches_loop(make_day(seed, day, n_strikes=n_strikes, spacing=spacing))


def test_kernel_matches_seed_loop_with_irregular_and_unsorted_strikes():
    base = make_day(11, n_strikes=50)
    rng = np.random.default_rng(11)
    # Irregular ascending grid: 5 points near the money, 25 further out.
    irregular = np.unique(np.concatenate([np.arange(4900, 5100, 5.0),
                                          np.arange(4500, 5500, 25.0)]))
    k = irregular.shape[0]
    oi = rng.integers(0, 4000, (2, k)).astype(float)
    for strikes in (irregular, rng.permutation(irregular)):  # sorted band path, fallback
        assert_matches_loop(MarketDay(base.quote_date, base.session_open,
                                      base.session_close, base.ts, base.open, base.high,
                                      base.low, base.close, base.minutes_to_expiry,
                                      strikes, oi[0], oi[1]))


def test_kernel_matches_loop_exactly_at_floor_boundaries():
    # Distances where base - d/scale lands on the 0.1 floor (7 crisis, 8 warning,
    # 3 early) and one tick either side, in every zone.
    distances = [2.75, 3.0, 3.25, 6.75, 7.0, 7.25, 7.75, 8.0, 8.25]
    minutes = [5.0, 30.0, 100.0]
    close = [5000.0 + d for d in distances for _ in minutes]
    mins = [m for _ in distances for m in minutes]
    day = make_custom_day(close, mins, strikes=[4990.0, 4995.0, 5000.0, 5005.0],
                          call_oi=[100, 2000, 3000, 50], put_oi=[0, 1, 2, 3])
    assert_matches_loop(day)


def test_kernel_handles_empty_chain_and_single_bar():
    day = make_custom_day([5000.0], [10.0], strikes=[], call_oi=[], put_oi=[])
    grid = pressure_grid(day, PressureConfig())
    assert grid.pressure.shape == (1, 0)
    one = make_custom_day([5001.0], [10.0], strikes=[5000.0], call_oi=[10], put_oi=[5])
    assert_matches_loop(one)


def test_workspace_grid_equals_fresh_grid_and_streams_through_calibration():
    from assets.pressure.alerts import calibrate_thresholds
    from assets.pressure.kernel import GridWorkspace

    days = [make_day(60, n_strikes=40), make_day(61, "2024-11-29", n_strikes=70),
            make_day(62, n_strikes=30)]
    for model in ("seed", "itm_normal"):
        cfg = PressureConfig(probability_model=model)
        workspace = GridWorkspace()
        for day in days:  # shapes change from day to day; the buffer grows as needed
            fresh = pressure_grid(day, cfg)
            reused = pressure_grid(day, cfg, workspace=workspace)
            for name in ("distance", "probability", "pressure"):
                np.testing.assert_array_equal(getattr(reused, name), getattr(fresh, name))
        streamed = calibrate_thresholds(
            (pressure_grid(d, cfg, workspace=workspace) for d in days), cfg)
        kept = calibrate_thresholds([pressure_grid(d, cfg) for d in days], cfg)
        assert streamed == kept
