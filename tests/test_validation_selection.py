"""The selection adjustment of the confirmatory claims against hand-computed cases, the
deflated-Sharpe condition of VALIDATED, and a package of a variant chosen among N."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from assets.common.config import ValidationConfig
from assets.validation.claims import claims_family as CF
from assets.validation.claims.selection import select, selection_block
from assets.validation.claims.verdict import REJECTED, VALIDATED, verdict
from assets.validation.package.schema import validate_package
from tests.support.validation_fixtures import priced_trades, random_walk_days
from tests.test_validation_package import N_CAL, _cfg, evaluate, inputs  # noqa: F401


def _claims(p_edge, p_opposite, p_other=0.001):
    return [CF.Claim("edge_vs_random", CF.CONFIRMATORY, p_edge, "t", "s"),
            CF.Claim("opposite_direction", CF.CONFIRMATORY, p_opposite, "t", "s"),
            CF.Claim("direction_vs_random", CF.EXPLORATORY, p_other, "t", "s")]


def _after(block, name):
    return block["claims"][name]["p_value_after"]


def test_one_variant_changes_nothing():
    block = selection_block(1, 0.004, 0.3)
    assert not block["applied"] and block["spa"] is None
    assert _after(block, "edge_vs_random") == 0.004 and _after(block, "opposite_direction") == 0.3
    claims = _claims(0.004, 0.3)
    assert select(claims, block) == claims


def test_bonferroni_over_n_by_hand():
    block = selection_block(48, 0.0004, 0.02)
    assert block["applied"] and block["n_variants"] == 48
    assert block["claims"]["edge_vs_random"]["method"] == "bonferroni"
    assert _after(block, "edge_vs_random") == pytest.approx(0.0192)  # 48 x 0.0004
    assert _after(block, "opposite_direction") == pytest.approx(0.96)  # 48 x 0.02
    assert _after(selection_block(48, 0.0004, 0.03), "opposite_direction") == 1.0  # 1.44
    assert block["claims"]["edge_vs_random"]["p_value_before"] == 0.0004
    # the family sees 0.0192: at weight 1/2 its adjusted p is 0.0384 < 0.05, claimed;
    # the opposite claim's 0.96 at weight 1/2 is not
    rows = CF.claim_lookup(CF.evaluate_family(select(_claims(0.0004, 0.02), block), 0.05))
    assert rows["edge_vs_random"]["p_value"] == pytest.approx(0.0192)
    assert rows["edge_vs_random"]["adjusted_p_value"] == pytest.approx(0.0384)
    assert rows["edge_vs_random"]["claimed"] and not rows["opposite_direction"]["claimed"]
    # without the selection the opposite claim (0.02 < alpha / 2) would have been made
    plain = CF.claim_lookup(CF.evaluate_family(_claims(0.0004, 0.02), 0.05))
    assert plain["opposite_direction"]["claimed"]


def test_spa_over_the_stored_variants_by_hand():
    stored = SimpleNamespace(sweep="grid", n_series=40, n_days=90, p_value=0.01, reps=1000,
                             seed=7)
    # N = 42: the SPA covers 40, Bonferroni the other 2: (42 - 40 + 1) x 0.01 = 0.03,
    # and the claim's p is the larger of that and its own null's
    block = selection_block(42, 0.004, 0.002, stored)
    assert block["claims"]["edge_vs_random"]["method"] == "hansen_spa"
    assert _after(block, "edge_vs_random") == pytest.approx(0.03)
    assert _after(selection_block(42, 0.05, 0.002, stored), "edge_vs_random") == 0.05
    # the opposite direction has no stored series: Bonferroni over all 42
    assert block["claims"]["opposite_direction"]["method"] == "bonferroni"
    assert _after(block, "opposite_direction") == pytest.approx(0.084)
    assert block["spa"]["sweep"] == "grid" and block["spa"]["n_series"] == 40
    # the variant is the sweep's only trial (N = M): the SPA's p alone
    assert _after(selection_block(40, 0.001, None, stored), "edge_vs_random") == 0.01


def test_an_untestable_claim_stays_untested():
    block = selection_block(10, math.nan, None)
    assert _after(block, "edge_vs_random") is None
    assert _after(block, "opposite_direction") is None
    rows = CF.claim_lookup(CF.evaluate_family(select(_claims(math.nan, None), block), 0.05))
    assert rows["edge_vs_random"]["status"] == "NOT_TESTED"


def test_validated_needs_a_deflated_sharpe_when_variants_were_tried():
    cfg = ValidationConfig()
    good = dict(n_trades=100, win_rate=0.8, sharpe=2.5, p_value=0.01, cfg=cfg)
    assert verdict(**good) == VALIDATED
    assert verdict(**good, n_trials=1, deflated_sharpe=0.2) == VALIDATED  # no selection
    assert verdict(**good, n_trials=48, deflated_sharpe=0.95) == VALIDATED
    assert verdict(**good, n_trials=48, deflated_sharpe=0.9499) == REJECTED
    assert verdict(**good, n_trials=48, deflated_sharpe=None) == REJECTED


def test_a_package_of_one_variant_among_48(inputs):  # noqa: F811
    cfg, days, trades, outcomes = inputs
    trials = SimpleNamespace(count=48, sharpe_variance=None, selection=None)
    pkg, _ = evaluate(trades, outcomes, days, cfg, {}, {}, validation_timestamp="T",
                      variant_trials=trials)
    validate_package(pkg)
    sel = pkg["claims_family"]["selection"]
    raw = pkg["statistical_measures"]["p_value"]
    assert sel["n_variants"] == 48 and sel["applied"]
    assert sel["claims"]["edge_vs_random"]["p_value_before"] == raw
    assert sel["claims"]["edge_vs_random"]["p_value_after"] == pytest.approx(min(1, 48 * raw))
    edge = CF.claim_lookup(pkg["claims_family"])["edge_vs_random"]
    assert edge["p_value"] == pytest.approx(min(1, 48 * raw))
    assert sel["deflated_sharpe_gate"]["applies"]
    assert sel["deflated_sharpe_gate"]["deflated_sharpe_ratio"] == \
        pkg["performance_metrics"]["sharpe"]["deflated_sharpe_ratio"]
    assert "selection-adjusted over N = 48" in pkg["hypothesis_results"]["edge_vs_random"]
    one, _ = evaluate(trades, outcomes, days, cfg, {}, {}, validation_timestamp="T")
    assert not one["claims_family"]["selection"]["applied"]
    assert CF.claim_lookup(one["claims_family"])["edge_vs_random"]["p_value"] == \
        one["statistical_measures"]["p_value"]


def test_a_planted_edge_chosen_among_60_is_no_longer_claimed():
    # the planted world of test_validation_package: VALIDATED as the only variant, at the
    # null's smallest p = 1/1001 (no outcomes: the opposite claim is untestable, so edge
    # holds the whole alpha). Chosen among 60: 60/1001 = 0.0599 is not below 0.05, so
    # nothing is claimed and the verdict is REJECTED.
    cfg = _cfg()
    days = random_walk_days(30, 13, drift=1.0, drift_from_minutes=61)
    steered = priced_trades(days[N_CAL:], 80, 14, cfg, direction="up")
    alone, _ = evaluate(steered, None, days, cfg, {}, {}, validation_timestamp="T")
    assert alone["experimental_validity"] == VALIDATED
    assert alone["statistical_measures"]["p_value"] == pytest.approx(1 / 1001)
    trials = SimpleNamespace(count=60, sharpe_variance=None, selection=None)
    chosen, _ = evaluate(steered, None, days, cfg, {}, {}, validation_timestamp="T",
                         variant_trials=trials)
    edge = CF.claim_lookup(chosen["claims_family"])["edge_vs_random"]
    assert edge["initial_weight"] == 1.0
    assert edge["adjusted_p_value"] == pytest.approx(60 / 1001)
    assert not edge["claimed"] and not chosen["claims_family"]["any_claim"]
    assert chosen["experimental_validity"] == REJECTED
