"""The vectorized pressure kernel against the specification's per-strike loop
(tests/support/pressure_reference.py), on random and hand-built days."""

from __future__ import annotations

import numpy as np
import pytest

from assets.common.config import PressureConfig
from assets.common.market_day import MarketDay
from assets.pressure.kernel import pressure_grid
from tests.support.pressure_fixtures import make_custom_day, make_day
from tests.support.pressure_reference import specification_pressure_loop


def assert_matches_loop(day: MarketDay) -> None:
    grid = pressure_grid(day, PressureConfig())
    dist, prob, pres = (np.array(a, dtype=float).reshape(day.n_bars, day.strikes.shape[0])
                        for a in specification_pressure_loop(day.close, day.minutes_to_expiry,
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
def test_kernel_matches_specification_loop_on_random_days(seed, day, n_strikes, spacing):
    assert_matches_loop(make_day(seed, day, n_strikes=n_strikes, spacing=spacing))


def test_kernel_matches_specification_loop_with_irregular_and_unsorted_strikes():
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
    for model in ("specification", "itm_normal"):
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
