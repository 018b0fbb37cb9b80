"""The batched SQLite event log records exactly what Dagster's own SQLite storage records.

The same partitioned assets are materialized over a range of days (one single-run backfill,
then a one-day rerun) into two fresh instances, one on Dagster's default storage and one on
`orchestration.event_storage.BatchedSqliteEventLogStorage` with batching on; every query the
UI and the sensors rely on must answer the same.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    BackfillPolicy,
    DagsterEventType,
    DagsterInstance,
    DailyPartitionsDefinition,
    MaterializeResult,
    asset,
    materialize,
)

from assets.common.settings import _write_dagster_yaml
from orchestration.event_storage import BatchedSqliteEventLogStorage
from orchestration.runner import range_tags

DAYS = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-03-01")


@asset(partitions_def=DAYS, backfill_policy=BackfillPolicy.single_run())
def upstream(context) -> MaterializeResult:
    return MaterializeResult(metadata={"days": len(context.partition_keys)})


@asset(partitions_def=DAYS, backfill_policy=BackfillPolicy.single_run(), deps=[upstream])
def downstream(context) -> MaterializeResult:
    return MaterializeResult(metadata={"first": context.partition_keys[0]})


def _record(instance: DagsterInstance) -> dict:
    keys = DAYS.get_partition_keys()
    out = {}
    for name in ("upstream", "downstream"):
        key = AssetKey(name)
        latest = instance.get_latest_materialization_events([key])[key]
        records = instance.fetch_materializations(key, limit=10_000, ascending=True).records
        out[name] = {
            "materialized": sorted(instance.get_materialized_partitions(key)),
            "latest_partition": latest.dagster_event.partition,
            "latest_run": latest.run_id == _runs(instance)[0],
            "events_per_partition": sorted(
                (p, sum(r.partition_key == p for r in records)) for p in keys),
            "event_partitions_in_order": [r.partition_key for r in records],
            "latest_by_partition": sorted(
                instance.event_log_storage.get_latest_storage_id_by_partition(
                    key, DagsterEventType.ASSET_MATERIALIZATION)),
            "asset_record_exists": bool(instance.get_asset_records([key])),
        }
    runs = _runs(instance)
    out["run_materializations"] = [
        sorted((r.dagster_event.asset_key.to_user_string(), r.dagster_event.partition)
               for r in instance.all_logs(run)
               if r.dagster_event and r.dagster_event.event_type_value == "ASSET_MATERIALIZATION")
        for run in runs]
    return out


def _runs(instance: DagsterInstance) -> list[str]:
    return [r.run_id for r in instance.get_runs()]  # newest first


def _materialize_into(home: Path) -> dict:
    keys = DAYS.get_partition_keys()
    instance = DagsterInstance.from_config(str(home))
    try:
        assert materialize([upstream, downstream], instance=instance,
                           tags=range_tags(keys[0], keys[-1])).success
        assert materialize([upstream, downstream], instance=instance,
                           partition_key=keys[10]).success
        assert type(instance.event_log_storage).__name__ == (
            "BatchedSqliteEventLogStorage" if (home / "dagster.yaml").read_text().count(
                "BatchedSqlite") else "SqliteEventLogStorage")
        return _record(instance)
    finally:
        instance.dispose()


@pytest.fixture
def batch_env(monkeypatch):
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "10000")
    monkeypatch.setenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")


def test_batched_storage_records_what_the_default_storage_records(tmp_path, batch_env):
    default_home, batched_home = tmp_path / "default", tmp_path / "batched"
    default_home.mkdir()
    (default_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    _write_dagster_yaml(batched_home)  # the lab's generated config

    default, batched = _materialize_into(default_home), _materialize_into(batched_home)

    assert batched == default
    days = len(DAYS.get_partition_keys())
    assert batched["upstream"]["materialized"] == DAYS.get_partition_keys()
    # the backfill wrote one event per day, the rerun one more for its day
    assert sum(n for _, n in batched["downstream"]["events_per_partition"]) == days + 1
    assert batched["downstream"]["latest_partition"] == DAYS.get_partition_keys()[10]
    assert (batched_home / "history" / "runs" / "index.db").is_file()


def test_engines_are_kept_for_a_few_shards_only(tmp_path):
    from orchestration.event_storage import KEPT_ENGINES

    storage = BatchedSqliteEventLogStorage(str(tmp_path))
    try:
        for i in range(KEPT_ENGINES + 5):
            with storage.run_connection(f"run{i}"):
                pass
        assert len(storage._engines) == KEPT_ENGINES
        assert f"run{KEPT_ENGINES + 4}" in storage._engines
        assert "run0" not in storage._engines
        assert os.path.exists(tmp_path / "run0.db")
    finally:
        storage.dispose()
