"""All days' bars on one tape: the shared shape of the simulator, the nulls and the
aggregation (a day's bars are a slice; trades' bar indices are positions on the tape)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from assets.common.market_day import MarketDay


@dataclass(frozen=True)
class BarTape:
    """All days' bars concatenated in date order, with each day's slice.

    Global bar indices (the trades' `entry_index`/`exit_index`) refer to this tape, so a
    tape built from the same days always gives the same indices.
    """

    dates: tuple[dt.date, ...]
    day_start: np.ndarray  # (D,) int64, global index of each day's first bar
    day_len: np.ndarray  # (D,) int64
    ts: np.ndarray  # (N,) datetime64[ns], UTC bar starts
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    minutes_to_expiry: np.ndarray  # (N,) from the end of each bar to the session close

    @property
    def n_bars(self) -> int:
        return int(self.close.shape[0])

    def __post_init__(self) -> None:
        object.__setattr__(self, "_positions", {d: i for i, d in enumerate(self.dates)})

    def day_position(self, day: dt.date) -> int:
        """Position of `day` in `dates`, or -1 when the tape has no bars for it."""
        return self._positions.get(as_date(day), -1)

    def day_of(self, global_idx: np.ndarray) -> np.ndarray:
        """Day position of each global bar index."""
        return np.searchsorted(self.day_start, np.asarray(global_idx), side="right") - 1

    def hard_exit_index(self, exit_before_close_minutes: int) -> np.ndarray:
        """(D,) global index of each day's last bar a position may be held through."""
        return self.day_start + self.day_len - 1 - int(exit_before_close_minutes)


def build_bar_tape(days: Mapping[dt.date, MarketDay] | Iterable[MarketDay]) -> BarTape:
    """Concatenate the days' bars in date order (days without bars are left out)."""
    items = list(days.values()) if isinstance(days, Mapping) else list(days)
    items = sorted((d for d in items if d.n_bars > 0), key=lambda d: d.quote_date)
    dates = tuple(d.quote_date for d in items)
    if len(set(dates)) != len(dates):
        raise ValueError("two MarketDays share a quote_date")
    lens = np.array([d.n_bars for d in items], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)

    def cat(name: str, dtype) -> np.ndarray:
        if not items:
            return np.empty(0, dtype=dtype)
        return np.concatenate([np.asarray(getattr(d, name)) for d in items]).astype(dtype)

    ts = cat("ts", "datetime64[ns]")
    return BarTape(dates, starts, lens, ts, cat("open", np.float64), cat("high", np.float64),
                   cat("low", np.float64), cat("close", np.float64),
                   cat("minutes_to_expiry", np.float64))


def as_tape(days: BarTape | Mapping[dt.date, MarketDay] | Iterable[MarketDay]) -> BarTape:
    return days if isinstance(days, BarTape) else build_bar_tape(days)


def as_date(value) -> dt.date:
    """A calendar date from a date, datetime, Timestamp or ISO string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()
