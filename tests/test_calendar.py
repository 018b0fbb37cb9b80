import datetime as dt

import pandas as pd
import pytest

from assets.common import calendar


def test_early_close_day_closes_at_13_eastern():
    s = calendar.session("2024-11-29")
    assert s is not None and s.is_early_close
    assert s.close.tz_convert("America/New_York").time() == dt.time(13, 0)
    assert len(s.bar_starts()) == 210


def test_regular_day_has_390_bars_and_closes_at_16_eastern():
    s = calendar.session("2024-11-27")
    assert not s.is_early_close
    assert s.close.tz_convert("America/New_York").time() == dt.time(16, 0)
    assert len(s.bar_starts()) == 390


def test_christmas_has_no_session():
    assert calendar.session("2024-12-25") is None
    assert dt.date(2024, 12, 25) not in calendar.expiration_days("2024-12-20", "2024-12-31")


@pytest.mark.parametrize("day,rule,expected", [
    (dt.date(2022, 5, 10), "spxw", False),  # a Tuesday before Tue/Thu were both listed
    (dt.date(2022, 5, 11), "spxw", True),
    (dt.date(2022, 5, 12), "spxw", True),   # Thursday, after
    (dt.date(2021, 3, 4), "spxw", False),   # Thursday, before
    (dt.date(2021, 3, 5), "spxw", True),    # Friday
    (dt.date(2024, 5, 14), "mwf", False),
    (dt.date(2024, 5, 14), "daily", True),
])
def test_expiration_rules(day, rule, expected):
    assert calendar.is_expiration_day(day, rule) is expected


def test_unknown_rule_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown expiration rule"):
        calendar.is_expiration_day(dt.date(2024, 1, 2), "weekly")


def test_minutes_to_close_is_measured_from_the_end_of_each_bar_to_the_real_close():
    s = calendar.session("2024-11-29")
    starts = s.bar_starts()
    mins = calendar.minutes_to_close(starts, s.close)
    assert mins[0] == 209 and mins[-1] == 0
    # 12:44 ET bar ends 12:45 -> 15 minutes before the 13:00 early close
    t = pd.Timestamp("2024-11-29 12:44", tz="America/New_York").tz_convert("UTC")
    assert mins[list(starts).index(t)] == 15


def test_non_expiration_days_partition_the_calendar():
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    exp = set(calendar.expiration_days(start, end))
    non = set(calendar.non_expiration_days(start, end))
    assert not exp & non
    assert len(exp) + len(non) == 366
    assert len(exp) == 252
