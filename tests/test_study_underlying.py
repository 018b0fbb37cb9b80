"""`pressure-lab --underlying SPY study`: the study's worlds are SPY's (a tenth of SPX's
level on SPX's path, $1 strikes, more contracts of equal notional), its config SPY's derived
one, and its record lands where SPY's package reads it and applies to SPY's procedure
only; SPX's package neither finds it nor could use it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assets.common.config import LabConfig, load_config_for
from assets.common.settings import LabPaths
from assets.study.units import study_underlying, world_days
from assets.validation.package.study_quote import procedure_digest, quote_study
from tests.support.lab_env import child_environment, lab_environment, scoped_environ

CLI = str(Path(sys.executable).with_name("pressure-lab"))
SPAN = ("2024-01-02", "2024-02-29")


def _oi_per_contract(day) -> float:
    return float(day.chains["open_interest"].mean())


def test_spy_worlds_are_spy_shaped_on_spx_path(tmp_path):
    with scoped_environ(lab_environment(tmp_path)):
        spy_cfg = load_config_for("SPY")
    assert study_underlying(LabConfig()) == "SPX" and study_underlying(spy_cfg) == "SPY"
    spx = world_days(*SPAN, "null", 3, None)
    spy = world_days(*SPAN, "null", 3, None, underlying="SPY",
                     rule=spy_cfg.calendar.expiration_rule)
    assert [d.day for d in spy] == [d.day for d in spx]  # daily expirations in 2024
    for a, b in zip(spx, spy, strict=True):
        assert set(b.chains["underlying"]) == {"SPY"} and set(b.bars["symbol"]) == {"SPY"}
        ratio = b.bars["close"].to_numpy() / a.bars["close"].to_numpy()
        assert np.all(np.abs(ratio - 0.1) < 0.1 * 0.01)  # tracks a tenth within 1 %
        strikes = b.chains["strike"].to_numpy()
        assert np.allclose(strikes, np.round(strikes))  # the $1 grid
        assert np.unique(np.diff(np.unique(strikes))).tolist() == [1.0]
        assert np.allclose(a.chains["strike"] % 5, 0)  # SPX stays on its $5 grid
        assert _oi_per_contract(b) > 2 * _oi_per_contract(a)  # contracts of equal notional
    # the same world for SPX, whatever the study's scope: the generator's own SPX world
    again = world_days(*SPAN, "null", 3, None, underlying="SPX")
    assert all(x.chains.equals(y.chains) and x.bars.equals(y.bars)
               for x, y in zip(spx, again, strict=True))


@pytest.mark.slow
def test_a_spy_study_is_keyed_so_that_spy_reads_it_and_spx_does_not(tmp_path):
    from assets.dagster_common.resources import ExperimentRecordsResource

    home, user = tmp_path / "home", tmp_path / "user"
    user.mkdir()
    out = subprocess.run(
        [CLI, "--underlying", "SPY", "study", "--null-worlds", "2", "--strengths", "2",
         "--ladder-seeds", "1", "--ladder-top", "2", "--select-worlds", "0",
         "--calendar-placebo-worlds", "0", "--start", SPAN[0], "--end", SPAN[1],
         "--null-replications", "19", "--placebo-replications", "9", "--jobs", "2"],
        env=child_environment(home, user), capture_output=True, text=True, timeout=900,
        cwd=user)
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    spy_dir, spx_dir = LabPaths(home, "SPY").evidence, LabPaths(home, "SPX").evidence
    study = json.loads((spy_dir / "study.json").read_text())
    assert study["underlying"] == "SPY" and study["n_null_worlds"] == 2
    units = [json.loads(u.read_text())
             for u in sorted((spy_dir / "study_units" / "units").glob("*.json"))]
    assert len(units) == 4 and all(u["n_trades"] > 0 for u in units)
    # each world was SPY's as simulated: about a tenth of the generator's SPX level
    # (5,000 before the first day) and $1 strikes
    for u in units:
        assert u["world"]["underlying"] == "SPY" and u["world"]["strike_step"] == 1.0
        assert 400 < u["world"]["median_first_open"] < 600

    records = ExperimentRecordsResource()
    with scoped_environ(lab_environment(home)):
        spy_cfg, spx_cfg = load_config_for("SPY"), load_config_for("SPX")
    assert study["procedure_digest"] == procedure_digest(spy_cfg)
    # SPY's package (its validation reads the scope's evidence folder) quotes it ...
    assert quote_study(records.study(spy_dir), spy_cfg)["available"]
    # ... SPX's finds no study in its folder, and SPY's would not apply to its procedure
    assert records.study(spx_dir) is None
    assert not quote_study(study, spx_cfg)["available"]
    assert not quote_study(study, LabConfig())["available"]
