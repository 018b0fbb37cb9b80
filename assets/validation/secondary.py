"""The specification's three secondary hypotheses, and the opposite (pinning) hypothesis.

1. Quadratic intensification: |move| / √horizon ≈ a · minutes^(−b), b from a log-log OLS
   (statsmodels) with its CI; b tested against 0 (any intensification; the family's
   p-value) and against 2 (the specification's "quadratic", reported beside it).
2. Steering velocity vs OI concentration: Pearson (the family's p-value; scipy's Fisher-z
   CI) and Spearman (Fisher-z CI with the Fieller-Hartley-Pearson 1.06 variance factor)
   between each day's steering velocity and its OI concentration.
3. Distinct urgency patterns: Mann-Whitney U (the family's p-value) and Welch's t on
   per-trade pnl_points between the two classes.

All tests are two-sided. The three family p-values are Holm-corrected together
(statsmodels `multipletests`); a test that cannot be run (too little data) is left out
of the family and reported as not tested.

Input tables (plain DataFrames):
- outcomes: the pressure stage's prediction outcomes — `minutes_to_expiry`,
  `actual_magnitude`, `horizon_minutes`, `actual_direction`, `steering_direction`,
  `urgency`, `quote_date`, `is_calibration` (out-of-sample rows only are used);
- daily: `quote_date`, `steering_velocity` and a concentration column (`hhi` by default,
  or `top_share`), e.g. from `daily_steering_table`;
- trades: `urgency`, `pnl_points`, `is_calibration`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

from assets.common.config import UrgencyRule, ValidationConfig
from assets.common.market_day import MarketDay
from assets.validation.json_values import finite_or_none

CLASSES: tuple[str, ...] = ("ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT")




def _oos(df: pd.DataFrame) -> pd.DataFrame:
    if "is_calibration" in df.columns:
        return df.loc[~df["is_calibration"].astype(bool)]
    return df


# --------------------------------------------------------------------------- (1)
def quadratic_intensification(outcomes: pd.DataFrame, magnitude_col: str = "actual_magnitude",
                              minutes_col: str = "minutes_to_expiry",
                              horizon_col: str | None = "horizon_minutes",
                              alpha: float = 0.05) -> dict[str, Any]:
    """Fit log y = log a − b · log minutes by OLS, y the realized move's size.

    The classes measure their moves over different horizons (8 vs 45 minutes by default),
    and a random walk's move grows like √horizon, which alone would make moves look
    *smaller* nearer the close. So, when `horizon_col` is present, y = |move| / √horizon
    (points per √minute): under a constant-volatility random walk b = 0 whatever the
    horizons. Rows with minutes ≤ 0, a zero move or a zero horizon are dropped (log
    undefined) and counted. SEs are clustered by day when the days are known."""
    o = _oos(outcomes)
    o = o.loc[o["urgency"].isin(CLASSES)] if "urgency" in o.columns else o
    m = np.asarray(o[minutes_col], dtype=float)
    y = np.abs(np.asarray(o[magnitude_col], dtype=float))
    normalized = horizon_col is not None and horizon_col in o.columns
    if normalized:
        h = np.asarray(o[horizon_col], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(h > 0, y / np.sqrt(np.where(h > 0, h, 1.0)), np.nan)
    ok = np.isfinite(m) & np.isfinite(y) & (m > 0) & (y > 0)
    out: dict[str, Any] = {
        "hypothesis": "assignment pressure intensifies quadratically as expiry nears",
        "model": "log y = log a - b log(minutes_to_expiry), OLS",
        "y": (f"|{magnitude_col}| / sqrt({horizon_col})" if normalized else f"|{magnitude_col}|"),
        "n": int(ok.sum()), "n_dropped": int((~ok).sum()), "b": None, "b_ci": [None, None],
        "b_se": None, "p_value": None, "p_value_b_equals_2": None,
        "test": "Wald test of b = 0, two-sided (SEs clustered by day when available)",
    }
    if ok.sum() < 3 or np.ptp(np.log(m[ok])) == 0:
        return out
    x = sm.add_constant(np.log(m[ok]))
    res, cov = _ols(np.log(y[ok]), x, o["quote_date"].to_numpy()[ok]
                    if "quote_date" in o.columns else None)
    out["covariance"] = cov
    lo, hi = res.conf_int(alpha)[1]
    out.update(
        b=finite_or_none(-res.params[1]), b_ci=[finite_or_none(-hi), finite_or_none(-lo)],
        b_se=finite_or_none(res.bse[1]),
        log_a=finite_or_none(res.params[0]), r_squared=finite_or_none(res.rsquared),
        p_value=finite_or_none(res.pvalues[1]),
        p_value_b_equals_2=finite_or_none(
            res.t_test((np.array([[0.0, 1.0]]), np.array([-2.0]))).pvalue),
    )
    return out


def _ols(y: np.ndarray, x: np.ndarray, groups: np.ndarray | None):
    """OLS with standard errors clustered by day when the days are known (alerts of one
    day share their moves, so they are not independent observations); plain OLS SEs when
    there are too few days to cluster."""
    model = sm.OLS(y, x)
    if groups is not None:
        codes = pd.factorize(pd.Series(groups).astype(str))[0]
        if np.unique(codes).size >= 10:
            return (model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True),
                    "cluster-robust by quote_date")
    return model.fit(), "OLS (nonrobust)"


# --------------------------------------------------------------------------- (2)
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
        "test": "Pearson correlation = 0, two-sided (Fisher-z CI)",
    }
    if n < 4 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return out
    pr = stats.pearsonr(x, y)
    ci = pr.confidence_interval(confidence_level=1 - alpha)
    sr = stats.spearmanr(x, y)
    out.update(pearson_r=finite_or_none(pr.statistic),
               pearson_ci=[finite_or_none(ci.low), finite_or_none(ci.high)],
               p_value=finite_or_none(pr.pvalue), spearman_rho=finite_or_none(sr.statistic),
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


# --------------------------------------------------------------------------- (3)
def urgency_pattern_difference(trades: pd.DataFrame, value_col: str = "pnl_points",
                               min_n: int = 10) -> dict[str, Any]:
    """Two-sample tests of per-trade `value_col` between the two urgency classes."""
    t = _oos(trades)
    a = np.asarray(t.loc[t["urgency"] == CLASSES[0], value_col], dtype=float)
    b = np.asarray(t.loc[t["urgency"] == CLASSES[1], value_col], dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    out: dict[str, Any] = {
        "hypothesis": "market-maker behaviour follows distinct urgency patterns",
        "value": value_col, "classes": list(CLASSES), "n": [int(a.size), int(b.size)],
        "means": [finite_or_none(a.mean()) if a.size else None,
                  finite_or_none(b.mean()) if b.size else None],
        "medians": [finite_or_none(np.median(a)) if a.size else None,
                    finite_or_none(np.median(b)) if b.size else None],
        "p_value": None, "mann_whitney_u": None, "welch_t": None, "welch_p_value": None,
        "test": "Mann-Whitney U, two-sided", "min_n_per_class": min_n,
    }
    if a.size < max(2, min_n) or b.size < max(2, min_n):
        return out
    mw = stats.mannwhitneyu(a, b, alternative="two-sided")
    w = stats.ttest_ind(a, b, equal_var=False)
    out.update(mann_whitney_u=finite_or_none(mw.statistic), p_value=finite_or_none(mw.pvalue),
               welch_t=finite_or_none(w.statistic), welch_p_value=finite_or_none(w.pvalue),
               common_language_effect=finite_or_none(mw.statistic / (a.size * b.size)))
    return out


# --------------------------------------------------------------------------- family
def secondary_hypotheses(outcomes: pd.DataFrame | None, daily: pd.DataFrame | None,
                         trades: pd.DataFrame | None, cfg: ValidationConfig,
                         concentration_col: str = "hhi") -> dict[str, Any]:
    """Run the three tests, Holm-correct the family and state each one's support."""
    alpha = cfg.alpha
    res = {
        "quadratic_intensification": (quadratic_intensification(outcomes, alpha=alpha)
                                      if outcomes is not None and len(outcomes) else
                                      {"p_value": None, "n": 0}),
        "steering_velocity_vs_oi_concentration": (
            steering_vs_concentration(daily, concentration_col, alpha=alpha)
            if daily is not None and len(daily) else {"p_value": None, "n_days": 0}),
        "distinct_urgency_patterns": (
            urgency_pattern_difference(trades, min_n=cfg.min_class_trades)
            if trades is not None and len(trades) else {"p_value": None, "n": [0, 0]}),
    }
    names = [k for k, v in res.items() if v.get("p_value") is not None]
    if names:
        reject, p_holm, _, _ = multipletests([res[k]["p_value"] for k in names], alpha=alpha,
                                             method="holm")
        for k, r, p in zip(names, reject, p_holm, strict=False):
            res[k]["p_value_holm"] = float(p)
            res[k]["significant_holm"] = bool(r)
    for k, v in res.items():
        v.setdefault("p_value_holm", None)
        v.setdefault("significant_holm", False)
        v["status"], v["summary"] = _status(k, v, alpha)
    res["family"] = {"correction": "Holm (statsmodels multipletests, method='holm')",
                     "alpha": alpha, "tests_in_family": names,
                     "note": "untestable hypotheses (too little data) are left out of the family"}
    return res


def _status(name: str, v: dict[str, Any], alpha: float) -> tuple[str, str]:
    if v.get("p_value") is None:
        return "NOT_TESTED", "not tested: too little data"
    sig = v["significant_holm"]
    ph = v["p_value_holm"]
    if name == "quadratic_intensification":
        b, (lo, hi) = v["b"], v["b_ci"]
        text = f"b = {b:.3g} (CI {lo:.3g} to {hi:.3g}), Holm p = {ph:.3g}"
        if sig and b > 0:
            quad = lo is not None and hi is not None and lo <= 2.0 <= hi
            return (("SUPPORTED" if quad else "PARTIAL"),
                    text + ("; consistent with b = 2" if quad
                            else "; intensifies but b = 2 rejected "
                                 f"(p = {v['p_value_b_equals_2']:.3g})"))
        return "NOT_SUPPORTED", text
    if name == "steering_velocity_vs_oi_concentration":
        r = v["pearson_r"]
        text = f"Pearson r = {r:.3g} over {v['n_days']} days, Holm p = {ph:.3g}"
        return ("SUPPORTED" if sig and r > 0 else "NOT_SUPPORTED"), text
    text = (f"mean pnl_points {v['means'][0]:.3g} vs {v['means'][1]:.3g} "
            f"(n = {v['n'][0]}, {v['n'][1]}), Holm p = {ph:.3g}")
    return ("SUPPORTED" if sig else "NOT_SUPPORTED"), text


# --------------------------------------------------------------------------- opposite
def _clustered_mean_p(x: np.ndarray, groups: np.ndarray | None) -> float | None:
    """Two-sided p of mean(x) = 0 with standard errors clustered by day (None when there
    are fewer than 10 days or no variation)."""
    if groups is None or x.size == 0 or x.std() == 0:
        return None
    codes = pd.factorize(pd.Series(groups).astype(str))[0]
    if np.unique(codes).size < 10:
        return None
    res = sm.OLS(x, np.ones((x.size, 1))).fit(cov_type="cluster", cov_kwds={"groups": codes},
                                              use_t=True)
    return float(res.pvalues[0])


def pinning_test(settlement_closes: np.ndarray, strike_spacing: float,
                 half_widths: Sequence[float]) -> list[dict[str, Any]]:
    """Fraction of expiration-day final closes within ±h of a listed strike (multiples
    of `strike_spacing`) against the uniform reference 2h/Δ, one-sided binomial test
    (more closes near strikes = pinning)."""
    c = np.asarray(settlement_closes, dtype=float)
    c = c[np.isfinite(c)]
    dist = np.abs(c - strike_spacing * np.round(c / strike_spacing))
    out = []
    for h in half_widths:
        p0 = min(1.0, 2.0 * h / strike_spacing)
        k = int((dist <= h).sum())
        n = int(c.size)
        p = (float(stats.binomtest(k, n, p0, alternative="greater").pvalue)
             if n and 0 < p0 < 1 else None)
        out.append({"half_width": float(h), "n_days": n, "within": k,
                    "fraction": k / n if n else None, "uniform_reference": p0,
                    "p_value_pinning": p})
    return out


def opposite_hypothesis(settlement_closes: np.ndarray, strike_spacing: float,
                        outcomes: pd.DataFrame | None, cfg: ValidationConfig) -> dict[str, Any]:
    """The specification's direction (away from strikes) against the literature's (toward /
    pinning).

    Direction: among predictions with a non-zero realized move, moves in the predicted
    (away) direction vs the opposite one, two-sided binomial test against 1/2 — with no
    steering either way the two are symmetric, whatever the win/loss mix of a trading rule.
    A day-clustered test is reported beside it; the verdict on the direction uses the
    larger (conservative) of the two p-values.
    """
    pin = pinning_test(settlement_closes, strike_spacing, cfg.pin_half_widths)
    direction: dict[str, Any] = {
        "n_nonzero": 0, "specification_direction_hits": 0, "opposite_direction_hits": 0,
        "specification_direction_rate": None, "opposite_direction_rate": None, "p_value": None,
        "p_value_day_clustered": None, "p_value_conservative": None,
        "test": "binomial, specification vs opposite among non-zero moves, p0 = 0.5, two-sided"}
    if outcomes is not None and len(outcomes):
        o = _oos(outcomes)
        o = o.loc[o["urgency"].isin(CLASSES)]
        s = np.sign(np.asarray(o["actual_direction"], dtype=float))
        d = np.asarray(o["steering_direction"], dtype=float)
        moved = np.isfinite(s) & (s != 0)
        is_away = s[moved] == d[moved]
        away = int(is_away.sum())
        n = int(moved.sum())
        toward = n - away
        direction.update(n_nonzero=n, specification_direction_hits=away,
                         opposite_direction_hits=toward,
                         specification_direction_rate=away / n if n else None,
                         opposite_direction_rate=toward / n if n else None,
                         p_value=float(stats.binomtest(away, n, 0.5).pvalue) if n else None)
        # predictions of one day share their moves: a day-clustered test beside it
        days = o["quote_date"].to_numpy()[moved] if "quote_date" in o.columns else None
        clustered = _clustered_mean_p(is_away.astype(float) - 0.5, days)
        direction["p_value_day_clustered"] = clustered
        direction["p_value_conservative"] = (max(direction["p_value"], clustered)
                                             if clustered is not None else direction["p_value"])
    alpha = cfg.alpha
    p = direction.get("p_value_conservative")
    if p is not None and p < alpha:
        away_wins = direction["specification_direction_hits"] > direction["opposite_direction_hits"]
        supported = ("AWAY_FROM_STRIKES (specification)" if away_wins
                     else "TOWARD_STRIKES (opposite)")
    else:
        supported = "NEITHER"
    pinned = [r for r in pin if r["p_value_pinning"] is not None and r["p_value_pinning"] < alpha]
    summary = (f"prediction direction: {supported}"
               + (f" (specification {direction['specification_direction_hits']} vs opposite "
                  f"{direction['opposite_direction_hits']}, p = {p:.3g})" if p is not None else "")
               + "; settlement pinning: "
               + (", ".join(f"±{r['half_width']:g}: {r['fraction']:.1%} vs "
                            f"{r['uniform_reference']:.1%}" for r in pinned)
                  + " (more than uniform)" if pinned
                  else "no excess of closes near strikes"))
    return {"direction_test": direction, "pinning": pin,
            "strike_spacing": float(strike_spacing),
            "direction_supported": supported,
            "pinning_detected": bool(pinned),
            "summary": summary}
