"""Two sections of the evidence package that read the other sections: the per-class
urgency validation and the one-line hypothesis results (every SUPPORTED or detected in
them comes from a claim of the family, `assets.validation.claims.claims`).

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
from assets.common.home_split import level_text
from assets.validation.claims.verdict import DSR_THRESHOLD, INSUFFICIENT_DATA, VALIDATED
from assets.validation.package.json_values import finite_or_none
from assets.validation.statistics.metrics import win_rate_stats, wins_of
from assets.validation.statistics.null_model import NullResult


def percent_text(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def number_text(x: float | None, fmt: str = ".3g") -> str:
    return "n/a" if x is None else format(x, fmt)


def urgency_validation(oos: pd.DataFrame, cfg: LabConfig, null: NullResult,
                        prediction: Mapping[str, Any] | None,
                        claims: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    vc = cfg.validation
    out: dict[str, Any] = {}
    for rule in cfg.pressure.urgency_rules:
        t = oos.loc[oos["urgency"] == rule.name] if len(oos) else oos
        n = int(len(t))
        if n < vc.min_class_trades:
            out[rule.name] = {
                "sample_size": n, "sufficient_sample": False, "status": "INSUFFICIENT_DATA",
                "min_sample_size": vc.min_class_trades,
                "expected_win_rate": rule.win_rate_target,
                "note": f"fewer than {vc.min_class_trades} out-of-sample trades: not tested"}
            continue
        wins = int(wins_of(t).sum())
        wr = win_rate_stats(wins, n, vc.alpha)
        pts = np.asarray(t["pnl_points"], dtype=float)
        hold = np.asarray(t["hold_minutes"], dtype=float) if "hold_minutes" in t else None
        nk = null.per_class.get(rule.name, {})
        pc = (prediction or {}).get("per_class", {}).get(rule.name, {})
        lo_m, hi_m = rule.move_magnitude
        lo_d, hi_d = rule.move_duration
        realized_mag = pc.get("mean_realized_magnitude")
        realized_dur = pc.get("mean_realized_duration_minutes")
        entry = {
            "sample_size": n, "sufficient_sample": True, "status": "TESTED",
            "min_sample_size": vc.min_class_trades,
            "actual_win_rate": wr["win_rate"], "expected_win_rate": rule.win_rate_target,
            "win_rate_meets_target": wr["win_rate"] >= rule.win_rate_target,
            "win_rate_ci": wr["wilson_ci"], "win_rate_ci_method": "Wilson",
            "win_rate_clopper_pearson_ci": wr["clopper_pearson_ci"],
            "p_value_vs_target": float(stats.binomtest(wins, n, rule.win_rate_target).pvalue),
            "p_value_vs_target_test": "binomial, two-sided, p0 = the specification's target",
            "null_win_rate": nk.get("null_win_rate"),
            "null_p_value": nk.get("p_value"),
            "null_p_value_adjusted": claims.get(f"class_{rule.name}_vs_random", {}).get(
                "adjusted_p_value"),
            "beats_random_entries": bool(claims.get(f"class_{rule.name}_vs_random", {}).get(
                "claimed", False)),
            "actual_avg_magnitude": finite_or_none(pts.mean()),
            "actual_avg_magnitude_basis":
                "mean pnl_points per trade (the specification's profit_points)",
            "realized_move_magnitude": realized_mag,
            "realized_move_magnitude_basis": "prediction outcomes, mean realized magnitude",
            "expected_magnitude_range": [lo_m, hi_m],
            "magnitude_in_expected_range": (None if realized_mag is None
                                            else bool(lo_m <= realized_mag <= hi_m)),
            "actual_avg_duration_minutes": (finite_or_none(hold.mean()) if hold is not None
                                            else None),
            "actual_avg_duration_basis": "mean hold_minutes per trade",
            "expected_duration_range": [lo_d, hi_d],
            "mean_timing_error_minutes": pc.get("mean_abs_timing_error_minutes"),
            "realized_move_duration_minutes": realized_dur,
            "duration_in_expected_range": (None if realized_dur is None
                                           else bool(lo_d <= realized_dur <= hi_d)),
        }
        out[rule.name] = entry
    return out


def _label(claimed: bool) -> str:
    return "SUPPORTED" if claimed else "NOT SUPPORTED"


def hypothesis_results(validity: str, perf: dict, stats_: dict, prediction: Mapping | None,
                        secondary: Mapping | None, opposite: Mapping | None,
                        claims: Mapping[str, Mapping[str, Any]], vc,
                        full_sample: Mapping[str, Any] | None = None,
                        selection: Mapping[str, Any] | None = None) -> dict[str, str]:
    """One line per hypothesis; every SUPPORTED or detected comes from a claim
    whose family-adjusted p-value is below alpha. Past a horizon every figure is the
    horizon's, and the primary line quotes the full sample's as exploratory. With N > 1
    variants tried, the lines show the selection-adjusted p and the deflated Sharpe."""
    n = perf["total_sample_size"]
    wr, ci = perf["win_rate"], perf["win_rate_confidence_interval"]
    edge = claims["edge_vs_random"]
    chosen = bool(selection and selection.get("applied"))
    picked = (f", selection-adjusted over N = {selection['n_variants']} variants ("
              f"{selection['claims']['edge_vs_random']['method']}) "
              f"{number_text(edge['p_value'])}" if chosen else "")
    core = (f"win rate {percent_text(wr)} (Wilson CI {percent_text(ci[0])}-"
            f"{percent_text(ci[1])}), annualized daily Sharpe "
            f"{number_text(perf['sharpe_ratio'])}, matched random-entry null p = "
            f"{number_text(stats_['p_value'])}{picked} (family-adjusted "
            f"{number_text(edge['adjusted_p_value'])}), n = {n}")
    if chosen:
        gate = selection["deflated_sharpe_gate"]
        core += (f", deflated Sharpe {number_text(gate['deflated_sharpe_ratio'])} "
                 f"(N = {gate['n_trials']})")
    bar = (f"the strategy specification's performance bar (win rate >= "
           f"{vc.win_rate_threshold}, Sharpe >= {vc.sharpe_threshold}, adjusted p < "
           f"{level_text(vc.alpha, vc.home_underlyings)}"
           + (f", deflated Sharpe >= {DSR_THRESHOLD}" if chosen else "") + ")")
    if full_sample:
        core += (f" (first {vc.evaluation_horizon_days} scored days); full sample, "
                 f"exploratory and not claimed: win rate {percent_text(full_sample['win_rate'])}"
                 f", Sharpe {number_text(full_sample['annualized_daily_sharpe'])}, "
                 f"unadjusted p = {number_text(full_sample['matched_null_p_value'])}, "
                 f"n = {full_sample['n_trades']} over {full_sample['scored_days']} days")
    if validity == INSUFFICIENT_DATA:
        primary = f"INSUFFICIENT DATA - {bar} is not evaluated yet; {core}"
    elif validity == VALIDATED:
        primary = f"SUPPORTED - {bar} is met; {core}"
    else:
        primary = f"NOT SUPPORTED - {bar} is not met; {core}"
    out = {
        "edge_vs_random": (
            f"{_label(edge['claimed'])} - the alerts "
            + ("carry" if edge["claimed"] else "show no")
            + " information beyond random entries with the same exits, sizes and costs "
            f"(matched null p = {number_text(stats_['p_value'])}{picked}, family-adjusted "
            f"{number_text(edge['adjusted_p_value'])}, mean "
            f"{number_text(stats_['observed_mean_pnl_points'])} vs null "
            f"{number_text(stats_['null_mean_pnl_points'])} points/trade)"),
        "primary": primary,
    }
    if prediction and prediction.get("sample_size"):
        reg = prediction["overall"]["pressure_regression"]
        c = claims["assignment_pressure_correlation"]
        out["assignment_pressure_correlation"] = (
            f"{_label(c['claimed'])} - R² = {number_text(reg['r_squared'])} "
            f"(OLS of the move in the predicted direction on log10 pressure, n = {reg['n']}, "
            f"one-sided slope p = {number_text(c['p_value'])}, family-adjusted "
            f"{number_text(c['adjusted_p_value'])})")
        d = prediction["overall"]["direction"]
        c = claims["urgency_classification_accuracy"]
        per = "; ".join(
            f"{k}: {percent_text(v['direction']['accuracy'])} (n = {v['sample_size']})"
            if "direction" in v else f"{k}: not tested (n = {v['sample_size']})"
            for k, v in prediction["per_class"].items())
        out["urgency_classification_accuracy"] = (
            f"{_label(c['claimed'])} - direction accuracy "
            f"{percent_text(d['accuracy'])} (Wilson CI {percent_text(d['wilson_ci'][0])}-"
            f"{percent_text(d['wilson_ci'][1])}) vs base rate {percent_text(d['base_rate'])}, "
            f"p = {number_text(d['p_value_conservative'])} (conservative), family-adjusted "
            f"{number_text(c['adjusted_p_value'])}; {per}")
        te = prediction.get("average_timing_error_minutes")
        out["timing_prediction_accuracy"] = (
            "NOT MEASURED - no realized durations" if te is None else
            f"REPORTED - ±{te:.1f} minute mean absolute error against the expected durations")
    else:
        for k in ("assignment_pressure_correlation", "urgency_classification_accuracy",
                  "timing_prediction_accuracy"):
            out[k] = "NOT MEASURED - no out-of-sample prediction outcomes"
    for k, v in (secondary or {}).items():
        if isinstance(v, Mapping):
            out[f"secondary_{k}"] = f"{v.get('status')} - {v.get('summary')}"
    if opposite:
        out["opposite_hypothesis"] = str(opposite.get("summary"))
    return out
