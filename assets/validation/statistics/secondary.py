"""The specification's three secondary hypotheses, and the statuses the family gives them.

1. Quadratic intensification (here): |move| / σ̂(minute, horizon) ≈ a · minutes^(−b), b
   from a log-log OLS (statsmodels) with its CI. What is tested (the family's p-value) is
   b > 0, one-sided: the move intensifies as expiry nears. The specification's b = 2 is
   only described beside it (rejected or not, unadjusted): not rejecting b = 2 is no
   evidence that the growth is quadratic, so no label claims it. σ̂ is the causal
   same-minute volatility of `same_minute`: |move| / √horizon alone grows near the close
   on a market with no steering at all (intraday volatility is U-shaped); dividing by
   what that minute usually does removes it.
2. Steering velocity vs OI concentration: `steering_concentration`.
3. Distinct urgency patterns: `urgency_patterns` (each class's move and duration against
   its own expected ranges, normalized by the same-minute volatility, and Welch's t
   between the classes; one intersection-union p-value).

Each test's p-value is one-sided in the direction of its claim ((3)'s is the largest of
its components'). They are not corrected here: they are members of the package's one
family of claims (`assets.validation.claims.claims_family`), which sets each status from its
family-adjusted p-value. A test that cannot be run (too little data) is
reported as not tested.

Input tables (plain DataFrames):
- outcomes: the pressure stage's prediction outcomes — `minutes_to_expiry`,
  `actual_magnitude`, `horizon_minutes`, `minutes_to_extreme`, `actual_direction`,
  `steering_direction`, `urgency`, `quote_date`, `is_calibration` (out-of-sample rows
  only are used);
- daily: `quote_date`, `steering_velocity` and a concentration column (`hhi` by default,
  or `top_share`), e.g. from `daily_steering_table`;
- days: the MarketDays (every expiration day, calibration included) behind the
  same-minute volatility.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from assets.common.config import UrgencyRule, ValidationConfig
from assets.common.market_day import MarketDay
from assets.validation.package.json_values import finite_or_none
from assets.validation.statistics.same_minute import (
    CLASSES,
    MIN_HISTORY_DAYS,
    same_minute_volatility,
)
from assets.validation.statistics.same_minute import out_of_sample_rows as _oos
from assets.validation.statistics.steering_concentration import steering_vs_concentration
from assets.validation.statistics.urgency_patterns import (
    HYPOTHESIS,
    TEST,
    distinct_urgency_patterns,
)


# --------------------------------------------------------------------------- (1)
def quadratic_intensification(outcomes: pd.DataFrame, days: Sequence[MarketDay] | None = None,
                              magnitude_col: str = "actual_magnitude",
                              minutes_col: str = "minutes_to_expiry",
                              horizon_col: str = "horizon_minutes",
                              alpha: float = 0.05,
                              min_history: int = MIN_HISTORY_DAYS,
                              level: float | None = None) -> dict[str, Any]:
    """Fit log y = log a − b · log minutes by OLS, y the realized move's size relative to
    what the same minute usually does.

    With `days` (every expiration day available, calibration included): y = |move| /
    `same_minute_volatility` — robust to intraday volatility seasonality and to the
    classes' different horizons. Without them: y = |move| / √horizon, which removes the
    horizons but not the seasonality (kept for callers without bars; the package always
    passes the days). Rows with minutes ≤ 0, a zero move or no volatility reference are
    dropped and counted. SEs are clustered by day when the days are known. `alpha` sets
    the CI's level; `level` (default alpha) the one b = 2 is described at."""
    o = _oos(outcomes)
    o = o.loc[o["urgency"].isin(CLASSES)] if "urgency" in o.columns else o
    m = np.asarray(o[minutes_col], dtype=float)
    y = np.abs(np.asarray(o[magnitude_col], dtype=float))
    if days is not None:
        scale = same_minute_volatility(o, days, min_history)
        y_text = (f"|{magnitude_col}| / RMS of the same-horizon move from the same minute on "
                  f"earlier days (>= {min_history} days)")
    else:
        h = np.asarray(o[horizon_col], dtype=float)
        scale = np.where(h > 0, np.sqrt(np.where(h > 0, h, 1.0)), np.nan)
        y_text = f"|{magnitude_col}| / sqrt({horizon_col}) (not seasonality-robust)"
    with np.errstate(divide="ignore", invalid="ignore"):
        y = y / scale
    ok = np.isfinite(m) & np.isfinite(y) & (m > 0) & (y > 0)
    out: dict[str, Any] = {
        "hypothesis": ("assignment pressure intensifies as expiry nears (exponent b > 0; the "
                       "specification's quadratic b = 2 is described, not claimed)"),
        "model": "log y = log a - b log(minutes_to_expiry), OLS",
        "y": y_text, "seasonality_robust": days is not None,
        "n": int(ok.sum()), "n_dropped": int((~ok).sum()), "b": None, "b_ci": [None, None],
        "b_se": None, "p_value": None, "p_value_two_sided": None,
        "p_value_b_equals_2": None, "b_equals_2": "not tested",
        "test": "Wald test of b = 0, one-sided (b > 0; SEs clustered by day when available)",
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
        p_value_two_sided=finite_or_none(res.pvalues[1]),
        p_value=finite_or_none(res.pvalues[1] / 2 if res.params[1] < 0
                               else 1 - res.pvalues[1] / 2),
        p_value_b_equals_2=finite_or_none(
            res.t_test((np.array([[0.0, 1.0]]), np.array([-2.0]))).pvalue),
    )
    p2 = out["p_value_b_equals_2"]
    if p2 is not None:
        out["b_equals_2"] = (("rejected" if p2 < (alpha if level is None else level)
                              else "not rejected")
                             + f" (Wald p = {p2:.3g}, unadjusted; a description, not a claim)")
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


# --------------------------------------------------------------------------- all three
def secondary_hypotheses(outcomes: pd.DataFrame | None, daily: pd.DataFrame | None,
                         cfg: ValidationConfig, rules: Sequence[UrgencyRule],
                         concentration_col: str = "hhi",
                         days: Sequence[MarketDay] | None = None) -> dict[str, Any]:
    """Run the three tests (raw p-values; the claims family sets their statuses).
    Distinct urgency patterns needs the days (its moves are normalized by them)."""
    alpha = cfg.alpha
    have_outcomes = outcomes is not None and len(outcomes) > 0
    return {
        "quadratic_intensification": (quadratic_intensification(
            outcomes, days, alpha=alpha, level=cfg.effective_alpha)
            if have_outcomes else {"p_value": None, "n": 0}),
        "steering_velocity_vs_oi_concentration": (
            steering_vs_concentration(daily, concentration_col, alpha=alpha)
            if daily is not None and len(daily) else {"p_value": None, "n_days": 0}),
        "distinct_urgency_patterns": (
            distinct_urgency_patterns(outcomes, days, rules)
            if have_outcomes and days is not None else
            {"p_value": None, "n": [0, 0], "hypothesis": HYPOTHESIS, "test": TEST}),
    }


def set_statuses(secondary: dict[str, Any], adjusted: dict[str, float | None],
                 alpha: float) -> dict[str, Any]:
    """Each hypothesis's status and summary from its family-adjusted p-value
    (`adjusted[name]`, None when not tested)."""
    for name, v in secondary.items():
        ph = adjusted.get(name)
        v["p_value_adjusted"] = ph
        v["claimed"] = ph is not None and ph < alpha
        v["status"], v["summary"] = _status(name, v, alpha)
    return secondary


def _status(name: str, v: dict[str, Any], alpha: float) -> tuple[str, str]:
    if v.get("p_value") is None or v.get("p_value_adjusted") is None:
        return "NOT_TESTED", "not tested: too little data"
    sig = v["claimed"]
    ph = v["p_value_adjusted"]
    if name == "quadratic_intensification":
        b, (lo, hi) = v["b"], v["b_ci"]
        text = (("intensifies as expiry nears" if sig else "no intensification shown")
                + f" (tested: b > 0; b = {b:.3g}, unadjusted CI {lo:.3g} to {hi:.3g}, "
                f"family-adjusted p = {ph:.3g}); b = 2 {v['b_equals_2']}")
        return ("SUPPORTED" if sig else "NOT_SUPPORTED"), text
    if name == "steering_velocity_vs_oi_concentration":
        text = (f"Pearson r = {v['pearson_r']:.3g} over {v['n_days']} days, "
                f"family-adjusted p = {ph:.3g}")
        return ("SUPPORTED" if sig else "NOT_SUPPORTED"), text
    pc = v["per_class"]
    moves = " vs ".join(f"{c} {_number(pc[c]['mean_normalized_move'])} (expected "
                        f"{_number(pc[c]['expected_normalized_range'][0])}-"
                        f"{_number(pc[c]['expected_normalized_range'][1])})" for c in pc)
    text = (f"normalized moves {moves} over {v['n'][0]} / {v['n'][1]} days; Welch p = "
            f"{_number(v['welch_p_value'])}, largest component p = {v['p_value']:.3g}, "
            f"family-adjusted p = {ph:.3g}")
    return ("SUPPORTED" if sig else "NOT_SUPPORTED"), text


def _number(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"
