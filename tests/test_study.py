"""`pressure-lab study`: the fan-in against independent oracles, and a small real study
whose false-positive rates an uncorrected claim would break."""

from __future__ import annotations

import json

import pytest
from scipy import stats

from assets.common.config import LabConfig
from assets.study.summary import calendar_placebo_summary, summarize
from assets.study.units import CALENDAR_PLACEBO_SCENARIOS, calendar_placebo_units, study_units
from assets.validation.package.study_quote import procedure_digest, quote_study


def _row(scenario, strength, seed, claimed: dict, verdict="REJECTED", p=0.5, z=0.1):
    return {"scenario": scenario, "strength": strength, "seed": seed,
            "unit_id": f"{scenario}_{strength}_{seed}", "verdict": verdict,
            "any_claim": any(claimed.values()), "primary_p_value": p, "z": z,
            "claims": {k: {"claimed": v, "adjusted_p_value": 0.01 if v else 0.5,
                           "p_value": 0.01, "role": "exploratory"}
                       for k, v in claimed.items()}}


def test_summary_rates_and_intervals_against_scipy():
    rows = [_row("null", 0.0, i, {"a": i < 3, "b": False}, p=(i + 0.5) / 20)
            for i in range(20)]
    rows += [_row("steer", 2.0, i, {"a": i < 4, "b": True}, verdict="VALIDATED")
             for i in range(5)]
    s = summarize(rows, {"span": ["x", "y"]})
    fp = s["false_positive_rates"]["a"]
    ci = stats.binomtest(3, 20).proportion_ci(0.95, method="exact")
    assert fp["count"] == 3 and fp["n"] == 20 and fp["rate"] == pytest.approx(0.15)
    assert fp["clopper_pearson"] == pytest.approx([ci.low, ci.high])
    assert s["false_positive_rates"]["any_claim"]["count"] == 3
    p = [(i + 0.5) / 20 for i in range(20)]
    assert s["primary_p_uniformity"]["ks_p_value"] == pytest.approx(
        stats.kstest(p, "uniform").pvalue)
    steer = s["power"]["steer"][0]
    assert steer["strength"] == 2.0 and steer["claims"]["a"]["rate"] == pytest.approx(0.8)
    assert steer["claims"]["verdict_validated"]["rate"] == 1.0


def test_units_cover_null_worlds_and_the_ladder():
    units = study_units(4, (0.5, 2.0), 3, "2024-01-01", "2024-03-31")
    assert sum(u.scenario == "null" for u in units) == 4
    assert {(u.scenario, u.strength) for u in units if u.scenario != "null"} == {
        ("steer", 0.5), ("steer", 2.0), ("pin", 0.5), ("pin", 2.0)}
    assert len({u.unit_id for u in units}) == len(units)


def test_calendar_placebo_units_and_their_rates_against_scipy():
    units = calendar_placebo_units(3, 4.0, "2021-01-04", "2021-12-31")
    assert {u.scenario for u in units} == set(CALENDAR_PLACEBO_SCENARIOS)
    assert {u.strength for u in units if u.scenario.endswith("null")} == {0.0}
    assert len({u.unit_id for u in units}) == 9
    rows = [_row("calendar_placebo_expiration_only", 4.0, i, {"expiration_specific": i < 4})
            for i in range(5)]
    rows += [_row("calendar_placebo_every_session", 4.0, i, {"expiration_specific": i < 1})
             for i in range(5)]
    # a world where the claim was not tested counts as not claimed
    rows += [_row("calendar_placebo_null", 0.0, i, {}) for i in range(5)]
    cp = calendar_placebo_summary(rows, 0.05, 4.0, ["2021-01-04", "2021-12-31"])
    ci = stats.binomtest(4, 5).proportion_ci(0.95, method="exact")
    assert cp["power_expiration_only"]["count"] == 4
    assert cp["power_expiration_only"]["clopper_pearson"] == pytest.approx([ci.low, ci.high])
    assert cp["false_positive_every_session"]["rate"] == pytest.approx(0.2)
    assert cp["false_positive_null"] == {**cp["false_positive_null"], "count": 0, "n": 5}


def test_the_package_quotes_a_study_only_for_its_procedure():
    cfg = LabConfig()
    study = {"procedure_digest": procedure_digest(cfg), "false_positive_rates": {"x": 1},
             "power": {}, "span": ["a", "b"]}
    assert quote_study(study, cfg)["available"]
    more_reps = cfg.model_copy(update={"validation": cfg.validation.model_copy(
        update={"null_replications": 5000})})
    assert quote_study(study, more_reps)["available"]  # Monte Carlo counts do not matter
    other = cfg.model_copy(update={"validation": cfg.validation.model_copy(
        update={"alpha": 0.01})})
    assert not quote_study(study, other)["available"]
    assert not quote_study(None, cfg)["available"]
    # a home of two underlyings tests at 0.05 / 3: a single home's study does not apply
    split = cfg.model_copy(update={"validation": cfg.validation.model_copy(
        update={"home_underlyings": ("SPX", "SPY")})})
    assert not quote_study(study, split)["available"]


@pytest.mark.slow
def test_a_small_study_keeps_claims_rare_on_null_worlds(tmp_path):
    """12 null worlds through the real pipeline. With every claim family-corrected the
    chance of a positive claim is <= 5 % per world (P(>= 3 of 12) ~ 2 %); a single
    uncorrected claim family of ~12 tests would claim something in ~46 % of worlds
    (P(<= 2 of 12) ~ 3 %)."""
    from assets.study.run import run_study

    study = run_study(LabConfig(), tmp_path, n_null=12, strengths=(4.0,), ladder_seeds=1,
                      start="2024-01-01", end="2024-06-30", jobs=2, null_replications=199,
                      placebo_replications=19, bootstrap_replications=50, placebo_worlds=0,
                      n_select=0, ladder_top=4.0)
    fp = study["false_positive_rates"]
    assert fp["any_claim"]["n"] == 12
    assert fp["any_claim"]["count"] <= 2
    assert fp["verdict_validated"]["count"] == 0
    for name in ("secondary_quadratic_intensification", "urgency_classification_accuracy",
                 "settlement_pinning", "opposite_direction"):
        assert fp[name]["count"] <= 1, name
    # the primary p-value itself is not piled up near 0
    raw = study["primary_p_uniformity"]["values"]
    assert sum(p < 0.05 for p in raw) <= 2
    saved = json.loads((tmp_path / "study.json").read_text())
    assert saved["n_null_worlds"] == 12 and (tmp_path / "study.html").exists()
    assert saved["power"]["steer"][0]["strength"] == 4.0
