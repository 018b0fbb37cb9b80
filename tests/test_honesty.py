"""The platform's promise, measured on seeded synthetic worlds through the same numpy stages
the nightly run uses. Each test could fail: the verdict's p-gate is tested with the
performance bars removed (the 75 % win-rate bar alone would keep a null world from
VALIDATED whatever the p-value), and a planted edge must be reported as an edge even when
the strategy specification's bar is not met."""

import numpy as np
import pytest
from scipy import stats

from assets.common.config import LabConfig, ValidationConfig
from assets.engine.run import run_engine, run_in_memory
from assets.synthetic_market.in_memory_days import synthetic_market

pytestmark = pytest.mark.slow
VC = dict(null_replications=999, bootstrap_replications=200, oi_placebo_replications=19)
CFG = LabConfig(validation=ValidationConfig(**VC))
# the verdict rule with its performance bars removed: only the p-gate can stop VALIDATED
P_GATE_ONLY = LabConfig(validation=ValidationConfig(**VC, win_rate_threshold=0.0,
                                                    sharpe_threshold=-1e9))
HALF_YEAR = ("2024-01-01", "2024-06-30")


@pytest.fixture(scope="module")
def null_packages():
    return [run_in_memory(synthetic_market(*HALF_YEAR, "null", seed=s), P_GATE_ONLY)
            for s in range(6)]


def test_the_p_gate_alone_keeps_null_worlds_from_validated(null_packages):
    verdicts = [p["experimental_validity"] for p in null_packages]
    for pkg in null_packages:
        edge = next(c for c in pkg["claims_family"]["claims"] if c["name"] == "edge_vs_random")
        # with the bars removed, VALIDATED is exactly "edge_vs_random claimed" (n >= 50)
        assert (pkg["experimental_validity"] == "VALIDATED") == edge["claimed"]
    assert verdicts.count("VALIDATED") <= 1  # expected 0.15 of 6 at alpha / 2


def test_null_worlds_make_no_positive_claim(null_packages):
    claims = [pkg["claims_family"]["any_claim"] for pkg in null_packages]
    assert sum(claims) <= 1
    for pkg in null_packages:
        h = pkg["hypothesis_results"]
        assert not pkg["opposite_hypothesis"]["pinning_detected"] or pkg["claims_family"][
            "any_claim"]
        assert h["edge_vs_random"].startswith(("SUPPORTED", "NOT SUPPORTED"))


@pytest.fixture(scope="module")
def strong_steer():
    # "strong": five times the default push (about 1.5x the per-minute noise at the close)
    return synthetic_market("2024-01-01", "2024-12-31", "steer", seed=4, strength=5.0)


def test_strong_steering_is_found_as_an_edge(strong_steer):
    pkg = run_in_memory(strong_steer, CFG)
    assert pkg["statistical_measures"]["p_value"] < 0.01
    assert pkg["performance_metrics"]["mean_pnl_points"] > 0
    assert pkg["hypothesis_results"]["edge_vs_random"].startswith("SUPPORTED")
    # the bar of the strategy specification is a separate statement
    assert pkg["hypothesis_results"]["primary"].split(" - ")[0] in {
        "SUPPORTED", "NOT SUPPORTED"}
    assert pkg["null_model"]["entries"] == "matched"


def test_direction_accuracy_on_steer_is_clearly_above_null(strong_steer):
    def accuracy(market):
        out = run_engine(market, CFG).outcomes
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
    trades = run_engine(strong_steer, CFG).trades
    oos = trades[~trades["is_calibration"].astype(bool)]
    res = stats.ttest_1samp(oos["pnl_points"], 0.0, alternative="greater")
    assert res.pvalue < 0.05


def test_pinning_world_claims_the_opposite_direction():
    pin = synthetic_market("2024-01-01", "2024-12-31", "pin", seed=4, strength=5.0)
    pkg = run_in_memory(pin, CFG)
    assert pkg["opposite_hypothesis"]["direction_supported"].startswith("TOWARD")
    assert not pkg["hypothesis_results"]["edge_vs_random"].startswith("SUPPORTED")
