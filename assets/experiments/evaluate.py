"""Evaluate many variants on one dataset, sharing every computation they share.

The stages are the engine's (`assets.engine`): the same calibration split, thresholds,
causal alerts, simulator, costs and Sharpe convention as `run`. Variants are grouped so
nothing is computed twice: the units (alerts and priced candidates, without the Monte
Carlo shares) once per distinct pressure section, then one sequential pass per variant,
re-pricing the alerts only when its trading section differs from the group's first.

BLAS runs on one thread here: a day's grid is a few hundred rows, too small for OpenBLAS's
threads to pay off, and on a busy machine they cost far more than they save (measured 30x
slower per rank-one update on 2 shared cores). Parallelism comes from the executor instead.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from assets.common.calendar import expiration_days_per_year
from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.engine.aggregate import trades_under
from assets.engine.procedure import entry_minutes_under
from assets.engine.run import procedure_for
from assets.engine.unit import compute_units
from assets.experiments.benchmark import RandomEntryBenchmark
from assets.experiments.grid import Variant
from assets.pressure.calibration import split_calibration_days
from assets.trading.simulator import build_bar_tape
from assets.validation.statistics.metrics import out_of_sample
from assets.validation.statistics.sharpe import annualized_sharpe, daily_pnl


@dataclass(frozen=True)
class VariantResult:
    """One variant's scores on the out-of-sample days (`daily*` aligned with those days)."""

    digest: str
    overrides: dict[str, Any]
    n_trades: int
    win_rate: float | None
    mean_pnl_points: float | None
    sharpe_ratio: float  # annualized daily Sharpe, as in the evidence package
    daily_pnl: np.ndarray  # dollars per out-of-sample day, 0 without a trade
    benchmark_daily_pnl: np.ndarray  # the matched null's expected dollars, same days

    def metrics(self) -> dict[str, Any]:
        return {"n_trades": self.n_trades, "win_rate": self.win_rate,
                "mean_pnl_points": self.mean_pnl_points, "sharpe_ratio": self.sharpe_ratio}


def _section_key(section) -> str:
    return json.dumps(section.model_dump(mode="json"), sort_keys=True)


def scored_days(market: Mapping[dt.date, MarketDay], cfg: LabConfig) -> list[dt.date]:
    """The out-of-sample days every variant is scored on (the run's calibration split)."""
    return split_calibration_days(list(market), cfg.pressure.calibration_days)[1]


def evaluate_variants(market: Mapping[dt.date, MarketDay],
                      variants: Sequence[Variant]) -> list[VariantResult]:
    """Every variant's result, in the order given."""
    with threadpool_limits(1, user_api="blas"):
        return _evaluate_variants(market, variants)


def _evaluate_variants(market: Mapping[dt.date, MarketDay],
                       variants: Sequence[Variant]) -> list[VariantResult]:
    if not market:
        raise ValueError("no expiration day has both published bars and OI: nothing to score")
    splits = {v.config.pressure.calibration_days for v in variants}
    if len(splits) > 1:
        raise ValueError(f"variants disagree on pressure.calibration_days: {sorted(splits)}")
    oos_days = scored_days(market, variants[0].config)
    tape = build_bar_tape(market)
    benchmark = RandomEntryBenchmark(tape)
    # the package's convention: sqrt(expiration days per year in the sample), not sqrt(252)
    periods = expiration_days_per_year(oos_days, variants[0].config.calendar.exchange)
    by_pressure: dict[str, list[Variant]] = defaultdict(list)
    for v in variants:
        by_pressure[_section_key(v.config.pressure)].append(v)
    days = [market[d] for d in sorted(market)]
    results: dict[str, VariantResult] = {}
    for group in by_pressure.values():
        proc = procedure_for(market, group[0].config)
        units = compute_units(days, proc, monte_carlo=False)
        for v in group:
            trades = trades_under(units.alerts, units.candidates, units.summaries, tape, proc,
                                  v.config.trading)
            entry_minutes = entry_minutes_under(units.alerts, tape, proc, v.config.trading)
            results[v.digest] = score_variant(v, trades, benchmark, oos_days, periods,
                                              entry_minutes)
    return [results[v.digest] for v in variants]


def score_variant(v: Variant, trades, benchmark: RandomEntryBenchmark,
                  oos_days: Sequence[dt.date], periods_per_year: float,
                  entry_minutes: Mapping[str, Sequence[Sequence[float]]]) -> VariantResult:
    """`entry_minutes`: the variant's calibrated entry-minute distribution (its matched
    null's, and so its benchmark's)."""
    oos = out_of_sample(trades)
    daily = daily_pnl(oos, oos_days).reindex(oos_days, fill_value=0.0).to_numpy()
    bench = benchmark.daily_dollars(trades, v.config.pressure.urgency_rules, v.config.trading,
                                    entry_minutes)
    n = len(oos)
    points = np.asarray(oos["pnl_points"], dtype=float)
    dollars = np.asarray(oos["pnl_dollars"], dtype=float)
    sharpe = annualized_sharpe(daily, periods_per_year)
    return VariantResult(
        digest=v.digest, overrides=dict(v.overrides), n_trades=n,
        win_rate=float((dollars > 0).mean()) if n else None,
        mean_pnl_points=float(points.mean()) if n else None,
        sharpe_ratio=float(sharpe) if np.isfinite(sharpe) else 0.0,
        daily_pnl=daily,
        benchmark_daily_pnl=bench.reindex(oos_days, fill_value=0.0).to_numpy())
