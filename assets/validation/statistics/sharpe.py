"""Sharpe ratios, and how far they can be trusted.

The verdict's Sharpe is the **annualized daily** Sharpe: the dollars made on each
out-of-sample expiration day (0 on an expiration day without a trade), mean /
std(ddof=1) × √(expiration days per year in the sample). Days without trades must be
counted, or a strategy that trades rarely looks smoother than it is.

Annualization: the series holds expiration days only, so it is scaled by the number of
them a year carries, measured on the sample: 252 × (expiration days) / (exchange sessions
from the first to the last out-of-sample day). On an every-session calendar that is 252;
on a Mon/Wed/Fri calendar about 151, where × √252 would overstate the Sharpe by 1.29 and
make the VALIDATED gate anti-conservative. The minimum track record length is converted
to years with the same count. The per-trade Sharpe is reported beside it, never in its
place.

How sure: a stationary-bootstrap CI (arch; daily P&L can be autocorrelated), the
Probabilistic Sharpe Ratio and the Deflated Sharpe Ratio of Bailey & López de Prado
(non-normal returns: skewness and Pearson kurtosis; deflated for the number of variants
tried), and the minimum track record length. These use the per-day (not annualized) SR,
as the formulas require.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from arch.bootstrap import StationaryBootstrap, optimal_block_length
from scipy import stats

from assets.common.calendar import expiration_days_per_year
from assets.validation.package.json_values import finite_or_none

TRADING_DAYS = 252
EULER_GAMMA = 0.5772156649015329


def _as_date(x) -> dt.date:
    return pd.Timestamp(x).date()


def daily_pnl(trades: pd.DataFrame, days: Iterable, column: str = "pnl_dollars") -> pd.Series:
    """P&L per expiration day over `days` (every out-of-sample expiration day), 0 on days
    without a trade. Days a trade falls on but `days` misses are added, not dropped."""
    by_day = (pd.Series(np.asarray(trades[column], dtype=float),
                        index=[_as_date(d) for d in trades["quote_date"]])
              .groupby(level=0).sum())
    index = sorted(set(_as_date(d) for d in days) | set(by_day.index))
    return by_day.reindex(index, fill_value=0.0).astype(float).rename(column)


def sharpe(x: np.ndarray) -> float:
    """mean / std(ddof=1), not annualized; NaN when undefined (n < 2 or std 0)."""
    x = np.asarray(x, dtype=float)
    if x.size < 2:
        return float("nan")
    sd = x.std(ddof=1)
    return float(x.mean() / sd) if sd > 0 else float("nan")


def annualized_sharpe(daily: np.ndarray, periods: float = TRADING_DAYS) -> float:
    return sharpe(daily) * math.sqrt(periods)


def _moments(x: np.ndarray) -> tuple[float, float]:
    """Skewness and Pearson (non-excess) kurtosis, the biased sample moments."""
    return float(stats.skew(x)), float(stats.kurtosis(x, fisher=False))


def _sr_denominator(sr: float, skew: float, kurt: float) -> float:
    return 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr


def probabilistic_sharpe_ratio(x: np.ndarray, sr_benchmark: float = 0.0) -> float:
    """P(true per-period SR > sr_benchmark) given the sample (Bailey & López de Prado 2012):
    Φ((SR - SR*) √(n-1) / √(1 - γ3 SR + (γ4-1)/4 SR²))."""
    x = np.asarray(x, dtype=float)
    sr = sharpe(x)
    if not math.isfinite(sr):
        return float("nan")
    g3, g4 = _moments(x)
    den = _sr_denominator(sr, g3, g4)
    if den <= 0:
        return float("nan")
    return float(stats.norm.cdf((sr - sr_benchmark) * math.sqrt(x.size - 1) / math.sqrt(den)))


def expected_max_sharpe(n_trials: int, sr_variance: float) -> float:
    """Expected maximum per-period SR of `n_trials` zero-skill variants (the DSR benchmark).
    One trial means no selection: the benchmark is 0."""
    if n_trials <= 1:
        return 0.0
    z1 = stats.norm.ppf(1.0 - 1.0 / n_trials)
    z2 = stats.norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    return float(math.sqrt(sr_variance) * ((1 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def deflated_sharpe_ratio(x: np.ndarray, n_trials: int,
                          sr_variance: float | None = None) -> tuple[float, float]:
    """(DSR, benchmark SR*). `sr_variance` is the variance of the Sharpe ratios across the
    variants tried; unknown here, it defaults to 1/(n-1), the sampling variance of a
    zero-skill variant's per-period SR on this many days."""
    x = np.asarray(x, dtype=float)
    if x.size < 2:
        return float("nan"), float("nan")
    var = sr_variance if sr_variance is not None else 1.0 / (x.size - 1)
    sr0 = expected_max_sharpe(n_trials, var)
    return probabilistic_sharpe_ratio(x, sr0), sr0


def min_track_record_length(x: np.ndarray, sr_benchmark: float = 0.0,
                            confidence: float = 0.95) -> float:
    """Observations needed for PSR(sr_benchmark) to reach `confidence` at the observed SR
    and moments: 1 + (1 - γ3 SR + (γ4-1)/4 SR²) (z / (SR - SR*))². inf when SR ≤ SR*."""
    x = np.asarray(x, dtype=float)
    sr = sharpe(x)
    if not math.isfinite(sr):
        return float("nan")
    if sr <= sr_benchmark:
        return float("inf")
    g3, g4 = _moments(x)
    z = stats.norm.ppf(confidence)
    return float(1.0 + _sr_denominator(sr, g3, g4) * (z / (sr - sr_benchmark)) ** 2)


MIN_OBS_FOR_BLOCK_SELECTION = 20


def _auto_block_size(x: np.ndarray) -> float:
    """Politis-White expected block length (arch); 1 (IID) when the series is too short
    for the selection to be meaningful or it fails."""
    if x.size < MIN_OBS_FOR_BLOCK_SELECTION:
        return 1.0
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            b = float(optimal_block_length(x)["stationary"].iloc[0])
    except (ValueError, np.linalg.LinAlgError):
        return 1.0
    return b if math.isfinite(b) else 1.0


def stationary_bootstrap_ci(daily: np.ndarray, reps: int, seed: int, alpha: float = 0.05,
                            block_size: float | None = None,
                            periods: float = TRADING_DAYS) -> dict[str, Any]:
    """Percentile CI of the annualized daily Sharpe under arch's stationary bootstrap.

    Block size: Politis-White optimal expected block length (arch), at least 1. Resamples
    with zero variance (possible when most days are flat) give no Sharpe; they are dropped
    and counted rather than silently set to 0.
    """
    x = np.asarray(daily, dtype=float)
    out: dict[str, Any] = {"method": "arch StationaryBootstrap, percentile", "reps": int(reps),
                           "seed": int(seed), "confidence_level": 1 - alpha,
                           "block_size": None, "ci": [None, None], "degenerate_resamples": 0}
    if x.size < 3 or x.std() == 0:
        return out
    if block_size is None:
        block_size = _auto_block_size(x)
    block_size = max(1.0, block_size)
    bs = StationaryBootstrap(block_size, x, seed=seed)
    draws = bs.apply(lambda s: np.array([annualized_sharpe(s, periods)]), reps=reps).ravel()
    ok = np.isfinite(draws)
    out["block_size"] = block_size
    out["degenerate_resamples"] = int((~ok).sum())
    if ok.sum() >= 2:
        lo, hi = np.percentile(draws[ok], [100 * alpha / 2, 100 * (1 - alpha / 2)])
        out["ci"] = [float(lo), float(hi)]
    return out




def sharpe_statistics(trades: pd.DataFrame, days: Iterable, n_variants: int, reps: int,
                      seed: int, alpha: float = 0.05,
                      periods_per_year: float | None = None,
                      exchange: str = "XNYS",
                      sr_variance: float | None = None) -> dict[str, Any]:
    """Every Sharpe figure of the (already out-of-sample) trades over the OOS days.

    `periods_per_year`: expiration days per year; measured from `days` and the exchange
    calendar (`expiration_days_per_year`) unless given. `sr_variance`: the variance of the
    per-day Sharpes of the variants tried (a sweep's), when known; else the DSR assumes a
    zero-skill variant's sampling variance."""
    days = list(days)
    daily = daily_pnl(trades, days)
    periods = (expiration_days_per_year(daily.index, exchange) if periods_per_year is None
               else float(periods_per_year))
    x = daily.to_numpy()
    per_trade = np.asarray(trades["pnl_dollars"], dtype=float)
    dsr, sr0 = deflated_sharpe_ratio(x, n_variants, sr_variance)
    mtrl = min_track_record_length(x, 0.0, 1 - alpha)
    g3, g4 = _moments(x) if x.size > 2 and x.std() > 0 else (float("nan"), float("nan"))
    return {
        "definition": ("annualized daily Sharpe: dollars P&L per out-of-sample expiration "
                       "day, 0 on expiration days without a trade, mean/std(ddof=1) x "
                       f"sqrt({periods:.4g} expiration days per year in the sample)"),
        "annualization_convention": ("expiration-day series x sqrt(expiration days per year "
                                     "in the sample) = 252 x expiration days / exchange "
                                     "sessions spanned"),
        "periods_per_year": finite_or_none(periods),
        "annualization_factor": finite_or_none(math.sqrt(periods)),
        "annualized_daily_sharpe": finite_or_none(annualized_sharpe(x, periods)),
        "daily_sharpe": finite_or_none(sharpe(x)),
        "per_trade_sharpe": finite_or_none(sharpe(per_trade)),
        "n_days": int(x.size),
        "n_days_traded": int((daily != 0).sum()),
        "daily_skewness": finite_or_none(g3),
        "daily_kurtosis": finite_or_none(g4),
        "bootstrap": stationary_bootstrap_ci(x, reps, seed, alpha, periods=periods),
        "probabilistic_sharpe_ratio": finite_or_none(probabilistic_sharpe_ratio(x, 0.0)),
        "psr_benchmark_daily_sr": 0.0,
        "deflated_sharpe_ratio": finite_or_none(dsr),
        "dsr_benchmark_daily_sr": finite_or_none(sr0),
        "n_variants_tried": int(n_variants),
        "dsr_sharpe_variance": finite_or_none(sr_variance),
        "dsr_sharpe_variance_source": ("the variants' per-day Sharpes in the latest sweep"
                                       if sr_variance is not None else
                                       "1/(n_days-1): a zero-skill variant's sampling variance"),
        "min_track_record_length_days": finite_or_none(mtrl),
        "min_track_record_length_years": finite_or_none(mtrl / periods),
        "min_track_record_length_basis": "expiration days / expiration days per year",
        "min_track_record_confidence": 1 - alpha,
    }
