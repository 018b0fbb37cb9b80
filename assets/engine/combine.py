"""The nulls' and the placebo's results from the units' summed shares.

The same result objects the evidence package has always read (`NullResult`,
`DirectionNullResult`, the `controls.oi_placebo` block), so the package's assembly does not
know whether the replications were drawn per day or over the whole sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from assets.common.config import LabConfig, UrgencyRule
from assets.engine.monte_carlo import NullShare
from assets.trading.exits import REASON_NAMES
from assets.validation.package.json_values import finite_or_none
from assets.validation.statistics.direction_null import DirectionNullResult
from assets.validation.statistics.null_model import NullResult


def _greater_p(null: np.ndarray, observed: float) -> float:
    return (1 + int((null >= observed).sum())) / (null.size + 1)


def null_result(share: NullShare, oos: pd.DataFrame, rules: Sequence[UrgencyRule], B: int,
                seed: int, min_class_trades: int) -> NullResult:
    """The matched random-entry null over the out-of-sample trades `oos`."""
    n = int(len(oos))
    if n == 0:
        return NullResult(B, seed, 0, 0, math.nan, np.empty(0), math.nan, 0, math.nan,
                          math.nan, {}, {}, "matched")
    names = [r.name for r in rules]
    code = np.array([names.index(str(u)) for u in oos["urgency"]])
    pts = oos["pnl_points"].to_numpy(float)
    wins = oos["pnl_dollars"].to_numpy(float) > 0
    observed = float(pts.mean())
    null_means = share.sums.sum(axis=1) / n
    null_wr = float(share.wins.sum()) / (B * n)
    binom = (stats.binomtest(int(wins.sum()), n, null_wr, alternative="greater").pvalue
             if 0.0 < null_wr < 1.0 else math.nan)
    per_class: dict[str, dict[str, Any]] = {}
    for k, name in enumerate(names):
        mask = code == k
        nk = int(mask.sum())
        if nk == 0:
            continue
        if nk < min_class_trades:
            per_class[name] = {"n_trades": nk, "tested": False,
                               "note": f"fewer than {min_class_trades} trades: not tested"}
            continue
        obs_k = float(pts[mask].mean())
        null_k = share.sums[:, k] / nk
        wr_k = float(share.wins[:, k].sum()) / (B * nk)
        wins_k = int(wins[mask].sum())
        per_class[name] = {
            "n_trades": nk, "tested": True, "observed_mean_pnl_points": finite_or_none(obs_k),
            "null_mean_pnl_points": finite_or_none(null_k.mean()),
            "p_value": finite_or_none(_greater_p(null_k, obs_k)),
            "observed_win_rate": finite_or_none(wins_k / nk), "null_win_rate": finite_or_none(wr_k),
            "binomial_p_value": finite_or_none(stats.binomtest(wins_k, nk, wr_k,
                                                               alternative="greater").pvalue)
            if 0 < wr_k < 1 else None,
        }
    total = share.reasons.sum()
    reasons = {name: float(share.reasons[i] / total) if total else 0.0
               for i, name in enumerate(REASON_NAMES)}
    return NullResult(B, seed, n, 0, observed, null_means, _greater_p(null_means, observed),
                      int(wins.sum()), null_wr, float(binom), reasons, per_class, "matched",
                      int(share.fallback))


def direction_result(sums: np.ndarray, oos: pd.DataFrame, B: int,
                     seed: int) -> DirectionNullResult:
    n = int(len(oos))
    if n == 0:
        return DirectionNullResult(B, seed, 0, math.nan, np.empty(0), math.nan)
    observed = float(oos["pnl_points"].to_numpy(float).mean())
    means = sums / n
    return DirectionNullResult(B, seed, n, observed, means, _greater_p(means, observed))


def placebo_block(sums: np.ndarray, counts: np.ndarray, observed: float, cfg: LabConfig,
                  shifts: Sequence[int], seed: int) -> dict[str, Any]:
    """The `controls.oi_placebo` block: replications without any trade have no statistic
    and are left out of the p-value's reference set (counted in `n_without_trades`);
    `shifts` are the |shift|s drawn, in strikes (`assets.engine.placebo.placebo_shifts`)."""
    replications = int(cfg.validation.oi_placebo_replications)
    out: dict[str, Any] = {
        "description": ("alerts -> trades rerun on the out-of-sample days with each day's OI "
                        "mirrored around the open or not, and shifted by a random whole "
                        f"number of strikes, |shift| in {list(shifts)}: at least twice the "
                        "alert reach, never a multiple of a round-strike spacing (25/50/100 "
                        "points); thresholds from the real calibration window; drawn per day"),
        "statistic": "mean pnl_points per out-of-sample trade",
        "observed": finite_or_none(observed), "replications": replications, "seed": int(seed),
        "shift_strikes": [int(x) for x in shifts], "placebo_values": [],
        "placebo_quantiles": {"q05": None, "q50": None, "q95": None},
        "n_without_trades": 0, "p_value": None,
        "p_value_formula": "(1 + #{placebo >= observed}) / (R' + 1), R' = replications "
                           "with at least one trade",
    }
    if replications < 1 or sums.size == 0 or not math.isfinite(observed):
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    finite = values[np.isfinite(values)]
    q = np.percentile(finite, [5, 50, 95]) if finite.size else [None] * 3
    out.update(placebo_values=[finite_or_none(v) for v in values],
               placebo_quantiles={"q05": finite_or_none(q[0]), "q50": finite_or_none(q[1]),
                                  "q95": finite_or_none(q[2])},
               n_without_trades=int(values.size - finite.size),
               p_value=_greater_p(finite, observed) if finite.size else None)
    return out
