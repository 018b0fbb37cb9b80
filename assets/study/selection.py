"""The study's selection scenario: the best of a 48-variant sweep on a null world, run as
the config.

This is what the selection-aware claims exist for (`assets.validation.claims.selection`):
a user sweeps a grid on a world without any effect, picks the sweep's best variant (the
sweep's own rule: the highest Sharpe, `overfitting.deflated_best`) and runs it. The
registry then counts N = 48 trials on the dataset and the sweep stored every variant's
daily P&L and matched-null benchmark, so the package tests the selection with Hansen's SPA
over the 48 (Bonferroni for the opposite direction) and gates VALIDATED on the deflated
Sharpe. The scenario measures how often that package still makes a confirmatory claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from assets.common.config import LabConfig
from assets.experiments import overfitting
from assets.experiments.evaluate import evaluate_variants
from assets.experiments.grid import apply_overrides, expand_grid
from assets.experiments.registry import VariantTrials
from assets.experiments.selection import StoredSelection, spa_p_value
from assets.experiments.summary import daily_sharpe_variance

SELECTION_GRID: dict[str, list[Any]] = {
    "pressure.threshold_percentile": [60, 75, 90],
    "pressure.probability_model": ["specification", "itm_normal"],
    "trading.stop_points.PIN_RISK_MANAGEMENT": [5, 10],
    "trading.target_points.PIN_RISK_MANAGEMENT": [6, 10],
    "trading.stop_points.ASSIGNMENT_PANIC": [10, 15],
}


def best_of_sweep(market: Mapping, cfg: LabConfig,
                  grid: Mapping[str, list[Any]] = SELECTION_GRID
                  ) -> tuple[LabConfig, VariantTrials, dict[str, Any]]:
    """The sweep's best variant as a config, the trials its package sees (N, the Sharpe
    variance, the SPA over the sweep), and what the sweep said."""
    variants = expand_grid(cfg, grid)
    results = evaluate_variants(market, variants)
    returns = np.column_stack([r.daily_pnl for r in results])
    bench = np.column_stack([r.benchmark_daily_pnl for r in results])
    n = len(results)
    best = overfitting.deflated_best(returns, n)
    chosen = results[best["index"]]
    reps, seed = cfg.experiments.spa_replications, cfg.validation.seed
    stored = StoredSelection("study", n, int(returns.shape[0]),
                             spa_p_value(returns, bench, reps, seed), int(reps), int(seed))
    trials = VariantTrials(n, daily_sharpe_variance(results), "study sweep", stored)
    sweep = {"n_variants": n, "best_overrides": dict(chosen.overrides),
             "best_sharpe": chosen.sharpe_ratio, "spa_p_value": stored.p_value,
             "best_deflated_sharpe": best["deflated_sharpe_ratio"]}
    return apply_overrides(cfg, chosen.overrides), trials, sweep
