"""The OI placebo control: the placebo OI by hand, the strike pruning exact, and a world
with planted OI steering told apart from its placebos."""

from __future__ import annotations

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


def test_shift_range_puts_placebo_strikes_out_of_alert_reach():
    k, k2 = PL.placebo_shift_range(CFG)
    reach = max(r.max_distance for r in CFG.pressure.urgency_rules)
    assert k * CFG.ingestion.strike_grid_points >= reach and k2 == 2 * k


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
