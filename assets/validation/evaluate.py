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
from assets.validation.null_model import random_entry_null
from assets.validation.package_assembly import build_evidence_package, derived_seeds
from assets.validation.package_figures import example_day_heatmap
from assets.validation.prediction import prediction_accuracy, pressure_vs_move_figure
from assets.validation.publishing import empirical_evidence_files
from assets.validation.secondary import (
    daily_steering_table,
    opposite_hypothesis,
    secondary_hypotheses,
)


def evaluate(trades: pd.DataFrame, outcomes: pd.DataFrame | None,
             market_days: Sequence[MarketDay] | Mapping[Any, MarketDay], cfg: LabConfig,
             risk_management: Mapping[str, Any], reproducibility_protocol: Mapping[str, Any],
             heatmap: Mapping[str, Any] | None = None,
             validation_timestamp: str | None = None,
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
    _, oos_market = split_calibration_days(days, cfg.pressure.calibration_days,
                                           key=lambda d: d.quote_date)
    oos_days = [d.quote_date for d in oos_market]
    validation_config = cfg.validation
    seeds = derived_seeds(validation_config.seed)
    null = random_entry_null(trades, build_bar_tape(days), cfg.pressure.urgency_rules,
                             cfg.trading, validation_config.null_replications,
                             seeds["null_model"])
    have_outcomes = outcomes is not None and len(outcomes) > 0
    prediction = (prediction_accuracy(outcomes, validation_config.alpha) if have_outcomes
                  else None)
    daily = daily_steering_table(oos_market, cfg.pressure.urgency_rules)
    secondary = secondary_hypotheses(outcomes if have_outcomes else None, daily, trades,
                                     validation_config)
    closes = np.array([d.close[-1] for d in oos_market if d.n_bars], dtype=float)
    opposite = opposite_hypothesis(closes, cfg.ingestion.strike_grid_points,
                                   outcomes if have_outcomes else None, validation_config)
    pressure_vs_move = pressure_vs_move_figure(outcomes) if have_outcomes else None
    if heatmap is None and oos_market:
        heatmap = example_day_heatmap(oos_market, trades, cfg)
    package = build_evidence_package(trades, oos_days, null, cfg, risk_management,
                                     reproducibility_protocol, prediction, secondary, opposite,
                                     pressure_vs_move, heatmap, validation_timestamp,
                                     variant_trials)
    return package, empirical_evidence_files(package, trades)
