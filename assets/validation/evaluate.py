"""The whole validation from the stage inputs: the entry point of the assets and of the
in-memory pipeline.

Every statistic is computed on the out-of-sample days only, the expiration days after the
calibration window the pressure stage used; the random procedures take their seeds from
`ValidationConfig.seed` (see `derived_seeds`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.pressure.calibration import split_calibration_days
from assets.validation.claims_family import CONFIRMATORY, gatekeeping_graph
from assets.validation.direction_null import direction_only_null
from assets.validation.json_values import finite_or_none
from assets.validation.metrics import out_of_sample, wins_of
from assets.validation.null_model import random_entry_null
from assets.validation.oi_placebo import oi_placebo
from assets.validation.opposite_hypothesis import opposite_hypothesis
from assets.validation.package_assembly import build_evidence_package, derived_seeds
from assets.validation.package_figures import example_day_heatmap
from assets.validation.prediction import prediction_accuracy, pressure_vs_move_figure
from assets.validation.publishing import empirical_evidence_files
from assets.validation.repeated_looks import horizon_days
from assets.validation.secondary import secondary_hypotheses
from assets.validation.sharpe import sharpe_statistics
from assets.validation.steering_concentration import daily_steering_table


def _horizon_verdict(trades: pd.DataFrame, oos_days: list, tape, cfg: LabConfig,
                     seed: int) -> dict[str, Any] | None:
    """Verdict inputs on the pre-registered horizon's days when the sample has grown past
    it (None when there is no horizon or the sample is exactly the horizon)."""
    vc = cfg.validation
    if vc.evaluation_horizon_days is None or len(oos_days) <= vc.evaluation_horizon_days:
        return None
    days = horizon_days(oos_days, vc.evaluation_horizon_days)
    keep = set(days)
    oos = out_of_sample(trades)
    sub = oos.loc[[pd.Timestamp(d).date() in keep for d in oos["quote_date"]]]
    null = random_entry_null(sub, tape, cfg.pressure.urgency_rules, cfg.trading,
                             vc.null_replications, seed, min_class_trades=vc.min_class_trades)
    sh = sharpe_statistics(sub, days, vc.n_variants_tried, 10, seed, vc.alpha,
                           exchange=cfg.calendar.exchange)
    weight = gatekeeping_graph([CONFIRMATORY, CONFIRMATORY])[0][0]
    p = finite_or_none(null.p_value)
    return {"n_trades": int(len(sub)),
            "win_rate": float(wins_of(sub).mean()) if len(sub) else None,
            "sharpe": sh["annualized_daily_sharpe"],
            "p_value_adjusted": None if p is None else min(1.0, p / weight)}


def evaluate(trades: pd.DataFrame, outcomes: pd.DataFrame | None,
             market_days: Sequence[MarketDay] | Mapping[Any, MarketDay], cfg: LabConfig,
             risk_management: Mapping[str, Any], reproducibility_protocol: Mapping[str, Any],
             heatmap: Mapping[str, Any] | None = None,
             validation_timestamp: str | None = None,
             looks: pd.DataFrame | None = None,
             study: Mapping[str, Any] | None = None,
             variant_trials: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The whole validation: (package, evidence files) from the stage inputs.

    Out-of-sample days are the expiration days after the first
    `cfg.pressure.calibration_days` days (the calibration window the pressure stage used).
    `variant_trials`: the variants tried on this dataset, from the registry
    (`assets.experiments.registry.variant_trials`); None: `validation.n_variants_tried`.
    """
    from assets.trading.simulator import build_bar_tape

    days = sorted(market_days.values() if isinstance(market_days, Mapping) else market_days,
                  key=lambda d: d.quote_date)
    market = {d.quote_date: d for d in days}
    _, oos_market = split_calibration_days(days, cfg.pressure.calibration_days,
                                           key=lambda d: d.quote_date)
    oos_days = [d.quote_date for d in oos_market]
    vc = cfg.validation
    seeds = derived_seeds(vc.seed)
    tape = build_bar_tape(days)
    null = random_entry_null(trades, tape, cfg.pressure.urgency_rules, cfg.trading,
                             vc.null_replications, seeds["null_model"],
                             min_class_trades=vc.min_class_trades)
    dnull = direction_only_null(trades, tape, cfg.trading, vc.null_replications,
                                seeds["direction_null"])
    placebo = oi_placebo(market, cfg, null.observed_mean_pnl_points,
                         vc.oi_placebo_replications, seeds["oi_placebo"])
    have_outcomes = outcomes is not None and len(outcomes) > 0
    prediction = (prediction_accuracy(outcomes, vc.alpha, vc.min_class_trades) if have_outcomes
                  else None)
    daily = daily_steering_table(oos_market, cfg.pressure.urgency_rules)
    secondary = secondary_hypotheses(outcomes if have_outcomes else None, daily, vc,
                                     cfg.pressure.urgency_rules, days=days)
    closes = np.array([d.close[-1] for d in oos_market if d.n_bars], dtype=float)
    opposite = opposite_hypothesis(closes, cfg.ingestion.strike_grid_points,
                                   outcomes if have_outcomes else None, vc)
    pvm = pressure_vs_move_figure(outcomes) if have_outcomes else None
    if heatmap is None and oos_market:
        heatmap = example_day_heatmap(oos_market, trades, cfg)
    package = build_evidence_package(
        trades, oos_days, null, cfg, risk_management, reproducibility_protocol, prediction,
        secondary, opposite, pvm, heatmap, validation_timestamp, direction_null=dnull,
        placebo=placebo, looks=looks, study=study, variant_trials=variant_trials,
        horizon_verdict=_horizon_verdict(trades, oos_days, tape, cfg, seeds["horizon_null"]))
    return package, empirical_evidence_files(package, trades)
