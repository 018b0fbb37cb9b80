"""No lookahead: the day truncated after a random bar t gives the same grid rows, urgency
classes, alerts and stored cells at or before t as the full day (both probability
models)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assets.common.config import PressureConfig
from assets.pressure.alerts import calibrate_thresholds, detect_alerts
from assets.pressure.kernel import pressure_grid
from assets.pressure.series import stored_cells
from assets.pressure.urgency import classify_grid
from tests.support.pressure_fixtures import make_day


@pytest.mark.parametrize("model", ["specification", "itm_normal"])
@pytest.mark.parametrize("seed", [31, 32, 33])
def test_truncation_changes_nothing_at_or_before_t(model, seed):
    cfg = PressureConfig(probability_model=model, threshold_percentile=50.0,
                         cooldown_minutes=5)
    thresholds = calibrate_thresholds(
        [pressure_grid(make_day(200 + i, n_strikes=50), cfg) for i in range(2)], cfg)
    day = make_day(seed, n_strikes=50)
    full = pressure_grid(day, cfg)
    full_alerts = detect_alerts(day, full, thresholds, cfg, is_calibration=False)
    full_codes = classify_grid(full, cfg.urgency_rules)
    full_cells = stored_cells(day, full, cfg)
    rng = np.random.default_rng(seed)
    # Random cut points, plus the heart of both urgency windows.
    cuts = list(rng.integers(0, day.n_bars - 1, 3)) + [day.n_bars - 40, day.n_bars - 8]
    for t in cuts:
        cut = day.truncated(int(t))
        part = pressure_grid(cut, cfg)
        rows = slice(0, int(t) + 1)
        for name in ("distance", "probability", "pressure"):
            np.testing.assert_array_equal(getattr(part, name), getattr(full, name)[rows])
        np.testing.assert_array_equal(classify_grid(part, cfg.urgency_rules),
                                      full_codes[rows])
        part_alerts = detect_alerts(cut, part, thresholds, cfg, is_calibration=False)
        expected = full_alerts[full_alerts["bar_index"] <= t].reset_index(drop=True)
        pd.testing.assert_frame_equal(part_alerts.reset_index(drop=True), expected,
                                      check_dtype=False if expected.empty else True)
        pd.testing.assert_frame_equal(
            stored_cells(cut, part, cfg),
            full_cells[full_cells["bar_index"] <= t].reset_index(drop=True))
    assert len(full_alerts) > 0


def test_itm_normal_row_ignores_its_own_and_later_bars():
    # Changing bar t's close moves row t only through the distance, never through the
    # volatility, and leaves every earlier row untouched.
    cfg = PressureConfig(probability_model="itm_normal")
    day = make_day(40, n_strikes=30)
    base = pressure_grid(day, cfg)
    t = 200
    close = day.close.copy()
    close[t:] += 37.0  # a jump at t and everything after
    bumped = pressure_grid(type(day)(day.quote_date, day.session_open, day.session_close,
                                     day.ts, day.open, day.high, day.low, close,
                                     day.minutes_to_expiry, day.strikes, day.call_oi,
                                     day.put_oi), cfg)
    np.testing.assert_array_equal(bumped.probability[:t], base.probability[:t])
    # Row t sees the new price, but its sigma (from returns before t) is unchanged, so
    # it equals the old model evaluated at the new price: t+1 is where the jump enters.
    assert not np.array_equal(bumped.probability[t], base.probability[t])
