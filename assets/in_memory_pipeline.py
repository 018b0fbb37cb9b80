"""The numpy half of the graph as plain functions: MarketDays in, evidence package out.

The Dagster assets call these one stage at a time with the warehouse in between; tests,
benchmarks and Monte Carlo studies over many synthetic worlds call them in memory. One code
path, so what the studies measure is what the nightly run does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.pressure.alerts import alert_columns, alerts_frame, calibrate_thresholds
from assets.pressure.calibration import Calibration, split_calibration_days
from assets.pressure.kernel import GridWorkspace, pressure_grid
from assets.pressure.outcomes import prediction_outcomes
from assets.trading.risk import risk_management_report
from assets.trading.simulator import build_bar_tape, simulate_trades


def alerts_for(market: Mapping[dt.date, MarketDay],
               cfg: LabConfig) -> tuple[pd.DataFrame, Calibration]:
    """Thresholds from the calibration window, then causal alerts on every day.

    Grids are built one day at a time in one reusable workspace and dropped after use, so
    memory stays at one day's surface however many years are scored.
    """
    if not market:
        raise ValueError("no expiration day has both published bars and OI: nothing to score")
    calib, scored = split_calibration_days(list(market), cfg.pressure.calibration_days)
    workspace = GridWorkspace()
    thresholds = calibrate_thresholds(
        (pressure_grid(market[d], cfg.pressure, workspace=workspace) for d in calib), cfg.pressure)
    calib_set = set(calib)
    alerts = alerts_frame(
        alert_columns(market[d], pressure_grid(market[d], cfg.pressure, workspace=workspace),
                      thresholds, cfg.pressure, is_calibration=d in calib_set)
        for d in sorted(market))
    return alerts, Calibration(tuple(calib), tuple(scored), dict(thresholds))


def trades_for(alerts: pd.DataFrame, market: Mapping[dt.date, MarketDay],
               cfg: LabConfig) -> pd.DataFrame:
    return simulate_trades(alerts, market, cfg.trading, cfg.pressure.urgency_rules)


def risk_for(trades: pd.DataFrame, alerts: pd.DataFrame, market: Mapping[dt.date, MarketDay],
             cfg: LabConfig, scored_days) -> dict[str, Any]:
    return risk_management_report(trades, alerts, build_bar_tape(market), cfg.trading,
                                  all_days=list(scored_days))


def run_in_memory(market: Mapping[dt.date, MarketDay], cfg: LabConfig,
                  protocol: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every numpy stage on in-memory days; returns the evidence package (no timestamp)."""
    from assets.validation.evaluate import evaluate

    alerts, calibration = alerts_for(market, cfg)
    outcomes = prediction_outcomes(alerts, market, cfg.pressure)
    trades = trades_for(alerts, market, cfg)
    risk = risk_for(trades, alerts, market, cfg, calibration.scored_days)
    package, _ = evaluate(trades, outcomes, market, cfg, risk,
                          dict(protocol or {"calibration_split": calibration.as_record()}),
                          validation_timestamp="")
    return package
