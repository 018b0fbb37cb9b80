"""`expiration_specific`: does the edge on expiration days exceed the edge on placebo days?

Each out-of-sample trade's edge is its points minus the matched null's expected points for
that trade (computed by the engine). The test is the OLS of the edge on an expiration-day
indicator over the pooled trades of both samples, with standard errors clustered by date:
trades of one session share its path, so they are not independent, and the t reference
has G - 1 degrees of freedom (G = sessions with a trade), not n - 2. One-sided: the
indicator's coefficient (expiration-day mean edge minus placebo-day mean edge) > 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

TEST = ("OLS of the per-trade edge (points minus the matched null's expected points) on an "
        "expiration-day indicator, standard errors clustered by date, t with G - 1 df "
        "(G = dates with a trade), one-sided (expiration-day edge > placebo-day edge)")
MIN_DAYS = 2  # dates with a trade, per sample
MIN_TRADES = 10  # trades, per sample


def _side(frame: pd.DataFrame | None) -> dict[str, Any]:
    if frame is None or frame.empty:
        return {"n_trades": 0, "n_days": 0, "mean_edge_points": None, "mean_pnl_points": None,
                "mean_null_expected_points": None}
    return {"n_trades": int(len(frame)), "n_days": int(frame["quote_date"].nunique()),
            "mean_edge_points": float(frame["edge_points"].mean()),
            "mean_pnl_points": float(frame["pnl_points"].mean()),
            "mean_null_expected_points": float(frame["null_expected_points"].mean())}


def clustered_difference(edge: np.ndarray, is_expiration: np.ndarray,
                         dates: np.ndarray) -> dict[str, float]:
    """The indicator's coefficient, its date-clustered SE, t, df = G - 1 and one-sided p."""
    codes = pd.factorize(pd.Series(list(dates)))[0]
    x = sm.add_constant(np.asarray(is_expiration, dtype=float), has_constant="add")
    res = sm.OLS(np.asarray(edge, dtype=float), x).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    df = int(res.df_resid_inference)  # statsmodels: G - 1 for a cluster covariance
    t = float(res.tvalues[1])
    return {"difference_points": float(res.params[1]), "standard_error": float(res.bse[1]),
            "t_statistic": t, "df": df, "clusters": int(np.unique(codes).size),
            "p_value": float(stats.t.sf(t, df))}


def expiration_specific_test(expiration: pd.DataFrame | None, placebo: pd.DataFrame | None,
                             alpha: float, reason: str | None = None) -> dict[str, Any]:
    """The package's `controls.calendar_placebo` block; `p_value` None when not tested
    (with `reason`). Frames: one row per trade with quote_date, pnl_points,
    null_expected_points and edge_points."""
    block: dict[str, Any] = {"test": TEST, "alpha": alpha, "tested": False,
                             "expiration_days": _side(expiration), "placebo_days": _side(placebo),
                             "difference_points": None, "standard_error": None,
                             "t_statistic": None, "df": None, "clusters": None,
                             "p_value": None, "reason": reason}
    if reason is not None:
        return block
    for name in ("expiration_days", "placebo_days"):
        side = block[name]
        if side["n_days"] < MIN_DAYS or side["n_trades"] < MIN_TRADES:
            block["reason"] = (f"too few {name.replace('_', ' ')} trades to test "
                               f"({side['n_trades']} trades on {side['n_days']} dates; at least "
                               f"{MIN_TRADES} on {MIN_DAYS})")
            return block
    both = pd.concat([expiration.assign(_exp=1.0), placebo.assign(_exp=0.0)],
                     ignore_index=True)
    block.update(clustered_difference(both["edge_points"].to_numpy(float),
                                      both["_exp"].to_numpy(float),
                                      both["quote_date"].to_numpy()))
    block["tested"] = True
    return block
