"""The platform's promise, measured on seeded synthetic worlds through the same numpy stages
the nightly run uses: no steering -> never VALIDATED and no pile-up of small p-values;
planted steering -> found."""

import numpy as np
import pytest
from scipy import stats

from assets.common.config import LabConfig, ValidationConfig
from assets.in_memory_pipeline import alerts_for, run_in_memory, trades_for
from assets.pressure.outcomes import prediction_outcomes
from assets.synthetic_market.in_memory_days import synthetic_market

pytestmark = pytest.mark.slow
CFG = LabConfig(validation=ValidationConfig(null_replications=1000, bootstrap_replications=500))
HALF_YEAR = ("2024-01-01", "2024-06-30")


@pytest.fixture(scope="module")
def null_packages():
    return [run_in_memory(synthetic_market(*HALF_YEAR, "null", seed=s), CFG) for s in range(6)]


def test_null_worlds_are_never_validated(null_packages):
    verdicts = [p["experimental_validity"] for p in null_packages]
    assert "VALIDATED" not in verdicts
    assert set(verdicts) <= {"REJECTED", "INSUFFICIENT_DATA"}


def test_null_p_values_do_not_pile_up_near_zero(null_packages):
    p = np.array([pk["statistical_measures"]["p_value"] for pk in null_packages], dtype=float)
    assert np.all(np.isfinite(p))
    assert (p < 0.05).sum() <= 1  # expected 0.3 of 6 under the null
    # not concentrated near 0: a KS test against U(0,1) does not reject at 1 %
    assert stats.kstest(p, "uniform").pvalue > 0.01


def test_null_mean_pnl_after_costs_is_not_significantly_positive(null_packages):
    for pkg in null_packages:
        mean = pkg["performance_metrics"]["mean_pnl_points"]
        lo, hi = pkg["statistical_measures"]["confidence_interval"]
        assert not (lo > 0 and mean > 0), "a null world looks profitable"


@pytest.fixture(scope="module")
def strong_steer():
    # "strong": five times the default push (about 1.5x the per-minute noise at the close)
    return synthetic_market("2024-01-01", "2024-12-31", "steer", seed=4, strength=5.0)


def test_strong_steering_is_found(strong_steer):
    pkg = run_in_memory(strong_steer, CFG)
    assert pkg["statistical_measures"]["p_value"] < 0.01
    assert pkg["performance_metrics"]["mean_pnl_points"] > 0


def test_direction_accuracy_on_steer_is_clearly_above_null(strong_steer):
    def accuracy(market):
        alerts, _ = alerts_for(market, CFG)
        out = prediction_outcomes(alerts, market, CFG.pressure)
        scored = out[~out["is_calibration"].astype(bool) & (out["urgency"] != "NO_SIGNAL")]
        return scored["direction_correct"].astype(float).mean(), len(scored)

    null = synthetic_market("2024-01-01", "2024-12-31", "null", seed=4)
    acc_steer, n_steer = accuracy(strong_steer)
    acc_null, n_null = accuracy(null)
    # two-proportion z-test: the planted push must show in the predictions' direction
    pooled = (acc_steer * n_steer + acc_null * n_null) / (n_steer + n_null)
    z = (acc_steer - acc_null) / np.sqrt(pooled * (1 - pooled) * (1 / n_steer + 1 / n_null))
    assert acc_steer - acc_null > 0.02 and z > 2.0


def test_strong_steer_trades_are_significantly_positive_after_costs(strong_steer):
    alerts, _ = alerts_for(strong_steer, CFG)
    trades = trades_for(alerts, strong_steer, CFG)
    oos = trades[~trades["is_calibration"].astype(bool)]
    res = stats.ttest_1samp(oos["pnl_points"], 0.0, alternative="greater")
    assert res.pvalue < 0.05
