"""The batched SQLite event log records exactly what Dagster's own SQLite storage records.

The same partitioned assets are materialized over a range of days (one single-run backfill,
then a one-day rerun) into two fresh instances, one on Dagster's default storage and one on
`orchestration.event_storage.BatchedSqliteEventLogStorage` with batching on; every query the
UI and the sensors rely on must answer the same.
"""

from __future__ import annotations

import os
import shutil
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


def _materialize_into(home: Path, storage_class: str) -> dict:
    keys = DAYS.get_partition_keys()
    instance = DagsterInstance.from_config(str(home))
    try:
        assert materialize([upstream, downstream], instance=instance,
                           tags=range_tags(keys[0], keys[-1])).success
        assert materialize([upstream, downstream], instance=instance,
                           partition_key=keys[10]).success
        assert type(instance.event_log_storage).__name__ == storage_class
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

    default = _materialize_into(default_home, "SqliteEventLogStorage")
    batched = _materialize_into(batched_home, "BatchedSqliteEventLogStorage")

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


def test_a_kept_connection_blocks_no_other_writer(tmp_path):
    """A run's storage keeps its connections open between events; another process's
    storage on the same files (the UI, a second run) still writes, at once, and each sees
    the other's rows."""
    import sqlite3

    from sqlalchemy import text

    run, other = (BatchedSqliteEventLogStorage(str(tmp_path)) for _ in range(2))
    try:
        for storage, value in ((run, "run"), (other, "other"), (run, "run-again")):
            with storage.index_connection() as conn:
                conn.execute(text("create table if not exists probe (v text)"))
                conn.execute(text("insert into probe values (:v)"), {"v": value})
        # a plain writer that does not wait for locks at all (timeout 0) still gets in
        with sqlite3.connect(tmp_path / "index.db", timeout=0) as plain:
            plain.execute("insert into probe values ('plain')")
        assert run._engines[next(iter(run._engines))].pool.checkedin() >= 1  # kept open
        for storage in (run, other):
            with storage.index_connection() as conn:
                assert [r[0] for r in conn.execute(text("select v from probe"))] == [
                    "run", "other", "run-again", "plain"]
    finally:
        run.dispose()
        other.dispose()


class FlakyIndexStorage(BatchedSqliteEventLogStorage):
    """Fault injection: the first batch's index write fails (a locked or full disk)."""

    failures = 1

    def _store_asset_event_tags(self, conn, events, event_ids):
        if FlakyIndexStorage.failures and len(events) > 1:
            FlakyIndexStorage.failures -= 1
            raise RuntimeError("index shard unavailable")
        super()._store_asset_event_tags(conn, events, event_ids)


def test_a_failed_batch_leaves_each_event_once(tmp_path, batch_env):
    # Dagster stores the events one by one after a failed batch; the run's log must not
    # keep the batch's copies as well.
    home = tmp_path / "flaky"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nevent_log_storage:\n"
        "  module: tests.test_ops_event_storage\n  class: FlakyIndexStorage\n"
        f"  config:\n    base_dir: {home / 'history' / 'runs'}\n")
    keys = DAYS.get_partition_keys()
    instance = DagsterInstance.from_config(str(home))
    try:
        FlakyIndexStorage.failures = 1
        result = materialize([upstream], instance=instance, tags=range_tags(keys[0], keys[-1]))
        assert result.success and FlakyIndexStorage.failures == 0
        logged = [r.dagster_event.partition for r in instance.all_logs(result.run_id)
                  if r.dagster_event
                  and r.dagster_event.event_type_value == "ASSET_MATERIALIZATION"]
        assert sorted(logged) == keys  # once each, in the run's log
        indexed = instance.fetch_materializations(AssetKey("upstream"), limit=10_000).records
        assert sorted(r.partition_key for r in indexed) == keys  # and once in the index
    finally:
        instance.dispose()


def test_the_generated_config_follows_a_moved_home(tmp_path):
    first = tmp_path / "first" / "dagster"
    _write_dagster_yaml(first)
    moved = tmp_path / "moved" / "dagster"
    shutil.move(str(tmp_path / "first"), str(tmp_path / "moved"))
    _write_dagster_yaml(moved)
    text = (moved / "dagster.yaml").read_text()
    assert str(moved / "history" / "runs") in text and str(first) not in text


def test_a_users_config_is_kept_but_a_foreign_event_log_is_refused(tmp_path):
    home = tmp_path / "dagster"
    home.mkdir()
    own = "telemetry:\n  enabled: false\n"
    (home / "dagster.yaml").write_text(own)
    _write_dagster_yaml(home)
    assert (home / "dagster.yaml").read_text() == own  # never rewritten
    (home / "dagster.yaml").write_text(
        "event_log_storage:\n  module: orchestration.event_storage\n"
        "  class: BatchedSqliteEventLogStorage\n"
        f"  config:\n    base_dir: {tmp_path / 'elsewhere' / 'history' / 'runs'}\n")
    with pytest.raises(ValueError, match=r"dagster\.yaml: event_log_storage\.config\.base_dir"):
        _write_dagster_yaml(home)
