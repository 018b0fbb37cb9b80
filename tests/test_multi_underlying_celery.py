"""`pressure-lab run --executor celery` on a home with SPX and SPY: both underlyings' runs
are submitted together and every step, the per-day engine units (`pressure_series`)
included, executes in the pool processes of two real Celery workers (a real redis-server
broker, started and stopped here) shared by both runs. The packages equal an in-process
run's over a copy of the same landing zone, apart from their timestamps."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.celery_cluster import celery_cluster
from tests.support.lab_env import child_environment

pytestmark = pytest.mark.slow
CLI = str(Path(sys.executable).with_name("pressure-lab"))
WORLD = ["--underlyings", "SPX,SPY", "--scenario", "null", "--seed", "5",
         "--start", "2024-01-02", "--end", "2024-02-29"]
UNDERLYINGS = ("SPX", "SPY")


def _cli(home: Path, user: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=child_environment(home, user),
                          capture_output=True, text=True, timeout=1200, cwd=user)


def _package(home: Path, sub: str) -> dict:
    pkg = json.loads((home / "evidence" / sub / "evidence_package.json").read_text())
    if sub == ".":  # the pooled package: its inputs' digests cover their timestamps
        for block in pkg["inputs"].values():
            assert block.pop("package_sha256")
    else:
        assert pkg.pop("validation_timestamp")
    return pkg


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """The same two-underlying landing zone in two homes; the first run in process."""
    local, remote = tmp_path_factory.mktemp("local"), tmp_path_factory.mktemp("celery")
    user = tmp_path_factory.mktemp("user")
    synth = _cli(local, user, "synth", *WORLD)
    assert synth.returncode == 0, synth.stderr
    shutil.copytree(local / "landing", remote / "landing")
    run = _cli(local, user, "run")
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    return local, remote, user


def _steps(home: Path, underlying: str) -> tuple[dict, dict[str, int], dict[str, str]]:
    """The underlying's one Celery run: its tags, each step's start pid and the worker
    dagster-celery reports for it."""
    from dagster import DagsterEventType, DagsterInstance, RunsFilter

    os.environ["DAGSTER_HOME"] = str(home / "underlyings" / underlying / "dagster")
    try:
        with DagsterInstance.get() as instance:
            runs = instance.get_runs(RunsFilter(job_name="full_graph_celery"))
            assert len(runs) == 1 and runs[0].is_success
            pids, workers = {}, {}
            for record in instance.all_logs(runs[0].run_id):
                event = record.dagster_event
                if event is None or event.step_key is None:
                    continue
                if event.event_type == DagsterEventType.STEP_START:
                    pids[event.step_key] = event.pid
                meta = getattr(event.event_specific_data, "metadata", None) or {}
                if "Celery worker" in meta:
                    workers[event.step_key] = meta["Celery worker"].value
            return dict(runs[0].tags), pids, workers
    finally:
        os.environ.pop("DAGSTER_HOME")


def test_the_underlyings_run_on_celery_workers_and_give_the_in_process_packages(homes,
                                                                                tmp_path):
    local, remote, user = homes
    env = child_environment(remote, user)
    with celery_cluster(env, tmp_path) as cluster:
        out = _cli(remote, user, "run", "--executor", "celery", "--broker", cluster.broker)
        pool = cluster.pool_pids()
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    assert "SPX: ok" in out.stdout and "SPY: ok" in out.stdout

    worker_pids = {pid for pids in pool.values() for pid in pids}
    assert len(worker_pids) == 2
    used = set()
    for u in UNDERLYINGS:
        tags, pids, workers = _steps(remote, u)
        assert tags["pressure_lab/underlying"] == u
        assert "pressure_series" in pids and "validation_statistics" in pids
        # every step started in a worker's pool process, never in the orchestrating one
        assert set(pids.values()) <= worker_pids, (u, pids, worker_pids)
        assert set(workers) == set(pids) and set(workers.values()) <= set(pool)
        used |= set(pids.values())
    assert used == worker_pids  # both workers took steps of the two runs
    for name, log in cluster.logs.items():
        assert "execute_plan" in log.read_text() and "succeeded" in log.read_text(), name

    for sub in (*UNDERLYINGS, "."):
        assert _package(remote, sub) == _package(local, sub), sub


def test_celery_without_a_broker_is_refused_before_anything_runs(homes):
    local, _, user = homes
    out = _cli(local, user, "run", "--executor", "celery")
    assert out.returncode == 2 and "--broker" in out.stderr
