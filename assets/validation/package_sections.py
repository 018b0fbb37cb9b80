"""Two sections of the evidence package that read the other sections: the per-class
urgency validation and the one-line hypothesis results.

Each result line starts with its status (SUPPORTED, NOT SUPPORTED, INSUFFICIENT DATA,
NOT MEASURED …) and then gives the numbers it rests on, so a reviewer can check the word
against the evidence without opening the statistics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from assets.common.config import LabConfig
from assets.validation.json_values import finite_or_none
from assets.validation.metrics import win_rate_stats, wins_of
from assets.validation.null_model import NullResult
from assets.validation.verdict import INSUFFICIENT_DATA, VALIDATED


def percent_text(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def number_text(x: float | None, fmt: str = ".3g") -> str:
    return "n/a" if x is None else format(x, fmt)


def urgency_validation(scored_trades: pd.DataFrame, cfg: LabConfig, null: NullResult,
                       prediction: Mapping[str, Any] | None) -> dict[str, Any]:
    """Per urgency class: its win rate against the specification's target, its null comparison and
    its realized moves against the expected ranges; classes with too few out-of-sample
    trades are marked INSUFFICIENT_DATA and not tested."""
    validation_config = cfg.validation
    min_trades = validation_config.min_class_trades
    out: dict[str, Any] = {}
    for rule in cfg.pressure.urgency_rules:
        class_trades = (scored_trades.loc[scored_trades["urgency"] == rule.name]
                        if len(scored_trades) else scored_trades)
        n_trades = int(len(class_trades))
        if n_trades < min_trades:
            out[rule.name] = {
                "sample_size": n_trades, "sufficient_sample": False,
                "status": "INSUFFICIENT_DATA", "min_sample_size": min_trades,
                "expected_win_rate": rule.win_rate_target,
                "note": f"fewer than {min_trades} out-of-sample trades: not tested"}
            continue
        wins = int(wins_of(class_trades).sum())
        win_rate = win_rate_stats(wins, n_trades, validation_config.alpha)
        pnl_points = np.asarray(class_trades["pnl_points"], dtype=float)
        hold_minutes = (np.asarray(class_trades["hold_minutes"], dtype=float)
                        if "hold_minutes" in class_trades else None)
        null_class = null.per_class.get(rule.name, {})
        class_prediction = (prediction or {}).get("per_class", {}).get(rule.name, {})
        magnitude_low, magnitude_high = rule.move_magnitude
        duration_low, duration_high = rule.move_duration
        realized_magnitude = class_prediction.get("mean_realized_magnitude")
        realized_duration = class_prediction.get("mean_realized_duration_minutes")
        out[rule.name] = {
            "sample_size": n_trades, "sufficient_sample": True, "status": "TESTED",
            "min_sample_size": min_trades,
            "actual_win_rate": win_rate["win_rate"], "expected_win_rate": rule.win_rate_target,
            "win_rate_meets_target": win_rate["win_rate"] >= rule.win_rate_target,
            "win_rate_ci": win_rate["wilson_ci"], "win_rate_ci_method": "Wilson",
            "win_rate_clopper_pearson_ci": win_rate["clopper_pearson_ci"],
            "p_value_vs_target": float(
                stats.binomtest(wins, n_trades, rule.win_rate_target).pvalue),
            "p_value_vs_target_test": "binomial, two-sided, p0 = the specification's target",
            "null_win_rate": null_class.get("null_win_rate"),
            "null_p_value": null_class.get("p_value"),
            "actual_avg_magnitude": finite_or_none(pnl_points.mean()),
            "actual_avg_magnitude_basis":
                "mean pnl_points per trade (the specification's profit_points)",
            "realized_move_magnitude": realized_magnitude,
            "realized_move_magnitude_basis": "prediction outcomes, mean realized magnitude",
            "expected_magnitude_range": [magnitude_low, magnitude_high],
            "magnitude_in_expected_range": (
                None if realized_magnitude is None
                else bool(magnitude_low <= realized_magnitude <= magnitude_high)),
            "actual_avg_duration_minutes": (finite_or_none(hold_minutes.mean())
                                            if hold_minutes is not None else None),
            "actual_avg_duration_basis": "mean hold_minutes per trade",
            "expected_duration_range": [duration_low, duration_high],
            "mean_timing_error_minutes": class_prediction.get("mean_abs_timing_error_minutes"),
            "realized_move_duration_minutes": realized_duration,
            "duration_in_expected_range": (
                None if realized_duration is None
                else bool(duration_low <= realized_duration <= duration_high)),
        }
    return out


def hypothesis_results(validity: str, performance: Mapping[str, Any],
                       statistical: Mapping[str, Any], prediction: Mapping | None,
                       secondary: Mapping | None, opposite: Mapping | None,
                       alpha: float, min_trades: int) -> dict[str, str]:
    """One line per hypothesis: the primary one, the prediction claims, the secondary and
    the opposite hypotheses."""
    n_trades = performance["total_sample_size"]
    win_rate = performance["win_rate"]
    win_rate_ci = performance["win_rate_confidence_interval"]
    core = (f"win rate {percent_text(win_rate)} (Wilson CI {percent_text(win_rate_ci[0])}-"
            f"{percent_text(win_rate_ci[1])}), annualized daily "
            f"Sharpe {number_text(performance['sharpe_ratio'])}, random-entry null p = "
            f"{number_text(statistical['p_value'])}, n = {n_trades}")
    if validity == INSUFFICIENT_DATA:
        primary = f"INSUFFICIENT DATA - {n_trades} out-of-sample trades < {min_trades}; {core}"
    elif validity == VALIDATED:
        primary = f"SUPPORTED - {core}"
    else:
        primary = f"NOT SUPPORTED - {core}"
    out = {"primary": primary}
    if prediction and prediction.get("sample_size"):
        out.update(_prediction_results(prediction, alpha))
    else:
        for key in ("assignment_pressure_correlation", "urgency_classification_accuracy",
                    "timing_prediction_accuracy"):
            out[key] = "NOT MEASURED - no out-of-sample prediction outcomes"
    for key, result in (secondary or {}).items():
        if key != "family" and isinstance(result, Mapping):
            holm = " (Holm-corrected)" if result.get("p_value_holm") is not None else ""
            out[f"secondary_{key}"] = f"{result.get('status')} - {result.get('summary')}{holm}"
    if opposite:
        out["opposite_hypothesis"] = str(opposite.get("summary"))
    return out


def _prediction_results(prediction: Mapping[str, Any], alpha: float) -> dict[str, str]:
    regression = prediction["overall"]["pressure_regression"]
    supported = (regression["slope"] is not None and regression["slope"] > 0
                 and regression["slope_p_value"] is not None
                 and regression["slope_p_value"] < alpha)
    out = {"assignment_pressure_correlation": (
        f"{'SUPPORTED' if supported else 'NOT SUPPORTED'} - R² = "
        f"{number_text(regression['r_squared'])} "
        f"(OLS of the move in the predicted direction on log10 pressure, n = {regression['n']}, "
        f"slope p = {number_text(regression['slope_p_value'])})")}
    direction = prediction["overall"]["direction"]
    per_class_accuracy = "; ".join(
        f"{name}: {percent_text(result['direction']['accuracy'])} "
        f"(n = {result['sample_size']})"
        for name, result in prediction["per_class"].items())
    p_conservative = direction.get("p_value_conservative")
    supported = p_conservative is not None and p_conservative < alpha
    out["urgency_classification_accuracy"] = (
        f"{'SUPPORTED' if supported else 'NOT SUPPORTED'} - direction accuracy "
        f"{percent_text(direction['accuracy'])} (Wilson CI "
        f"{percent_text(direction['wilson_ci'][0])}-"
        f"{percent_text(direction['wilson_ci'][1])}) vs base rate "
        f"{percent_text(direction['base_rate'])}, "
        f"p = {number_text(direction['p_value'])} (binomial), "
        f"{number_text(p_conservative)} (conservative); {per_class_accuracy}")
    timing_error = prediction.get("average_timing_error_minutes")
    out["timing_prediction_accuracy"] = (
        "NOT MEASURED - no realized durations" if timing_error is None else
        f"REPORTED - ±{timing_error:.1f} minute mean absolute error against the expected "
        "durations")
    return out
