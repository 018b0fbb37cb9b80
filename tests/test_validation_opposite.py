"""The opposite (pinning) direction and settlement pinning against scipy oracles."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assets.common.config import ValidationConfig
from assets.validation import opposite_hypothesis as OPP

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
