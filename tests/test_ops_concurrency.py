"""Two runs over one warehouse at the same time.

Before the warehouse lock, two `pressure-lab run` processes on one home interleaved their
steps (the `duckdb` pool let one step at a time touch the file, so DuckDB never saw two
writers) and the second run failed: the first re-staged the bars between the second's
check and its publish, and `raw_bars` refused to publish rows whose check had been reset.
Now a run executed in one process holds an exclusive lock on the warehouse for the whole
run: the second waits, then runs; both succeed and the warehouse and the evidence package
equal those of one uninterrupted run.

The lock's own behaviour (waiting, timing out with the holder named, surviving a SIGKILLed
holder) is tested on real processes; the end-to-end case runs the real CLI twice.
"""

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from dagster import (
    AssetExecutionContext,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    Definitions,
    asset,
    define_asset_job,
)

from assets.common.warehouse_lock import WarehouseBusy, lock_path, read_holder, warehouse_lock
from assets.dagster_common.pools import DUCKDB_POOL
from assets.dagster_common.resources import LabDuckDBResource
from tests.support import ops_fixtures as ops

HOLDER = textwrap.dedent("""
    import sys, time
    from assets.common.warehouse_lock import warehouse_lock
    with warehouse_lock(sys.argv[1], sys.argv[2]):
        print("held", flush=True)
        time.sleep(float(sys.argv[3]))
""")


def _hold(db: Path, owner: str, seconds: float) -> subprocess.Popen:
    """A separate process that takes the lock, says so, and keeps it for `seconds`."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), owner, str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_waits_for_the_holder_then_gets_the_lock(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    holder = _hold(db, "run-a", 2.0)
    seen = []
    started = time.monotonic()
    with warehouse_lock(db, "run-b", timeout_seconds=60, poll_seconds=0.05,
                        on_wait=seen.append) as dead:
        waited = time.monotonic() - started
        assert read_holder(lock_path(db))["owner"] == "run-b"
    assert holder.wait(10) == 0
    assert dead is None  # the holder released it properly
    assert waited > 1.5, "got the lock while the holder still held it (2 s)"
    assert [h["owner"] for h in seen] == ["run-a"] and seen[0]["pid"] == holder.pid
    assert read_holder(lock_path(db))["released"] is True


def test_waiting_is_bounded_and_names_the_holder(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    holder = _hold(db, "run-a", 30.0)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match="run-a"), \
                warehouse_lock(db, "run-b", timeout_seconds=0.5, poll_seconds=0.05):
            pass
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait(10)


def test_a_sigkilled_holder_frees_the_lock_and_is_reported_dead(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    holder = _hold(db, "run-a", 60.0)
    holder.kill()  # SIGKILL: no finally block runs, the kernel drops the flock
    holder.wait(10)
    with warehouse_lock(db, "run-b", timeout_seconds=5) as dead:
        assert dead is not None and dead["owner"] == "run-a" and dead["pid"] == holder.pid
    with warehouse_lock(db, "run-c", timeout_seconds=5) as dead:
        assert dead is None  # run-b released normally


def _record_asset():
    @asset(pool=DUCKDB_POOL)
    def probe(context: AssetExecutionContext, duckdb: LabDuckDBResource) -> None:
        with duckdb.get_connection() as conn:
            conn.execute("create table if not exists t (run_id varchar)")
            conn.execute("insert into t values (?)", [context.run.run_id])
    return probe


def test_the_next_run_cleans_up_after_a_run_that_died_holding_the_warehouse(tmp_path):
    """A dead run's claimed pool slot would block every later run forever; the next run
    that takes the lock frees it and marks the dead run failed."""
    instance = DagsterInstance.from_config(str(_instance_dir(tmp_path)))
    dead_run = instance.add_run(DagsterRun(job_name="full_graph", run_id="dead-run-0001",
                                           status=DagsterRunStatus.STARTED))
    storage = instance.event_log_storage
    storage.set_concurrency_slots(DUCKDB_POOL, 1)
    claim = storage.claim_concurrency_slot(DUCKDB_POOL, dead_run.run_id, "raw_bars")
    assert claim.is_claimed
    db = tmp_path / "warehouse.duckdb"
    # What a SIGKILLed holder leaves behind: its record, never marked released.
    lock_path(db).write_text(json.dumps({"owner": dead_run.run_id, "pid": 1, "host": "h",
                                         "since": "x", "released": False}))

    probe = _record_asset()
    defs = Definitions(assets=[probe], jobs=[define_asset_job("j")],
                       resources={"duckdb": LabDuckDBResource(database=str(db))})
    result = defs.resolve_job_def("j").execute_in_process(instance=instance)

    assert result.success
    assert instance.get_run_by_id(dead_run.run_id).status == DagsterRunStatus.FAILURE
    info = storage.get_concurrency_info(DUCKDB_POOL)
    assert info.claimed_slots == [] and info.pending_steps == []
    failure = instance.all_logs(dead_run.run_id, of_type=DagsterEventType.RUN_FAILURE)
    assert "died while holding the DuckDB warehouse" in failure[-1].message
    holder = read_holder(lock_path(db))
    assert holder["owner"] == result.run_id and holder["released"] is True


def _instance_dir(tmp_path: Path) -> Path:
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n"
                                       "concurrency:\n  pools:\n    default_limit: 1\n")
    return home


def _run_intervals(home: Path) -> list[tuple[str, DagsterRunStatus, float, float, float]]:
    """(run_id, status, run start, first step start, run end) for every run of the home."""
    instance = DagsterInstance.from_config(str(home / "dagster"))
    out = []
    for run in instance.get_runs():
        events = instance.all_logs(run.run_id)
        kinds = [(e.dagster_event.event_type if e.dagster_event else None, e.timestamp)
                 for e in events]
        start = min(t for k, t in kinds if k == DagsterEventType.RUN_START)
        first_step = min(t for k, t in kinds if k == DagsterEventType.STEP_START)
        end = max(t for k, t in kinds if k in (DagsterEventType.RUN_SUCCESS,
                                                DagsterEventType.RUN_FAILURE))
        out.append((run.run_id, run.status, start, first_step, end))
    return sorted(out, key=lambda r: r[3])


@pytest.mark.slow
def test_two_cli_runs_launched_together_both_succeed_and_equal_one_run(tmp_path,
                                                                       tmp_path_factory):
    home, user_home = tmp_path / "home", tmp_path / "user"
    user_home.mkdir()
    ops.prepare_home(home, user_home)
    first = ops.start_run(home, user_home, tmp_path / "a.log")
    second = ops.start_run(home, user_home, tmp_path / "b.log")
    reference = ops.reference_home(tmp_path_factory)  # built meanwhile, or already there
    codes = [ops.wait(first), ops.wait(second)]
    logs = [(tmp_path / n).read_text()[-3000:] for n in ("a.log", "b.log")]
    assert codes == [0, 0], logs

    runs = _run_intervals(home)
    assert len(runs) == 2 and all(r[1] == DagsterRunStatus.SUCCESS for r in runs)
    (_, _, _, _, end_a), (_, _, start_b, first_step_b, _) = runs
    assert first_step_b > end_a, "the second run's steps interleaved with the first run"
    assert start_b < end_a, "the runs did not overlap at all: nothing was tested"

    want = ops.package(reference / "evidence" / "evidence_package.json")
    assert ops.package(home / "evidence" / "evidence_package.json") == want
    for run_id, *_ in runs:
        assert ops.package(home / "evidence" / "runs" / run_id / "evidence_package.json") == want

    # The file opens cleanly and holds exactly one run's rows, day by day.
    assert ops.day_fingerprints(home / "warehouse.duckdb") == \
        ops.day_fingerprints(reference / "warehouse.duckdb")
    assert ops.per_day_counts(home / "warehouse.duckdb", "raw.bars") == \
        ops.landing_rows(home, "bars")
    assert ops.per_day_counts(home / "warehouse.duckdb", "raw.chains") == \
        ops.landing_rows(home, "chains")
