"""The in-memory shape of one expiration day, shared by the numpy stages.

Pressure, trade simulation and the null model all work on the same arrays: the day's
1-minute bars (bar starts in UTC, OHLC), the minutes left to the real session close after
each bar, and the expiring chain's open interest per strike as known before the open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MarketDay:
    quote_date: dt.date
    session_open: pd.Timestamp  # UTC
    session_close: pd.Timestamp  # UTC, early closes honoured
    ts: np.ndarray  # (T,) datetime64[ns], UTC bar starts, strictly increasing
    open: np.ndarray  # (T,) float64
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    minutes_to_expiry: np.ndarray  # (T,) float64, from the end of each bar to the close
    strikes: np.ndarray  # (K,) float64, ascending, that day's expiration only
    call_oi: np.ndarray  # (K,) float64
    put_oi: np.ndarray  # (K,) float64

    @property
    def total_oi(self) -> np.ndarray:
        return self.call_oi + self.put_oi

    @property
    def n_bars(self) -> int:
        return int(self.close.shape[0])

    def truncated(self, t: int) -> MarketDay:
        """The day as seen after bar t closes: bars 0..t only (for lookahead tests)."""
        keep = slice(0, t + 1)
        return MarketDay(self.quote_date, self.session_open, self.session_close,
                         self.ts[keep], self.open[keep], self.high[keep], self.low[keep],
                         self.close[keep], self.minutes_to_expiry[keep], self.strikes,
                         self.call_oi, self.put_oi)
