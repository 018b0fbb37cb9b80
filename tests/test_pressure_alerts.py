"""Threshold calibration and alert detection against brute-force scalar oracles, plus the
cooldown, tie-break and confidence conventions on hand-built days."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from assets.common.config import PressureConfig
from assets.pressure.alerts import (
    ALERT_COLUMNS,
    alert_columns,
    alerts_frame,
    calibrate_thresholds,
    detect_alerts,
    tie_direction,
)
from assets.pressure.kernel import pressure_grid
from tests.support.pressure_fixtures import make_custom_day, make_day
from tests.support.pressure_reference import specification_class

CLASSES = ("ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT")


def cell_classes(grid):
    return [[specification_class(grid.minutes[t], grid.total_oi[k], grid.distance[t, k])
             for k in range(grid.strikes.size)] for t in range(grid.minutes.size)]


def oracle_alerts(grid, thresholds, cooldown, scope="per_class"):
    """Minute by minute, strike by strike: the strongest eligible cell not in cooldown."""
    classes = cell_classes(grid)
    last: dict[tuple[int, str], int] = {}
    out = []
    for t in range(grid.minutes.size):
        best = None
        for k in range(grid.strikes.size):
            cls = classes[t][k]
            if cls == "NO_SIGNAL":
                continue
            thr = thresholds["ALL" if scope == "global" else cls]
            if not grid.pressure[t, k] > thr:
                continue
            if (k, cls) in last and t - last[(k, cls)] < cooldown:
                continue
            if best is None or grid.pressure[t, k] > grid.pressure[t, best[0]]:
                best = (k, cls)
        if best is not None:
            last[best] = t
            out.append((t, float(grid.strikes[best[0]]), best[1]))
    return out


@pytest.fixture(scope="module")
def calibration_grids():
    return [pressure_grid(make_day(100 + i, n_strikes=60), PressureConfig())
            for i in range(3)]


def test_per_class_thresholds_match_percentile_of_candidate_cells(calibration_grids):
    cfg = PressureConfig(threshold_percentile=80.0)
    got = calibrate_thresholds(calibration_grids, cfg)
    assert set(got) == set(CLASSES)
    for cls in CLASSES:
        pool = [g.pressure[t, k] for g in calibration_grids
                for t, row in enumerate(cell_classes(g)) for k, c in enumerate(row) if c == cls]
        assert len(pool) > 50
        assert got[cls] == pytest.approx(np.percentile(pool, 80.0), rel=1e-12)


def test_global_threshold_is_percentile_of_minute_maxima(calibration_grids):
    cfg = PressureConfig(threshold_scope="global", threshold_percentile=90.0)
    got = calibrate_thresholds(calibration_grids, cfg)
    maxima = [max(row) for g in calibration_grids for row in g.pressure.tolist()]
    assert got == {"ALL": pytest.approx(np.percentile(maxima, 90.0), rel=1e-12)}


def test_class_without_candidates_never_alerts():
    day = make_day(5, n_strikes=40, max_oi=700)  # OI <= 1400: nothing can classify
    cfg = PressureConfig()
    thresholds = calibrate_thresholds([pressure_grid(day, cfg)], cfg)
    assert thresholds == {c: math.inf for c in CLASSES}
    alerts = detect_alerts(day, pressure_grid(make_day(6), cfg), thresholds, cfg, False)
    assert alerts.empty and list(alerts.columns) == list(ALERT_COLUMNS)


@pytest.mark.parametrize("scope,cooldown", [("per_class", 10), ("per_class", 0),
                                            ("global", 10), ("per_class", 3)])
def test_detector_matches_bruteforce_oracle(calibration_grids, scope, cooldown):
    cfg = PressureConfig(threshold_scope=scope, cooldown_minutes=cooldown,
                         threshold_percentile=60.0)
    thresholds = calibrate_thresholds(calibration_grids, cfg)
    total = 0
    for seed in (7, 8, 9):
        day = make_day(seed, n_strikes=60)
        grid = pressure_grid(day, cfg)
        alerts = detect_alerts(day, grid, thresholds, cfg, is_calibration=False)
        got = list(zip(alerts["bar_index"], alerts["strike"], alerts["urgency"], strict=True))
        assert got == oracle_alerts(grid, thresholds, cooldown, scope)
        total += len(got)
    assert total >= 5  # the comparison must have had something to compare


def test_many_days_in_one_table_equal_the_days_stacked(calibration_grids):
    # Days with and without alerts, mixed: one table built from the columns must equal the
    # per-day tables concatenated by pandas (values, dtypes, order).
    cfg = PressureConfig(threshold_percentile=60.0)
    thresholds = calibrate_thresholds(calibration_grids, cfg)
    days = [make_day(5, n_strikes=40, max_oi=700), make_day(8, n_strikes=60),
            make_day(9, n_strikes=60), make_day(5, n_strikes=40, max_oi=700)]
    per_day = [detect_alerts(d, pressure_grid(d, cfg), thresholds, cfg, i == 1)
               for i, d in enumerate(days)]
    assert per_day[0].empty and not per_day[1].empty and not per_day[2].empty
    stacked = pd.concat(per_day, ignore_index=True)
    built = alerts_frame(alert_columns(d, pressure_grid(d, cfg), thresholds, cfg, i == 1)
                         for i, d in enumerate(days))
    pd.testing.assert_frame_equal(built, stacked, check_exact=True)
    assert alerts_frame([None, None]).empty


def test_alert_schema_and_values(calibration_grids):
    cfg = PressureConfig(threshold_percentile=60.0)
    thresholds = calibrate_thresholds(calibration_grids, cfg)
    day = make_day(8, n_strikes=60)
    grid = pressure_grid(day, cfg)
    alerts = detect_alerts(day, grid, thresholds, cfg, is_calibration=True)
    assert len(alerts) > 0
    assert list(alerts.columns) == list(ALERT_COLUMNS)
    assert str(alerts["ts"].dtype) == "datetime64[ns, UTC]"
    assert alerts["bar_index"].dtype == np.int64
    assert alerts["steering_direction"].dtype == np.int64
    assert alerts["is_calibration"].dtype == bool and alerts["is_calibration"].all()
    assert alerts["alert_id"].is_unique
    expected = {"ASSIGNMENT_PANIC": (25.0, 15.0, 35.0, 5.5, 8.0),
                "PIN_RISK_MANAGEMENT": (15.0, 10.0, 20.0, 32.5, 45.0)}
    for row in alerts.itertuples():
        t = row.bar_index
        k = int(np.flatnonzero(day.strikes == row.strike)[0])
        assert row.alert_id == f"{day.quote_date:%Y%m%d}-{t:03d}-{row.strike:g}"
        assert row.quote_date == day.quote_date
        assert row.ts == pd.Timestamp(day.ts[t]).tz_localize("UTC")
        assert row.price == day.close[t]
        assert row.distance == abs(day.close[t] - row.strike)
        assert row.total_oi == day.call_oi[k] + day.put_oi[k]
        assert row.minutes_to_expiry == day.minutes_to_expiry[t]
        assert row.pressure == grid.pressure[t, k] and row.probability == grid.probability[t, k]
        assert row.threshold == thresholds[row.urgency] and row.pressure > row.threshold
        assert (row.expected_move, row.expected_move_low, row.expected_move_high,
                row.expected_duration, row.max_hold_minutes) == expected[row.urgency]
        assert row.confidence == pytest.approx(1 - math.exp(-row.pressure / row.threshold))
        assert 1 - math.exp(-1) < row.confidence <= 1.0
        if day.close[t] != row.strike:
            assert row.steering_direction == (1 if day.close[t] > row.strike else -1)
        assert row.direction_label == ("UP" if row.steering_direction == 1 else "DOWN")


def test_missing_threshold_key_raises():
    cfg = PressureConfig()
    day = make_day(8, n_strikes=20)
    with pytest.raises(KeyError):
        detect_alerts(day, pressure_grid(day, cfg), {"ASSIGNMENT_PANIC": 1.0}, cfg, False)


# --------------------------------------------------------------------------- cooldown
def panic_day(strikes, call_oi, close=5002.0):
    minutes = np.arange(20.0, -1.0, -1.0)  # 21 bars, minutes 20..0; PANIC from bar 6
    return make_custom_day(np.full(minutes.size, close), minutes, strikes=strikes,
                           call_oi=call_oi, put_oi=np.zeros(len(strikes)))


@pytest.mark.parametrize("cooldown,bars", [(10, [6, 16]), (5, [6, 11, 16]),
                                           (0, list(range(6, 21))), (100, [6])])
def test_cooldown_spaces_alerts_on_one_strike(cooldown, bars):
    cfg = PressureConfig(cooldown_minutes=cooldown)
    day = panic_day([5000.0], [3000.0])
    alerts = detect_alerts(day, pressure_grid(day, cfg),
                           {"ASSIGNMENT_PANIC": 0.0, "PIN_RISK_MANAGEMENT": 0.0}, cfg, False)
    assert alerts["bar_index"].tolist() == bars
    assert set(alerts["urgency"]) == {"ASSIGNMENT_PANIC"}


def test_cooldown_lets_the_next_strongest_strike_through():
    # 5000: OI 3000 at distance 2 (p 0.6) beats 5005: OI 2000 at distance 3 (p 0.5).
    cfg = PressureConfig(cooldown_minutes=10)
    day = panic_day([5000.0, 5005.0], [3000.0, 2000.0])
    alerts = detect_alerts(day, pressure_grid(day, cfg),
                           {"ASSIGNMENT_PANIC": 0.0, "PIN_RISK_MANAGEMENT": 0.0}, cfg, False)
    got = list(zip(alerts["bar_index"], alerts["strike"], alerts["steering_direction"],
                   strict=True))
    assert got == [(6, 5000.0, 1), (7, 5005.0, -1), (16, 5000.0, 1), (17, 5005.0, -1)]


def test_cooldown_is_per_class():
    # The same strike is PIN at 30..60 minutes and PANIC below 15: separate episodes.
    minutes = np.array([35.0, 34.0, 10.0, 9.0])
    day = make_custom_day([5001.0] * 4, minutes, strikes=[5000.0], call_oi=[5000.0],
                          put_oi=[0.0])
    cfg = PressureConfig(cooldown_minutes=1000)
    alerts = detect_alerts(day, pressure_grid(day, cfg),
                           {"ASSIGNMENT_PANIC": 0.0, "PIN_RISK_MANAGEMENT": 0.0}, cfg, False)
    assert list(zip(alerts["bar_index"], alerts["urgency"], strict=True)) == [
        (0, "PIN_RISK_MANAGEMENT"), (2, "ASSIGNMENT_PANIC")]


# --------------------------------------------------------------------------- tie rule
@pytest.mark.parametrize("path,expected", [
    ([5000.0, 5000.0, 5000.0], 1),  # never moved: +1
    ([5003.0, 5001.0, 5000.0], -1),  # came down onto the strike: keeps going down
    ([4998.0, 4999.0, 5000.0], 1),  # came up onto the strike
    ([4998.0, 5000.0, 5000.0], 1),  # last non-zero change was up
    ([5002.0, 5000.0, 5000.0], -1),
])
def test_tie_direction_uses_last_nonzero_change(path, expected):
    assert tie_direction(np.array(path))[-1] == expected
    day = make_custom_day(path, [3.0, 2.0, 1.0], strikes=[5000.0], call_oi=[3000.0],
                          put_oi=[0.0])
    cfg = PressureConfig(cooldown_minutes=0)
    alerts = detect_alerts(day, pressure_grid(day, cfg),
                           {"ASSIGNMENT_PANIC": 0.0, "PIN_RISK_MANAGEMENT": 0.0}, cfg, False)
    assert alerts["bar_index"].tolist() == [0, 1, 2]
    # Off the strike the direction is away from it; on it, the tie rule.
    got = alerts["steering_direction"].tolist()
    for c, g in zip(path, got, strict=True):
        if c != 5000.0:
            assert g == (1 if c > 5000.0 else -1)
    assert got[-1] == expected
    assert alerts["direction_label"].tolist()[-1] == ("UP" if expected == 1 else "DOWN")


def test_tie_direction_is_causal():
    close = np.array([5000.0, 5000.0, 5001.0, 5001.0, 5000.0, 5000.0, 4999.0])
    assert tie_direction(close).tolist() == [1, 1, 1, 1, -1, -1, -1]
    for t in range(close.size):
        assert tie_direction(close[: t + 1]).tolist() == tie_direction(close)[: t + 1].tolist()
