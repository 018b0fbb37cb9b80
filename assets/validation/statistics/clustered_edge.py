"""The edge over random entries in basis points of the underlying, with inference
clustered by date: per underlying, pooled, and the settlement contrast.

Why clustered by date: SPX and SPY (and any two underlyings of one market) trade the same
afternoon, so their trades on one date are not independent; neither are one day's trades
of one underlying. The unit of independence is the date: cluster-robust (CR1) standard
errors with groups = date, and t with G - 1 degrees of freedom (G dates), not n - 1.

The observation is a trade: its edge is its points minus the matched null's expected
points for it, over the day's open, times 1e4. Only each day's sums enter a mean's
clustered variance (the score of a date is the sum of its trades' residuals), so the
per-day file (`assets.validation.package.daily_edge`) gives exactly the trade-level
test: each trade of a day carries the day's mean edge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

BP = 1e4
METHOD = ("OLS on trades (edge = 1e4 x (pnl_points - the matched null's expected points) / "
          "the day's open), cluster-robust (CR1) standard errors with groups = date, t with "
          "G - 1 degrees of freedom (G dates); one-sided p in the claim's direction")


def trade_rows(daily: Mapping[str, pd.DataFrame], physical: Mapping[str, bool]) -> pd.DataFrame:
    """One row per trade: underlying, date, edge_bp (the day's mean per trade), physical."""
    parts = []
    for name, frame in daily.items():
        traded = frame[frame["n_trades"] > 0]
        n = traded["n_trades"].to_numpy(np.int64)
        edge = (BP * (traded["pnl_points"].to_numpy(float)
                      - traded["null_mean_points"].to_numpy(float))
                / (n * traded["open"].to_numpy(float)))
        parts.append(pd.DataFrame({
            "underlying": name, "date": np.repeat(traded["date"].to_numpy(object), n),
            "edge_bp": np.repeat(edge, n), "physical": bool(physical[name])}))
    if not parts:
        return pd.DataFrame(columns=["underlying", "date", "edge_bp", "physical"])
    return pd.concat(parts, ignore_index=True)


def _empty(reason: str) -> dict[str, Any]:
    return {"tested": False, "reason": reason, "estimate_bp": None, "se_bp": None,
            "ci_bp": [None, None], "t": None, "df": None, "p_value": None,
            "n_trades": 0, "n_dates": 0}


def _fit(y: np.ndarray, x: np.ndarray, dates: np.ndarray, alpha: float) -> dict[str, Any]:
    """The last coefficient of OLS(y, x), clustered by date, one-sided p (> 0)."""
    groups = pd.factorize(pd.Series(dates))[0]
    g = int(groups.max()) + 1
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    est, se = float(fit.params[-1]), float(fit.bse[-1])
    df = g - 1
    if not (math.isfinite(se) and se > 0):
        t, p = None, None
        ci = [None, None]
    else:
        t = est / se
        p = float(stats.t.sf(t, df))
        half = float(stats.t.ppf(1.0 - alpha / 2.0, df)) * se
        ci = [est - half, est + half]
    return {"tested": p is not None, "reason": None if p is not None else
            "the clustered standard error is zero", "estimate_bp": est, "se_bp": se,
            "ci_bp": ci, "t": t, "df": df, "p_value": p, "n_trades": int(y.size),
            "n_dates": g}


def clustered_mean(rows: pd.DataFrame, alpha: float = 0.05) -> dict[str, Any]:
    """The mean edge per trade in bp, > 0 one-sided; needs trades on two dates at least."""
    if rows.empty or rows["date"].nunique() < 2:
        return _empty("fewer than two dates with trades: no clustered standard error")
    y = rows["edge_bp"].to_numpy(float)
    return _fit(y, np.ones((y.size, 1)), rows["date"].to_numpy(object), alpha)


def settlement_contrast(rows: pd.DataFrame, alpha: float = 0.05) -> dict[str, Any]:
    """Physically settled minus cash-settled mean edge per trade in bp (the coefficient of
    a physical-settlement indicator), > 0 one-sided, clustered by date."""
    kinds = set(rows["physical"].astype(bool)) if len(rows) else set()
    if kinds != {True, False}:
        have = ("no trades at all" if not kinds else
                "trades on " + ("physically" if True in kinds else "cash") + "-settled "
                "underlyings only")
        return _empty(f"the contrast needs trades on both settlement types: {have}")
    if rows["date"].nunique() < 2:
        return _empty("fewer than two dates with trades: no clustered standard error")
    y = rows["edge_bp"].to_numpy(float)
    x = np.column_stack([np.ones(y.size), rows["physical"].to_numpy(float)])
    return _fit(y, x, rows["date"].to_numpy(object), alpha)


__all__ = ["BP", "METHOD", "clustered_mean", "settlement_contrast", "trade_rows"]
