"""Secondary hypothesis 3, distinct urgency patterns: each class moves as its own pattern
says, and the two patterns differ.

Why not the classes' P&L: they trade with different stops, targets and holds, so their
P&L differs by construction; and Mann-Whitney's size breaks when the two spreads differ.
The hypothesis is about the market's move after an alert, so that is what is measured:

- the normalized move z = |move| / σ̂, σ̂ the causal same-minute volatility of
  `same_minute` (the RMS of the move over the same horizon from the same minute on
  earlier days). Without urgency behaviour z is alike in both classes whatever their
  horizons and the intraday seasonality (up to the shape of the move's distribution);
- each class's expected magnitude range in the same units, [low, high] / σ̂, and its
  expected duration range against the realized time to the favourable extreme
  (`minutes_to_extreme`).

Tests, on each class's day means (alerts of one day share their moves, so days are the
units):
- the patterns differ: Welch's t of z between the classes, two-sided (its size holds
  with unequal spreads and sample sizes);
- each class within its own ranges: one-sided one-sample t tests that (|move| − low) / σ̂
  > 0, (high − |move|) / σ̂ > 0 and minutes_to_extreme − duration low > 0. The upper end of
  the duration range is the outcome horizon, so the realized time cannot exceed it: not
  tested.
The claim is the conjunction of all of them, so its p-value is the largest (an
intersection-union test, Berger 1982: level α without any adjustment).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from assets.common.config import UrgencyRule
from assets.common.market_day import MarketDay
from assets.validation.package.json_values import finite_or_none
from assets.validation.statistics.same_minute import (
    CLASSES,
    MIN_HISTORY_DAYS,
    out_of_sample_rows,
    same_minute_volatility,
)

MIN_DAYS_PER_CLASS = 10
RANGE_MEASURES = ("move_above_low", "move_below_high", "duration_above_low")
HYPOTHESIS = ("market-maker behaviour follows distinct urgency patterns: after an alert the "
              "two classes move differently relative to what their minutes usually do, and "
              "each class's move and time to its extreme lie in its own expected ranges")
TEST = ("intersection-union, p = the largest of: Welch's t, two-sided, of |move| / "
        "same-minute RMS move between the classes; per class, one-sided one-sample t tests "
        "that (|move| - low) / RMS > 0 and (high - |move|) / RMS > 0 for its expected "
        "magnitude range and minutes_to_extreme - low > 0 for its expected duration range; "
        "units: each class's day means")


def pattern_measures(outcomes: pd.DataFrame, days: Sequence[MarketDay],
                     rules: Sequence[UrgencyRule],
                     min_history: int = MIN_HISTORY_DAYS) -> pd.DataFrame:
    """Per out-of-sample alert of the two classes with a same-minute volatility: its
    normalized move and its distances to the class's own expected ranges."""
    by_name = {r.name: r for r in rules}
    o = out_of_sample_rows(outcomes)
    o = o.loc[o["urgency"].isin([c for c in CLASSES if c in by_name])]
    scale = same_minute_volatility(o, days, min_history)
    move = np.abs(np.asarray(o["actual_magnitude"], dtype=float))
    cls = o["urgency"].to_numpy()
    low, high = (np.array([by_name[c].move_magnitude[k] for c in cls], dtype=float)
                 for k in (0, 1))
    d_low = np.array([by_name[c].move_duration[0] for c in cls], dtype=float)
    duration = np.asarray(o["minutes_to_extreme"], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pd.DataFrame({
            "quote_date": o["quote_date"].to_numpy(), "urgency": cls, "move_points": move,
            "move_z": move / scale, "expected_low_z": low / scale,
            "expected_high_z": high / scale, "move_above_low": (move - low) / scale,
            "move_below_high": (high - move) / scale, "minutes_to_extreme": duration,
            "duration_above_low": duration - d_low})
    ok = np.isfinite(scale) & (scale > 0) & np.isfinite(move) & np.isfinite(duration)
    return frame.loc[ok].reset_index(drop=True)


def _one_sided_greater(x: np.ndarray) -> list[float | None]:
    """Per column of `x`: the one-sample t test's p of mean > 0 (None for a column with no
    spread, where the test is undefined)."""
    p = np.atleast_1d(stats.ttest_1samp(x, 0.0, axis=0, alternative="greater").pvalue)
    return [None if np.ptp(x[:, k]) == 0 else finite_or_none(p[k]) for k in range(x.shape[1])]


def pattern_tests(day_means: pd.DataFrame, min_days: int = MIN_DAYS_PER_CLASS
                  ) -> dict[str, Any]:
    """The tests on day means (columns of `pattern_measures`, one row per class and day);
    p_value None when a class has fewer than `min_days` days or a test cannot be run."""
    groups = [day_means.loc[day_means["urgency"] == c] for c in CLASSES]
    out: dict[str, Any] = {"n": [int(len(g)) for g in groups], "welch_t": None,
                           "welch_df": None, "welch_p_value": None, "components": {},
                           "p_value": None, "min_days_per_class": min_days}
    if min(out["n"]) < max(2, min_days):
        return out
    a, b = (np.asarray(g["move_z"], dtype=float) for g in groups)
    welch = stats.ttest_ind(a, b, equal_var=False)
    components = {"distinct_normalized_moves": finite_or_none(welch.pvalue)}
    for c, g in zip(CLASSES, groups, strict=True):
        p_range = _one_sided_greater(g[list(RANGE_MEASURES)].to_numpy(dtype=float))
        components.update({f"{c}_{m}": p for m, p in zip(RANGE_MEASURES, p_range, strict=True)})
    p = list(components.values())
    out.update(welch_t=finite_or_none(welch.statistic), welch_df=finite_or_none(welch.df),
               welch_p_value=components["distinct_normalized_moves"], components=components,
               p_value=None if any(x is None for x in p) else max(p))
    return out


def _class_summary(rows: pd.DataFrame, day_means: pd.DataFrame,
                   rule: UrgencyRule) -> dict[str, Any]:
    def mean(col: str) -> float | None:
        return finite_or_none(day_means[col].mean()) if len(day_means) else None

    return {"n_days": int(len(day_means)), "n_alerts": int(len(rows)),
            "mean_normalized_move": mean("move_z"),
            "expected_normalized_range": [mean("expected_low_z"), mean("expected_high_z")],
            "mean_move_points": mean("move_points"),
            "expected_magnitude_range": list(rule.move_magnitude),
            "mean_minutes_to_extreme": mean("minutes_to_extreme"),
            "expected_duration_range": list(rule.move_duration)}


def distinct_urgency_patterns(outcomes: pd.DataFrame, days: Sequence[MarketDay],
                              rules: Sequence[UrgencyRule],
                              min_history: int = MIN_HISTORY_DAYS,
                              min_days: int = MIN_DAYS_PER_CLASS) -> dict[str, Any]:
    """The hypothesis's block of the package: what is tested, per-class summaries against
    the expected ranges (day means), the component p-values and the claim's p-value."""
    rows = pattern_measures(outcomes, days, rules, min_history)
    n_rows = int(out_of_sample_rows(outcomes)["urgency"].isin(CLASSES).sum())
    day_means = rows.groupby(["urgency", "quote_date"]).mean(numeric_only=True).reset_index()
    by_name = {r.name: r for r in rules}
    tests = pattern_tests(day_means, min_days)
    return {"hypothesis": HYPOTHESIS, "test": TEST,
            "normalization": (f"|move| / RMS of the same-horizon move from the same minute "
                              f"on earlier days (>= {min_history} days)"),
            "classes": list(CLASSES), "n_alerts": int(len(rows)),
            "n_dropped": n_rows - int(len(rows)),
            "per_class": {c: _class_summary(rows.loc[rows["urgency"] == c],
                                            day_means.loc[day_means["urgency"] == c],
                                            by_name[c])
                          for c in CLASSES if c in by_name},
            **tests}
