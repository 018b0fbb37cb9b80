"""How much of a sweep's best result is selection: pure functions over the variants' daily
P&L on the out-of-sample days (a T x N matrix, one column per variant).

- Deflated Sharpe Ratio of the best variant (Bailey & López de Prado 2014): the PSR against
  the expected maximum Sharpe of N zero-skill variants whose Sharpes vary as the sweep's do.
- Probability of Backtest Overfitting by combinatorially symmetric cross-validation
  (Bailey, Borwein, López de Prado & Zhu 2017): the days are cut into S contiguous blocks;
  for each of the C(S, S/2) halves, the variant with the best in-sample Sharpe is ranked
  among all variants on the other half; PBO is the share of halves where it lands at or
  below the median (logit <= 0).
- Hansen's (2005) SPA test (arch): do any of the variants beat the random-entry benchmark?
- Anchored walk-forward: at each step the variant is chosen on the blocks before it only
  and scored on the next block; only the concatenated next-block series is out of sample.

A Sharpe that is undefined (a flat series, std 0) counts as 0 in every selection.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from arch.bootstrap import SPA

from assets.validation.statistics.sharpe import (
    TRADING_DAYS,
    annualized_sharpe,
    deflated_sharpe_ratio,
    probabilistic_sharpe_ratio,
    sharpe,
)


def _column_sharpes(returns: np.ndarray) -> np.ndarray:
    """Per-period Sharpe of each column, 0 where undefined."""
    out = np.array([sharpe(returns[:, j]) for j in range(returns.shape[1])])
    return np.nan_to_num(out, nan=0.0)


def deflated_best(returns: np.ndarray, n_trials: int) -> dict[str, Any]:
    """DSR of the best column (by Sharpe) with N = n_trials and the columns' SR variance."""
    srs = _column_sharpes(returns)
    best = int(np.argmax(srs))
    variance = float(np.var(srs, ddof=1)) if srs.size > 1 else 0.0
    dsr, benchmark = deflated_sharpe_ratio(returns[:, best], max(n_trials, srs.size), variance)
    return {"index": best, "daily_sharpe": float(srs[best]),
            "deflated_sharpe_ratio": None if math.isnan(dsr) else float(dsr),
            "benchmark_daily_sharpe": None if math.isnan(benchmark) else float(benchmark),
            "n_trials": int(max(n_trials, srs.size)), "sharpe_variance": variance}


@dataclass(frozen=True)
class PBOResult:
    value: float
    logits: np.ndarray  # one per combination
    blocks: int
    n_combinations: int


def block_slices(n_obs: int, blocks: int) -> list[np.ndarray]:
    """Contiguous, near-equal blocks of observation indices (sizes differ by at most 1)."""
    if blocks < 2 or n_obs < 2 * blocks:
        raise ValueError(f"{blocks} blocks need at least {2 * blocks} days; have {n_obs}")
    return np.array_split(np.arange(n_obs), blocks)


def _sharpes_from_sums(n: np.ndarray, s: np.ndarray, q: np.ndarray) -> np.ndarray:
    mean = s / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (q - s * mean) / (n - 1)
        out = mean / np.sqrt(var)
    # std 0 (a flat half) or rounding noise around it: no risk-adjusted return
    scale = np.maximum(q / n, np.finfo(float).tiny)
    return np.where(var > 1e-12 * scale, out, 0.0)


def pbo_cscv(returns: np.ndarray, blocks: int = 16) -> PBOResult:
    """PBO by CSCV over `blocks` (even) contiguous blocks of rows; vectorized over the
    C(S, S/2) combinations through per-block sums."""
    returns = np.asarray(returns, dtype=float)
    n_obs, n_var = returns.shape
    if blocks % 2:
        raise ValueError(f"CSCV needs an even number of blocks, got {blocks}")
    if n_var < 2:
        raise ValueError("PBO needs at least two variants")
    slices = block_slices(n_obs, blocks)
    count = np.array([len(s) for s in slices], dtype=float)
    total = np.stack([returns[s].sum(axis=0) for s in slices])
    square = np.stack([(returns[s] ** 2).sum(axis=0) for s in slices])
    combos = np.array(list(itertools.combinations(range(blocks), blocks // 2)))
    mask = np.zeros((len(combos), blocks))
    mask[np.arange(len(combos))[:, None], combos] = 1.0
    n_in = (mask @ count)[:, None]
    s_in, q_in = mask @ total, mask @ square
    sr_in = _sharpes_from_sums(n_in, s_in, q_in)
    sr_out = _sharpes_from_sums(count.sum() - n_in, total.sum(0) - s_in, square.sum(0) - q_in)
    best = np.argmax(sr_in, axis=1)
    chosen = sr_out[np.arange(len(combos)), best][:, None]
    rank = (sr_out < chosen).sum(axis=1) + ((sr_out == chosen).sum(axis=1) + 1) / 2.0
    omega = rank / (n_var + 1)
    logits = np.log(omega / (1.0 - omega))
    return PBOResult(float(np.mean(logits <= 0)), logits, blocks, len(combos))


def spa_test(variants: np.ndarray, benchmarks: np.ndarray, reps: int, seed: int,
             block_size: int | None = None) -> dict[str, Any]:
    """Hansen's SPA (arch, stationary bootstrap, studentized). Losses are the negated daily
    dollars of each variant *minus its own random-entry benchmark*, against a zero
    benchmark loss: H0 is that no variant beats random entries with the same costs."""
    variants = np.asarray(variants, dtype=float)
    excess = variants - np.asarray(benchmarks, dtype=float)
    spa = SPA(np.zeros(excess.shape[0]), -excess, block_size=block_size, reps=reps,
              seed=seed)
    spa.compute()
    p = spa.pvalues
    return {"p_value": float(p["consistent"]), "p_value_lower": float(p["lower"]),
            "p_value_upper": float(p["upper"]), "reps": int(reps), "seed": int(seed),
            "block_size": int(spa.block_size)}


def walk_forward(returns: np.ndarray, blocks: int,
                 periods_per_year: float = TRADING_DAYS) -> dict[str, Any]:
    """Anchored walk-forward: choose on blocks 0..k-1 (best Sharpe), score block k;
    annualized with the run's factor (`periods_per_year` rows a year)."""
    returns = np.asarray(returns, dtype=float)
    slices = block_slices(returns.shape[0], blocks)
    steps, pieces = [], []
    for k in range(1, blocks):
        past = np.concatenate(slices[:k])
        choice = int(np.argmax(_column_sharpes(returns[past])))
        pieces.append(returns[slices[k], choice])
        steps.append({"block": k, "first_row": int(slices[k][0]), "last_row": int(slices[k][-1]),
                      "chosen_index": choice})
    oos = np.concatenate(pieces)
    psr = probabilistic_sharpe_ratio(oos, 0.0)
    first = int(slices[1][0])
    in_sample_best = int(np.argmax(_column_sharpes(returns)))
    sr = annualized_sharpe(oos, periods_per_year)
    return {"blocks": blocks, "steps": steps, "first_row": first, "daily_pnl": oos,
            "sharpe_ratio": None if math.isnan(sr) else float(sr),
            "p_value": None if math.isnan(psr) else float(1.0 - psr),
            "in_sample_best_index": in_sample_best,
            "in_sample_best_daily_pnl": returns[first:, in_sample_best]}
