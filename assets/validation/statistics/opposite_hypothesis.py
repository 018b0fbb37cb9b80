"""The literature's direction (pinning: toward the strikes) against the specification's (away).

Two claims of the package's family come from here:
- `opposite_direction` (confirmatory): among predictions with a non-zero realized move,
  more moves go toward the high-OI strike than away. One-sided binomial test against 1/2
  (with no steering either way the two are symmetric, whatever the win/loss mix of a
  trading rule) and a day-clustered test beside it (predictions of one day share their
  moves; t with G - 1 degrees of freedom for G days); the claim's p-value is the larger,
  conservative one.
- `settlement_pinning` (exploratory): expiration-day final closes sit nearer a listed
  strike than uniform. One test over every half-width at once: u = distance to the nearest
  strike / (Δ/2) is U(0, 1) without pinning, and pinning piles u near 0, so a one-sided
  Kolmogorov-Smirnov test (empirical CDF above the uniform one somewhere) covers every
  half-width h (the fraction within ±h is the empirical CDF at 2h/Δ). The fractions at the
  configured half-widths are reported beside it, descriptively, against 2h/Δ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from assets.common.config import ValidationConfig
from assets.validation.statistics.same_minute import CLASSES
from assets.validation.statistics.same_minute import out_of_sample_rows as _oos

MIN_CLUSTERS = 10


def _clustered_mean_p_greater(x: np.ndarray, groups: np.ndarray | None) -> float | None:
    """One-sided p of mean(x) > 0 with standard errors clustered by day (None when there
    are fewer than 10 days or no variation). The t reference has G - 1 degrees of freedom
    (G days), not n - 1: with few days the n - 1 reference is anti-conservative."""
    if groups is None or x.size == 0 or x.std() == 0:
        return None
    codes = pd.factorize(pd.Series(groups).astype(str))[0]
    if np.unique(codes).size < MIN_CLUSTERS:
        return None
    res = sm.OLS(x, np.ones((x.size, 1))).fit(cov_type="cluster", cov_kwds={"groups": codes},
                                              use_t=True)
    return float(stats.t.sf(res.tvalues[0], res.df_resid_inference))


def pinning_test(settlement_closes: np.ndarray, strike_spacing: float,
                 half_widths: Sequence[float]) -> dict[str, Any]:
    """One-sided KS test of u = distance-to-strike / (Δ/2) against U(0, 1), with the
    fraction within ±h of a strike at each half-width (descriptive)."""
    c = np.asarray(settlement_closes, dtype=float)
    c = c[np.isfinite(c)]
    dist = np.abs(c - strike_spacing * np.round(c / strike_spacing))
    u = np.clip(dist / (strike_spacing / 2.0), 0.0, 1.0)
    n = int(c.size)
    rows = []
    for h in half_widths:
        k = int((dist <= h).sum())
        rows.append({"half_width": float(h), "n_days": n, "within": k,
                     "fraction": k / n if n else None,
                     "uniform_reference": min(1.0, 2.0 * h / strike_spacing)})
    ks = stats.kstest(u, "uniform", alternative="greater") if n else None
    return {"test": ("one-sided Kolmogorov-Smirnov of distance/(spacing/2) against U(0,1): "
                     "closes nearer strikes than uniform at some half-width"),
            "n_days": n, "ks_statistic": float(ks.statistic) if ks else None,
            "p_value": float(ks.pvalue) if ks else None, "by_half_width": rows}


def direction_test(outcomes: pd.DataFrame | None) -> dict[str, Any]:
    """Away vs toward among out-of-sample predictions with a non-zero realized move."""
    out: dict[str, Any] = {"n_nonzero": 0, "specification_direction_hits": 0,
                           "opposite_direction_hits": 0, "specification_direction_rate": None,
                           "opposite_direction_rate": None, "p_value_two_sided": None,
                           "p_value_toward": None, "p_value_toward_day_clustered": None,
                           "p_value": None,
                           "test": ("toward vs away among non-zero moves: binomial p0 = 0.5 "
                                    "and day-clustered mean (t, days - 1 df), one-sided "
                                    "(toward); p_value = the larger")}
    if outcomes is None or not len(outcomes):
        return out
    o = _oos(outcomes)
    o = o.loc[o["urgency"].isin(CLASSES)]
    s = np.sign(np.asarray(o["actual_direction"], dtype=float))
    d = np.asarray(o["steering_direction"], dtype=float)
    moved = np.isfinite(s) & (s != 0)
    is_away = s[moved] == d[moved]
    n = int(moved.sum())
    if n == 0:
        return out
    away = int(is_away.sum())
    toward = n - away
    days = o["quote_date"].to_numpy()[moved] if "quote_date" in o.columns else None
    binom = float(stats.binomtest(toward, n, 0.5, alternative="greater").pvalue)
    clustered = _clustered_mean_p_greater((~is_away).astype(float) - 0.5, days)
    out.update(n_nonzero=n, specification_direction_hits=away, opposite_direction_hits=toward,
               specification_direction_rate=away / n, opposite_direction_rate=toward / n,
               p_value_two_sided=float(stats.binomtest(away, n, 0.5).pvalue),
               p_value_toward=binom, p_value_toward_day_clustered=clustered,
               p_value=max(binom, clustered) if clustered is not None else binom)
    return out


def opposite_hypothesis(settlement_closes: np.ndarray, strike_spacing: float,
                        outcomes: pd.DataFrame | None, cfg: ValidationConfig) -> dict[str, Any]:
    """Both tests, raw; `set_opposite_statuses` states them once the family is adjusted."""
    return {"direction_test": direction_test(outcomes),
            "pinning": pinning_test(settlement_closes, strike_spacing, cfg.pin_half_widths),
            "strike_spacing": float(strike_spacing)}


def set_opposite_statuses(opposite: dict[str, Any], direction_claimed: bool,
                          direction_adjusted_p: float | None, pinning_claimed: bool,
                          pinning_adjusted_p: float | None,
                          specification_direction_claimed: bool) -> dict[str, Any]:
    """Labels from the family: the direction supported (specification's when `edge_vs_random` is
    claimed, opposite when `opposite_direction` is), and whether pinning is detected."""
    d = opposite["direction_test"]
    supported = ("TOWARD_STRIKES (opposite)" if direction_claimed else
                 "AWAY_FROM_STRIKES (specification)" if specification_direction_claimed
                 else "NEITHER")
    pin = opposite["pinning"]
    opposite.update(direction_supported=supported, pinning_detected=bool(pinning_claimed),
                    direction_p_value_adjusted=direction_adjusted_p,
                    pinning_p_value_adjusted=pinning_adjusted_p)
    fmt = (lambda x: "n/a" if x is None else f"{x:.3g}")  # noqa: E731
    opposite["summary"] = (
        f"direction: {supported} (toward {d['opposite_direction_hits']} vs away "
        f"{d['specification_direction_hits']}, "
        f"family-adjusted p(toward) = {fmt(direction_adjusted_p)})"
        "; settlement pinning: "
        + ("detected" if pinning_claimed else "not detected")
        + f" (KS p = {fmt(pin['p_value'])}, family-adjusted {fmt(pinning_adjusted_p)})")
    return opposite
