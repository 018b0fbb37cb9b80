"""How good were the predictions themselves (before any trading rule)?

The specification's `validate_pressure_calculation_accuracy`, made honest:
- direction accuracy has a Wilson CI and is tested (one-sided binomial) against a base
  rate, not against 0.5: the base rate is the accuracy a predictor would reach if its
  directions were unrelated to the outcomes while keeping the same mix of predicted
  directions and the same mix of realized up / down / flat moves in the group,
  p0 = f(pred up)·f(move up) + f(pred down)·f(move down). A market that drifts, or a
  measure that is often exactly flat, moves p0 away from 0.5;
- magnitude and timing errors per class (mean absolute error; signed bias beside it);
- "R²" is the OLS R² of a simple regression of the realized move in the predicted
  direction on log10(pressure), per class and overall, with the slope and its p-value.

Input: the pressure stage's `prediction_outcomes` table (`assets.pressure.outcomes`):
`actual_move` is the close-to-close move at the horizon end signed in the predicted
direction, `actual_direction` the sign of the raw move, `actual_magnitude` its size,
`minutes_to_extreme` the realized timing. Only out-of-sample rows of the two signal
classes are scored.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from assets.validation.package.json_values import finite_or_none

CLASSES: tuple[str, ...] = ("ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT")
MIN_CLUSTERS = 10  # days needed before day-clustered standard errors are used
# Required; optional: quote_date (day-clustered tests), actual_magnitude, expected_move,
# expected_duration, minutes_to_extreme (realized timing, minutes).
OUTCOME_COLUMNS: tuple[str, ...] = ("urgency", "steering_direction", "actual_move",
                                    "actual_direction", "pressure", "is_calibration")




def scored_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Out-of-sample outcomes of signal classes with a finite realized move."""
    missing = [c for c in OUTCOME_COLUMNS if c not in outcomes.columns]
    if missing:
        raise KeyError(f"prediction outcomes lack columns {missing}")
    o = outcomes.loc[~outcomes["is_calibration"].astype(bool)]
    o = o.loc[o["urgency"].isin(CLASSES)]
    return o.loc[np.isfinite(np.asarray(o["actual_move"], dtype=float))].reset_index(drop=True)


def shuffled_base_rate(direction: np.ndarray, realized_direction: np.ndarray) -> float:
    """Expected accuracy of directions independent of the outcomes (same marginals)."""
    d = np.asarray(direction)
    m = np.sign(np.asarray(realized_direction, dtype=float))
    if d.size == 0:
        return math.nan
    return float((d > 0).mean() * (m > 0).mean() + (d < 0).mean() * (m < 0).mean())


def _day_codes(groups: np.ndarray | None) -> np.ndarray | None:
    """Integer day codes, or None when there are too few days to cluster on."""
    if groups is None:
        return None
    codes = pd.factorize(pd.Series(groups).astype(str))[0]
    return codes if np.unique(codes).size >= MIN_CLUSTERS else None


def direction_accuracy(direction: np.ndarray, realized_direction: np.ndarray,
                       alpha: float = 0.05,
                       base_rate: float | None = None,
                       groups: np.ndarray | None = None) -> dict[str, Any]:
    """Hit rate (a flat move is a miss) with Wilson CI and a one-sided binomial test
    against the base rate (`shuffled_base_rate` unless given).

    The binomial test treats predictions as independent; predictions of the same day
    share their moves, so with `groups` (quote dates) a day-clustered test of the same
    hypothesis (mean hit - p0 > 0, cluster-robust SE) is reported beside it, and
    `p_value_conservative` is the larger of the two."""
    d = np.asarray(direction)
    m = np.sign(np.asarray(realized_direction, dtype=float))
    n = int(d.size)
    hits = m == d
    correct = int(hits.sum())
    p0 = shuffled_base_rate(d, m) if base_rate is None else float(base_rate)
    out: dict[str, Any] = {"n": n, "correct": correct, "accuracy": None,
                           "wilson_ci": [None, None], "base_rate": finite_or_none(p0),
                           "base_rate_method": ("shuffled: same predicted/realized direction "
                                                "mix, independent" if base_rate is None
                                                else "given"),
                           "p_value": None, "p_value_day_clustered": None,
                           "p_value_conservative": None, "alternative": "greater"}
    if n == 0:
        return out
    lo, hi = proportion_confint(correct, n, alpha=alpha, method="wilson")
    out.update(accuracy=correct / n, wilson_ci=[float(lo), float(hi)])
    if 0.0 < p0 < 1.0:
        out["p_value"] = float(stats.binomtest(correct, n, p0, alternative="greater").pvalue)
        out["p_value_conservative"] = out["p_value"]
        codes = _day_codes(groups)
        if codes is not None and hits.std() > 0:
            res = sm.OLS(hits.astype(float) - p0, np.ones((n, 1))).fit(
                cov_type="cluster", cov_kwds={"groups": codes})
            z = float(res.params[0] / res.bse[0])
            out["p_value_day_clustered"] = float(stats.norm.sf(z))
            out["p_value_conservative"] = max(out["p_value"], out["p_value_day_clustered"])
    return out


def pressure_regression(pressure: np.ndarray, move_in_direction: np.ndarray,
                        groups: np.ndarray | None = None) -> dict[str, Any]:
    """OLS of the realized move in the predicted direction on log10(pressure); the slope's
    p-value uses SEs clustered by day when `groups` (quote dates) are given."""
    p = np.asarray(pressure, dtype=float)
    y = np.asarray(move_in_direction, dtype=float)
    ok = (p > 0) & np.isfinite(p) & np.isfinite(y)
    out: dict[str, Any] = {"r_squared_kind": "OLS R^2 of move_in_predicted_direction ~ "
                                             "1 + log10(pressure)",
                           "n": int(ok.sum()), "r_squared": None, "slope": None,
                           "slope_p_value": None, "intercept": None}
    x = np.log10(p[ok])
    if ok.sum() < 3 or np.ptp(x) == 0:
        return out
    codes = _day_codes(None if groups is None else np.asarray(groups)[ok])
    model = sm.OLS(y[ok], sm.add_constant(x))
    res = (model.fit(cov_type="cluster", cov_kwds={"groups": codes}) if codes is not None
           else model.fit())
    out["slope_se_kind"] = "cluster-robust by quote_date" if codes is not None else "OLS"
    out.update(r_squared=finite_or_none(res.rsquared), slope=finite_or_none(res.params[1]),
               slope_p_value=finite_or_none(res.pvalues[1]),
               intercept=finite_or_none(res.params[0]))
    return out


def _errors(o: pd.DataFrame) -> dict[str, Any]:
    """Magnitude error |expected_move - actual_magnitude| and timing error
    |expected_duration - minutes_to_extreme|; biases are realized minus expected."""
    mag = (np.asarray(o["actual_magnitude"], dtype=float) if "actual_magnitude" in o.columns
           else np.abs(np.asarray(o["actual_move"], dtype=float)))
    out: dict[str, Any] = {
        "mean_realized_magnitude": finite_or_none(np.nanmean(mag)) if mag.size else None}
    if "expected_move" in o.columns:
        err = mag - np.asarray(o["expected_move"], dtype=float)
        ok = np.isfinite(err)
        out["mean_abs_magnitude_error"] = (finite_or_none(np.abs(err[ok]).mean()) if ok.any()
                                           else None)
        out["mean_magnitude_bias"] = finite_or_none(err[ok].mean()) if ok.any() else None
    if "minutes_to_extreme" in o.columns:
        realized = np.asarray(o["minutes_to_extreme"], dtype=float)
        ok = np.isfinite(realized)
        out["mean_realized_duration_minutes"] = (finite_or_none(realized[ok].mean()) if ok.any()
                                                 else None)
        out["n_timed"] = int(ok.sum())
        if "expected_duration" in o.columns:
            terr = realized - np.asarray(o["expected_duration"], dtype=float)
            ok = np.isfinite(terr)
            out["mean_abs_timing_error_minutes"] = (finite_or_none(np.abs(terr[ok]).mean())
                                                    if ok.any() else None)
            out["mean_timing_bias_minutes"] = finite_or_none(terr[ok].mean()) if ok.any() else None
    return out


def _group_summary(o: pd.DataFrame, alpha: float) -> dict[str, Any]:
    d = np.asarray(o["steering_direction"], dtype=int)
    days = o["quote_date"].to_numpy() if "quote_date" in o.columns else None
    return {"sample_size": int(len(o)),
            "n_days": int(pd.Series(days).nunique()) if days is not None else None,
            "direction": direction_accuracy(d, np.asarray(o["actual_direction"], dtype=float),
                                            alpha, groups=days),
            **_errors(o),
            "pressure_regression": pressure_regression(
                np.asarray(o["pressure"], dtype=float),
                np.asarray(o["actual_move"], dtype=float), days)}


def prediction_accuracy(outcomes: pd.DataFrame, alpha: float = 0.05,
                        min_class_size: int = 10) -> dict[str, Any]:
    """Overall and per-class accuracy summary, with the specification's keys at the top level.
    A class with fewer than `min_class_size` scored predictions gets its count only: no
    statistic is reported on a handful of predictions."""
    o = scored_outcomes(outcomes)
    overall = _group_summary(o, alpha)
    per_class = {}
    for c in CLASSES:
        group = o.loc[o["urgency"] == c]
        per_class[c] = (_group_summary(group, alpha) if len(group) >= min_class_size else
                        {"sample_size": int(len(group)), "tested": False,
                         "note": f"fewer than {min_class_size} predictions: not tested"})
    dirn = overall["direction"]
    return {
        "overall_direction_accuracy": dirn["accuracy"],
        "average_magnitude_error": overall.get("mean_abs_magnitude_error"),
        "average_timing_error_minutes": overall.get("mean_abs_timing_error_minutes"),
        "confidence_interval_95": dirn["wilson_ci"],
        "confidence_level": 1 - alpha,
        "sample_size": overall["sample_size"],
        "statistical_significance": dirn["p_value"],
        "statistical_significance_conservative": dirn["p_value_conservative"],
        "overall": overall,
        "per_class": per_class,
    }


def pressure_vs_move_figure(outcomes: pd.DataFrame) -> dict[str, list]:
    """Scatter data for the report: log10 pressure vs move in the predicted direction."""
    o = scored_outcomes(outcomes)
    p = np.asarray(o["pressure"], dtype=float)
    ok = p > 0
    y = np.asarray(o["actual_move"], dtype=float)[ok]
    return {"log10_pressure": [float(v) for v in np.log10(p[ok])],
            "realized_move": [float(v) for v in y],
            "urgency": [str(u) for u in o["urgency"].to_numpy()[ok]]}
