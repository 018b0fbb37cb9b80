"""`pressure-lab sweep` end to end on a null world, as separate processes, through real
Dagster runs, DuckDB and Parquet: every variant counted once, the best variant deflated,
the registry feeding the next run's package; the same sweep on Celery workers (a real
redis-server broker and two workers started and stopped here) gives the same sweep.json."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.support.celery_cluster import celery_cluster

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
CLI = str(BIN / "pressure-lab")
RANGE = ["--start", "2024-01-01", "--end", "2024-05-31"]
GRID12 = {"pressure.threshold_percentile": [60, 75, 90],
          "pressure.probability_model": ["specification", "itm_normal"],
          "trading.stop_points.PIN_RISK_MANAGEMENT": [5, 10]}
GRID4 = {"pressure.threshold_percentile": [70, 85],
         "trading.target_points.PIN_RISK_MANAGEMENT": [8, 12]}


def _env(home: Path, user_home: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DAGSTER_", "DBT_", "PRESSURE_LAB_", "MPLCONFIGDIR"))}
    env.update(PRESSURE_LAB_HOME=str(home), HOME=str(user_home))
    return env


def _cli(home: Path, user_home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=_env(home, user_home), capture_output=True,
                          text=True, timeout=1200, cwd=user_home, check=False)


def _package(home: Path) -> dict:
    return json.loads((home / "evidence" / "evidence_package.json").read_text())


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A held-out null world, ingested by a first `run` (default config: one variant)."""
    home = tmp_path_factory.mktemp("home")
    user_home = tmp_path_factory.mktemp("user")
    synth = _cli(home, user_home, "synth", "--scenario", "null", "--seed", "404", *RANGE)
    assert synth.returncode == 0, synth.stderr
    run = _cli(home, user_home, "run")
    assert run.returncode == 0, run.stderr[-3000:]
    assert _package(home)["performance_metrics"]["sharpe"]["n_variants_tried"] == 1
    return home, user_home


def _write(path: Path, data) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_a_bad_grid_is_refused_before_anything_runs(world, tmp_path):
    home, user_home = world
    for grid, expected in (({"pressure.treshold_percentile": [60]}, "treshold_percentile"),
                           ({"trading.slippage_points": [-1, "x"]}, "slippage_points = \"x\""),
                           ({"pressure.calibration_days": [10, 20]}, "calibration split")):
        out = _cli(home, user_home, "sweep", str(_write(tmp_path / "bad.json", grid)),
                   "--name", "bad")
        assert out.returncode == 2
        assert expected in out.stderr, out.stderr
    assert not (home / "experiments" / "sweeps" / "bad").exists()
    assert not (home / "evidence" / "sweeps" / "bad").exists()


def test_null_world_sweep_counts_every_variant_and_deflates_the_best(world, tmp_path):
    home, user_home = world
    out = _cli(home, user_home, "sweep", str(_write(tmp_path / "g12.json", GRID12)),
               "--name", "null12")
    assert out.returncode == 0, out.stderr[-3000:]
    doc = json.loads((home / "evidence" / "sweeps" / "null12" / "sweep.json").read_text())
    assert doc["n_variants"] == len(doc["variants"]) == 12
    assert len({v["config_digest"] for v in doc["variants"]}) == 12
    assert 0.0 <= doc["pbo"]["value"] <= 1.0 and doc["pbo"]["blocks"] == 16
    assert 0.0 <= doc["spa"]["p_value"] <= 1.0
    best = doc["best"]
    # the run's default config is one of the 12: counted once, so N is 12, not 13
    assert best["n_trials"] == 12
    assert best["deflated_sharpe_ratio"] < 0.95  # not significant after deflation
    assert best["verdict_after_deflation"] != "VALIDATED"
    assert (home / "evidence" / "sweeps" / "null12" / "sweep.html").read_text().count(
        "data:image/png;base64") == 3
    # each variant wrote its own Parquet file; the fan-in loaded them into DuckDB
    files = sorted((home / "experiments" / "sweeps" / "null12" / "variants").glob("*.parquet"))
    assert len(files) == 12
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        n_days = conn.execute("select count(distinct quote_date) from experiments.sweep_daily "
                              "where sweep = 'null12'").fetchone()[0]
        registered = conn.execute("select count(*) from experiments.variants").fetchone()[0]
    assert n_days == doc["out_of_sample_days"]["n"]
    assert registered == 12

    # the next run's package: N from the registry, the sweep's Sharpe variance in the DSR
    again = _cli(home, user_home, "run")
    assert again.returncode == 0, again.stderr[-3000:]
    sharpe = _package(home)["performance_metrics"]["sharpe"]
    assert sharpe["n_variants_tried"] == 12
    assert sharpe["dsr_sharpe_variance"] == pytest.approx(best["sharpe_variance"], rel=1e-9)

    # a run with a changed config is one more variant, counted once however often it runs
    (home / "config.json").write_text(json.dumps({"pressure": {"threshold_percentile": 80}}))
    for _ in range(2):
        changed = _cli(home, user_home, "run")
        assert changed.returncode == 0, changed.stderr[-3000:]
        assert _package(home)["performance_metrics"]["sharpe"]["n_variants_tried"] == 13
    (home / "config.json").unlink()


@pytest.fixture()
def celery_cluster_broker(world, tmp_path):
    home, user_home = world
    env = {**_env(home, user_home), "DAGSTER_HOME": str(home / "dagster")}
    with celery_cluster(env, tmp_path) as cluster:
        yield cluster.broker


def _comparable(path: Path) -> dict:
    doc = json.loads(path.read_text())
    for key in ("timings", "created_at", "name"):
        doc.pop(key)
    return doc


@pytest.fixture(scope="module")
def local4(world, tmp_path_factory):
    """The 4-variant sweep in one process: the reference of the other executors."""
    home, user_home = world
    grid = str(_write(tmp_path_factory.mktemp("grid") / "g4.json", GRID4))
    local = _cli(home, user_home, "sweep", grid, "--name", "local4")
    assert local.returncode == 0, local.stderr[-3000:]
    return grid


def test_the_sweep_on_the_multiprocess_executor_equals_the_in_process_one(world, local4):
    home, user_home = world
    out = _cli(home, user_home, "sweep", local4, "--name", "multi4", "--executor",
               "multiprocess", "--runs", "2")
    assert out.returncode == 0, out.stderr[-3000:]
    sweeps = home / "evidence" / "sweeps"
    assert _comparable(sweeps / "multi4" / "sweep.json") == \
        _comparable(sweeps / "local4" / "sweep.json")


def test_the_sweep_on_celery_workers_equals_the_in_process_one(world, local4,
                                                               celery_cluster_broker):
    home, user_home = world
    grid = local4
    remote = _cli(home, user_home, "sweep", grid, "--name", "celery4", "--executor", "celery",
                  "--broker", celery_cluster_broker, "--runs", "2")
    assert remote.returncode == 0, remote.stdout[-2000:] + remote.stderr[-3000:]
    out = home / "evidence" / "sweeps"
    assert _comparable(out / "celery4" / "sweep.json") == _comparable(out / "local4" / "sweep.json")
    # the steps ran on the workers: three runs (two halves of the variants, the fan-in)
    from dagster import DagsterInstance, RunsFilter

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    try:
        with DagsterInstance.get() as instance:
            runs = instance.get_runs(RunsFilter(job_name="sweep_celery"))
            assert len(runs) == 3 and all(r.is_success for r in runs)
            events = instance.all_logs(runs[0].run_id)
            assert any("celery" in (e.message or "").lower() for e in events)
    finally:
        os.environ.pop("DAGSTER_HOME")
