"""The documented interface end to end: `pressure-lab synth` + `pressure-lab run` in a fresh
`PRESSURE_LAB_HOME`, as separate processes, through real Dagster runs, dbt and DuckDB."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from assets.common.settings import REPO_ROOT
from tests.support.lab_env import child_environment

pytestmark = pytest.mark.slow
CLI = str(Path(sys.executable).with_name("pressure-lab"))
RANGE = ["--start", "2024-01-02", "--end", "2024-03-28"]


def _cli(home: Path, user_home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=child_environment(home, user_home), capture_output=True,
                          text=True, timeout=900, cwd=user_home)


def _repo_snapshot() -> dict[str, int]:
    skip = {".venv", ".git", "__pycache__", ".pytest_cache"}
    out = {}
    for root, dirs, files in os.walk(REPO_ROOT):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            p = Path(root) / name
            out[str(p)] = p.stat().st_mtime_ns
    return out


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    user_home = tmp_path_factory.mktemp("user")
    before = _repo_snapshot()
    synth = _cli(home, user_home, "synth", "--scenario", "steer", "--strength", "3",
                 "--seed", "11", *RANGE)
    assert synth.returncode == 0, synth.stderr
    run = _cli(home, user_home, "run")
    after = _repo_snapshot()
    return home, user_home, run, before, after


def test_run_succeeds_and_prints_the_verdict_and_paths(first_run):
    home, _, run, _, _ = first_run
    assert run.returncode == 0, run.stderr[-3000:]
    assert "VERDICT:" in run.stdout
    package = home / "evidence" / "evidence_package.json"
    assert str(package) in run.stdout and package.exists()
    assert (home / "evidence" / "report.html").exists()
    pkg = json.loads(package.read_text())
    assert pkg["experimental_validity"] in ("VALIDATED", "REJECTED", "INSUFFICIENT_DATA")
    assert pkg["experimental_validity"] in run.stdout
    assert pkg["reproducibility_protocol"]["data_source"]["scenario"] == "steer"
    assert len(pkg["reproducibility_protocol"]["input_file_sha256"]) == 2 * 61
    # every look at the verdict is recorded in the warehouse; this was the first
    assert pkg["repeated_looks"]["n_looks"] == 1
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        looks = conn.execute("select n_scored_days, n_trades, verdict from validation.looks"
                             ).fetchall()
    assert looks == [(61 - 30, pkg["performance_metrics"]["total_sample_size"],
                      pkg["experimental_validity"])]
    # The bars are the index itself (the synthetic SPX), recorded day by day, no basis.
    assert pkg["reproducibility_protocol"]["bars_underlying"] == {
        "recorded_days": 61, "instruments": ["index SPX"], "basis_methods": ["none"],
        "basis_points_by_day": {}}


def test_writes_only_under_the_data_home(first_run):
    home, user_home, run, before, after = first_run
    assert run.returncode == 0
    assert list(user_home.iterdir()) == [], "something was written into $HOME"
    changed = sorted(p for p in after if before.get(p) != after[p])
    assert changed == [], f"the run wrote into the repository: {changed[:5]}"
    assert (home / "dagster" / "dagster.yaml").exists()
    assert (home / "warehouse.duckdb").exists()


def test_same_inputs_give_the_same_package_apart_from_its_timestamp(first_run, tmp_path):
    home, user_home, run, _, _ = first_run
    assert run.returncode == 0
    other = tmp_path / "home2"
    assert _cli(other, user_home, "synth", "--scenario", "steer", "--strength", "3",
                "--seed", "11", *RANGE).returncode == 0
    again = _cli(other, user_home, "run")
    assert again.returncode == 0, again.stderr[-3000:]
    a = json.loads((home / "evidence" / "evidence_package.json").read_text())
    b = json.loads((other / "evidence" / "evidence_package.json").read_text())
    assert a.pop("validation_timestamp") and b.pop("validation_timestamp")
    assert a == b


def test_a_bad_landing_file_stops_the_run_and_keeps_the_last_good_package(first_run, tmp_path):
    home, user_home, run, _, _ = first_run
    assert run.returncode == 0
    copy = tmp_path / "home3"
    shutil.copytree(home, copy)
    (copy / "dagster" / "dagster.yaml").unlink()  # recreated for this home
    package = copy / "evidence" / "evidence_package.json"
    good = package.read_bytes()
    bars = copy / "landing" / "bars" / "2024-02-15.csv"
    lines = bars.read_text().splitlines()
    fields = lines[11].split(",")  # data row 10: make high below low
    fields[3], fields[4] = fields[4], fields[3]
    if float(fields[3]) >= float(fields[4]):
        fields[3] = str(float(fields[4]) - 1.0)
    lines[11] = ",".join(fields)
    bars.write_text("\n".join(lines) + "\n")
    with duckdb.connect(str(copy / "warehouse.duckdb"), read_only=True) as conn:
        rows_before = conn.execute("select count(*), sum(high) from raw.bars "
                                   "where quote_date = '2024-02-15'").fetchone()

    bad = _cli(copy, user_home, "run")
    assert bad.returncode != 0
    assert "2024-02-15.csv" in bad.stderr
    assert "high" in bad.stderr.lower()
    assert package.read_bytes() == good
    with duckdb.connect(str(copy / "warehouse.duckdb"), read_only=True) as conn:
        rows_after = conn.execute("select count(*), sum(high) from raw.bars "
                                  "where quote_date = '2024-02-15'").fetchone()
    assert rows_after == rows_before


def test_the_warehouse_run_is_the_engine_in_memory(first_run):
    """Units stored per partition and summed in DuckDB give the in-memory engine's package."""
    from assets.common.config import LabConfig
    from assets.engine.run import run_in_memory
    from assets.study.units import synthetic_world

    home, _, run, _, _ = first_run
    assert run.returncode == 0
    stored = json.loads((home / "evidence" / "evidence_package.json").read_text())
    # the same days, with their chains' pre-open ATM IV for the regime splits
    market, regimes = synthetic_world(RANGE[1], RANGE[3], "steer", 11, 3.0)
    memory = run_in_memory(market, LabConfig(), regime_inputs=regimes)
    for section in ("performance_metrics", "statistical_measures", "controls", "null_model",
                    "claims_family"):
        assert stored[section] == memory[section], section


def test_a_night_computes_one_unit_and_a_new_config_recomputes_all(first_run, tmp_path):
    home, user_home, run, _, _ = first_run
    assert run.returncode == 0
    night = tmp_path / "home4"
    shutil.copytree(home, night)
    (night / "dagster" / "dagster.yaml").unlink()
    assert _cli(night, user_home, "synth", "--scenario", "steer", "--strength", "3",
                "--seed", "11", "--start", RANGE[1], "--end", "2024-04-01").returncode == 0
    one = _cli(night, user_home, "run", "--start", "2024-04-01", "--end", "2024-04-01")
    assert one.returncode == 0, one.stderr[-3000:]
    engine = json.loads((night / "evidence" / "evidence_package.json").read_text())[
        "reproducibility_protocol"]["engine"]
    assert engine["units"] == 62
    assert engine["units_computed_this_run"] == 1
    # the night's dbt build ran on the manifest the warm dbt server parsed at the start
    target = max((night / "dbt" / "target").iterdir(), key=lambda p: p.stat().st_mtime)
    events = {json.loads(line)["info"]["name"]
              for line in (target / "dbt.log").read_text().splitlines() if line.startswith("{")}
    assert "CommandCompleted" in events or "EndOfRunSummary" in events
    assert not events & {"PartialParsingEnabled", "UnableToPartialParse", "StateCheckVarsHash"}
    assert json.loads((target / "run_results.json").read_text())["args"][
        "invocation_command"].startswith("dbt build")
    assert engine["units_recomputed_after_procedure_change"] == 0
    (night / "config.json").write_text(json.dumps({"pressure": {"threshold_percentile": 80}}))
    changed = _cli(night, user_home, "run", "--start", "2024-04-01", "--end", "2024-04-01")
    assert changed.returncode == 0, changed.stderr[-3000:]
    engine2 = json.loads((night / "evidence" / "evidence_package.json").read_text())[
        "reproducibility_protocol"]["engine"]
    assert engine2["procedure_digest"] != engine["procedure_digest"]
    assert engine2["units_computed_this_run"] == 62
    assert engine2["units_recomputed_after_procedure_change"] == 61

    # a new pressure model: the stored surfaces of the earlier days follow their units
    def cells(day):
        with duckdb.connect(str(night / "warehouse.duckdb"), read_only=True) as conn:
            return conn.execute("select count(*), sum(pressure) from pressure.pressure_series "
                                "where quote_date = ?", [day]).fetchone()

    before = cells("2024-01-10")
    (night / "config.json").write_text(json.dumps({"pressure": {
        "threshold_percentile": 80, "probability_model": "itm_normal"}}))
    model = _cli(night, user_home, "run", "--start", "2024-04-01", "--end", "2024-04-01")
    assert model.returncode == 0, model.stderr[-3000:]
    assert cells("2024-01-10") != before
