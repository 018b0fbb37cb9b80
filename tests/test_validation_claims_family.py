"""The claims family: the graphical procedure against statsmodels' Holm and hand-worked
cases, and its family-wise error rate by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from assets.validation.claims import claims_family as CF


def _holm_graph(m: int):
    g = np.full((m, m), 1.0 / (m - 1) if m > 1 else 0.0)
    np.fill_diagonal(g, 0.0)
    return np.full(m, 1.0 / m), g


@pytest.mark.parametrize("seed", range(5))
def test_equal_weights_and_uniform_passing_is_holm(seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.2, 7)
    w, g = _holm_graph(7)
    np.testing.assert_allclose(CF.graphical_adjusted_p(p, w, g),
                               multipletests(p, method="holm")[1])


def test_gatekeeping_by_hand():
    # two confirmatory (1/2 each) then three exploratory (0): a raw 0.005 primary is
    # adjusted to 0.01, and its alpha then flows to the exploratory claims (Holm at 1/2)
    claims = [CF.Claim("edge_vs_random", CF.CONFIRMATORY, 0.005, "t", "s"),
              CF.Claim("opposite_direction", CF.CONFIRMATORY, 0.9, "t", "s"),
              CF.Claim("a", CF.EXPLORATORY, 0.004, "t", "s"),
              CF.Claim("b", CF.EXPLORATORY, 0.02, "t", "s"),
              CF.Claim("c", CF.EXPLORATORY, None, "t", "s")]
    fam = CF.evaluate_family(claims, 0.05)
    rows = CF.claim_lookup(fam)
    assert rows["edge_vs_random"]["adjusted_p_value"] == pytest.approx(0.01)
    # a: weight 1/2 * 1/2 = 1/4 after edge -> 0.016; then b gets 1/2 -> 0.04
    assert rows["a"]["adjusted_p_value"] == pytest.approx(0.016)
    assert rows["b"]["adjusted_p_value"] == pytest.approx(0.04)
    assert rows["opposite_direction"]["adjusted_p_value"] == pytest.approx(1.0)
    assert rows["c"]["status"] == "NOT_TESTED" and rows["c"]["adjusted_p_value"] is None
    assert [r["claimed"] for r in fam["claims"]] == [True, False, True, True, False]


def test_the_opposite_direction_is_claimable_when_the_primary_fails():
    claims = [CF.Claim("edge_vs_random", CF.CONFIRMATORY, 0.97, "t", "s"),
              CF.Claim("opposite_direction", CF.CONFIRMATORY, 0.004, "t", "s"),
              CF.Claim("settlement_pinning", CF.EXPLORATORY, 0.01, "t", "s")]
    rows = CF.claim_lookup(CF.evaluate_family(claims, 0.05))
    assert rows["opposite_direction"]["claimed"]
    assert rows["settlement_pinning"]["claimed"]  # receives the opposite claim's alpha
    assert not rows["edge_vs_random"]["claimed"]


def test_exploratory_claims_cannot_fire_without_a_confirmatory_one():
    claims = [CF.Claim("edge_vs_random", CF.CONFIRMATORY, 0.2, "t", "s"),
              CF.Claim("opposite_direction", CF.CONFIRMATORY, 0.8, "t", "s"),
              CF.Claim("x", CF.EXPLORATORY, 1e-9, "t", "s")]
    fam = CF.evaluate_family(claims, 0.05)
    assert not fam["any_claim"]


def test_family_wise_error_rate_under_the_global_null():
    rng = np.random.default_rng(11)
    roles = [CF.CONFIRMATORY] * 2 + [CF.EXPLORATORY] * 10
    w, g = CF.gatekeeping_graph(roles)
    p = rng.uniform(size=(4000, len(roles)))
    any_claim = np.array([(CF.graphical_adjusted_p(row, w, g) < 0.05).any() for row in p])
    assert any_claim.mean() < 0.06  # <= alpha, up to Monte Carlo error (sd 0.0034)
    # an uncorrected family would claim something in ~46 % of worlds
    assert (p < 0.05).any(axis=1).mean() > 0.4


def test_one_sided_from_two_sided():
    assert CF.one_sided_from_two_sided(0.04, 1.3) == pytest.approx(0.02)
    assert CF.one_sided_from_two_sided(0.04, -1.3) == pytest.approx(0.98)
    assert CF.one_sided_from_two_sided(None, 1.0) is None
