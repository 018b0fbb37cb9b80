"""The calibration / out-of-sample split, against hand-written cases."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from assets.pressure.calibration import Calibration, split_calibration_days

D = [dt.date(2024, 1, d) for d in (2, 3, 4, 5, 8)]


def test_first_days_in_day_order_calibrate_the_rest_are_scored():
    shuffled = [D[3], D[0], D[4], D[2], D[1]]
    assert split_calibration_days(shuffled, 2) == ([D[0], D[1]], [D[2], D[3], D[4]])


def test_window_edges():
    assert split_calibration_days(D, 0) == ([], D)
    assert split_calibration_days(D, 5) == (D, [])
    assert split_calibration_days(D, 30) == (D, [])
    assert split_calibration_days([], 3) == ([], [])


def test_objects_are_ordered_by_the_key():
    days = [SimpleNamespace(quote_date=d) for d in (D[2], D[0], D[1])]
    calibration, scored = split_calibration_days(days, 1, key=lambda d: d.quote_date)
    assert [d.quote_date for d in calibration] == [D[0]]
    assert [d.quote_date for d in scored] == [D[1], D[2]]


def test_the_stored_record_names_the_first_scored_day():
    record = Calibration((D[0], D[1]), (D[2], D[3], D[4]), {"PIN": 1.5}).as_record()
    assert record == {"calibration_days": 2, "first_day": "2024-01-02", "last_day": "2024-01-03",
                      "first_scored_day": "2024-01-04", "scored_days": 3,
                      "thresholds": {"PIN": 1.5}}
