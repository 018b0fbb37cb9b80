"""The whole validation from the engine's aggregate: the entry point of the assets and of
the in-memory runs.

Every statistic is computed on the out-of-sample days only, the expiration days after the
calibration window; the Monte Carlo results come from the engine (per-day units, summed),
the rest is computed here from the aggregate's tables and bars.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.validation.package.assembly import build_evidence_package
from assets.validation.package.daily_edge import DAILY_EDGE_FILE, daily_edge, daily_edge_csv
from assets.validation.package.figures import example_day_heatmap
from assets.validation.package.horizon import full_sample_block, on_horizon
from assets.validation.package.publishing import empirical_evidence_files
from assets.validation.statistics.metrics import out_of_sample
from assets.validation.statistics.opposite_hypothesis import opposite_hypothesis
from assets.validation.statistics.prediction import prediction_accuracy, pressure_vs_move_figure
from assets.validation.statistics.regimes import RegimeInputs, regimes_section, trade_edges
from assets.validation.statistics.secondary import secondary_hypotheses


def evaluate(agg, cfg: LabConfig, risk_management: Mapping[str, Any],
             reproducibility_protocol: Mapping[str, Any],
             heatmap: Mapping[str, Any] | None = None,
             validation_timestamp: str | None = None, looks=None,
             study: Mapping[str, Any] | None = None, variant_trials: Any = None,
             load_days: Callable[[list], Mapping[Any, MarketDay]] | None = None,
             calendar_placebo: Mapping[str, Any] | None = None,
             regime_inputs: RegimeInputs | None = None
             ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The whole validation: (package, evidence files) from the engine's `Aggregate`; the
    files include the per-day `daily_edge.csv` the pooled package reads.

    Past a pre-registered horizon the package is the horizon's (`on_horizon`), with the
    full sample's figures in `exploratory_full_sample`. `load_days` gives full MarketDays
    (for the example day's heat map) when `heatmap` is not passed; `variant_trials`: the
    variants tried on this dataset, from the registry (`assets.experiments.registry.
    variant_trials`); None: `validation.n_variants_tried`; `calendar_placebo`: the engine's
    `calendar_placebo_block` (both edges and the expiration_specific test). `regime_inputs`:
    ATM IV and the dealers' position per day for the regime splits (None: those splits are
    not tested).
    """
    vc = cfg.validation
    full = agg
    if agg.horizon is not None:
        agg = on_horizon(agg)
    trades, outcomes = agg.trades, agg.outcomes
    have_outcomes = outcomes is not None and len(outcomes) > 0
    prediction = (prediction_accuracy(outcomes, vc.alpha, vc.min_class_trades) if have_outcomes
                  else None)
    scored = set(agg.scored_days)
    summaries = agg.summaries
    daily = summaries.loc[[d in scored for d in summaries["quote_date"]],
                          ["quote_date", "hhi", "top_share", "steering_velocity"]]
    daily = daily.reset_index(drop=True)
    known = set(agg.days)
    secondary = secondary_hypotheses(outcomes if have_outcomes else None, daily, vc,
                                     cfg.pressure.urgency_rules,
                                     days=[d for d in tape_days(agg.tape)
                                           if d.quote_date in known])
    closes = np.array([c for d, c, n in zip(summaries["quote_date"],
                                             summaries["settlement_close"],
                                             summaries["n_bars"], strict=True)
                       if d in scored and n], dtype=float)
    opposite = opposite_hypothesis(closes, cfg.ingestion.strike_grid_points,
                                   outcomes if have_outcomes else None, vc)
    pvm = pressure_vs_move_figure(outcomes) if have_outcomes else None
    if heatmap is None and agg.scored_days and load_days is not None:
        day = example_day(trades, agg.scored_days)
        heatmap = example_day_heatmap(list(load_days([day]).values()), trades, cfg)
    ri = regime_inputs or RegimeInputs()
    edges = trade_edges(trades, agg.tape, cfg.pressure.urgency_rules, cfg.trading,
                        agg.procedure.entry_minutes)
    regimes = regimes_section(edges, agg.scored_days, ri.iv, ri.dealer, vc.min_class_trades,
                              cfg.pressure.calibration_days, ri.iv_source, ri.dealer_source)
    package = build_evidence_package(
        trades, agg.scored_days, agg.null, cfg, risk_management, reproducibility_protocol,
        prediction, secondary, opposite, pvm, heatmap, validation_timestamp,
        direction_null=agg.direction_null, placebo=agg.placebo, looks=looks, study=study,
        variant_trials=variant_trials, available_days=full.scored_days,
        full_sample=full_sample_block(full, cfg) if full is not agg else None,
        calendar_placebo=calendar_placebo, regimes=regimes)
    files = empirical_evidence_files(package, trades)
    files[DAILY_EDGE_FILE] = daily_edge_csv(daily_edge(agg))
    return package, files


def example_day(trades, scored_days):
    """The out-of-sample day with the most scored trades (the latest on ties; the last
    scored day when nothing traded): the package's heat-map day."""
    oos = out_of_sample(trades)
    counts = oos["quote_date"].value_counts().to_dict() if len(oos) else {}
    return max(scored_days, key=lambda d: (int(counts.get(d, 0)), d))


def tape_days(tape) -> list[MarketDay]:
    """Bars-only MarketDays (views into the tape, no OI) for statistics that read prices."""
    import pandas as pd

    empty = np.empty(0)
    out = []
    for i, d in enumerate(tape.dates):
        s = slice(int(tape.day_start[i]), int(tape.day_start[i] + tape.day_len[i]))
        out.append(MarketDay(d, pd.NaT, pd.NaT, tape.ts[s], tape.open[s], tape.high[s],
                             tape.low[s], tape.close[s], tape.minutes_to_expiry[s], empty,
                             empty, empty))
    return out
