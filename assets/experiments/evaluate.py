"""Evaluate many variants on one dataset, sharing every computation they share.

The stages are the in-memory runner's (`assets.in_memory_pipeline`): the same calibration split,
thresholds, causal alerts, simulator, costs and Sharpe convention as `run`. Variants are
grouped three ways so nothing is computed twice:
- by probability model (the only input of a pressure grid besides the data): each day's
  grid is built once per model and handed to every variant of the group;
- by pressure section (thresholds, windows, cooldown): alerts once per distinct section;
- by trading section: one simulation per variant.
Grids are built a day at a time and dropped (the calibration window's are kept), so memory
stays at one day's surface however many variants and years there are.

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
from assets.common.config import LabConfig, PressureConfig
from assets.common.market_day import MarketDay
from assets.experiments.benchmark import RandomEntryBenchmark
from assets.experiments.grid import Variant
from assets.pressure.alerts import alert_columns, alerts_frame, calibrate_thresholds
from assets.pressure.calibration import split_calibration_days
from assets.pressure.kernel import GridWorkspace, pressure_grid
from assets.pressure.series import utc_timestamps
from assets.pressure.urgency import classify_grid
from assets.trading.simulator import build_bar_tape, simulate_trades
from assets.validation.metrics import out_of_sample
from assets.validation.sharpe import annualized_sharpe, daily_pnl


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
    benchmark_daily_pnl: np.ndarray  # the matched random-entry benchmark, same days

    def metrics(self) -> dict[str, Any]:
        return {"n_trades": self.n_trades, "win_rate": self.win_rate,
                "mean_pnl_points": self.mean_pnl_points, "sharpe_ratio": self.sharpe_ratio}


def grid_key(pc: PressureConfig) -> str:
    """What a pressure grid depends on besides the day: the probability model."""
    if pc.probability_model == "specification":
        return "specification"
    return f"{pc.probability_model}:{pc.vol_halflife_minutes!r}:{pc.vol_floor_annual!r}"


def _section_key(section) -> str:
    return json.dumps(section.model_dump(mode="json"), sort_keys=True)


def scored_days(market: Mapping[dt.date, MarketDay], cfg: LabConfig) -> list[dt.date]:
    """The out-of-sample days every variant is scored on (the run's calibration split)."""
    return split_calibration_days(list(market), cfg.pressure.calibration_days)[1]


def variant_alerts(market: Mapping[dt.date, MarketDay],
                   pressure_configs: Sequence[PressureConfig]) -> list:
    """Alerts of each pressure config, all sharing one probability model (one grid a day)."""
    keys = {grid_key(pc) for pc in pressure_configs}
    if len(keys) != 1:
        raise ValueError(f"pressure configs of one group must share a grid; got {keys}")
    days = sorted(market)
    calib, _ = split_calibration_days(days, pressure_configs[0].calibration_days)
    calib_grids = {d: pressure_grid(market[d], pressure_configs[0]) for d in calib}
    thresholds = [calibrate_thresholds(calib_grids.values(), pc) for pc in pressure_configs]
    columns: list[list] = [[] for _ in pressure_configs]
    workspace = GridWorkspace()
    rule_sets = [tuple(pc.urgency_rules) for pc in pressure_configs]
    for day in days:
        grid = calib_grids.get(day)
        if grid is None:
            grid = pressure_grid(market[day], pressure_configs[0], workspace=workspace)
        ts = utc_timestamps(market[day].ts).asi8
        codes: dict[tuple, np.ndarray] = {}
        for i, pc in enumerate(pressure_configs):
            if rule_sets[i] not in codes:
                codes[rule_sets[i]] = classify_grid(grid, rule_sets[i])
            columns[i].append(alert_columns(market[day], grid, thresholds[i], pc,
                                            is_calibration=day in calib_grids,
                                            codes=codes[rule_sets[i]], ts=ts))
    return [alerts_frame(cols) for cols in columns]


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
    by_grid: dict[str, dict[str, list[Variant]]] = defaultdict(lambda: defaultdict(list))
    for v in variants:
        by_grid[grid_key(v.config.pressure)][_section_key(v.config.pressure)].append(v)
    results: dict[str, VariantResult] = {}
    for by_pressure in by_grid.values():
        groups = list(by_pressure.values())
        alerts = variant_alerts(market, [g[0].config.pressure for g in groups])
        for group, group_alerts in zip(groups, alerts, strict=True):
            for v in group:
                trades = simulate_trades(group_alerts, tape, v.config.trading,
                                         v.config.pressure.urgency_rules)
                results[v.digest] = score_variant(v, trades, benchmark, oos_days, periods)
    return [results[v.digest] for v in variants]


def score_variant(v: Variant, trades, benchmark: RandomEntryBenchmark,
                  oos_days: Sequence[dt.date], periods_per_year: float) -> VariantResult:
    oos = out_of_sample(trades)
    daily = daily_pnl(oos, oos_days).reindex(oos_days, fill_value=0.0).to_numpy()
    bench = benchmark.daily_dollars(trades, v.config.pressure.urgency_rules, v.config.trading)
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
