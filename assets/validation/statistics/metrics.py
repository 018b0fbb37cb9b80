"""Per-trade performance statistics of the out-of-sample trades.

Every number here is computed on the scored trades only (`is_calibration == False`): the
calibration window set the thresholds, so its trades would flatter the result. Library
routines are used where they exist (statsmodels intervals and power, scipy t-test, arch
bootstrap), so the tests can hold them against independent oracles.

Conventions: a win is `pnl_dollars > 0` (zero is not a win; commissions can turn a small
gain in points into a loss in dollars); a loss is every other trade, so wins and losses
partition the trades and the expectancy in points equals the mean `pnl_points`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from arch.bootstrap import IIDBootstrap
from scipy import stats
from statsmodels.stats.proportion import proportion_confint, proportion_effectsize

from assets.validation.package.json_values import finite_or_none

TRADE_COLUMNS: tuple[str, ...] = ("pnl_points", "pnl_dollars", "is_calibration")


def out_of_sample(trades: pd.DataFrame) -> pd.DataFrame:
    """The scored trades: `is_calibration == False`, in entry order when known."""
    missing = [c for c in TRADE_COLUMNS if c not in trades.columns]
    if missing:
        raise KeyError(f"trades lack columns {missing}")
    oos = trades.loc[~trades["is_calibration"].astype(bool)]
    sort_cols = [c for c in ("entry_ts", "entry_index") if c in oos.columns]
    if sort_cols:
        oos = oos.sort_values(sort_cols[0], kind="stable")
    return oos.reset_index(drop=True)


def wins_of(trades: pd.DataFrame) -> np.ndarray:
    """Win flags from `pnl_dollars > 0` (recomputed, never trusted from a `win` column)."""
    return np.asarray(trades["pnl_dollars"], dtype=float) > 0.0




def win_rate_stats(wins: int, n: int, alpha: float = 0.05) -> dict[str, Any]:
    """Win rate with Wilson and Clopper-Pearson (exact) intervals from statsmodels."""
    if n <= 0:
        return {"n": 0, "wins": 0, "win_rate": None, "wilson_ci": [None, None],
                "clopper_pearson_ci": [None, None], "confidence_level": 1 - alpha}
    wl, wh = proportion_confint(wins, n, alpha=alpha, method="wilson")
    cl, ch = proportion_confint(wins, n, alpha=alpha, method="beta")
    return {"n": int(n), "wins": int(wins), "win_rate": wins / n,
            "wilson_ci": [float(wl), float(wh)], "clopper_pearson_ci": [float(cl), float(ch)],
            "confidence_level": 1 - alpha}


def pnl_stats(trades: pd.DataFrame) -> dict[str, Any]:
    """Average win/loss in points, profit factor (dollars), expectancy (points and $).

    `average_loss_points` is signed (normally negative). The profit factor is gross profit
    over gross loss in dollars; it is None when there is no losing dollar (undefined).
    """
    pts = np.asarray(trades["pnl_points"], dtype=float)
    usd = np.asarray(trades["pnl_dollars"], dtype=float)
    win = usd > 0
    n = pts.size
    gross_profit = float(usd[usd > 0].sum())
    gross_loss = float(-usd[usd < 0].sum())
    p = win.mean() if n else float("nan")
    avg_win = pts[win].mean() if win.any() else float("nan")
    avg_loss = pts[~win].mean() if (~win).any() else float("nan")
    avg_win_usd = usd[win].mean() if win.any() else float("nan")
    avg_loss_usd = usd[~win].mean() if (~win).any() else float("nan")
    expectancy_pts = (p * (avg_win if win.any() else 0.0)
                      + (1 - p) * (avg_loss if (~win).any() else 0.0)) if n else float("nan")
    expectancy_usd = (p * (avg_win_usd if win.any() else 0.0)
                      + (1 - p) * (avg_loss_usd if (~win).any() else 0.0)) if n else float("nan")
    return {
        "n": int(n),
        "average_win_points": finite_or_none(avg_win),
        "average_loss_points": finite_or_none(avg_loss),
        "average_win_dollars": finite_or_none(avg_win_usd),
        "average_loss_dollars": finite_or_none(avg_loss_usd),
        "gross_profit_dollars": gross_profit,
        "gross_loss_dollars": gross_loss,
        "profit_factor": finite_or_none(gross_profit / gross_loss) if gross_loss > 0 else None,
        "expectancy_points": finite_or_none(expectancy_pts),
        "expectancy_dollars": finite_or_none(expectancy_usd),
        "mean_pnl_points": finite_or_none(pts.mean()) if n else None,
        "median_pnl_points": finite_or_none(np.median(pts)) if n else None,
        "total_pnl_points": float(pts.sum()),
        "total_pnl_dollars": float(usd.sum()),
    }


def mean_pnl_test(pnl_points: np.ndarray, reps: int, seed: int,
                  alpha: float = 0.05) -> dict[str, Any]:
    """Mean P&L per trade: one-sample t-test against 0 and a seeded IID bootstrap CI.

    The t-test is reported two-sided and one-sided ('greater': the strategy makes money).
    The bootstrap CI is arch's percentile interval of the mean.
    """
    x = np.asarray(pnl_points, dtype=float)
    n = x.size
    out: dict[str, Any] = {"n": int(n), "mean": finite_or_none(x.mean()) if n else None,
                           "std": finite_or_none(x.std(ddof=1)) if n > 1 else None,
                           "confidence_level": 1 - alpha, "bootstrap_reps": int(reps),
                           "bootstrap_method": "arch IIDBootstrap, percentile",
                           "bootstrap_seed": int(seed)}
    if n < 2 or not np.isfinite(x).all():
        out.update(t_statistic=None, p_value_two_sided=None, p_value_greater=None,
                   t_ci=[None, None], bootstrap_ci=[None, None])
        return out
    two = stats.ttest_1samp(x, 0.0)
    greater = stats.ttest_1samp(x, 0.0, alternative="greater")
    tci = two.confidence_interval(confidence_level=1 - alpha)
    if x.std() == 0:
        boot = [float(x[0]), float(x[0])]
    else:
        bs = IIDBootstrap(x, seed=seed)
        ci = bs.conf_int(np.mean, reps=reps, method="percentile", size=1 - alpha).ravel()
        boot = [float(ci[0]), float(ci[1])]
    out.update(t_statistic=finite_or_none(two.statistic),
               p_value_two_sided=finite_or_none(two.pvalue),
               p_value_greater=finite_or_none(greater.pvalue),
               t_ci=[finite_or_none(tci.low), finite_or_none(tci.high)],
               bootstrap_ci=boot)
    return out


def cohens_d(pnl_points: np.ndarray) -> float | None:
    """Mean over sample standard deviation (ddof=1) of per-trade points."""
    x = np.asarray(pnl_points, dtype=float)
    if x.size < 2:
        return None
    sd = x.std(ddof=1)
    return finite_or_none(x.mean() / sd) if sd > 0 else None


def cohens_h(win_rate: float | None, null_win_rate: float | None) -> float | None:
    """Cohen's h of the observed win rate against the null's (arcsine difference)."""
    if win_rate is None or null_win_rate is None:
        return None
    return finite_or_none(proportion_effectsize(win_rate, null_win_rate))


def trade_statistics(trades: pd.DataFrame, reps: int, seed: int,
                     alpha: float = 0.05) -> dict[str, Any]:
    """All per-trade statistics of already-filtered (out-of-sample) trades."""
    pts = np.asarray(trades["pnl_points"], dtype=float)
    win = wins_of(trades)
    wr = win_rate_stats(int(win.sum()), int(win.size), alpha)
    return {"win_rate": wr, "pnl": pnl_stats(trades),
            "mean_pnl_test": mean_pnl_test(pts, reps, seed, alpha),
            "cohens_d": cohens_d(pts)}
