"""One scored day replayed minute by minute, as the engine would have seen it live.

At minute t (bar t has closed) the engine sees the day's bars 0..t, the OI known before the
open and the procedure's thresholds, nothing later:

- alerts: `alert_columns` on the day truncated after bar t; the new ones are those of bar t
  (the detector is causal, so the alerts of earlier bars never change);
- trades: the alerts before bar t are the candidates entering by bar t. `priced_candidates`
  prices them on the day's tape *as known at t* (the bars after t are NaN, so an exit is
  found only once it has happened: a touch at or before t, or a time or close stop at or
  before t) and `take_trades` takes them from the sizing state of the day's open. A trade
  is reported at its entry bar and at its exit bar, not before.

The state of the open (`opening`) is what the batch's sequential pass over every earlier
day's candidates leaves behind; no position outlives its day, so it is the recent
accuracy's closed outcomes alone. Everything after the open is the same engine functions
the batch runs, so a replayed day equals the batch's day field for field (tested): the
no-lookahead property, checked the strong way.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from assets.common.bar_tape import BarTape
from assets.common.calendar import EXCHANGE_TZ
from assets.common.config import TradingConfig
from assets.common.market_day import MarketDay
from assets.engine.procedure import Procedure
from assets.engine.replay_events import alert_event, entry_event, exit_event, iso
from assets.engine.unit import concat_frames
from assets.pressure.alerts import alert_columns, alerts_frame, empty_alerts
from assets.pressure.kernel import GridWorkspace, pressure_grid
from assets.trading.exits import first_exits
from assets.trading.simulator import (
    empty_skips,
    empty_trades,
    new_tracker,
    priced_candidates,
    sequential_pass,
    take_trades,
)
from assets.trading.sizing import RecentAccuracy


@dataclass(frozen=True)
class Opening:
    """What the day's open knows from earlier days: the recent-accuracy state (settled:
    every earlier outcome closed) and the day's first bar on the warehouse's tape."""

    accuracy: RecentAccuracy
    offset: int = 0
    earlier_days: int = 0


def opening(candidates: pd.DataFrame, n_bars: Mapping[dt.date, int], day: dt.date,
            cfg: TradingConfig) -> Opening:
    """The open of `day` from the units' priced candidates (indices local to their days)
    and every day's bar count: the batch's sequential pass over the earlier days."""
    days = sorted(n_bars)
    if day not in n_bars:
        raise ValueError(f"{day} has no unit")
    starts = dict(zip(days, np.cumsum([0] + [int(n_bars[d]) for d in days[:-1]]).tolist(),
                      strict=True))
    tracker = new_tracker(cfg)
    earlier = candidates[[q < day for q in candidates["quote_date"]]] if len(candidates) \
        else candidates
    if len(earlier):
        earlier = earlier.sort_values(["quote_date", "entry_index"], kind="mergesort")
        shift = np.array([starts[q] for q in earlier["quote_date"]], dtype=np.int64)
        sequential_pass(earlier.assign(
            entry_index=earlier["entry_index"].to_numpy(np.int64) + shift,
            exit_index=earlier["exit_index"].to_numpy(np.int64) + shift),
            cfg, empty_skips(), tracker)
    return Opening(tracker.settled(), int(starts[day]), sum(1 for d in days if d < day))


@dataclass
class Replay:
    day: dt.date
    alerts: pd.DataFrame  # as they appeared, the alerts table's columns
    trades: pd.DataFrame  # exited trades, the trades table's columns (warehouse tape indices)
    open_trades: pd.DataFrame  # entered, not exited when the feed stopped (exit unknown)
    events: list[dict] = field(default_factory=list)
    latency_ms: np.ndarray = field(default_factory=lambda: np.empty(0))


def seen_tape(day: MarketDay, t: int) -> BarTape:
    """The day's tape as known when bar t closes: prices after t are NaN; the bar clock
    (bar starts, minutes left, the session's bar count) is the schedule, known ahead."""
    def known(prices: np.ndarray) -> np.ndarray:
        out = np.full(day.n_bars, np.nan)
        out[:t + 1] = prices[:t + 1]
        return out

    return BarTape((day.quote_date,), np.zeros(1, np.int64), np.array([day.n_bars], np.int64),
                   np.asarray(day.ts, "datetime64[ns]"), known(day.open), known(day.high),
                   known(day.low), known(day.close),
                   np.asarray(day.minutes_to_expiry, np.float64))


def last_bar_at(day: MarketDay, clock: dt.time) -> int:
    """Index of the last bar starting at or before `clock` (exchange time); -1 if none."""
    local = pd.DatetimeIndex(np.asarray(day.ts, "datetime64[ns]"), tz="UTC").tz_convert(
        EXCHANGE_TZ)
    minutes = (local.hour * 60 + local.minute).to_numpy()
    return int(np.searchsorted(minutes, clock.hour * 60 + clock.minute, side="right")) - 1


def replay_day(day: MarketDay, proc: Procedure, start: Opening, last_bar: int | None = None,
               on_event: Callable[[dict], None] | None = None) -> Replay:
    """Feed `day` to the engine one bar at a time (through `last_bar`, default the day's
    last), timing each minute's computation; `on_event` sees each event as it happens."""
    feed = _Feed(day, proc, start)
    last = day.n_bars - 1 if last_bar is None else min(int(last_bar), day.n_bars - 1)
    latency = np.empty(max(last + 1, 0))
    events: list[dict] = []
    with threadpool_limits(limits=1, user_api="blas"):  # one day's small grids: no threads
        for t in range(last + 1):
            began = time.perf_counter()
            now = feed.minute(t)
            latency[t] = 1000.0 * (time.perf_counter() - began)
            now.append({"event": "minute", "time": iso(day.ts[t]), "bar_index": t,
                        "latency_ms": float(latency[t])})
            for event in now:
                events.append(event)
                if on_event is not None:
                    on_event(event)
    still_open = [feed.entered[a] for a in sorted(feed.open_ids)]
    return Replay(day.quote_date, concat_frames(feed.alerts, empty_alerts()),
                  _on_warehouse_tape(concat_frames(feed.exited, empty_trades()), start.offset),
                  _unknown_exits(_on_warehouse_tape(pd.DataFrame(still_open), start.offset))
                  if still_open else empty_trades(), events, latency)


def _unknown_exits(trades: pd.DataFrame) -> pd.DataFrame:
    """Positions still open: their exit is not known yet."""
    return trades.assign(exit_ts=pd.NaT, exit_index=-1, exit_price=np.nan, exit_reason=None,
                         hold_minutes=-1, pnl_points=np.nan, pnl_dollars=np.nan, win=False)


class _Feed:
    """The engine's state between minutes: the alerts and trades seen so far."""

    def __init__(self, day: MarketDay, proc: Procedure, start: Opening) -> None:
        self.day, self.proc, self.start = day, proc, start
        self.is_calibration = proc.is_calibration(day.quote_date)
        self.workspace = GridWorkspace()
        self.alerts: list[pd.DataFrame] = []
        self.exited: list[pd.DataFrame] = []
        self.entered: dict[str, pd.Series] = {}
        self.alert_bars: set[int] = set()
        self.open_ids: set[str] = set()
        self.open_priced = pd.DataFrame()

    def minute(self, t: int) -> list[dict]:
        """Bar t has closed: the entries, exits and alerts it brings."""
        cfg = self.proc.cfg
        cut = self.day.truncated(t)
        cols = alert_columns(cut, pressure_grid(cut, cfg.pressure, workspace=self.workspace),
                             self.proc.thresholds, cfg.pressure, self.is_calibration)
        # The trades change only when a candidate enters (an alert at t - 1) or an open
        # position exits at t.
        trading = (t - 1) in self.alert_bars or self._exits_now(t)
        fresh_alert = cols is not None and int(cols["bar_index"][-1]) == t
        if not (trading or fresh_alert):
            return []
        alerts = alerts_frame([cols])
        now: list[dict] = []
        if trading:
            now += self._trades(t, alerts[alerts["bar_index"] < t])
        fresh = alerts[alerts["bar_index"] == t]
        now += [alert_event(row) for _, row in fresh.iterrows()]
        self.alert_bars.update(int(b) for b in fresh["bar_index"])
        self.alerts.append(fresh)
        return now

    def _trades(self, t: int, before: pd.DataFrame) -> list[dict]:
        cfg = self.proc.cfg
        tape = seen_tape(self.day, t)
        priced = priced_candidates(before, tape, cfg.trading, cfg.pressure.urgency_rules,
                                   empty_skips())
        trades = take_trades(priced, tape, cfg.trading, empty_skips(),
                             self.start.accuracy.settled())
        now = []
        for _, row in trades[trades["entry_index"] == t].iterrows():
            self.entered[row["alert_id"]] = row
            now.append(entry_event(row))
        done = trades[trades["exit_index"] == t]
        now += [exit_event(row) for _, row in done.iterrows()]
        self.exited.append(done)
        self.open_ids = set(trades.loc[trades["exit_index"] > t, "alert_id"])
        self.open_priced = priced[priced["alert_id"].isin(self.open_ids)]
        return now

    def _exits_now(self, t: int) -> bool:
        """Whether an open position exits at bar t (`first_exits` on the bars seen)."""
        if not self.open_ids:
            return False
        p = self.open_priced
        tape = seen_tape(self.day, t)
        exit_idx, _, _ = first_exits(
            tape.open, tape.high, tape.low, tape.close, p["entry_index"].to_numpy(np.int64),
            p["direction"].to_numpy(np.int64), p["stop_points"].to_numpy(float),
            p["target_points"].to_numpy(float), p["hold_bars"].to_numpy(np.int64),
            p["last_index"].to_numpy(np.int64))
        return bool(np.any(exit_idx <= t))


def _on_warehouse_tape(trades: pd.DataFrame, offset: int) -> pd.DataFrame:
    if trades.empty:
        return trades
    return trades.assign(entry_index=trades["entry_index"].to_numpy(np.int64) + offset,
                         exit_index=trades["exit_index"].to_numpy(np.int64) + offset
                         ).reset_index(drop=True)
