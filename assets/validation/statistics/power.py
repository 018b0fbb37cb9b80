"""Prospective power: what this sample could detect, not what it "had" after the fact.

Post-hoc power at the observed effect is a monotone function of the p-value and says
nothing the p-value does not; it is not reported. Instead:

- the minimum detectable effect (MDE) at 80 % power, for the observed number of trades
  and per-trade standard deviation, of a one-sided one-sample t-test at the primary
  claim's local level in the family (α × its initial weight). It is stated in points per
  trade **above the random-entry null's mean**, which already carries the costs (so an
  edge of MDE over random entries would be found 80 % of the time), and as the mean P&L
  per trade the strategy would need;
- the verdict rule's and every claim's power at planted strengths, measured by
  simulation in `pressure-lab study` and quoted from it when a study exists.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from statsmodels.stats.power import TTestPower

from assets.validation.package.json_values import finite_or_none

POWER_TARGET = 0.8


def minimum_detectable_effect(pnl_points: np.ndarray, null_mean: float | None, alpha: float,
                              power: float = POWER_TARGET) -> dict[str, Any]:
    """MDE in points per trade over the null's mean (see module docs)."""
    x = np.asarray(pnl_points, dtype=float)
    x = x[np.isfinite(x)]
    out: dict[str, Any] = {
        "test": "one-sample t-test, one-sided, statsmodels TTestPower",
        "alpha": alpha, "power": power, "n_trades": int(x.size),
        "sd_pnl_points": None, "minimum_detectable_effect_d": None,
        "minimum_detectable_effect_points_over_null": None,
        "null_mean_pnl_points": finite_or_none(null_mean) if null_mean is not None else None,
        "minimum_detectable_mean_pnl_points": None,
        "note": ("the smallest edge over random entries (points per trade, after costs) that "
                 "this many trades would detect with the given power; post-hoc power at the "
                 "observed effect is not reported"),
    }
    if x.size < 2 or x.std() == 0:
        return out
    sd = float(x.std(ddof=1))
    d = float(TTestPower().solve_power(effect_size=None, nobs=x.size, alpha=alpha,
                                       power=power, alternative="larger"))
    out.update(sd_pnl_points=sd, minimum_detectable_effect_d=finite_or_none(d),
               minimum_detectable_effect_points_over_null=finite_or_none(d * sd))
    if null_mean is not None and math.isfinite(null_mean):
        out["minimum_detectable_mean_pnl_points"] = finite_or_none(null_mean + d * sd)
    return out
