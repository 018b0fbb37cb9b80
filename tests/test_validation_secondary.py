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
from assets.validation import secondary as SEC
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


def _trades(a, b):
    urgency = ["ASSIGNMENT_PANIC"] * len(a) + ["PIN_RISK_MANAGEMENT"] * len(b)
    return pd.DataFrame({"urgency": urgency, "pnl_points": list(a) + list(b),
                         "is_calibration": False})


def test_urgency_difference_against_scipy():
    rng = np.random.default_rng(4)
    a, b = rng.normal(1, 3, 30), rng.normal(-1, 5, 40)
    got = SEC.urgency_pattern_difference(_trades(a, b))
    assert got["p_value"] == pytest.approx(stats.mannwhitneyu(a, b).pvalue)
    assert got["welch_p_value"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    small = SEC.urgency_pattern_difference(_trades(a[:5], b))
    assert small["p_value"] is None


def test_holm_family_by_hand():
    rng = np.random.default_rng(5)
    o = _power_law_outcomes(1.0)
    x = rng.uniform(0, 1, 40)
    daily = pd.DataFrame({"hhi": x, "steering_velocity": x + rng.normal(0, 1, 40)})
    trades = _trades(rng.normal(0, 1, 30), rng.normal(0.3, 1, 30))
    got = SEC.secondary_hypotheses(o, daily, trades, VC)
    names = got["family"]["tests_in_family"]
    raw = np.array([got[k]["p_value"] for k in names])
    order = np.argsort(raw)
    m = raw.size
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * raw[i]))
        adj[i] = running
    for k, a in zip(names, adj, strict=True):
        assert got[k]["p_value_holm"] == pytest.approx(a)
        assert got[k]["significant_holm"] == (a < VC.alpha)
    assert "Holm" in got["family"]["correction"]


def test_untestable_hypotheses_leave_the_family():
    got = SEC.secondary_hypotheses(None, None, _trades([1.0] * 3, [2.0] * 3), VC)
    assert got["family"]["tests_in_family"] == []
    assert all(got[k]["status"] == "NOT_TESTED" for k in got if k != "family")


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
    away = SEC.daily_steering_table([_line_day(0.01)], CFG.pressure.urgency_rules)
    toward = SEC.daily_steering_table([_line_day(-0.001)], CFG.pressure.urgency_rules)
    shares = np.array([10, 1000, 10]) / 1020
    assert away["hhi"].iloc[0] == pytest.approx((shares ** 2).sum())
    assert away["top_share"].iloc[0] == pytest.approx(1000 / 1020)
    assert away["steering_velocity"].iloc[0] == pytest.approx(0.01)
    assert toward["steering_velocity"].iloc[0] == pytest.approx(-0.001)


def test_pinning_against_the_uniform_reference():
    rng = np.random.default_rng(6)
    pinned = np.round(rng.uniform(3900, 4100, 200) / 5) * 5 + rng.uniform(-0.4, 0.4, 200)
    got = SEC.pinning_test(pinned, 5.0, (0.5, 1.0))
    assert got[0]["fraction"] == 1.0 and got[0]["uniform_reference"] == pytest.approx(0.2)
    assert got[0]["p_value_pinning"] == pytest.approx(
        stats.binomtest(200, 200, 0.2, alternative="greater").pvalue)
    uniform = rng.uniform(3900, 4100, 2000)
    within = int((np.abs(uniform - 5 * np.round(uniform / 5)) <= 0.5).sum())
    got_u = SEC.pinning_test(uniform, 5.0, (0.5,))[0]
    assert got_u["within"] == within and got_u["p_value_pinning"] > 0.001


def test_opposite_hypothesis_reports_the_supported_direction():
    n = 200
    d = np.where(np.arange(n) % 2 == 0, 1, -1)
    toward = pd.DataFrame({"urgency": "PIN_RISK_MANAGEMENT", "steering_direction": d,
                           "actual_direction": np.where(np.arange(n) < 150, -d, d),
                           "is_calibration": False})
    got = SEC.opposite_hypothesis(np.array([4000.3, 4012.0]), 5.0, toward, VC)
    t = got["direction_test"]
    assert t["specification_direction_hits"] == 50 and t["opposite_direction_hits"] == 150
    assert t["p_value"] == pytest.approx(stats.binomtest(50, 200, 0.5).pvalue)
    assert got["direction_supported"].startswith("TOWARD")
    away = toward.assign(actual_direction=np.where(np.arange(n) < 150, d, -d))
    assert SEC.opposite_hypothesis(np.array([4001.0]), 5.0, away, VC)[
        "direction_supported"].startswith("AWAY")
    even = toward.assign(actual_direction=np.where(np.arange(n) < 100, d, -d))
    got_even = SEC.opposite_hypothesis(np.array([4001.0]), 5.0, even, VC)
    assert got_even["direction_supported"] == "NEITHER"


def test_opposite_direction_has_a_day_clustered_test():
    rng = np.random.default_rng(8)
    n = 300
    d = rng.choice([-1, 1], n)
    o = pd.DataFrame({"urgency": "ASSIGNMENT_PANIC", "steering_direction": d,
                      "actual_direction": rng.choice([-1, 0, 1], n), "is_calibration": False,
                      "quote_date": [dt.date(2024, 2, 1) + dt.timedelta(days=int(k))
                                     for k in rng.integers(0, 25, n)]})
    t = SEC.opposite_hypothesis(np.array([4001.0]), 5.0, o, VC)["direction_test"]
    moved = o["actual_direction"] != 0
    assert t["n_nonzero"] == int(moved.sum())  # flat moves count for neither side
    assert t["p_value_day_clustered"] is not None
    assert t["p_value_conservative"] == max(t["p_value"], t["p_value_day_clustered"])
