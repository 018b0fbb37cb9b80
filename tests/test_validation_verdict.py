"""The specification's verdict rule at its boundaries, and the success-criteria table."""

from __future__ import annotations

import math

import pytest

from assets.common.config import ValidationConfig
from assets.validation.claims.verdict import (
    INSUFFICIENT_DATA,
    REJECTED,
    VALIDATED,
    success_criteria,
    verdict,
)

CFG = ValidationConfig()
GOOD = dict(win_rate=0.8, sharpe=2.5, p_value=0.01)


def test_sample_size_boundary_comes_first():
    assert verdict(49, **GOOD, cfg=CFG) == INSUFFICIENT_DATA
    assert verdict(50, **GOOD, cfg=CFG) == VALIDATED
    assert verdict(0, None, None, None, CFG) == INSUFFICIENT_DATA


def test_win_rate_exactly_at_threshold_passes():
    assert verdict(100, 0.75, 2.5, 0.01, CFG) == VALIDATED
    assert verdict(100, 0.7499999, 2.5, 0.01, CFG) == REJECTED


def test_sharpe_exactly_at_threshold_passes():
    assert verdict(100, 0.8, 2.0, 0.01, CFG) == VALIDATED
    assert verdict(100, 0.8, 1.9999999, 0.01, CFG) == REJECTED


def test_p_value_must_be_strictly_below_alpha():
    assert verdict(100, 0.8, 2.5, 0.05, CFG) == REJECTED
    assert verdict(100, 0.8, 2.5, 0.0499999, CFG) == VALIDATED


@pytest.mark.parametrize("field", ["win_rate", "sharpe", "p_value"])
@pytest.mark.parametrize("bad", [None, math.nan])
def test_missing_numbers_never_pass(field, bad):
    args = dict(GOOD, **{field: bad})
    assert verdict(100, cfg=CFG, **args) == REJECTED


def test_thresholds_come_from_config():
    strict = ValidationConfig(min_trades=10, win_rate_threshold=0.9)
    assert verdict(20, 0.8, 2.5, 0.01, strict) == REJECTED
    assert verdict(20, 0.95, 2.5, 0.01, strict) == VALIDATED


def test_success_criteria_table():
    got = success_criteria(100, 0.75, 12.0, 0.15, 0.049, CFG)
    assert all(c["met"] for c in got.values())
    assert got["sample_size"] == {"threshold": 100, "value": 100.0, "rule": ">=", "met": True}
    worse = success_criteria(99, 0.74, 11.99, 0.1500001, 0.05, CFG)
    assert not any(c["met"] for c in worse.values())
    assert worse["maximum_drawdown_fraction"]["value"] == pytest.approx(0.1500001)
    empty = success_criteria(0, None, math.nan, None, None, CFG)
    assert empty["average_profit_points_per_trade"]["value"] is None
    assert not empty["p_value"]["met"]


@pytest.mark.parametrize("raw_p", [0.03, 0.004])
def test_success_criteria_p_is_edge_vs_random_s_family_adjusted_p(monkeypatch, raw_p):
    # edge_vs_random starts at weight 1/2 in the family, so its adjusted p is >= 2 * raw p:
    # a raw 0.03 is below alpha, its adjusted value (>= 0.06) is not
    import dataclasses

    from assets.common.config import LabConfig
    from assets.engine import aggregate as AG
    from assets.engine.run import score_trades
    from assets.validation.package import evaluate as EV
    from tests.support.validation_fixtures import outcomes_for, priced_trades, random_walk_days

    real_null = AG.null_result

    def null_with_p(*args, **kw):
        return dataclasses.replace(real_null(*args, **kw), p_value=raw_p)

    monkeypatch.setattr(AG, "null_result", null_with_p)
    cfg = LabConfig()
    cfg = cfg.model_copy(update={
        "validation": cfg.validation.model_copy(update={
            "null_replications": 50, "bootstrap_replications": 50,
            "oi_placebo_replications": 5}),
        "pressure": cfg.pressure.model_copy(update={"calibration_days": 2})})
    days = random_walk_days(12, 31)
    agg = score_trades(priced_trades(days[2:], 60, 32, cfg), outcomes_for(days[2:], 80, 33, cfg),
                       days, cfg)
    pkg, _ = EV.evaluate(agg, cfg, {}, {}, validation_timestamp="T",
                         load_days=lambda ds: {d.quote_date: d for d in days})
    edge = next(c for c in pkg["claims_family"]["claims"] if c["name"] == "edge_vs_random")
    assert edge["p_value"] == raw_p and edge["initial_weight"] == 0.5  # two confirmatory
    crit = pkg["success_criteria"]["p_value"]
    # the oracle: the weighted-Bonferroni bound of a weight-1/2 member, hand-computed
    assert edge["adjusted_p_value"] >= min(1.0, 2 * raw_p)
    assert crit["value"] == edge["adjusted_p_value"]
    assert crit["met"] is (edge["adjusted_p_value"] < CFG.alpha)
    assert crit["met"] is (raw_p == 0.004)
