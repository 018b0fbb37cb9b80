"""Units: what each expiration day contributes under one procedure, needing no other day.

A day's unit is its alerts, prediction outcomes and priced (unsized) trade candidates, a
summary row (settlement close, OI concentration, steering velocity, skips), and, on a
scored day, its Monte Carlo shares. Units are computed in batches of days only to pay
pandas' per-call cost once per batch: every row and share still depends on its own day
alone (a position never outlives its day, and each day draws from its own stream).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from assets.common.market_day import MarketDay
from assets.engine.monte_carlo import (
    NullShare,
    direction_share,
    entry_tables,
    null_share,
    trade_arrays,
)
from assets.engine.placebo import placebo_share
from assets.engine.procedure import Procedure, day_stream, provisional_taken
from assets.pressure.alerts import alert_columns, alerts_frame, empty_alerts
from assets.pressure.kernel import GridWorkspace, pressure_grid
from assets.pressure.outcomes import OUTCOME_COLUMNS, prediction_outcomes
from assets.trading.simulator import (
    NO_SIGNAL,
    BarTape,
    build_bar_tape,
    empty_skips,
    priced_candidates,
)
from assets.validation.package.assembly import derived_seeds
from assets.validation.statistics.steering_concentration import daily_steering_table

# What the aggregation's sequential pass needs of a priced candidate (indices local to
# the day's bars; the aggregation moves them onto the whole tape).
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "alert_id", "quote_date", "urgency", "entry_index", "last_index", "direction",
    "stop_points", "target_points", "max_hold_minutes", "predicted_magnitude",
    "predicted_timing", "confidence", "is_calibration", "exit_index", "exit_price",
    "exit_code", "pnl_points", "multiplier", "provisional",
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "quote_date", "is_calibration", "n_bars", "settlement_close", "hhi", "top_share",
    "steering_velocity", "skipped_no_bars", "skipped_too_late", "null_fallback",
)
BATCH_DAYS = 64


@dataclass
class Shares:
    null: NullShare
    direction: np.ndarray  # (B,)
    placebo_sums: np.ndarray  # (R,)
    placebo_counts: np.ndarray  # (R,)


@dataclass
class Units:
    """The units of some days, as tables keyed by `quote_date` and shares by day."""

    alerts: pd.DataFrame
    outcomes: pd.DataFrame
    candidates: pd.DataFrame
    summaries: pd.DataFrame
    shares: dict[dt.date, Shares] = field(default_factory=dict)

    @property
    def days(self) -> list[dt.date]:
        return list(self.summaries["quote_date"])

    @staticmethod
    def concat(parts: Iterable[Units]) -> Units:
        parts = list(parts)
        shares: dict[dt.date, Shares] = {}
        for p in parts:
            shares.update(p.shares)
        return Units(concat_frames([p.alerts for p in parts], empty_alerts()),
                     concat_frames([p.outcomes for p in parts], _empty(OUTCOME_COLUMNS)),
                     concat_frames([p.candidates for p in parts], _empty(CANDIDATE_COLUMNS)),
                     concat_frames([p.summaries for p in parts], _empty(SUMMARY_COLUMNS)), shares)


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def concat_frames(frames: Sequence[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    """The non-empty frames stacked (pandas warns on empty ones), else `empty`."""
    found = [f for f in frames if len(f)]
    return pd.concat(found, ignore_index=True) if found else empty


def compute_units(days: Sequence[MarketDay], proc: Procedure, monte_carlo: bool = True,
                  workspace: GridWorkspace | None = None) -> Units:
    """The units of `days` (any order); `monte_carlo=False` skips the shares (sweeps)."""
    ordered = sorted(days, key=lambda d: d.quote_date)
    workspace = workspace or GridWorkspace()
    return Units.concat(_batch(ordered[i:i + BATCH_DAYS], proc, workspace, monte_carlo)
                        for i in range(0, len(ordered), BATCH_DAYS))


def _batch(days: Sequence[MarketDay], proc: Procedure, workspace: GridWorkspace,
           monte_carlo: bool) -> Units:
    cfg = proc.cfg
    rules = tuple(cfg.pressure.urgency_rules)
    calib = set(proc.calibration_days)
    columns = []
    for day in days:
        grid = pressure_grid(day, cfg.pressure, workspace=workspace)
        columns.append(alert_columns(day, grid, proc.thresholds, cfg.pressure,
                                     is_calibration=day.quote_date in calib))
    alerts = alerts_frame(columns)
    tape = build_bar_tape(days)
    priced = priced_candidates(alerts, tape, cfg.trading, rules, empty_skips())
    if priced.empty:  # no signal in the batch: the candidate columns, zero rows
        priced = priced.reindex(columns=[c for c in CANDIDATE_COLUMNS if c != "provisional"])
    prov = np.zeros(len(priced), dtype=bool)
    if len(priced):
        prov[provisional_taken(priced["entry_index"].to_numpy(np.int64),
                               priced["exit_index"].to_numpy(np.int64),
                               cfg.trading.allow_overlap)] = True
    priced = priced.assign(provisional=prov)
    outcomes = prediction_outcomes(alerts, {d.quote_date: d for d in days}, cfg.pressure)
    signals = alerts.loc[alerts["urgency"] != NO_SIGNAL, "quote_date"].value_counts()
    taken = priced["quote_date"].value_counts() if len(priced) else pd.Series(dtype=int)
    steering = daily_steering_table(days, rules)
    summaries = pd.DataFrame({
        "quote_date": [d.quote_date for d in days],
        "is_calibration": [d.quote_date in calib for d in days],
        "n_bars": [d.n_bars for d in days],
        "settlement_close": [float(d.close[-1]) if d.n_bars else np.nan for d in days],
        "hhi": steering["hhi"].to_numpy(), "top_share": steering["top_share"].to_numpy(),
        "steering_velocity": steering["steering_velocity"].to_numpy(),
        "skipped_no_bars": 0,
        "skipped_too_late": [int(signals.get(d.quote_date, 0) - taken.get(d.quote_date, 0))
                             for d in days],
        "null_fallback": 0,
    }, columns=list(SUMMARY_COLUMNS))
    shares = {}
    if monte_carlo:
        for pos, day in enumerate(days):
            if day.quote_date in calib:
                continue
            mine = priced[(priced["quote_date"] == day.quote_date) & priced["provisional"]]
            shares[day.quote_date] = day_shares(day, pos, tape, mine, proc)
            summaries.loc[pos, "null_fallback"] = shares[day.quote_date].null.fallback
    local = _to_local(priced, tape)
    return Units(alerts, outcomes, local.reindex(columns=list(CANDIDATE_COLUMNS)),
                 summaries, shares)


def _to_local(priced: pd.DataFrame, tape: BarTape) -> pd.DataFrame:
    if priced.empty:
        return priced
    pos = np.array([tape.day_position(d) for d in priced["quote_date"]], dtype=np.int64)
    start = tape.day_start[pos]
    return priced.assign(**{c: priced[c].to_numpy(np.int64) - start
                            for c in ("entry_index", "exit_index", "last_index")})


def day_shares(day: MarketDay, pos: int, tape: BarTape, trades: pd.DataFrame,
               proc: Procedure) -> Shares:
    """The day's Monte Carlo shares for `trades` (its taken trades, `entry_index` on
    `tape`, where the day sits at position `pos`)."""
    cfg = proc.cfg
    vc = cfg.validation
    rules = tuple(cfg.pressure.urgency_rules)
    seeds = derived_seeds(vc.seed)
    t = trade_arrays(trades, tape, rules, cfg.trading)
    null = null_share(t, tape, pos, rules, cfg.trading, entry_tables(proc.entry_minutes),
                      vc.null_replications,
                      day_stream(seeds["null_model"], "null_model", day.quote_date))
    direction = direction_share(t, tape, cfg.trading, vc.null_replications,
                                day_stream(seeds["direction_null"], "direction_null",
                                           day.quote_date))
    sums, counts = placebo_share(day, cfg, proc.thresholds,
                                 day_stream(seeds["oi_placebo"], "oi_placebo", day.quote_date))
    return Shares(null, direction, sums, counts)


def redraw_shares(day: MarketDay, trades: pd.DataFrame, proc: Procedure) -> Shares:
    """Shares on one day's final trades (`entry_index` local to the day)."""
    return day_shares(day, 0, build_bar_tape([day]), trades, proc)
