"""The CLI's pre-flight: which partitions a run covers and what stops it before it starts."""

import datetime as dt

from assets.common import calendar
from assets.common.config import LabConfig
from assets.dagster_common.partitions import build_expiration_partitions, expiration_partitions
from assets.ingestion.adapters import landing_days
from orchestration.cli import plan_days

KEYS = [d.isoformat() for d in calendar.expiration_days("2024-01-01", "2024-03-31")]


def _touch(landing, kind, day, suffix=".csv"):
    p = landing / kind / f"{day}{suffix}"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("x")
    return p


def test_days_come_from_every_adapters_file_names(tmp_path):
    _touch(tmp_path, "chains", "2024-01-02")
    (tmp_path / "chains" / "UnderlyingOptionsEODCalcs_2024-01-03.zip").write_text("x")
    (tmp_path / "chains" / "_source.json").write_text("{}")
    # Databento's batch names carry the day without dashes.
    (tmp_path / "bars").mkdir()
    (tmp_path / "bars" / "glbx-mdp3-20240104.ohlcv-1m.dbn.zst").write_text("x")
    (tmp_path / "bars" / "notes.txt").write_text("x")  # no adapter's: left to ingestion
    found = landing_days(tmp_path)
    assert list(found) == [dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)]
    assert [p.name for p in found[dt.date(2024, 1, 4)]] == ["glbx-mdp3-20240104.ohlcv-1m.dbn.zst"]


def test_a_contiguous_range_runs_as_one_range(tmp_path):
    for day in KEYS[:5]:
        _touch(tmp_path, "chains", day)
        _touch(tmp_path, "bars", day)
    keys, problems = plan_days(tmp_path, None, None, KEYS)
    assert problems == [] and keys == KEYS[:5]


def test_a_gap_inside_the_range_is_reported_by_day(tmp_path):
    for day in KEYS[:5]:
        if day != KEYS[2]:
            _touch(tmp_path, "bars", day)
    keys, problems = plan_days(tmp_path, None, None, KEYS)
    assert len(problems) == 1 and KEYS[2] in problems[0]


def test_a_file_for_a_holiday_is_named_in_the_error(tmp_path):
    path = _touch(tmp_path, "bars", "2024-01-15")  # Martin Luther King Jr. Day
    _touch(tmp_path, "bars", KEYS[0])
    _, problems = plan_days(tmp_path, None, None, KEYS)
    assert any(str(path) in p and "not an expiration session" in p for p in problems)


def test_start_and_end_narrow_the_run(tmp_path):
    for day in KEYS[:10]:
        _touch(tmp_path, "bars", day)
    keys, problems = plan_days(tmp_path, dt.date.fromisoformat(KEYS[3]),
                               dt.date.fromisoformat(KEYS[6]), KEYS)
    assert problems == [] and keys == KEYS[3:7]


def test_an_empty_landing_zone_is_an_error(tmp_path):
    keys, problems = plan_days(tmp_path, None, None, KEYS)
    assert keys == [] and "no landing files" in problems[0]


def test_bars_alone_on_other_days_are_basis_references_when_a_basis_is_configured(tmp_path):
    keys = [k for k in KEYS if k != "2024-01-04"]  # a calendar where Thursday expires nothing
    for day in ("2024-01-03", "2024-01-05"):
        _touch(tmp_path, "chains", day)
        _touch(tmp_path, "bars", day)
    _touch(tmp_path, "bars", "2024-01-04")  # Thursday's futures close, for Friday's basis
    _, problems = plan_days(tmp_path, None, None, keys)
    assert any("2024-01-04" in p for p in problems)
    run, problems = plan_days(tmp_path, None, None, keys, bars_only_ok=True)
    assert problems == [] and run == ["2024-01-03", "2024-01-05"]


def test_a_history_before_the_configured_start_is_planned_not_refused(lab_home):
    """Files from December 2015, before calendar.partitions_start (2016-01-04): the
    process's partitions start at the earliest landing day, so the run plans them;
    partitions built without them (a process started before the files came) name the
    setting rather than calling the days non-sessions."""
    landing = lab_home / "landing"
    days = ["2015-12-28", "2015-12-30", "2016-01-04"]  # Mon, Wed, Mon (New Year's Day shut)
    for day in days:
        _touch(landing, "chains", day)
        _touch(landing, "bars", day)
    expiration_partitions.cache_clear()
    try:
        keys = expiration_partitions().get_partition_keys()
        assert keys[:3] == days
        assert plan_days(landing, None, None, keys) == (days, [])
    finally:
        expiration_partitions.cache_clear()
    stale = build_expiration_partitions(LabConfig()).get_partition_keys()
    _, problems = plan_days(landing, None, None, stale)
    assert len(problems) == 2 and all("calendar.partitions_start" in p for p in problems)
    assert "chains/2015-12-28.csv" in problems[0] and "2015-12-30" in problems[1]
