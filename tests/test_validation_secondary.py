"""Secondary and opposite hypotheses against scipy/numpy/hand oracles."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assets.common.config import LabConfig, ValidationConfig
from assets.common.market_day import MarketDay
from assets.validation.statistics import secondary as SEC
from assets.validation.statistics import steering_concentration as STEER
from tests.support.validation_fixtures import outcomes_for, random_walk_days

CFG = LabConfig()
VC = ValidationConfig()


def _power_law_outcomes(b: float, n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    minutes = rng.uniform(2, 60, n)
    horizon = rng.choice([8.0, 45.0], n)
    size = 30 * minutes ** (-b) * np.exp(rng.normal(0, 0.3, n))
    return pd.DataFrame({"minutes_to_expiry": minutes, "horizon_minutes": horizon,
                         "actual_magnitude": size * np.sqrt(horizon),
                         "urgency": "PIN_RISK_MANAGEMENT", "is_calibration": False,
                         "quote_date": [dt.date(2024, 1, 1) + dt.timedelta(days=int(i % 40))
                                        for i in range(n)]})


def test_intensification_exponent_recovered_and_tested():
    o = _power_law_outcomes(2.0)
    got = SEC.quadratic_intensification(o)
    y = np.log(o["actual_magnitude"] / np.sqrt(o["horizon_minutes"]))
    slope = np.polyfit(np.log(o["minutes_to_expiry"]), y, 1)[0]
    assert got["b"] == pytest.approx(-slope)
    assert got["b_ci"][0] < 2.0 < got["b_ci"][1]
    assert got["p_value"] < 1e-10 and got["p_value_b_equals_2"] > 0.01
    flat = SEC.quadratic_intensification(_power_law_outcomes(0.0, seed=1))
    assert abs(flat["b"]) < 0.1 and flat["p_value_b_equals_2"] < 1e-10


def test_random_walk_shows_no_intensification_after_horizon_normalization():
    days = random_walk_days(30, 21)
    got = SEC.quadratic_intensification(outcomes_for(days, 400, 22, CFG))
    assert got["covariance"].startswith("cluster")
    assert got["b_ci"][0] < 0.0 < got["b_ci"][1] or got["p_value"] > 0.01


def test_correlation_against_scipy_and_fisher_z():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.02, 0.2, 60)
    y = 2 * x + rng.normal(0, 0.1, 60)
    got = SEC.steering_vs_concentration(pd.DataFrame({"hhi": x, "steering_velocity": y}))
    r = np.corrcoef(x, y)[0, 1]
    assert got["pearson_r"] == pytest.approx(r)
    half = 1.959963984540054 / math.sqrt(60 - 3)
    assert got["pearson_ci"] == pytest.approx([math.tanh(math.atanh(r) - half),
                                               math.tanh(math.atanh(r) + half)], abs=1e-9)
    rho = stats.spearmanr(x, y).statistic
    assert got["spearman_rho"] == pytest.approx(rho)
    half_s = 1.959963984540054 * math.sqrt(1.06 / 57)
    assert got["spearman_ci"][0] == pytest.approx(math.tanh(math.atanh(rho) - half_s))


def test_family_members_are_raw_one_sided_p_values():
    rng = np.random.default_rng(5)
    o = _power_law_outcomes(1.0)
    x = rng.uniform(0, 1, 40)
    daily = pd.DataFrame({"hhi": x, "steering_velocity": x + rng.normal(0, 1, 40)})
    got = SEC.secondary_hypotheses(o, daily, VC, CFG.pressure.urgency_rules)
    assert set(got) == {"quadratic_intensification", "steering_velocity_vs_oi_concentration",
                        "distinct_urgency_patterns"}
    corr = got["steering_velocity_vs_oi_concentration"]
    assert corr["p_value"] == pytest.approx(
        stats.pearsonr(x, daily["steering_velocity"], alternative="greater").pvalue)
    q = got["quadratic_intensification"]
    assert q["b"] > 0 and q["p_value"] == pytest.approx(q["p_value_two_sided"] / 2)
    # the statuses come from adjusted p-values handed in by the claims family
    SEC.set_statuses(got, {"quadratic_intensification": 0.2,
                           "steering_velocity_vs_oi_concentration": 0.01,
                           "distinct_urgency_patterns": None}, VC.alpha)
    assert got["quadratic_intensification"]["status"] == "NOT_SUPPORTED"
    assert got["steering_velocity_vs_oi_concentration"]["status"] == "SUPPORTED"
    assert got["distinct_urgency_patterns"]["status"] == "NOT_TESTED"


def test_untestable_hypotheses_are_not_tested():
    got = SEC.secondary_hypotheses(None, None, VC, CFG.pressure.urgency_rules)
    SEC.set_statuses(got, {k: None for k in got}, VC.alpha)
    assert all(v["status"] == "NOT_TESTED" for v in got.values())


def _line_day(slope: float) -> MarketDay:
    n = 390
    close = 4002.0 + slope * np.arange(n)
    start = pd.Timestamp("2024-03-04 14:30", tz="UTC")
    ts = (start + pd.to_timedelta(np.arange(n), unit="min")).tz_localize(None).to_numpy()
    strikes = np.array([3000.0, 4000.0, 5000.0])
    oi = np.array([10.0, 1000.0, 10.0])  # one high-OI strike, far from the others
    return MarketDay(dt.date(2024, 3, 4), start, start + pd.Timedelta(minutes=n), ts, close,
                     close, close, close, np.arange(n - 1, -1, -1, dtype=float), strikes,
                     oi / 2, oi / 2)


def test_daily_steering_table_by_hand():
    away = STEER.daily_steering_table([_line_day(0.01)], CFG.pressure.urgency_rules)
    toward = STEER.daily_steering_table([_line_day(-0.001)], CFG.pressure.urgency_rules)
    shares = np.array([10, 1000, 10]) / 1020
    assert away["hhi"].iloc[0] == pytest.approx((shares ** 2).sum())
    assert away["top_share"].iloc[0] == pytest.approx(1000 / 1020)
    assert away["steering_velocity"].iloc[0] == pytest.approx(0.01)
    assert toward["steering_velocity"].iloc[0] == pytest.approx(-0.001)




def _quadratic_status(outcomes: pd.DataFrame) -> dict:
    """The quadratic block labelled by a family whose confirmatory claim was rejected, so
    the exploratory claims get alpha."""
    from assets.validation.claims.claims_family import (
        CONFIRMATORY,
        EXPLORATORY,
        Claim,
        claim_lookup,
        evaluate_family,
    )

    q = SEC.quadratic_intensification(outcomes)
    fam = evaluate_family([Claim("edge_vs_random", CONFIRMATORY, 1e-4, "t", "s"),
                           Claim("opposite_direction", CONFIRMATORY, 0.9, "t", "s"),
                           Claim("secondary_quadratic_intensification", EXPLORATORY,
                                 q["p_value"], q["test"], q["hypothesis"])], VC.alpha)
    adjusted = claim_lookup(fam)["secondary_quadratic_intensification"]["adjusted_p_value"]
    return SEC.set_statuses({"quadratic_intensification": q},
                            {"quadratic_intensification": adjusted}, VC.alpha)[
        "quadratic_intensification"]


def test_quadratic_label_claims_only_what_was_tested():
    # flat (b = 0) and null series cannot read SUPPORTED, whatever the CI says about b = 2
    for seed in range(3):
        flat = _quadratic_status(_power_law_outcomes(0.0, n=400, seed=10 + seed))
        assert flat["status"] != "SUPPORTED"
        few = _quadratic_status(_power_law_outcomes(0.0, n=12, seed=20 + seed))
        assert few["status"] != "SUPPORTED"
    # what is tested is b > 0 (intensification), under the family-adjusted p; b = 2 is a
    # description beside it, so b = 1 and b = 2 carry the same label
    b1, b2 = (_quadratic_status(_power_law_outcomes(b)) for b in (1.0, 2.0))
    assert b1["status"] == b2["status"] == "SUPPORTED"
    for v in (b1, b2):
        assert "quadratic" not in v["hypothesis"].split("(")[0]
        assert "b > 0" in v["hypothesis"] and "b > 0" in v["test"]
        assert "not a claim" in v["b_equals_2"]
    assert b1["b_equals_2"].startswith("rejected") and b2["b_equals_2"].startswith("not rejected")
    # the unadjusted Wald p of b = 2 behind the description, against a hand-computed t test
    o = _power_law_outcomes(2.0).drop(columns="quote_date")  # plain OLS standard errors
    x, y = np.log(o["minutes_to_expiry"]), np.log(o["actual_magnitude"] / np.sqrt(
        o["horizon_minutes"]))
    fit = stats.linregress(x, y)
    t = (-fit.slope - 2.0) / fit.stderr
    assert SEC.quadratic_intensification(o)["p_value_b_equals_2"] == pytest.approx(
        2 * stats.t.sf(abs(t), len(o) - 2))
