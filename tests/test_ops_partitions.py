"""The partitions are the exchange's expiration sessions, checked against the exchange calendar.

The oracle is pandas-market-calendars' own `valid_days` (trading days of XNYS) filtered by
the expiration rule written out here by hand, never the lab's calendar helpers.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pandas_market_calendars as mcal
import pytest
from dagster import DailyPartitionsDefinition, partition_loading_context

from assets.common.config import CalendarConfig, LabConfig, load_config
from assets.dagster_common.partitions import build_expiration_partitions, expiration_partitions

NY = ZoneInfo("America/New_York")
# A horizon inside the precomputed exclusions (they run a year past the build date).
HORIZON = dt.date(2025, 6, 30)


def _trading_days(start: dt.date, end: dt.date) -> list[dt.date]:
    days = mcal.get_calendar("XNYS").valid_days(start_date=start, end_date=end)
    return [d.date() for d in days]


def _oracle(start: dt.date, end: dt.date, rule: str) -> list[str]:
    """Expiration sessions by the documented rule, on the exchange's trading days."""
    def expires(d: dt.date) -> bool:
        if rule == "daily":
            return True
        mwf = d.weekday() in (0, 2, 4)
        return mwf if rule == "mwf" else (mwf or d >= dt.date(2022, 5, 11))
    return [d.isoformat() for d in _trading_days(start, end) if expires(d)]


def _keys(partitions: DailyPartitionsDefinition, until: dt.date = HORIZON) -> list[str]:
    with partition_loading_context(effective_dt=dt.datetime.combine(until, dt.time(23), NY)):
        return list(partitions.get_partition_keys())


def _with_rule(rule: str) -> DailyPartitionsDefinition:
    return build_expiration_partitions(LabConfig(calendar=CalendarConfig(expiration_rule=rule)),
                                       end=HORIZON + dt.timedelta(days=30))


def test_the_lab_partitions_come_from_the_loaded_config():
    cfg = load_config()
    partitions = expiration_partitions()
    assert partitions.start.date() == pd.Timestamp(cfg.calendar.partitions_start).date()
    assert partitions.timezone == "America/New_York"
    assert partitions.end_offset == 1
    # Built once per process: every asset, the schedule and the sensor share one definition.
    assert expiration_partitions() is expiration_partitions()


def test_partitions_start_at_the_earliest_landing_day_when_earlier(tmp_path):
    """A history from mid-2015 moves the first partition back to its first file; a landing
    zone that starts later leaves the configured 2016-01-04, as does an empty one."""
    end = HORIZON + dt.timedelta(days=30)
    bars = tmp_path / "bars"
    bars.mkdir()
    (bars / "2015-06-03.csv").write_text("x")
    early = build_expiration_partitions(LabConfig(), end=end, landing=tmp_path)
    assert _keys(early) == _oracle(dt.date(2015, 6, 3), HORIZON, "spxw")
    (bars / "2015-06-03.csv").unlink()
    (bars / "2024-01-05.csv").write_text("x")
    for landing in (tmp_path, tmp_path / "nothing"):
        later = build_expiration_partitions(LabConfig(), end=end, landing=landing)
        assert later.get_first_partition_key() == "2016-01-04"


@pytest.mark.parametrize("rule", ["spxw", "mwf", "daily"])
def test_keys_are_exactly_the_expiration_sessions(rule):
    partitions = _with_rule(rule)
    start = partitions.start.date()
    assert _keys(partitions) == _oracle(start, HORIZON, rule)


def test_default_partitions_match_the_spxw_sessions_up_to_today():
    start = expiration_partitions().start.date()
    today = dt.datetime.now(NY).date()
    keys = _keys(expiration_partitions(), today)
    expected = _oracle(start, today, load_config().calendar.expiration_rule)
    # end_offset=1 may add the next session once today's is exposed (see the test below).
    assert keys[:len(expected)] == expected
    assert len(keys) - len(expected) <= 1


def test_no_weekends_or_holidays_and_early_closes_kept():
    keys = set(_keys(_with_rule("spxw")))
    assert all(dt.date.fromisoformat(k).weekday() < 5 for k in keys)
    holidays = ["2024-01-01", "2024-01-15", "2024-03-29", "2024-07-04", "2024-11-28",
                "2024-12-25", "2025-01-01", "2025-01-09"]  # 2025-01-09: national day of mourning
    assert not keys & set(holidays)
    early_closes = ["2023-11-24", "2024-07-03", "2024-11-29", "2024-12-24"]
    assert set(early_closes) <= keys
    closes = mcal.get_calendar("XNYS").schedule("2024-11-29", "2024-11-29")["market_close"]
    assert closes.iloc[0].tz_convert(NY).time() == dt.time(13, 0)  # really an early close


def test_spxw_rule_switches_to_daily_on_2022_05_11():
    keys = set(_keys(_with_rule("spxw")))
    assert "2022-05-10" not in keys  # a Tuesday before daily listings
    assert "2022-05-05" not in keys  # a Thursday before daily listings
    assert {"2022-05-09", "2022-05-11", "2022-05-12", "2022-05-17", "2022-05-19"} <= keys
    mwf = set(_keys(_with_rule("mwf")))
    assert "2022-05-12" not in mwf and "2024-11-29" in mwf
    daily = set(_keys(_with_rule("daily")))
    assert {"2022-05-10", "2022-05-05"} <= daily


def test_end_offset_exposes_todays_partition():
    for when in (dt.datetime(2024, 11, 29, 0, 30, tzinfo=NY),
                 dt.datetime(2024, 11, 29, 18, 30, tzinfo=NY)):
        with partition_loading_context(effective_dt=when):
            assert expiration_partitions().get_last_partition_key() == "2024-11-29"
            assert expiration_partitions().has_partition_key("2024-11-29")
            assert not expiration_partitions().has_partition_key("2024-12-02")
    # Without the offset the day being traded would not exist until the next midnight.
    no_offset = DailyPartitionsDefinition(
        start_date=expiration_partitions().start.strftime("%Y-%m-%d"), end_offset=0,
        timezone="America/New_York", exclusions=list(expiration_partitions().exclusions))
    with partition_loading_context(effective_dt=dt.datetime(2024, 11, 29, 18, 30, tzinfo=NY)):
        assert no_offset.get_last_partition_key() == "2024-11-27"


def test_non_sessions_are_never_partition_keys_at_any_time():
    for key in ("2024-11-28", "2024-11-30", "2024-12-01", "2022-05-10"):
        for when in (dt.datetime(2024, 12, 31, tzinfo=NY), dt.datetime(2025, 6, 1, tzinfo=NY)):
            with partition_loading_context(effective_dt=when):
                assert not expiration_partitions().has_partition_key(key), key
