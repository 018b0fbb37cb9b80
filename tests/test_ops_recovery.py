"""Recovery: a run killed mid-way leaves no partial day, and the next run finishes the job.

`pressure-lab run` is SIGKILLed with its whole process group (dbt included) while dbt is
half-way through the marts. Every write of the lab is one transaction per table and day
set (stage/publish swaps, dbt's delete+insert with its pre-hook, the numpy stages'
replace_rows), so each day of each table must be either absent or exactly an uninterrupted
run's rows. The killed run still holds its `duckdb` pool slot in the instance; before the
warehouse lock reaped it, every later run waited for that slot forever. The re-run must
succeed and publish the same evidence package as an uninterrupted run.

Run retries: the generated instance retries runs that failed for a transient reason (the
run worker died, never started, or failed outside any step) and never a run whose asset or
blocking check failed. Checked with Dagster's own retry decision.
"""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, DagsterRun, DagsterRunStatus
from dagster._core.events import RunFailureReason
from dagster._core.execution.retries import auto_reexecution_should_retry_run
from dagster._core.storage.tags import (
    MAX_RETRIES_TAG,
    PARENT_RUN_ID_TAG,
    RETRY_ON_ASSET_OR_OP_FAILURE_TAG,
    ROOT_RUN_ID_TAG,
)

from assets.common.settings import _write_dagster_yaml
from assets.dagster_common.pools import DUCKDB_POOL
from orchestration.jobs import full_graph
from tests.support import ops_fixtures as ops

KILL_AFTER = AssetKey("oi_concentration")  # first mart: dbt has more marts still to build


@pytest.fixture
def generated_instance(tmp_path) -> DagsterInstance:
    _write_dagster_yaml(tmp_path / "dagster")
    return DagsterInstance.from_config(str(tmp_path / "dagster"))


def test_generated_instance_retries_runs_and_never_retries_failed_assets(generated_instance):
    inst = generated_instance
    assert inst.run_retries_enabled
    assert inst.run_retries_max_retries == 2
    assert inst.run_retries_retry_on_asset_or_op_failure is False
    assert inst.run_monitoring_enabled
    assert inst.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
    queue = inst.get_concurrency_config().run_queue_config
    assert queue.max_concurrent_runs == 1
    assert inst.get_concurrency_config().pool_config.default_pool_limit == 1
    # The job must not switch retries off (a `dagster/max_retries: 0` tag would), and keeps
    # "no retry on asset failure" even on an instance that enables it.
    assert MAX_RETRIES_TAG not in full_graph.tags
    assert full_graph.tags.get(RETRY_ON_ASSET_OR_OP_FAILURE_TAG) == "false"


def _failed_run(inst: DagsterInstance, parent: DagsterRun | None = None) -> DagsterRun:
    tags = dict(full_graph.tags)
    if parent is not None:
        root = parent.tags.get(ROOT_RUN_ID_TAG, parent.run_id)
        tags.update({PARENT_RUN_ID_TAG: parent.run_id, ROOT_RUN_ID_TAG: root})
    return inst.add_run(DagsterRun(
        job_name="full_graph", run_id=str(uuid.uuid4()), status=DagsterRunStatus.FAILURE,
        tags=tags, parent_run_id=parent.run_id if parent else None,
        root_run_id=tags.get(ROOT_RUN_ID_TAG)))


@pytest.mark.parametrize("reason,retried", [
    (RunFailureReason.STEP_FAILURE, False),          # an asset or blocking check failed
    (RunFailureReason.UNEXPECTED_TERMINATION, True),  # the run worker died
    (RunFailureReason.START_TIMEOUT, True),           # never started
    (RunFailureReason.RUN_EXCEPTION, True),           # failed outside any step
    (RunFailureReason.JOB_INITIALIZATION_FAILURE, True),  # a resource failed to start
])
def test_only_transient_failures_are_retried(generated_instance, reason, retried):
    run = _failed_run(generated_instance)
    assert auto_reexecution_should_retry_run(generated_instance, run, reason) is retried


def test_a_transient_failure_is_retried_at_most_twice(generated_instance):
    inst = generated_instance
    first = _failed_run(inst)
    reason = RunFailureReason.UNEXPECTED_TERMINATION
    assert auto_reexecution_should_retry_run(inst, first, reason)
    second = _failed_run(inst, parent=first)
    assert auto_reexecution_should_retry_run(inst, second, reason)
    third = _failed_run(inst, parent=second)
    assert not auto_reexecution_should_retry_run(inst, third, reason)


def _wait_for_materialization(home: Path, proc, key: AssetKey, timeout: float) -> DagsterInstance:
    deadline = time.monotonic() + timeout
    while not (home / "dagster" / "dagster.yaml").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the run never started"
        time.sleep(0.2)
    instance = DagsterInstance.from_config(str(home / "dagster"))
    while instance.get_latest_materialization_event(key) is None:
        assert proc.poll() is None, f"the run ended (rc {proc.returncode}) before {key}"
        assert time.monotonic() < deadline, f"{key} not materialized within {timeout}s"
        time.sleep(0.1)
    return instance


def _assert_no_partial_day(home: Path, reference: Path) -> dict:
    db = home / "warehouse.duckdb"
    got, want = ops.day_fingerprints(db), ops.day_fingerprints(reference / "warehouse.duckdb")
    for table, days in got.items():
        for day, fingerprint in days.items():
            assert fingerprint == want[table][day], f"{table} {day}: partial or wrong rows"
    # Independent oracle: the landing files themselves.
    bars, strikes = ops.landing_rows(home, "bars"), ops.landing_strikes(home)
    chains = ops.landing_rows(home, "chains")
    if got["raw.bars"]:
        assert ops.per_day_counts(db, "raw.bars") == {d: bars[d] for d in got["raw.bars"]}
    if got["raw.chains"]:
        assert ops.per_day_counts(db, "raw.chains") == {d: chains[d] for d in got["raw.chains"]}
    if got["marts.oi_concentration"]:
        assert ops.per_day_counts(db, "marts.oi_concentration") == \
            {d: strikes[d] for d in got["marts.oi_concentration"]}
    if got["marts.daily_outcomes"]:
        assert ops.per_day_counts(db, "marts.daily_outcomes", "max(n_bars)") == \
            {d: bars[d] for d in got["marts.daily_outcomes"]}
    return got


@pytest.mark.slow
def test_a_run_killed_inside_dbt_leaves_no_partial_day_and_the_rerun_recovers(
        tmp_path, tmp_path_factory):
    home, user_home = tmp_path / "home", tmp_path / "user"
    user_home.mkdir()
    with ThreadPoolExecutor(1) as pool:
        # The uninterrupted reference run builds meanwhile (or another worker has built it).
        reference_built = pool.submit(ops.reference_home, tmp_path_factory)
        _kill_rerun_and_compare(home, user_home, tmp_path, reference_built)


def _kill_rerun_and_compare(home: Path, user_home: Path, tmp_path: Path, reference_built):
    ops.prepare_home(home, user_home)
    proc = ops.start_run(home, user_home, tmp_path / "killed.log")
    try:
        instance = _wait_for_materialization(home, proc, KILL_AFTER, timeout=300)
    finally:
        ops.kill_group(proc)  # SIGKILL to the CLI and its dbt child
    killed = instance.get_runs()
    assert len(killed) == 1 and killed[0].status == DagsterRunStatus.STARTED
    killed_id = killed[0].run_id
    # The dead run still owns the DuckDB pool slot (the dbt step's).
    claimed = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).claimed_slots
    assert [s.run_id for s in claimed] == [killed_id]
    assert not (home / "evidence" / "evidence_package.json").exists()

    reference = reference_built.result()
    left = _assert_no_partial_day(home, reference)
    assert left["raw.bars"] and left["marts.oi_concentration"], "killed before dbt wrote"
    assert not left["pressure.pressure_series"], "killed too late: pressure already ran"

    rerun = ops.start_run(home, user_home, tmp_path / "rerun.log")
    code = ops.wait(rerun, timeout=360)
    assert code == 0, (tmp_path / "rerun.log").read_text()[-3000:]

    runs = {r.run_id: r.status for r in instance.get_runs()}
    assert runs.pop(killed_id) == DagsterRunStatus.FAILURE  # reaped by the re-run
    assert list(runs.values()) == [DagsterRunStatus.SUCCESS]
    assert instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).claimed_slots == []
    assert ops.package(home / "evidence" / "evidence_package.json") == \
        ops.package(reference / "evidence" / "evidence_package.json")
    assert _assert_no_partial_day(home, reference) == \
        ops.day_fingerprints(reference / "warehouse.duckdb")
