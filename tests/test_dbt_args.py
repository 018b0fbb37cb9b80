"""The pure dbt argument builders: partition windows -> dbt vars -> the build command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from dagster import DailyPartitionsDefinition, PartitionKeyRange

from assets.transform.dbt_args import (
    dbt_build_args,
    runtime_target_path,
    stale_targets,
    window_env,
    window_vars,
)

NY = ZoneInfo("America/New_York")
UTC = dt.UTC


def _partitions() -> DailyPartitionsDefinition:
    # The same shape as assets.dagster_common.partitions: New York days, holidays/weekends excluded.
    return DailyPartitionsDefinition(
        start_date="2024-11-25", end_date="2024-12-10", timezone="America/New_York",
        exclusions=[dt.datetime(2024, 11, 28), dt.datetime(2024, 11, 30),
                    dt.datetime(2024, 12, 1)])


def test_single_partition_window_is_that_day():
    window = _partitions().time_window_for_partition_key("2024-11-29")
    assert window_vars(window.start, window.end) == {"min_date": "2024-11-29",
                                                     "max_date": "2024-11-29"}


def test_partition_range_spans_first_to_last_day_including_excluded_days_between():
    # A single-run backfill's window: the first key's start to the last key's end.
    pdef = _partitions()
    keys = pdef.get_partition_keys_in_range(PartitionKeyRange("2024-11-27", "2024-12-02"))
    assert keys == ["2024-11-27", "2024-11-29", "2024-12-02"]
    start = pdef.time_window_for_partition_key(keys[0]).start
    end = pdef.time_window_for_partition_key(keys[-1]).end
    assert window_vars(start, end) == {"min_date": "2024-11-27",
                                                     "max_date": "2024-12-02"}


def test_window_given_in_utc_reads_the_new_york_days():
    # 2024-11-29 00:00 New York is 05:00 UTC; the exclusive end is 2024-11-30 05:00 UTC,
    # whose UTC date minus a moment would wrongly still be the 30th.
    start = dt.datetime(2024, 11, 29, 5, tzinfo=UTC)
    end = dt.datetime(2024, 11, 30, 5, tzinfo=UTC)
    assert window_vars(start, end) == {"min_date": "2024-11-29", "max_date": "2024-11-29"}


def test_window_across_dst_change():
    # 2024-11-03: New York falls back; the day is 25 hours long.
    start = dt.datetime(2024, 11, 3, tzinfo=NY)
    end = dt.datetime(2024, 11, 5, tzinfo=NY)
    assert window_vars(start, end) == {"min_date": "2024-11-03", "max_date": "2024-11-04"}


@pytest.mark.parametrize("start,end", [
    (dt.datetime(2024, 11, 29), dt.datetime(2024, 11, 30)),  # naive
    (dt.datetime(2024, 11, 29, tzinfo=NY), dt.datetime(2024, 11, 29, tzinfo=NY)),  # empty
])
def test_bad_windows_are_refused(start, end):
    with pytest.raises(ValueError):
        window_vars(start, end)


def test_build_args_carry_the_vars_as_yaml_dbt_can_read():
    args = dbt_build_args({"max_date": "2024-11-29", "min_date": "2024-11-27"})
    assert args[:4] == ["build", "--exclude-resource-type", "unit_test", "--vars"]
    assert len(args) == 5
    # dbt parses --vars as YAML; JSON is a subset of YAML.
    assert yaml.safe_load(args[4]) == {"min_date": "2024-11-27", "max_date": "2024-11-29"}
    assert json.loads(args[4]) == {"min_date": "2024-11-27", "max_date": "2024-11-29"}


def test_build_args_without_window_rebuild_everything():
    assert dbt_build_args(None) == ["build", "--exclude-resource-type", "unit_test"]
    assert dbt_build_args({}) == ["build", "--exclude-resource-type", "unit_test"]


def test_window_env_always_sets_both_bounds():
    assert window_env({"min_date": "2024-11-27", "max_date": "2024-11-29"}) == {
        "PRESSURE_LAB_DBT_MIN_DATE": "2024-11-27", "PRESSURE_LAB_DBT_MAX_DATE": "2024-11-29"}
    # No window: both emptied, so a window left in the environment cannot narrow a full build.
    assert window_env(None) == {"PRESSURE_LAB_DBT_MIN_DATE": "", "PRESSURE_LAB_DBT_MAX_DATE": ""}
    with pytest.raises(ValueError, match="unknown"):
        window_env({"min_day": "2024-11-27"})


def test_runtime_target_path_is_under_the_root_and_unique_per_run_and_step(tmp_path: Path):
    a = runtime_target_path(tmp_path, "1234abcd-ef", "dbt_partitioned_models")
    b = runtime_target_path(tmp_path, "99999999-ef", "dbt_partitioned_models")
    assert a != b
    assert a.parent == tmp_path / "target"
    assert runtime_target_path(tmp_path, "run/../x", "op").parent == tmp_path / "target"


def test_stale_targets_keeps_the_most_recent(tmp_path: Path):
    folders = [(tmp_path / f"run{i}", float(t)) for i, t in enumerate([5, 1, 9, 3, 7])]
    assert stale_targets(folders, keep=2) == [tmp_path / "run0", tmp_path / "run3",
                                              tmp_path / "run1"]
    assert stale_targets(folders, keep=10) == []
    assert len(stale_targets(folders, keep=0)) == 5
    with pytest.raises(ValueError):
        stale_targets(folders, keep=-1)
