"""The verdict's reach and the selection scenario's fan-in, from hand-built study rows;
the ladder's climbing rule with the units stubbed out."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from assets.common.config import LabConfig
from assets.study import run as study_run
from assets.study.reach import (
    barrier_win_rate,
    climbing_ladder,
    executor_geometry,
    verdict_reach,
)
from assets.study.summary import selection_rates
from assets.validation.package.study_quote import quote_study

ALL_MET = {"n_trades": True, "win_rate": True, "sharpe": True, "p_value": True,
           "deflated_sharpe": True}


def _row(strength, seed, fails=(), scenario="steer"):
    crit = {**ALL_MET, **{f: False for f in fails}}
    return {"scenario": scenario, "strength": strength, "seed": seed,
            "win_rate": 0.6 + 0.01 * seed if "win_rate" in fails else 0.8,
            "verdict": "VALIDATED" if all(crit.values()) else "REJECTED",
            "verdict_criteria": crit}


def _geometry():
    cfg = LabConfig()
    return executor_geometry(cfg.trading, cfg.validation.win_rate_threshold)


def test_the_reach_names_the_criterion_failing_most_often_at_the_top_rungs():
    ladder = [{"strength": 4.0, "rows": [_row(4.0, i, ("p_value", "win_rate", "sharpe"))
                                         for i in range(5)]},
              # top two rungs: the win rate fails in 9 of 10 worlds, the Sharpe in 4
              {"strength": 16.0, "rows": [_row(16.0, i, ("win_rate",) if i else ())
                                          for i in range(5)]},
              {"strength": 32.0, "rows": [_row(32.0, i, ("win_rate", "sharpe") if i < 4
                                               else ("win_rate",)) for i in range(5)]}]
    reach = verdict_reach(ladder, _geometry(), 0.75, 1.0)
    assert not reach["reachable"] and reach["smallest_strength"] is None
    assert reach["binding_criterion"] == "win_rate"
    assert reach["top_rungs_fail_rate"]["win_rate"] == pytest.approx(0.9)
    assert reach["top_rungs_fail_rate"]["sharpe"] == pytest.approx(0.4)
    assert [p["validated_power"] for p in reach["ladder"]] == [0.0, 0.2, 0.0]
    assert "cannot be met" in reach["statement"] and "32 x" in reach["statement"]
    assert "S / (S + T)" in reach["reason"] and "stop 10, target 10" in reach["reason"]
    # top rungs: 0.61..0.64 (x16, seeds 1-4), 0.60..0.64 (x32), 0.8 (x16, seed 0):
    # sorted, the 5th and 6th are 0.62 and 0.63
    assert reach["top_rungs_win_rate"] == {"n_worlds": 10, "median": pytest.approx(0.625),
                                           "max": 0.8}


def test_the_reach_is_the_smallest_strength_with_validated_power_at_least_0_8():
    ladder = [{"strength": s, "rows": [_row(s, i, () if s >= 8 and i < 4 else ("win_rate",))
                                       for i in range(5)]} for s in (2.0, 4.0, 8.0, 16.0)]
    reach = verdict_reach(ladder, _geometry(), 0.75, 1.0)
    assert reach["reachable"] and reach["smallest_strength"] == 8.0
    assert reach["binding_criterion"] is None and "8 x" in reach["statement"]


def test_the_executor_geometry_against_the_gambler_s_ruin_oracle():
    # symmetric barriers: P = 1 / (1 + exp(-k S)) for Brownian motion with k = 2 mu / s^2
    assert barrier_win_rate(10.0, 10.0) == 0.5
    assert barrier_win_rate(10.0, 10.0, 0.1) == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert barrier_win_rate(5.0, 15.0) == pytest.approx(0.25)
    geo = _geometry()
    pin = geo["PIN_RISK_MANAGEMENT"]
    assert pin["driftless_barrier_win_rate"] == 0.5 and pin["time_stop_minutes"] == 45
    # 0.75 with S = T needs k S = ln 3
    assert pin["drift_needed_2mu_over_sigma2_per_point"] * 10 == pytest.approx(math.log(3))


def test_the_ladder_climbs_by_doubling_and_stops_at_power_0_8_or_at_32(monkeypatch, tmp_path):
    assert climbing_ladder((0.5, 1.0, 2.0, 4.0)) == [8.0, 16.0, 32.0]
    ran: list[float] = []

    def fake_run_units(units, cfg, out_dir, jobs=1):
        return list(units)

    def fake_load(validated_from):
        def load(units):
            ran.append(units[0].strength)
            return [_row(u.strength, u.seed, () if u.strength >= validated_from
                         else ("win_rate",)) for u in units]
        return load

    monkeypatch.setattr(study_run, "run_units", fake_run_units)
    base = [_row(s, i, ("win_rate",)) for s in (1.0, 4.0) for i in range(5)]
    monkeypatch.setattr(study_run, "load_results", fake_load(16.0))
    rungs = study_run.climb(base, (1.0, 4.0), 5, "a", "b", LabConfig(), tmp_path, 1, 32.0)
    assert ran == [8.0, 16.0] and [r["strength"] for r in rungs] == [1.0, 4.0, 8.0, 16.0]
    ran.clear()
    monkeypatch.setattr(study_run, "load_results", fake_load(math.inf))
    rungs = study_run.climb(base, (1.0, 4.0), 5, "a", "b", LabConfig(), tmp_path, 1, 32.0)
    assert ran == [8.0, 16.0, 32.0] and rungs[-1]["strength"] == 32.0
    ran.clear()  # already at power 1 on the base ladder: no climbing
    ok = [_row(4.0, i) for i in range(5)]
    study_run.climb(ok, (4.0,), 5, "a", "b", LabConfig(), tmp_path, 1, 32.0)
    assert ran == []


def test_selection_rates_per_confirmatory_claim_with_clopper_pearson():
    def row(i, edge):
        return {"scenario": "select", "verdict": "REJECTED", "any_claim": edge,
                "sweep": {"n_variants": 48, "spa_p_value": 0.3},
                "claims": {"edge_vs_random": {"claimed": edge, "adjusted_p_value": 0.01,
                                              "p_value": 0.01, "role": "confirmatory"},
                           "opposite_direction": {"claimed": False, "adjusted_p_value": 0.9,
                                                  "p_value": 0.9, "role": "confirmatory"}}}
    rows = [row(i, i == 0) for i in range(25)]
    sel = selection_rates(rows, 0.05)
    ci = stats.binomtest(1, 25).proportion_ci(0.95, method="exact")
    fp = sel["false_positive_rates"]["edge_vs_random"]
    assert (fp["count"], fp["n"]) == (1, 25)
    assert fp["clopper_pearson"] == pytest.approx([ci.low, ci.high])
    assert sel["any_confirmatory_claim"]["count"] == 1 and sel["n_variants"] == 48


def test_without_a_study_the_package_says_the_reach_is_unknown():
    block = quote_study(None, LabConfig())
    assert block["verdict_reach"]["reachable"] is None
    assert "unknown" in block["verdict_reach"]["statement"]


def test_the_report_states_the_reach_or_that_it_is_unknown():
    from assets.report.sections import render_report

    ladder = [{"strength": 32.0, "rows": [_row(32.0, i, ("win_rate",)) for i in range(5)]}]
    reach = verdict_reach(ladder, _geometry(), 0.75, 1.0)
    html = render_report({"study_calibration": {"available": True, "verdict_reach": reach}})
    assert "cannot be met with this executor up to 32 x" in html
    unknown = render_report({"study_calibration": quote_study(None, LabConfig())})
    assert "reach is unknown" in unknown


def test_a_selection_world_tests_the_best_of_48_as_the_selection(tmp_path):
    """One selection unit through the real sweep machinery and pipeline: the package sees
    N = 48 and the SPA over the 48 series, so its edge p is never below the SPA's, and
    the SPA is recomputed here with arch from the variants' series."""
    import json
    import warnings

    import numpy as np
    from arch.bootstrap import SPA

    from assets.experiments.evaluate import evaluate_variants
    from assets.experiments.grid import expand_grid
    from assets.study.run import study_config
    from assets.study.selection import SELECTION_GRID
    from assets.study.units import StudyUnit, run_unit, study_units, synthetic_world

    units = study_units(3, (1.0,), 1, "2024-01-01", "2024-04-30", n_select=2)
    sel = [u for u in units if u.scenario == "select"]
    assert len(sel) == 2 and not {u.seed for u in sel} & {u.seed for u in units
                                                          if u.scenario != "select"}
    cfg = study_config(LabConfig(), 199, 19, 50)
    unit = StudyUnit("select", 0.0, 31_000, "2024-01-01", "2024-04-30")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = json.loads(run_unit(unit, cfg, tmp_path).read_text())
        market, _ = synthetic_world(unit.start, unit.end, "null", unit.seed, None)
        results = evaluate_variants(market, expand_grid(cfg, SELECTION_GRID))
    assert row["sweep"]["n_variants"] == 48 == len(results)
    excess = (np.column_stack([r.daily_pnl for r in results])
              - np.column_stack([r.benchmark_daily_pnl for r in results]))
    live = excess.std(axis=0) > 0
    spa = SPA(np.zeros(excess.shape[0]), -excess[:, live],
              reps=cfg.experiments.spa_replications, seed=cfg.validation.seed)
    spa.compute()
    assert row["sweep"]["spa_p_value"] == pytest.approx(float(spa.pvalues["consistent"]))
    assert row["claims"]["edge_vs_random"]["p_value"] >= row["sweep"]["spa_p_value"]


def test_a_geometry_that_meets_the_bar_without_drift_needs_none():
    """Stop 20 / target 5: the driftless barrier win rate 20 / 25 = 0.8 already exceeds
    0.75, so the drift needed is 0 (the root finder is not called on a bracket without a
    sign change)."""
    from types import SimpleNamespace

    from assets.study.reach import executor_geometry

    trading = SimpleNamespace(stop_points={"A": 20.0}, target_points={"A": 5.0},
                              max_hold_minutes={"A": 10.0})
    g = executor_geometry(trading, 0.75)["A"]
    assert g["driftless_barrier_win_rate"] == pytest.approx(0.8)
    assert g["drift_needed_2mu_over_sigma2_per_point"] == 0.0
