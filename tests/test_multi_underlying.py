"""Several underlyings in one home, end to end: `landing/SPX/` and `landing/SPY/` (SPY a
tenth of the same path, $1 strikes) run as one `pressure-lab run`, each on its own scope,
and write `evidence/SPX/` and `evidence/SPY/`; a file of the wrong underlying in a folder
is refused naming both; every package tests at the home's alpha over its three packages;
the flat layout is untouched (tests/test_e2e_cli.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assets.validation.package.schema import validate_package
from tests.support.lab_env import child_environment
from tests.support.multi_home import spx_to_folder, spy_from_spx

pytestmark = pytest.mark.slow
CLI = str(Path(sys.executable).with_name("pressure-lab"))
RANGE = ["--start", "2024-01-02", "--end", "2024-03-15"]


def _cli(home: Path, user_home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=child_environment(home, user_home),
                          capture_output=True, text=True, timeout=900, cwd=user_home)


@pytest.fixture(scope="module")
def landed(tmp_path_factory):
    home, user = tmp_path_factory.mktemp("multi"), tmp_path_factory.mktemp("user")
    synth = _cli(home, user, "synth", "--scenario", "null", "--seed", "5", *RANGE)
    assert synth.returncode == 0, synth.stderr
    spx = spx_to_folder(home / "landing")
    spy_from_spx(spx, home / "landing" / "SPY")
    return home, user


@pytest.fixture(scope="module")
def multi_run(landed):
    home, user = landed
    return home, _cli(home, user, "run")


def test_each_underlying_runs_and_writes_its_own_package(multi_run):
    home, run = multi_run
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SPX: ok" in run.stdout and "SPY: ok" in run.stdout
    blocks = {}
    for u in ("SPX", "SPY"):
        pkg = json.loads((home / "evidence" / u / "evidence_package.json").read_text())
        validate_package(pkg)
        assert (home / "evidence" / u / "report.html").exists()
        # one error rate for the home: 0.05 over its 3 packages (SPX, SPY, pooled)
        split = pkg["claims_family"]["home_split"]
        assert split["packages"] == ["SPX", "SPY", "pooled"] and split["home_alpha"] == 0.05
        assert pkg["claims_family"]["alpha"] == pytest.approx(0.05 / 3) == split["alpha"]
        assert pkg["success_criteria"]["p_value"]["threshold"] == pytest.approx(0.05 / 3)
        assert "0.05 / 3" in pkg["verdict_rule"]
        assert "0.05 / 3" in (home / "evidence" / u / "report.html").read_text()
        assert (home / "underlyings" / u / "warehouse.duckdb").exists()
        blocks[u] = pkg["instrument"]
    assert blocks["SPX"]["settlement"] == "cash" and blocks["SPX"]["points_scale"] == 1.0
    assert blocks["SPY"]["settlement"] == "physical" and blocks["SPY"]["strike_grid"] == 1.0
    # k measured on SPY's calibration window: the copy is exactly a tenth of SPX.
    assert blocks["SPY"]["points_scale"] == pytest.approx(0.1, rel=1e-3)
    assert blocks["SPY"]["oi_scale"] == pytest.approx(10.0, rel=1e-3)
    assert not (home / "warehouse.duckdb").exists()  # no flat warehouse beside them
    pooled = json.loads((home / "evidence" / "evidence_package.json").read_text())
    assert pooled["claims_family"]["alpha"] == pytest.approx(0.05 / 3)
    assert pooled["claims_family"]["home_split"]["n_packages"] == 3


def test_a_sweep_of_one_underlying_is_counted_in_its_registry_only(multi_run, tmp_path):
    import duckdb

    home, run = multi_run
    assert run.returncode == 0, run.stdout + run.stderr
    user = tmp_path / "user"
    user.mkdir()
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"pressure.threshold_percentile": [70, 85]}))
    # ~20 scored days: fewer CSCV and walk-forward blocks than the default 16
    config = home / "config.json"
    config.write_text(json.dumps({"experiments": {"pbo_blocks": 4, "walk_forward_blocks": 4}}))
    try:
        out = _cli(home, user, "--underlying", "SPY", "sweep", str(grid), "--name", "spy2")
    finally:
        config.unlink()
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    doc = json.loads((home / "evidence" / "SPY" / "sweeps" / "spy2" / "sweep.json").read_text())
    assert doc["n_variants"] == 2 and doc["dataset"].endswith("| SPY")
    assert not (home / "evidence" / "SPX" / "sweeps").exists()
    counts = {}
    for u in ("SPX", "SPY"):
        with duckdb.connect(str(home / "underlyings" / u / "warehouse.duckdb"),
                            read_only=True) as conn:
            counts[u] = dict(conn.execute("select dataset, count(*) from experiments.variants "
                                          "group by 1").fetchall())
    # SPY: the run's config and the two variants, under SPY's dataset; SPX: its run alone
    assert [(d.rsplit("| ", 1)[1], n) for d, n in counts["SPY"].items()] == [("SPY", 3)]
    assert [(d.rsplit("| ", 1)[1], n) for d, n in counts["SPX"].items()] == [("SPX", 1)]
    assert doc["best"]["n_trials"] == 3


def test_a_file_of_another_underlying_fails_naming_both(landed, tmp_path):
    home, user = landed
    copy = tmp_path / "home"
    shutil.copytree(home / "landing", copy / "landing")
    day = sorted((copy / "landing" / "SPY" / "chains").glob("*.csv"))[5].name
    shutil.copyfile(copy / "landing" / "SPY" / "chains" / day,
                    copy / "landing" / "SPX" / "chains" / day)
    out = _cli(copy, user, "inspect", "--errors-only")
    assert out.returncode == 1
    assert "underlying is SPY but the file is in landing/SPX/" in out.stdout, out.stdout
    # SPX bars in SPY's folder are refused by the same rule.
    (copy / "landing" / "SPX" / "chains" / day).unlink()
    zone = copy / "landing"
    shutil.copyfile(zone / "SPX" / "bars" / day, zone / "SPY" / "bars" / day)
    out = _cli(copy, user, "inspect", "--errors-only")
    assert out.returncode == 1
    assert "symbol is SPX but the file is in landing/SPY/" in out.stdout, out.stdout


def test_the_price_and_futures_rules_still_refuse_per_underlying(landed, tmp_path):
    import pandas as pd

    home, user = landed
    assert _cli(home, user, "--underlying", "SPY", "inspect", "--errors-only").returncode == 0
    copy = tmp_path / "home"
    shutil.copytree(home / "landing", copy / "landing")
    zone = copy / "landing"
    days = sorted(p.name for p in (zone / "SPY" / "bars").glob("*.csv"))
    # SPX's prices labelled SPY in SPY's folder: the name passes, the x10 level does not.
    bars = pd.read_csv(zone / "SPX" / "bars" / days[3])
    bars.assign(symbol="SPY").to_csv(zone / "SPY" / "bars" / days[3], index=False)
    out = _cli(copy, user, "inspect", "--errors-only")
    assert out.returncode == 1 and "bars_match_chain" in out.stdout, out.stdout
    shutil.copyfile(home / "landing" / "SPY" / "bars" / days[3], zone / "SPY" / "bars" / days[3])
    # ES futures bars in SPX's folder: a future of SPX's roots, refused by the futures rule.
    spx_bars = pd.read_csv(zone / "SPX" / "bars" / days[4])
    spx_bars.assign(symbol="ESH4").to_csv(zone / "SPX" / "bars" / days[4], index=False)
    out = _cli(copy, user, "inspect", "--errors-only")
    assert out.returncode == 1 and "future ESH4" in out.stdout, out.stdout


HALF_YEAR = ["--start", "2024-01-01", "--end", "2024-06-30", "--seed", "7"]


@pytest.mark.parametrize("steer", [["--steer", "SPY", "--strength", "4"], []],
                         ids=["steer_spy", "null_pair"])
def test_the_pair_through_run_gives_the_contrast_only_where_planted(steer, tmp_path):
    home, user = tmp_path / "home", tmp_path / "user"
    user.mkdir()
    synth = _cli(home, user, "synth", "--underlyings", "SPX,SPY", *steer, *HALF_YEAR)
    assert synth.returncode == 0, synth.stderr
    run = _cli(home, user, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    spx, spy, pooled = (json.loads((home / "evidence" / sub / "evidence_package.json")
                                   .read_text()) for sub in ("SPX", "SPY", "."))
    for pkg in (spx, spy, pooled):  # each at the home's 0.05 over its 3 packages
        assert pkg["claims_family"]["alpha"] == pytest.approx(0.05 / 3)
    if steer:  # the demo-contrast world (make demo-contrast)
        assert spy["hypothesis_results"]["edge_vs_random"].startswith("SUPPORTED")
        assert not spx["hypothesis_results"]["edge_vs_random"].startswith("SUPPORTED")
        assert pooled["hypothesis_results"]["settlement_contrast"].startswith("SUPPORTED")
    else:
        assert not any(p["claims_family"]["any_claim"] for p in (spx, spy))
        assert not pooled["claims_family"]["any_claim"]
