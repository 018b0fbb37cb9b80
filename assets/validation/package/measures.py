"""The package's two numeric sections, performance and statistical measures, built from
the statistics of the other modules (no computation of their own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assets.common.config import ValidationConfig
from assets.validation.package.sections import number_text, percent_text
from assets.validation.statistics.null_model import NullResult


def performance_metrics(ts: Mapping[str, Any], sh: Mapping[str, Any], dd: Mapping[str, Any],
                        n: int, n_cal: int) -> dict[str, Any]:
    """`performance_metrics`: win rate, P&L, the annualized daily Sharpe (with its
    convention and factor) and drawdowns of the `n` scored trades."""
    wr = ts["win_rate"]
    pnl = ts["pnl"]
    return {
        "win_rate": wr["win_rate"],
        "win_rate_confidence_interval": wr["wilson_ci"],
        "win_rate_confidence_interval_method": "Wilson, 95%",
        "win_rate_clopper_pearson_interval": wr["clopper_pearson_ci"],
        "wins": wr["wins"],
        "average_win_points": pnl["average_win_points"],
        "average_loss_points": pnl["average_loss_points"],
        "average_loss_sign": "signed (a loss is negative)",
        "profit_factor": pnl["profit_factor"],
        "expectancy_points": pnl["expectancy_points"],
        "expectancy_dollars": pnl["expectancy_dollars"],
        "mean_pnl_points": pnl["mean_pnl_points"],
        "total_pnl_points": pnl["total_pnl_points"],
        "total_pnl_dollars": pnl["total_pnl_dollars"],
        "sharpe_ratio": sh["annualized_daily_sharpe"],
        "sharpe_ratio_definition": sh["definition"],
        "sharpe_annualization_factor": sh["annualization_factor"],
        "sharpe": sh,
        "maximum_drawdown": dd["max_drawdown_fraction"],
        "maximum_drawdown_definition": "fraction of peak account equity, trade-level curve",
        "maximum_drawdown_dollars": dd["max_drawdown_dollars"],
        "maximum_drawdown_points": dd["max_drawdown_points"],
        "drawdown": dd,
        "total_sample_size": n,
        "calibration_trades_excluded": n_cal,
        "summary": (f"{n} out-of-sample trades, win rate {percent_text(wr['win_rate'])}, mean "
                    f"{number_text(pnl['mean_pnl_points'])} points/trade, annualized daily Sharpe "
                    f"{number_text(sh['annualized_daily_sharpe'])} (x sqrt("
                    f"{number_text(sh['periods_per_year'], '.4g')})), max drawdown "
                    f"{percent_text(dd['max_drawdown_fraction'])}"),
    }


def statistical_measures(ts: Mapping[str, Any], null: NullResult, null_d: Mapping[str, Any],
                         p_value: float | None, edge_adjusted: float | None,
                         h: float | None, mde: Mapping[str, Any], n: int,
                         vc: ValidationConfig) -> dict[str, Any]:
    """`statistical_measures`: the matched null's p (raw and family-adjusted), the mean's
    tests and intervals, effect sizes and the prospective MDE."""
    mt = ts["mean_pnl_test"]
    return {
        "p_value": p_value,
        "p_value_source": (f"matched random-entry null model, one-sided, B = {null.B}: "
                           "(1 + #{null mean pnl_points >= observed}) / (B + 1)"),
        "p_value_adjusted": edge_adjusted,
        "p_value_adjusted_source": ("the claims family (claims_family), claim edge_vs_random, "
                                    "after the selection adjustment over the variants tried "
                                    "(claims_family.selection)"),
        "observed_mean_pnl_points": null_d["observed"],
        "null_mean_pnl_points": null_d["null_mean_pnl_points"],
        "confidence_interval": mt["bootstrap_ci"],
        "confidence_interval_of": "mean pnl_points per trade (arch IID bootstrap, percentile)",
        "confidence_level": 1 - vc.alpha,
        "effect_size": ts["cohens_d"],
        "effect_size_kind": "Cohen's d: mean / sd of per-trade pnl_points",
        "cohens_h": h,
        "cohens_h_kind": "Cohen's h: observed win rate vs the null model's win rate",
        "sample_size": n,
        "power": mde,
        "minimum_detectable_effect_points_over_null": mde[
            "minimum_detectable_effect_points_over_null"],
        "minimum_detectable_effect_power": mde["power"],
        "t_test": mt,
        "binomial_test_vs_null_win_rate": null_d["binomial_test"],
        "alpha": vc.effective_alpha,
        "summary": (f"p = {number_text(p_value)} against matched random entries (B = {null.B}), "
                    f"family-adjusted {number_text(edge_adjusted)}; mean "
                    f"{number_text(mt['mean'])} points/trade, 95% CI "
                    f"{number_text(mt['bootstrap_ci'][0])} to "
                    f"{number_text(mt['bootstrap_ci'][1])}; Cohen's d "
                    f"{number_text(ts['cohens_d'])}; MDE "
                    f"{number_text(mde['minimum_detectable_effect_points_over_null'])} "
                    "points/trade over the null's mean at 80% power"),
    }
