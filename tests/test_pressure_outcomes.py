"""Prediction outcomes on hand-built price paths, every expected number worked by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from assets.common.config import PressureConfig
from assets.pressure.alerts import calibrate_thresholds, detect_alerts
from assets.pressure.kernel import pressure_grid
from assets.pressure.outcomes import OUTCOME_COLUMNS, prediction_outcomes
from tests.support.pressure_fixtures import make_custom_day, make_day

DAY1, DAY2 = dt.date(2024, 3, 1), dt.date(2024, 3, 4)
PATH1 = [100, 100, 100, 101, 103, 102, 104, 106, 105, 103, 104, 110, 90, 90]
PATH2 = [50, 49, 48, 47, 52]
MOVE = {"ASSIGNMENT_PANIC": (25.0, 5.5), "PIN_RISK_MANAGEMENT": (15.0, 32.5)}


def path_day(path, day):
    close = np.asarray(path, dtype=float)
    return make_custom_day(close, np.arange(close.size, 0, -1) - 1.0, strikes=[100.0],
                           call_oi=[1.0], put_oi=[1.0], high=close + 0.5, low=close - 0.5,
                           day=day)


def alerts_frame(rows):
    """rows: (quote_date, bar_index, urgency, direction)."""
    return pd.DataFrame({
        "alert_id": [f"a{i}" for i in range(len(rows))],
        "quote_date": [r[0] for r in rows],
        "bar_index": [r[1] for r in rows],
        "urgency": [r[2] for r in rows],
        "steering_direction": [r[3] for r in rows],
        "expected_move": [MOVE[r[2]][0] for r in rows],
        "expected_duration": [MOVE[r[2]][1] for r in rows],
        "pressure": 1.0, "total_oi": 2.0, "minutes_to_expiry": 1.0,
        "is_calibration": False,
    })


@pytest.fixture(scope="module")
def outcomes():
    days = {DAY1: path_day(PATH1, DAY1), DAY2: path_day(PATH2, DAY2)}
    alerts = alerts_frame([
        (DAY1, 2, "ASSIGNMENT_PANIC", 1),  # horizon 8: bars 3..10
        (DAY1, 9, "PIN_RISK_MANAGEMENT", -1),  # horizon 45 capped at the day's end: 4
        (DAY1, 13, "ASSIGNMENT_PANIC", 1),  # last bar: nothing after it
        (DAY1, 2, "ASSIGNMENT_PANIC", -1),  # the wrong way
        (DAY2, 0, "ASSIGNMENT_PANIC", -1),  # second day: offsets must not mix days
    ])
    return prediction_outcomes(alerts, days, PressureConfig()).set_index("alert_id")


def test_up_alert_within_the_horizon(outcomes):
    row = outcomes.loc["a0"]
    assert row.horizon_minutes == 8 and row.price == 100 and row.end_price == 104
    assert (row.actual_move, row.actual_magnitude, row.actual_direction) == (4, 4, 1)
    assert row.direction_correct
    assert row.max_favourable_excursion == 6.5  # high of bar 7 (106.5) - 100
    assert row.minutes_to_extreme == 5  # bar 7 is 5 minutes after bar 2
    assert row.max_adverse_excursion == 0.0  # lowest low 100.5 never went below 100
    assert row.magnitude_error == 21.0 and row.timing_error == 0.5
    assert row.magnitude_score == pytest.approx(0.16)
    assert row.timing_score == pytest.approx(1 - 0.5 / 5.5)
    assert row.accuracy_score == pytest.approx((1 + 0.16 + (1 - 0.5 / 5.5)) / 3)


def test_down_alert_capped_at_the_day_end(outcomes):
    row = outcomes.loc["a1"]
    assert row.horizon_minutes == 4 and row.price == 103 and row.end_price == 90
    assert (row.actual_move, row.actual_magnitude, row.actual_direction) == (13, 13, -1)
    assert row.direction_correct
    assert row.max_favourable_excursion == 13.5  # 103 - low 89.5 at bar 12 (first)
    assert row.minutes_to_extreme == 3
    assert row.max_adverse_excursion == 7.5  # high 110.5 at bar 11
    assert row.magnitude_error == 2.0 and row.timing_error == 29.5
    assert row.accuracy_score == pytest.approx((1 + (1 - 2 / 15) + (1 - 29.5 / 32.5)) / 3)


def test_alert_on_the_last_bar_has_no_horizon(outcomes):
    row = outcomes.loc["a2"]
    assert row.horizon_minutes == 0 and row.end_price == 90
    assert (row.actual_move, row.actual_direction, row.max_favourable_excursion) == (0, 0, 0)
    assert not row.direction_correct and row.minutes_to_extreme == 0
    assert row.magnitude_error == 25.0 and row.accuracy_score == 0.0


def test_wrong_direction(outcomes):
    row = outcomes.loc["a3"]
    assert (row.actual_move, row.actual_direction) == (-4, 1)
    assert not row.direction_correct
    assert row.max_favourable_excursion == 0.0 and row.minutes_to_extreme == 0
    assert row.max_adverse_excursion == 6.5
    assert row.timing_error == 5.5 and row.timing_score == 0.0
    assert row.accuracy_score == pytest.approx((0 + 0.16 + 0) / 3)


def test_second_day_uses_its_own_bars(outcomes):
    row = outcomes.loc["a4"]
    # Horizon 8 capped at 4 bars; down from 50 to 52 at the end: wrong way.
    assert row.horizon_minutes == 4 and row.price == 50 and row.end_price == 52
    assert (row.actual_move, row.actual_direction) == (-2, 1)
    assert row.max_favourable_excursion == 3.5 and row.minutes_to_extreme == 3  # low 46.5
    assert row.max_adverse_excursion == 2.5


def test_schema_and_bounds(outcomes):
    assert list(outcomes.reset_index().columns) == list(OUTCOME_COLUMNS)
    assert outcomes["accuracy_score"].between(0, 1).all()


def test_outcomes_of_detected_alerts_agree_with_a_scalar_walk():
    cfg = PressureConfig(threshold_percentile=50.0)
    thresholds = calibrate_thresholds([pressure_grid(make_day(300), cfg)], cfg)
    days = {d.quote_date: d for d in (make_day(301, "2024-03-05"),
                                      make_day(302, "2024-11-29"))}
    alerts = pd.concat([detect_alerts(d, pressure_grid(d, cfg), thresholds, cfg, False)
                        for d in days.values()], ignore_index=True)
    assert len(alerts) > 3
    got = prediction_outcomes(alerts, days, cfg)
    horizon = {"ASSIGNMENT_PANIC": 8, "PIN_RISK_MANAGEMENT": 45}
    for a, o in zip(alerts.itertuples(), got.itertuples(), strict=True):
        day = days[a.quote_date]
        t, s = a.bar_index, a.steering_direction
        h = min(horizon[a.urgency], day.n_bars - 1 - t)
        best, when = 0.0, 0
        for j in range(1, h + 1):
            fav = s * ((day.high if s > 0 else day.low)[t + j] - day.close[t])
            if fav > best:
                best, when = fav, j
        assert o.horizon_minutes == h
        assert o.actual_move == pytest.approx(s * (day.close[t + h] - day.close[t]))
        assert o.max_favourable_excursion == pytest.approx(best)
        assert o.minutes_to_extreme == when


def test_empty_alerts_and_missing_day():
    empty = prediction_outcomes(pd.DataFrame(), {}, PressureConfig())
    assert empty.empty and list(empty.columns) == list(OUTCOME_COLUMNS)
    with pytest.raises(KeyError):
        prediction_outcomes(alerts_frame([(DAY2, 0, "ASSIGNMENT_PANIC", 1)]), {},
                            PressureConfig())
