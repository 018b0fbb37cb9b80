"""From units to the sample: the steps that are sequential across days, and the sums.

Sizing reads the recent accuracy of earlier days' signals, so the trades are taken by one
pass over every day's priced candidates (`take_trades`, the simulator's own pass). A unit's
Monte Carlo shares were drawn for its *provisional* trades (the one-position rule with
every size positive); a day where sizing dropped a trade (a size rounded to zero, which
can free the position for a later alert) has its shares drawn again for the trades
actually taken, from the same day stream, so the sums are exactly those of per-day draws
on the final trades.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from assets.common.market_day import MarketDay
from assets.engine.combine import direction_result, null_result, placebo_block
from assets.engine.monte_carlo import NullShare
from assets.engine.placebo import placebo_shifts
from assets.engine.procedure import Procedure
from assets.engine.unit import Shares, redraw_shares
from assets.trading.simulator import BarTape, empty_skips, priced_candidates, take_trades
from assets.validation.claims.repeated_looks import horizon_days
from assets.validation.package.assembly import derived_seeds
from assets.validation.statistics.direction_null import DirectionNullResult
from assets.validation.statistics.metrics import out_of_sample
from assets.validation.statistics.null_model import NullResult


class ShareSource(Protocol):
    """Summed Monte Carlo shares over a set of scored days (in memory or in the warehouse)."""

    def null(self, days: Sequence[dt.date]) -> NullShare: ...
    def null_day_means(self, days: Sequence[dt.date]) -> dict[dt.date, float]: ...
    def direction(self, days: Sequence[dt.date]) -> np.ndarray: ...
    def placebo(self, days: Sequence[dt.date]) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class HorizonMonteCarlo:
    """The three Monte Carlo results on the pre-registered horizon's days alone: each day's
    shares come from its own stream, so these never change as later days arrive."""

    days: list[dt.date]
    null: NullResult
    direction_null: DirectionNullResult
    placebo: dict[str, Any]


@dataclass
class Aggregate:
    procedure: Procedure
    days: list[dt.date]
    scored_days: list[dt.date]
    tape: BarTape
    alerts: pd.DataFrame
    outcomes: pd.DataFrame
    trades: pd.DataFrame
    summaries: pd.DataFrame
    null: NullResult
    direction_null: DirectionNullResult
    placebo: dict[str, Any]
    horizon: HorizonMonteCarlo | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    redrawn_days: list[dt.date] = field(default_factory=list)
    units: dict[str, Any] = field(default_factory=dict)
    # per scored day: the matched null's expected points over that day's trades (the mean
    # over replications of the day's summed share), for the pooled package's daily edge
    null_day_means: dict[dt.date, float] = field(default_factory=dict)


def day_mean(share: NullShare) -> float:
    """The mean over replications of one day's summed null points (0 with no draws)."""
    return float(share.sums.sum(axis=1).mean()) if share.sums.size else 0.0


def on_tape(candidates: pd.DataFrame, tape: BarTape) -> pd.DataFrame:
    """Candidates with their day-local bar indices moved onto the whole tape."""
    if candidates.empty:
        return candidates
    pos = np.array([tape.day_position(d) for d in candidates["quote_date"]], dtype=np.int64)
    if np.any(pos < 0):
        raise ValueError("candidates of a day without bars on the tape")
    offset = tape.day_start[pos]
    return candidates.assign(**{c: candidates[c].to_numpy(np.int64) + offset
                                for c in ("entry_index", "exit_index", "last_index")})


def sequential_trades(candidates: pd.DataFrame, summaries: pd.DataFrame, tape: BarTape,
                      proc: Procedure) -> tuple[pd.DataFrame, dict[str, int]]:
    skipped = empty_skips()
    skipped["no_bars"] = int(summaries["skipped_no_bars"].sum()) if len(summaries) else 0
    skipped["too_late"] = int(summaries["skipped_too_late"].sum()) if len(summaries) else 0
    trades = take_trades(on_tape(candidates, tape), tape, proc.cfg.trading, skipped)
    return trades, skipped


def redrawn(candidates: pd.DataFrame, trades: pd.DataFrame,
            scored: Iterable[dt.date]) -> list[dt.date]:
    """Scored days whose taken trades differ from the unit's provisional ones."""
    scored = set(scored)
    prov = candidates[candidates["provisional"].astype(bool)]
    want = prov.groupby("quote_date")["alert_id"].apply(frozenset).to_dict()
    got = trades.groupby("quote_date")["alert_id"].apply(frozenset).to_dict() if len(trades) \
        else {}
    return sorted(d for d in scored if want.get(d, frozenset()) != got.get(d, frozenset()))


class Redrawn:
    """A share source with some days' shares replaced by draws on their final trades."""

    def __init__(self, base: ShareSource, fixed: Mapping[dt.date, Shares],
                 stale: Mapping[dt.date, Shares]) -> None:
        self.base, self.fixed, self.stale = base, fixed, stale

    def _changed(self, days):
        return sorted(set(days) & set(self.fixed))

    def null(self, days):
        total = self.base.null(days)
        for d in self._changed(days):
            total -= self.stale[d].null
            total += self.fixed[d].null
        return total

    def null_day_means(self, days):
        out = self.base.null_day_means(days)
        for d in self._changed(days):
            out[d] = day_mean(self.fixed[d].null)
        return out

    def direction(self, days):
        total = self.base.direction(days).copy()
        for d in self._changed(days):
            total += self.fixed[d].direction - self.stale[d].direction
        return total

    def placebo(self, days):
        return self.base.placebo(days)


def redraw(days: Sequence[dt.date], trades: pd.DataFrame, tape: BarTape,
           load_days: Callable[[Sequence[dt.date]], Mapping[dt.date, MarketDay]],
           proc: Procedure) -> dict[dt.date, Shares]:
    """Fresh shares on the final trades of `days`."""
    market = load_days(days) if days else {}
    fixed = {}
    for d in days:
        mine = trades[[q == d for q in trades["quote_date"]]]
        local = mine.assign(entry_index=mine["entry_index"].to_numpy(np.int64)
                            - tape.day_start[tape.day_position(d)])
        fixed[d] = redraw_shares(market[d], local, proc)
    return fixed


def monte_carlo(trades: pd.DataFrame, scored: Sequence[dt.date], shares: ShareSource,
                proc: Procedure) -> tuple[NullResult, DirectionNullResult, dict[str, Any],
                                          HorizonMonteCarlo | None]:
    """The three Monte Carlo results on the scored days, and again on the pre-registered
    horizon's days when the sample has grown past it."""
    vc = proc.cfg.validation
    null, dnull, placebo = _results(trades, list(scored), shares, proc)
    horizon = None
    if vc.evaluation_horizon_days is not None and len(scored) > vc.evaluation_horizon_days:
        keep = horizon_days(list(scored), vc.evaluation_horizon_days)
        kept = set(keep)
        sub = trades.loc[[d in kept for d in trades["quote_date"]]] if len(trades) else trades
        horizon = HorizonMonteCarlo(keep, *_results(sub, keep, shares, proc))
    return null, dnull, placebo, horizon


def _results(trades: pd.DataFrame, days: list[dt.date], shares: ShareSource,
             proc: Procedure) -> tuple[NullResult, DirectionNullResult, dict[str, Any]]:
    cfg = proc.cfg
    vc = cfg.validation
    seeds = derived_seeds(vc.seed)
    rules = tuple(cfg.pressure.urgency_rules)
    oos = out_of_sample(trades)
    null = null_result(shares.null(days), oos, rules, vc.null_replications,
                       seeds["null_model"], vc.min_class_trades)
    dnull = direction_result(shares.direction(days), oos, vc.null_replications,
                             seeds["direction_null"])
    sums, counts = shares.placebo(days)
    placebo = placebo_block(sums, counts, null.observed_mean_pnl_points, cfg,
                            placebo_shifts(cfg), seeds["oi_placebo"])
    return null, dnull, placebo


class InMemoryShares:
    """Shares summed over in-memory units."""

    def __init__(self, shares: Mapping[dt.date, Shares], proc: Procedure) -> None:
        self.shares = shares
        vc = proc.cfg.validation
        self.b, self.r = vc.null_replications, vc.oi_placebo_replications
        self.c = len(proc.cfg.pressure.urgency_rules)

    def _of(self, days):
        return [self.shares[d] for d in days if d in self.shares]

    def null(self, days):
        total = NullShare.zeros(self.b, self.c)
        for s in self._of(days):
            total += s.null
        return total

    def null_day_means(self, days):
        return {d: day_mean(self.shares[d].null) for d in days if d in self.shares}

    def direction(self, days):
        return sum((s.direction for s in self._of(days)), np.zeros(self.b))

    def placebo(self, days):
        got = self._of(days)
        return (sum((s.placebo_sums for s in got), np.zeros(self.r)),
                sum((s.placebo_counts for s in got), np.zeros(self.r, dtype=np.int64)))


def trades_under(alerts: pd.DataFrame, candidates: pd.DataFrame, summaries: pd.DataFrame,
                 tape: BarTape, proc: Procedure, trading) -> pd.DataFrame:
    """The trades of the units' alerts under another trading section (a sweep variant):
    the units' priced candidates when the section is the procedure's, else the alerts
    priced again under `trading` (exits depend on stops, targets and holds)."""
    if trading == proc.cfg.trading:
        return sequential_trades(candidates, summaries, tape, proc)[0]
    skipped = empty_skips()
    priced = priced_candidates(alerts, tape, trading, proc.cfg.pressure.urgency_rules, skipped)
    return take_trades(priced, tape, trading, skipped)
