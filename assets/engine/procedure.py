"""What a unit depends on besides its own day: the config and what calibration fixed.

Calibration (the first `pressure.calibration_days` days) sets the per-class alert
thresholds and the matched null's entry-minute distribution: the minutes-to-expiry of the
calibration window's trades per class. Fixing that distribution before any scored day is
what lets a scored day's null draws depend on that day alone (the alternative, pooling the
scored trades' own minutes, ties every day's draws to every other day's trades).

The digest hashes all of it; a unit stored under another digest is stale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assets.common.config import LabConfig, TradingConfig
from assets.common.market_day import MarketDay
from assets.pressure.alerts import alert_columns, alerts_frame, calibrate_thresholds
from assets.pressure.kernel import GridWorkspace, pressure_grid
from assets.trading.simulator import BarTape, build_bar_tape, empty_skips, priced_candidates

ENGINE_VERSION = 1  # bump when a unit's content changes for the same inputs
# Random stream of each Monte Carlo: SeedSequence([derived seed, kind, day ordinal]).
STREAM_KINDS = {"null_model": 1, "direction_null": 2, "oi_placebo": 3}


@dataclass(frozen=True)
class Procedure:
    cfg: LabConfig
    calibration_days: tuple[dt.date, ...]
    thresholds: dict[str, float]
    # class -> ((entry minutes-to-expiry, probability), ...), from the calibration trades
    entry_minutes: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return procedure_digest(self)

    def is_calibration(self, day: dt.date) -> bool:
        return day in set(self.calibration_days)

    def record(self) -> dict[str, Any]:
        return {"calibration_days": [d.isoformat() for d in self.calibration_days],
                "thresholds": dict(self.thresholds),
                "entry_minutes": {k: [list(p) for p in v]
                                  for k, v in sorted(self.entry_minutes.items())}}


def procedure_digest(proc: Procedure) -> str:
    """sha256 of everything a unit's content depends on besides its day."""
    cfg = proc.cfg.model_dump(mode="json")
    vc = cfg["validation"]
    relevant = {
        "engine_version": ENGINE_VERSION,
        "calendar": cfg["calendar"], "ingestion": cfg["ingestion"],
        "pressure": cfg["pressure"], "trading": cfg["trading"],
        "monte_carlo": {k: vc[k] for k in ("null_replications", "oi_placebo_replications",
                                          "seed")},
        **proc.record(),
    }
    text = json.dumps(relevant, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def day_stream(seed: int, kind: str, day: dt.date) -> np.random.Generator:
    """The random stream of one Monte Carlo on one day: independent of which other days
    exist, so a unit's draws never change when history grows."""
    return np.random.default_rng(np.random.SeedSequence(
        [int(seed), STREAM_KINDS[kind], day.toordinal()]))


def provisional_taken(entry: np.ndarray, exit_: np.ndarray, allow_overlap: bool) -> np.ndarray:
    """Positions of the candidates the one-position rule takes when every size is positive
    (the simulator's pass without sizing): what a day's unit can know on its own."""
    taken, busy_until = [], -1
    for k, (e, x) in enumerate(zip(entry.tolist(), exit_.tolist(), strict=True)):
        if not allow_overlap and e <= busy_until:
            continue
        busy_until = max(busy_until, x)
        taken.append(k)
    return np.asarray(taken, dtype=np.int64)


def calibrate(calibration: Sequence[MarketDay], cfg: LabConfig) -> Procedure:
    """Thresholds and the matched null's entry-minute distribution from the calibration
    window's days (in day order)."""
    days = sorted(calibration, key=lambda d: d.quote_date)
    workspace = GridWorkspace()
    thresholds = calibrate_thresholds(
        (pressure_grid(d, cfg.pressure, workspace=workspace) for d in days), cfg.pressure)
    minutes: dict[str, list[float]] = {}
    for day in days:
        grid = pressure_grid(day, cfg.pressure, workspace=workspace)
        alerts = alerts_frame([alert_columns(day, grid, thresholds, cfg.pressure, True)])
        tape = build_bar_tape([day])
        priced = priced_candidates(alerts, tape, cfg.trading, cfg.pressure.urgency_rules,
                                   empty_skips())
        _add_entry_minutes(priced, tape, cfg.trading.allow_overlap, minutes)
    return Procedure(cfg, tuple(d.quote_date for d in days), dict(thresholds),
                     entry_distribution(minutes))


def _add_entry_minutes(priced, tape: BarTape, allow_overlap: bool,
                       minutes: dict[str, list[float]]) -> None:
    """Append the entry minutes-to-expiry of the trades the one-position rule takes (every
    size positive) among `priced`, per class."""
    if priced.empty:
        return
    keep = provisional_taken(priced["entry_index"].to_numpy(np.int64),
                             priced["exit_index"].to_numpy(np.int64), allow_overlap)
    chosen = priced.iloc[keep]
    entry_m = tape.minutes_to_expiry[chosen["entry_index"].to_numpy(np.int64)]
    for u, m in zip(chosen["urgency"].astype(str), entry_m.tolist(), strict=True):
        minutes.setdefault(u, []).append(float(m))


def entry_minutes_under(alerts, tape: BarTape, proc: Procedure,
                        trading: TradingConfig) -> dict[str, tuple[tuple[float, float], ...]]:
    """The matched null's entry-minute distribution a run with another trading section (a
    sweep variant) would calibrate: the procedure's calibration alerts priced under
    `trading` on `tape` (a position never outlives its day, so one pass over the whole tape
    takes what the per-day passes of `calibrate` take)."""
    if trading == proc.cfg.trading:
        return proc.entry_minutes
    calib = alerts[alerts["is_calibration"].astype(bool)]
    priced = priced_candidates(calib, tape, trading, proc.cfg.pressure.urgency_rules,
                               empty_skips())
    minutes: dict[str, list[float]] = {}
    _add_entry_minutes(priced, tape, trading.allow_overlap, minutes)
    return entry_distribution(minutes)


def entry_distribution(minutes: Mapping[str, Sequence[float]]
                       ) -> dict[str, tuple[tuple[float, float], ...]]:
    out = {}
    for u, values in sorted(minutes.items()):
        vals, counts = np.unique(np.asarray(values, dtype=float), return_counts=True)
        out[u] = tuple((float(v), float(c / counts.sum()))
                       for v, c in zip(vals, counts, strict=True))
    return out
