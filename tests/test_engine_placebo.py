"""The OI placebo control: the placebo OI by hand, the strike pruning exact, and a world
with planted OI steering told apart from its placebos."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from assets.common.config import LabConfig
from assets.engine import placebo as PL
from assets.pressure.alerts import alert_columns, alerts_frame, calibrate_thresholds
from assets.pressure.kernel import pressure_grid
from tests.support.validation_fixtures import random_walk_days

CFG = LabConfig()


def test_placebo_oi_by_hand():
    strikes = np.array([90.0, 95.0, 100.0, 105.0, 110.0])
    oi = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(PL.placebo_oi(oi, strikes, 101.0, False, 1),
                                  [0.0, 1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(PL.placebo_oi(oi, strikes, 101.0, True, 0),
                                  [5.0, 4.0, 3.0, 2.0, 1.0])
    np.testing.assert_array_equal(PL.placebo_oi(oi, strikes, 96.0, True, -1),
                                  [2.0, 1.0, 0.0, 0.0, 0.0])


def test_pruned_strikes_give_identical_alerts():
    days = random_walk_days(8, 5, sigma=1.5)
    grids = [pressure_grid(d, CFG.pressure) for d in days[:3]]
    thresholds = calibrate_thresholds(grids, CFG.pressure)
    reach = max(r.max_distance for r in CFG.pressure.urgency_rules)
    for day in days[3:]:
        full = alerts_frame([alert_columns(day, pressure_grid(day, CFG.pressure), thresholds,
                                           CFG.pressure, False)])
        small_day = PL.pruned_day(day, reach)
        assert small_day.strikes.size < day.strikes.size
        small = alerts_frame([alert_columns(small_day, pressure_grid(small_day, CFG.pressure),
                                            thresholds, CFG.pressure, False)])
        assert len(full) > 0
        pd.testing.assert_frame_equal(full, small)


@pytest.mark.slow
def test_planted_oi_steering_beats_its_placebos():
    from assets.engine.run import run_engine
    from assets.synthetic_market.in_memory_days import synthetic_market

    cfg = CFG.model_copy(update={"validation": CFG.validation.model_copy(
        update={"oi_placebo_replications": 39, "null_replications": 200})})
    market = synthetic_market("2024-01-01", "2024-06-30", "steer", seed=5, strength=4.0)
    got = run_engine(market, cfg).placebo
    observed = got["observed"]
    assert got["p_value"] < 0.05
    values = np.array(got["placebo_values"], dtype=float)
    finite = values[np.isfinite(values)]
    hits = int((finite >= observed).sum())
    assert got["p_value"] == pytest.approx((1 + hits) / (finite.size + 1))


ROUND_SPACINGS = (25.0, 50.0, 100.0)


def _impulse_day(cfg):
    """A day whose whole OI sits on the strike nearest the open: a placebo profile's
    non-zero strike tells where the drawn shift put the real strike's OI."""
    day = random_walk_days(1, 9)[0]
    centre = int(np.argmin(np.abs(day.strikes - day.open[0])))
    call = np.zeros_like(day.call_oi)
    call[centre] = 1000.0
    return dataclasses.replace(day, call_oi=call, put_oi=np.zeros_like(call)), centre


def test_every_placebo_shift_clears_twice_the_alert_reach_and_the_round_strikes():
    # default ladder: reach 20 points, 5-point strikes -> 8..16 strikes (40..80 points)
    # without the multiples of 25 points (5, 10 and 15 strikes), by hand:
    assert PL.placebo_shifts(CFG) == (8, 9, 11, 12, 13, 14, 16)
    day, centre = _impulse_day(CFG)
    reach = max(r.max_distance for r in CFG.pressure.urgency_rules)
    profiles = PL.placebo_profiles(day, CFG, np.random.default_rng(1), 400)
    moved = {float(day.strikes[int(np.flatnonzero(p)[0])] - day.strikes[centre])
             for p in profiles if p.any()}
    assert len(moved) >= 10  # both signs, several sizes drawn
    for points in moved:
        assert abs(points) >= 2 * reach
        assert all(abs(points) % r != 0 for r in ROUND_SPACINGS), points
