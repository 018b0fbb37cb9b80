"""A pre-registered horizon freezes the whole package: past it, every claim of the family
and every figure beside the verdict are those of the first H scored days (the oracle: the
package of a run on those days alone), and the later days appear only in a block labelled
exploratory."""

from __future__ import annotations

import pytest

from assets.common.config import LabConfig
from assets.engine.run import run_engine, run_in_memory
from assets.synthetic_market.in_memory_days import synthetic_market
from assets.validation.package.schema import validate_package
from assets.validation.statistics.metrics import out_of_sample

N_CAL, H = 15, 30
# what the horizon does not freeze: the looks (they count the nights), the protocol, the
# risk counterfactuals (the trading stage's, over every day) and the verdict's wording
NOT_FROZEN = {"repeated_looks", "verdict_basis", "exploratory_full_sample", "risk_management",
              "reproducibility_protocol", "hypothesis_results", "validation_timestamp"}


@pytest.fixture(scope="module")
def packages():
    base = LabConfig()
    cfg = base.model_copy(update={
        "pressure": base.pressure.model_copy(update={"calibration_days": N_CAL}),
        "validation": base.validation.model_copy(update={
            "evaluation_horizon_days": H, "null_replications": 200,
            "oi_placebo_replications": 9, "bootstrap_replications": 100})})
    market = synthetic_market("2024-01-01", "2024-05-31", "steer", seed=8, strength=2.0)
    first = {d: market[d] for d in sorted(market)[:N_CAL + H]}
    assert len(market) > N_CAL + H + 20
    return cfg, market, run_in_memory(market, cfg), run_in_memory(first, cfg)


def test_past_the_horizon_the_package_is_the_horizon_s(packages):
    _, _, grown, horizon_only = packages
    validate_package({**grown, "validation_timestamp": "2025-01-15T16:00:00Z"})
    assert grown["claims_family"] == horizon_only["claims_family"]
    for key in set(grown) - NOT_FROZEN:
        assert grown[key] == horizon_only[key], key
    assert grown["hypothesis_results"]["edge_vs_random"] == \
        horizon_only["hypothesis_results"]["edge_vs_random"]
    assert "first 30 scored days" in grown["verdict_basis"]


def test_the_full_sample_is_reported_as_exploratory_only(packages):
    cfg, market, grown, horizon_only = packages
    assert "exploratory_full_sample" not in horizon_only
    block = grown["exploratory_full_sample"]
    assert block["role"] == "exploratory"
    assert block["scored_days"] == len(market) - N_CAL
    assert block["n_trades"] == len(out_of_sample(run_engine(market, cfg).trades))
    assert block["n_trades"] > grown["performance_metrics"]["total_sample_size"]
    primary = grown["hypothesis_results"]["primary"]
    assert f"n = {grown['performance_metrics']['total_sample_size']}" in primary
    assert "exploratory and not claimed" in primary
    assert grown["repeated_looks"]["scored_days_available"] == len(market) - N_CAL
