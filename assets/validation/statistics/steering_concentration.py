"""Secondary hypothesis 2: price steering velocity against open-interest concentration.

Pearson (the family's p-value, one-sided r > 0; scipy's Fisher-z CI) and Spearman
(Fisher-z CI with the Fieller-Hartley-Pearson 1.06 variance factor) between each day's
steering velocity and its OI concentration, from `daily_steering_table`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from assets.common.config import UrgencyRule
from assets.common.market_day import MarketDay
from assets.validation.package.json_values import finite_or_none


def _spearman_ci(rho: float, n: int, alpha: float) -> list[float | None]:
    if n <= 3 or not math.isfinite(rho) or abs(rho) >= 1:
        return [None, None]
    z = math.atanh(rho)
    half = stats.norm.ppf(1 - alpha / 2) * math.sqrt(1.06 / (n - 3))
    return [math.tanh(z - half), math.tanh(z + half)]


def steering_vs_concentration(daily: pd.DataFrame, concentration_col: str = "hhi",
                              velocity_col: str = "steering_velocity",
                              alpha: float = 0.05) -> dict[str, Any]:
    """Correlation of per-day steering velocity with the day's OI concentration."""
    x = np.asarray(daily[concentration_col], dtype=float)
    y = np.asarray(daily[velocity_col], dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    out: dict[str, Any] = {
        "hypothesis": "price steering velocity correlates with OI concentration",
        "concentration": concentration_col, "velocity": velocity_col, "n_days": n,
        "pearson_r": None, "pearson_ci": [None, None], "p_value": None,
        "spearman_rho": None, "spearman_ci": [None, None], "spearman_p_value": None,
        "p_value_two_sided": None,
        "test": "Pearson correlation = 0, one-sided (r > 0; Fisher-z CI)",
    }
    if n < 4 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return out
    pr = stats.pearsonr(x, y)
    ci = pr.confidence_interval(confidence_level=1 - alpha)
    sr = stats.spearmanr(x, y)
    out.update(pearson_r=finite_or_none(pr.statistic),
               pearson_ci=[finite_or_none(ci.low), finite_or_none(ci.high)],
               p_value_two_sided=finite_or_none(pr.pvalue),
               p_value=finite_or_none(stats.pearsonr(x, y, alternative="greater").pvalue),
               spearman_rho=finite_or_none(sr.statistic),
               spearman_ci=[finite_or_none(v) for v in _spearman_ci(float(sr.statistic), n, alpha)],
               spearman_p_value=finite_or_none(sr.pvalue))
    return out


def _in_window(m: np.ndarray, rule: UrgencyRule) -> np.ndarray:
    upper = m <= rule.max_minutes if rule.max_inclusive else m < rule.max_minutes
    return (m >= rule.min_minutes) & upper


def daily_steering_table(days: Sequence[MarketDay], rules: Sequence[UrgencyRule],
                         high_oi_quantile: float = 0.9) -> pd.DataFrame:
    """Per day: OI concentration (HHI of strike OI shares — the same definition as
    `marts.oi_concentration_daily.oi_hhi` — and the top-strike share) and steering
    velocity, the mean per-minute change of the distance to the nearest high-OI strike
    (OI ≥ the day's `high_oi_quantile` among strikes with OI) over the bars of the late
    (urgency-rule) windows; positive = moving away. The strike is chosen from the
    previous bar's close, so the measure uses no future bar. A random walk drifts away
    from any fixed level on average, so only the relation across days is tested."""
    rows = []
    for day in days:
        oi = np.asarray(day.total_oi, dtype=float)
        total = oi.sum()
        hhi = float(((oi / total) ** 2).sum()) if total > 0 else math.nan
        top = float(oi.max() / total) if total > 0 else math.nan
        vel = math.nan
        if total > 0 and day.n_bars > 1:
            pos = oi > 0
            level = np.quantile(oi[pos], high_oi_quantile)
            strikes = np.asarray(day.strikes, dtype=float)[pos & (oi >= level)]
            m = np.asarray(day.minutes_to_expiry, dtype=float)
            window = np.zeros(day.n_bars, dtype=bool)
            for rule in rules:
                window |= _in_window(m, rule)
            t = np.flatnonzero(window)
            t = t[t >= 1]
            if t.size and strikes.size:
                prev = np.asarray(day.close, dtype=float)[t - 1]
                now = np.asarray(day.close, dtype=float)[t]
                k = strikes[np.abs(prev[:, None] - strikes[None, :]).argmin(axis=1)]
                vel = float(np.mean(np.abs(now - k) - np.abs(prev - k)))
        rows.append({"quote_date": day.quote_date, "hhi": hhi, "top_share": top,
                     "steering_velocity": vel})
    return pd.DataFrame(rows, columns=["quote_date", "hhi", "top_share", "steering_velocity"])
