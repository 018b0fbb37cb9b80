"""The cells kept for the pressure_series table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.common.config import PressureConfig
from assets.pressure.kernel import pressure_grid
from assets.pressure.series import SERIES_COLUMNS, stored_cells
from tests.support.pressure_fixtures import make_custom_day, make_day
from tests.support.pressure_reference import specification_class


def test_stored_cells_are_the_near_band_plus_each_minute_max():
    cfg = PressureConfig()
    day = make_day(51, n_strikes=60)
    grid = pressure_grid(day, cfg)
    cells = stored_cells(day, grid, cfg)
    assert list(cells.columns) == list(SERIES_COLUMNS)
    expected = set()
    for t in range(day.n_bars):
        row = grid.pressure[t].tolist()
        expected.add((t, float(day.strikes[row.index(max(row))])))
        for s in day.strikes:
            if abs(day.close[t] - s) < cfg.store_within_points:
                expected.add((t, float(s)))
    assert set(zip(cells["bar_index"], cells["strike"], strict=True)) == expected
    assert len(cells) == len(expected)  # no duplicates
    assert cells["bar_index"].is_monotonic_increasing
    # Values are the grid's, with the class written out.
    sample = cells.sample(50, random_state=0)
    for r in sample.itertuples():
        k = int(np.flatnonzero(day.strikes == r.strike)[0])
        assert r.pressure == grid.pressure[r.bar_index, k]
        assert r.probability == grid.probability[r.bar_index, k]
        assert r.distance == abs(day.close[r.bar_index] - r.strike)
        assert r.minutes_to_expiry == day.minutes_to_expiry[r.bar_index]
        assert r.urgency == specification_class(r.minutes_to_expiry, r.total_oi, r.distance)
        assert r.ts == pd.Timestamp(day.ts[r.bar_index]).tz_localize("UTC")
        assert r.quote_date == day.quote_date


def test_every_classified_cell_is_stored_even_with_a_narrow_band():
    cfg = PressureConfig(store_within_points=2.0)  # narrower than the rules' distance < 20
    day = make_custom_day([5010.0, 5010.0], [40.0, 300.0], strikes=[4995.0, 5000.0, 5050.0],
                          call_oi=[3000.0, 3000.0, 1e6], put_oi=[0.0, 0.0, 0.0])
    cells = stored_cells(day, pressure_grid(day, cfg), cfg)
    got = set(zip(cells["bar_index"], cells["strike"], cells["urgency"], strict=True))
    assert got == {
        (0, 4995.0, "PIN_RISK_MANAGEMENT"), (0, 5000.0, "PIN_RISK_MANAGEMENT"),
        (0, 5050.0, "NO_SIGNAL"),  # far, but the minute's largest pressure
        (1, 5050.0, "NO_SIGNAL"),
    }
