"""The held-out check of the selection adjustment, end to end: on a null world, sweep 48
variants with `pressure-lab sweep`, then `run` the best one's overrides as config.json. On
its own the best of 48 looks like an edge; the package tests the selection (Hansen's SPA
over the 48 stored series, recomputed here with arch from the warehouse) and makes no
confirmatory claim."""

import json

import duckdb
import numpy as np
import pytest
from arch.bootstrap import SPA

from assets.common.config import LabConfig
from assets.experiments.grid import apply_overrides
from tests.test_experiments_sweep_cli import RANGE, _cli, _package, _write

pytestmark = pytest.mark.slow
GRID48 = {"pressure.threshold_percentile": [60, 75, 90],
          "pressure.probability_model": ["specification", "itm_normal"],
          "trading.stop_points.PIN_RISK_MANAGEMENT": [5, 10],
          "trading.target_points.PIN_RISK_MANAGEMENT": [6, 10],
          "trading.stop_points.ASSIGNMENT_PANIC": [10, 15]}


def _spa_from_the_warehouse(home, sweep: str, cfg: LabConfig) -> float:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        frame = conn.execute("select config_digest, quote_date, pnl_dollars, benchmark_dollars "
                             "from experiments.sweep_daily where sweep = ?", [sweep]).df()
    pnl = frame.pivot(index="quote_date", columns="config_digest", values="pnl_dollars")
    bench = frame.pivot(index="quote_date", columns="config_digest",
                        values="benchmark_dollars")[pnl.columns]
    assert pnl.shape[1] == 48
    excess = pnl.to_numpy() - bench.to_numpy()
    live = excess.std(axis=0) > 0
    spa = SPA(np.zeros(excess.shape[0]), -excess[:, live],
              reps=cfg.experiments.spa_replications, seed=cfg.validation.seed)
    spa.compute()
    return float(spa.pvalues["consistent"])


def test_the_best_of_48_on_a_null_world_makes_no_confirmatory_claim(tmp_path_factory):
    home, user_home = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("user")
    for args in (("synth", "--scenario", "null", "--seed", "404", *RANGE), ("run",)):
        out = _cli(home, user_home, *args)
        assert out.returncode == 0, out.stderr[-3000:]
    assert not _package(home)["claims_family"]["selection"]["applied"]  # N = 1
    sweep = _cli(home, user_home, "sweep", str(_write(tmp_path_factory.mktemp("g") / "g.json",
                                                      GRID48)), "--name", "null48")
    assert sweep.returncode == 0, sweep.stderr[-3000:]
    doc = json.loads((home / "evidence" / "sweeps" / "null48" / "sweep.json").read_text())
    best = apply_overrides(LabConfig(), doc["best"]["overrides"])
    (home / "config.json").write_text(json.dumps(best.model_dump(mode="json")))
    run = _cli(home, user_home, "run")
    assert run.returncode == 0, run.stderr[-3000:]

    package = _package(home)
    family = package["claims_family"]
    sel = family["selection"]
    assert sel["n_variants"] == 48 and sel["applied"]  # the default config is in the grid
    edge = sel["claims"]["edge_vs_random"]
    assert edge["method"] == "hansen_spa" and sel["spa"]["sweep"] == "null48"
    spa = _spa_from_the_warehouse(home, "null48", best)
    assert sel["spa"]["p_value"] == pytest.approx(spa)
    # alone, the chosen variant beats its null at alpha / 2: a claim without the selection
    assert edge["p_value_before"] == package["statistical_measures"]["p_value"] < 0.025
    assert edge["p_value_after"] == pytest.approx(max(edge["p_value_before"], spa))
    rows = {c["name"]: c for c in family["claims"]}
    assert rows["edge_vs_random"]["p_value"] == pytest.approx(edge["p_value_after"])
    for name in ("edge_vs_random", "opposite_direction"):
        assert not rows[name]["claimed"], rows[name]
    assert not family["any_claim"]
    assert package["experimental_validity"] != "VALIDATED"
    assert family["selection"]["deflated_sharpe_gate"]["applies"]
