"""Overfitting statistics of a sweep against hand-computed cases and independent references
(the DSR formula written out from the paper with scipy; arch's SPA called directly; a naive
loop over the CSCV combinations)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from arch.bootstrap import SPA
from scipy import stats

from assets.experiments import overfitting as O


def _naive_pbo(returns: np.ndarray, blocks: int) -> tuple[float, np.ndarray]:
    """CSCV one combination at a time, straight from the paper's steps."""
    parts = np.array_split(np.arange(returns.shape[0]), blocks)

    def sr(x):
        sd = x.std(ddof=1)
        return x.mean() / sd if sd > 1e-9 else 0.0

    logits = []
    for combo in itertools.combinations(range(blocks), blocks // 2):
        is_rows = np.concatenate([parts[i] for i in combo])
        oos_rows = np.concatenate([parts[i] for i in range(blocks) if i not in combo])
        sr_is = [sr(returns[is_rows, j]) for j in range(returns.shape[1])]
        sr_oos = [sr(returns[oos_rows, j]) for j in range(returns.shape[1])]
        best = int(np.argmax(sr_is))
        rank = stats.rankdata(sr_oos)[best]  # 1 = worst, ties averaged
        w = rank / (returns.shape[1] + 1)
        logits.append(math.log(w / (1 - w)))
    logits = np.array(logits)
    return float(np.mean(logits <= 0)), logits


def test_pbo_hand_computed_two_blocks_three_variants():
    # block A ranks v0 > v1 > v2, block B the reverse: the in-sample best is always the
    # out-of-sample worst, rank 1 of 3 -> omega 1/4 -> logit ln(1/3), PBO 1.
    a = np.array([[3.0, 2.0, 1.0], [1.0, 0.5, 0.0], [2.0, 1.0, 0.5]])
    b = a[:, ::-1]
    result = O.pbo_cscv(np.vstack([a, b]), blocks=2)
    assert result.value == 1.0
    assert result.n_combinations == 2
    np.testing.assert_allclose(result.logits, [math.log(1 / 3)] * 2)


def test_pbo_hand_computed_four_blocks_with_ties():
    # v0 earns [3, 1] on blocks 0-1 and [-1, -3] on blocks 2-3; v1 is flat (Sharpe 0).
    # {0,1}: v0 best, out of sample negative: rank 1 of 2 -> logit ln(1/2); {2,3}: v1 best
    # (0 > negative), out of sample below v0: ln(1/2); the four mixed halves have mean 0:
    # a tie in and out (first variant chosen, average rank 1.5 -> logit 0). PBO = 6/6.
    v0 = np.array([3, 1, 3, 1, -1, -3, -1, -3], dtype=float)
    returns = np.column_stack([v0, np.zeros(8)])
    result = O.pbo_cscv(returns, blocks=4)
    assert result.value == 1.0
    assert sorted(np.round(result.logits, 12)) == sorted(
        np.round([math.log(0.5)] * 2 + [0.0] * 4, 12))


def test_pbo_matches_the_naive_loop():
    rng = np.random.default_rng(5)
    returns = rng.normal(0, 1, size=(97, 7)) + np.linspace(-0.1, 0.1, 7)
    fast = O.pbo_cscv(returns, blocks=8)
    value, logits = _naive_pbo(returns, 8)
    assert fast.value == value
    np.testing.assert_allclose(fast.logits, logits, rtol=1e-10, atol=1e-12)


def test_pbo_of_pure_noise_is_near_one_half():
    values = [O.pbo_cscv(np.random.default_rng(s).normal(size=(320, 24)), blocks=16).value
              for s in range(12)]
    assert 0.35 <= float(np.mean(values)) <= 0.65


def test_pbo_with_one_planted_edge_is_near_zero():
    rng = np.random.default_rng(11)
    returns = rng.normal(size=(500, 24))
    returns[:, 7] += 0.35  # a real edge, daily Sharpe ~0.35
    result = O.pbo_cscv(returns, blocks=16)
    assert result.value <= 0.02


def test_pbo_refuses_odd_blocks_and_too_few_days():
    with pytest.raises(ValueError, match="even"):
        O.pbo_cscv(np.zeros((40, 3)), blocks=5)
    with pytest.raises(ValueError, match="need at least"):
        O.pbo_cscv(np.zeros((20, 3)), blocks=16)


def _dsr_from_the_paper(x: np.ndarray, n_trials: int, sr_variance: float) -> float:
    """Bailey & López de Prado (2014), eq. for SR0 and the PSR it feeds, written out."""
    gamma = np.euler_gamma
    sr0 = math.sqrt(sr_variance) * ((1 - gamma) * stats.norm.ppf(1 - 1 / n_trials)
                                    + gamma * stats.norm.ppf(1 - 1 / (n_trials * math.e)))
    sr = x.mean() / x.std(ddof=1)
    skew = stats.skew(x)
    kurt = stats.kurtosis(x, fisher=False)
    z = (sr - sr0) * math.sqrt(len(x) - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    return float(stats.norm.cdf(z))


def test_deflated_best_matches_the_formula():
    rng = np.random.default_rng(2)
    returns = rng.standard_t(5, size=(260, 12)) * 0.8 + 0.03
    returns[:, 4] += 0.3
    out = O.deflated_best(returns, n_trials=30)
    srs = returns.mean(0) / returns.std(0, ddof=1)
    assert out["index"] == int(np.argmax(srs)) == 4
    assert out["n_trials"] == 30
    assert out["sharpe_variance"] == pytest.approx(np.var(srs, ddof=1))
    expected = _dsr_from_the_paper(returns[:, 4], 30, np.var(srs, ddof=1))
    assert out["deflated_sharpe_ratio"] == pytest.approx(expected, rel=1e-10)
    # N is never below the columns actually evaluated
    assert O.deflated_best(returns, n_trials=1)["n_trials"] == 12


def test_spa_matches_arch_called_directly():
    rng = np.random.default_rng(8)
    variants = rng.normal(0.0, 100.0, size=(200, 6))
    variants[:, 2] += 25.0
    benchmark = rng.normal(-5.0, 20.0, size=200)
    ours = O.spa_test(variants, np.tile(benchmark[:, None], (1, 6)), reps=500, seed=3)
    # arch's convention: losses; the loss of a P&L series is its negative.
    direct = SPA(-benchmark, -variants, reps=500, seed=3)
    direct.compute()
    assert ours["p_value"] == pytest.approx(float(direct.pvalues["consistent"]))
    assert ours["p_value_lower"] == pytest.approx(float(direct.pvalues["lower"]))
    assert ours["p_value_upper"] == pytest.approx(float(direct.pvalues["upper"]))
    assert ours["p_value"] < 0.05


def test_walk_forward_chooses_on_past_blocks_only():
    rng = np.random.default_rng(4)
    returns = rng.normal(size=(120, 5))
    out = O.walk_forward(returns, blocks=6)
    parts = np.array_split(np.arange(120), 6)
    for step in out["steps"]:
        past = np.concatenate(parts[:step["block"]])
        srs = returns[past].mean(0) / returns[past].std(0, ddof=1)
        assert step["chosen_index"] == int(np.argmax(srs))
    # the future cannot move a past choice: scramble everything after block 3
    later = returns.copy()
    later[parts[4][0]:] = rng.normal(size=later[parts[4][0]:].shape) * 5
    again = O.walk_forward(later, blocks=6)
    assert [s["chosen_index"] for s in again["steps"][:3]] == \
        [s["chosen_index"] for s in out["steps"][:3]]
    chosen = np.concatenate([returns[parts[s["block"]], s["chosen_index"]]
                             for s in out["steps"]])
    np.testing.assert_array_equal(out["daily_pnl"], chosen)
    sr = chosen.mean() / chosen.std(ddof=1)
    assert out["sharpe_ratio"] == pytest.approx(sr * math.sqrt(252))
    # a Mon/Wed/Fri sample annualizes by its own expiration days a year, as the package does
    mwf = O.walk_forward(returns, blocks=6, periods_per_year=151.2)
    assert mwf["sharpe_ratio"] == pytest.approx(sr * math.sqrt(151.2))
    z = sr * math.sqrt(len(chosen) - 1) / math.sqrt(
        1 - stats.skew(chosen) * sr + (stats.kurtosis(chosen, fisher=False) - 1) / 4 * sr**2)
    assert out["p_value"] == pytest.approx(1 - stats.norm.cdf(z))
    assert out["in_sample_best_index"] == int(np.argmax(returns.mean(0) / returns.std(0, ddof=1)))
