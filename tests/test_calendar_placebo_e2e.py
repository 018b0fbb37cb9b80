"""The calendar placebo end to end.

In memory: steering planted on expiration days only is found to be specific to them
(`expiration_specific` SUPPORTED); the same steering on every session is not. Two years
before SPXW listed Tuesdays and Thursdays (~300 expiration days, ~200 placebo days) at 4x
the default strength: the difference of edges is several date-clustered standard errors
there (the study's calendar placebo scenario measures the claim's power and its
false-positive rates over seeds).

Through the documented interface: `synth --placebo-days` and `run` with the flag in
`config.json`, real Dagster, dbt and DuckDB; without the flag the same landing zone is
refused, naming a placebo file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assets.common.config import LabConfig
from assets.engine.run import run_in_memory
from assets.synthetic_market.generator import DEFAULT_STRENGTH
from assets.synthetic_market.in_memory_days import synthetic_market
from tests.support.lab_env import child_environment

pytestmark = pytest.mark.slow
CLI = str(Path(sys.executable).with_name("pressure-lab"))
CFG = LabConfig.model_validate({"validation": {
    "calendar_placebo": True, "null_replications": 499, "oi_placebo_replications": 39,
    "bootstrap_replications": 200}})
SPAN = ("2020-01-02", "2021-12-31")
STRENGTH = 4.0 * DEFAULT_STRENGTH["steer"]
SEED = 2


def _claim(package: dict, name: str) -> dict:
    return next(c for c in package["claims_family"]["claims"] if c["name"] == name)


@pytest.mark.parametrize("everywhere", [False, True], ids=["expiration_only", "every_session"])
def test_expiration_specific_finds_steering_only_where_it_needs_an_expiration(everywhere):
    market = synthetic_market(*SPAN, "steer", seed=SEED, strength=STRENGTH, placebo_days=True,
                              placebo_effect=everywhere)
    package = run_in_memory(market, CFG)
    block = package["controls"]["calendar_placebo"]
    claim = _claim(package, "expiration_specific")
    line = package["hypothesis_results"]["expiration_specific"]
    assert block["tested"] and block["df"] == block["clusters"] - 1
    assert block["placebo_days"]["n_trades"] >= 100 and block["placebo_days_scored"] > 150
    if everywhere:
        assert not claim["claimed"] and line.startswith("NOT SUPPORTED")
    else:
        assert claim["claimed"] and line.startswith("SUPPORTED")
        assert block["difference_points"] > 2 * block["standard_error"]
    # the primary sample is the expiration days' alone
    assert package["performance_metrics"]["total_sample_size"] == block["expiration_days"][
        "n_trades"]


def test_without_the_flag_the_claim_is_not_tested_and_says_why():
    market = synthetic_market("2021-01-04", "2021-04-30", "null", seed=4)
    package = run_in_memory(market, CFG.model_copy(update={
        "validation": CFG.validation.model_copy(update={"calendar_placebo": False})}))
    claim = _claim(package, "expiration_specific")
    assert claim["status"] == "NOT_TESTED" and claim["p_value"] is None
    line = package["hypothesis_results"]["expiration_specific"]
    assert line.startswith("NOT TESTED") and "validation.calendar_placebo is off" in line


def _cli(home: Path, user: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=child_environment(home, user), capture_output=True,
                          text=True, timeout=900, cwd=user)


def test_placebo_days_through_synth_and_run(tmp_path):
    home, user = tmp_path / "home", tmp_path / "user"
    home.mkdir()
    user.mkdir()
    synth = _cli(home, user, "synth", "--scenario", "steer", "--strength", "4", "--start",
                 "2021-01-04", "--end", "2021-04-30", "--seed", "3", "--placebo-days")
    assert synth.returncode == 0, synth.stderr
    refused = _cli(home, user, "run")
    assert refused.returncode == 2
    assert "2021-01-05.csv: 2021-01-05 is not an expiration session" in refused.stderr
    (home / "config.json").write_text(json.dumps({"validation": {
        "calendar_placebo": True, "null_replications": 499, "oi_placebo_replications": 39}}))
    # the partitions are built once per process: a new process sees the flag
    run = _cli(home, user, "run", "--log-level", "ERROR")
    assert run.returncode == 0, run.stdout + run.stderr
    package = json.loads((home / "evidence" / "evidence_package.json").read_text())
    block = package["controls"]["calendar_placebo"]
    assert block["tested"] and block["placebo_days_scored"] > 0
    assert block["placebo_days"]["n_trades"] > 0
    assert "expiration_specific" in package["hypothesis_results"]
    assert _claim(package, "expiration_specific")["status"] != "NOT_TESTED"
    # placebo days are never scored in the primary sample
    split = package["reproducibility_protocol"]["calibration_split"]
    assert int(split["scored_days"]) == block["expiration_days_scored"]
