"""The opposite (pinning) direction and settlement pinning against scipy oracles."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from assets.common.config import ValidationConfig
from assets.validation.statistics import opposite_hypothesis as OPP

VC = ValidationConfig()


def test_pinning_is_one_ks_test_over_every_half_width():
    rng = np.random.default_rng(6)
    pinned = np.round(rng.uniform(3900, 4100, 200) / 5) * 5 + rng.uniform(-0.4, 0.4, 200)
    got = OPP.pinning_test(pinned, 5.0, (0.5, 1.0))
    u = np.abs(pinned - 5 * np.round(pinned / 5)) / 2.5
    assert got["p_value"] == pytest.approx(
        stats.kstest(u, "uniform", alternative="greater").pvalue)
    assert got["p_value"] < 1e-6
    assert got["by_half_width"][0]["fraction"] == 1.0
    assert got["by_half_width"][0]["uniform_reference"] == pytest.approx(0.2)
    assert "p_value" not in got["by_half_width"][0]  # descriptive only: one test, one p


def test_pinning_false_positive_rate_is_at_most_alpha_on_uniform_closes():
    rng = np.random.default_rng(7)
    p = np.array([OPP.pinning_test(rng.uniform(3900, 4100, 150), 5.0, (0.5, 1.0, 2.5))
                  ["p_value"] for _ in range(400)])
    # one test over all half-widths: about alpha, not the ~3 alpha of three separate tests
    assert (p < 0.05).mean() < 0.08


def _outcomes(toward_share: float, n: int = 200) -> pd.DataFrame:
    d = np.where(np.arange(n) % 2 == 0, 1, -1)
    k = int(round(toward_share * n))
    return pd.DataFrame({"urgency": "PIN_RISK_MANAGEMENT", "steering_direction": d,
                         "actual_direction": np.where(np.arange(n) < k, -d, d),
                         "is_calibration": False})


def test_direction_test_is_one_sided_toward_the_strikes():
    t = OPP.direction_test(_outcomes(0.75))
    assert t["specification_direction_hits"] == 50 and t["opposite_direction_hits"] == 150
    assert t["p_value"] == pytest.approx(
        stats.binomtest(150, 200, 0.5, alternative="greater").pvalue)
    away = OPP.direction_test(_outcomes(0.25))
    assert away["p_value"] > 0.99  # the specification's direction is not evidence for the opposite


def test_direction_test_takes_the_larger_of_binomial_and_day_clustered():
    rng = np.random.default_rng(8)
    n = 300
    o = pd.DataFrame({"urgency": "ASSIGNMENT_PANIC", "steering_direction": rng.choice([-1, 1], n),
                      "actual_direction": rng.choice([-1, 0, 1], n), "is_calibration": False,
                      "quote_date": [dt.date(2024, 2, 1) + dt.timedelta(days=int(k))
                                     for k in rng.integers(0, 25, n)]})
    t = OPP.direction_test(o)
    assert t["n_nonzero"] == int((o["actual_direction"] != 0).sum())
    assert t["p_value_toward_day_clustered"] is not None
    assert t["p_value"] == max(t["p_value_toward"], t["p_value_toward_day_clustered"])


def test_statuses_follow_the_family():
    opp = OPP.opposite_hypothesis(np.array([4000.3, 4012.0]), 5.0, _outcomes(0.75), VC)
    OPP.set_opposite_statuses(opp, True, 0.01, False, 0.6, False)
    assert opp["direction_supported"].startswith("TOWARD") and not opp["pinning_detected"]
    OPP.set_opposite_statuses(opp, False, 0.4, False, 0.6, True)
    assert opp["direction_supported"].startswith("AWAY")


def _day_outcomes(toward_by_day: list[list[int]]) -> pd.DataFrame:
    """One row per prediction: day k's list holds 1 (toward the strike) or 0 (away)."""
    rows = []
    for k, day in enumerate(toward_by_day):
        for toward in day:
            rows.append({"urgency": "PIN_RISK_MANAGEMENT", "steering_direction": 1,
                         "actual_direction": -1 if toward else 1, "is_calibration": False,
                         "quote_date": dt.date(2024, 3, 1) + dt.timedelta(days=k)})
    return pd.DataFrame(rows)


def test_day_clustered_p_uses_g_minus_1_degrees_of_freedom():
    # 11 days of unequal size: few clusters, where G - 1 and n - 1 differ the most
    days = [[1, 1, 1, 0], [1, 0], [1, 1, 1, 1, 1, 0], [0, 0, 1], [1, 1, 0, 1, 1],
            [1, 0, 0, 1], [1, 1, 1], [0, 1], [1, 1, 0, 0, 1, 1, 1], [0, 0, 0, 1], [1, 1, 1, 0]]
    got = OPP.direction_test(_day_outcomes(days))["p_value_toward_day_clustered"]
    # hand-computed CR1 standard error of the mean of (toward - 1/2), t with G - 1 df
    x = np.concatenate([np.asarray(d, dtype=float) - 0.5 for d in days])
    n, g = x.size, len(days)
    e = x - x.mean()
    sums = np.array([np.sum(np.asarray(d, dtype=float) - 0.5 - x.mean()) for d in days])
    assert np.isclose(sums.sum(), e.sum())
    k = 1  # one regressor, the constant
    se = np.sqrt(g / (g - 1) * (n - 1) / (n - k) * np.sum(sums ** 2)) / n
    assert got == pytest.approx(stats.t.sf(x.mean() / se, g - 1), rel=1e-9)
    # statsmodels' own cluster inference (use_t: G - 1 df), halved for one side
    codes = np.repeat(np.arange(g), [len(d) for d in days])
    res = sm.OLS(x, np.ones((n, 1))).fit(cov_type="cluster", cov_kwds={"groups": codes},
                                         use_t=True)
    assert res.df_resid_inference == g - 1
    assert got == pytest.approx(res.pvalues[0] / 2, rel=1e-9)


def test_day_clustered_size_holds_with_day_correlated_moves():
    # a day-correlated null: each day's share of moves toward the strike is drawn around 1/2
    rng = np.random.default_rng(21)
    p = []
    for _ in range(2000):
        share = np.clip(0.5 + rng.normal(0, 0.2, 10), 0, 1)
        days = [list(rng.random(15) < s) for s in share]
        p.append(OPP.direction_test(_day_outcomes(days))["p_value_toward_day_clustered"])
    size = float(np.mean(np.asarray(p) < 0.025))
    # 10 days: with n - 1 degrees of freedom the size is ~0.04 (sd of the estimate ~0.0035)
    assert size < 0.034
