"""MarketDay builders the pressure tests and benchmarks share: seeded random-walk days on
real exchange sessions, and hand-built days with explicit closes and minutes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from assets.common.calendar import minutes_to_close, session
from assets.common.market_day import MarketDay


def make_day(seed: int, day: str | dt.date = "2024-03-01", n_strikes: int = 80,
             spacing: float = 5.0, step_points: float = 1.0, tick: float = 0.25,
             start_price: float = 5000.0, max_oi: int = 4000) -> MarketDay:
    """A random-walk expiration day on the real session of ``day`` (early closes
    honoured), closes on a ``tick`` grid so exact strike ties happen."""
    rng = np.random.default_rng(seed)
    sess = session(day)
    starts = sess.bar_starts()
    minutes = minutes_to_close(starts, sess.close)
    n = len(starts)
    close = start_price + np.cumsum(rng.normal(0.0, step_points, n))
    close = np.round(close / tick) * tick
    open_ = np.concatenate(([start_price], close[:-1]))
    wick = np.round(rng.exponential(0.5, (2, n)) / tick) * tick
    high = np.maximum(open_, close) + wick[0]
    low = np.minimum(open_, close) - wick[1]
    center = np.round(start_price / spacing) * spacing
    strikes = center + spacing * (np.arange(n_strikes) - n_strikes // 2)
    call_oi = rng.integers(0, max_oi, n_strikes).astype(float)
    put_oi = rng.integers(0, max_oi, n_strikes).astype(float)
    return MarketDay(quote_date=sess.day, session_open=sess.open, session_close=sess.close,
                     ts=starts.tz_convert("UTC").tz_localize(None).to_numpy(),
                     open=open_, high=high, low=low, close=close,
                     minutes_to_expiry=minutes, strikes=strikes.astype(float),
                     call_oi=call_oi, put_oi=put_oi)


def make_custom_day(close, minutes, strikes, call_oi, put_oi, high=None, low=None,
                    day: dt.date = dt.date(2024, 3, 1)) -> MarketDay:
    """A hand-built day: explicit closes and minutes (bars stamped one minute apart)."""
    close = np.asarray(close, dtype=float)
    n = close.shape[0]
    start = pd.Timestamp(day).tz_localize("UTC") + pd.Timedelta(hours=14, minutes=30)
    ts = (start + pd.to_timedelta(np.arange(n), unit="min")).tz_localize(None).to_numpy()
    return MarketDay(quote_date=day, session_open=start,
                     session_close=start + pd.Timedelta(minutes=n),
                     ts=ts, open=close.copy(),
                     high=close.copy() if high is None else np.asarray(high, dtype=float),
                     low=close.copy() if low is None else np.asarray(low, dtype=float),
                     close=close, minutes_to_expiry=np.asarray(minutes, dtype=float),
                     strikes=np.asarray(strikes, dtype=float),
                     call_oi=np.asarray(call_oi, dtype=float),
                     put_oi=np.asarray(put_oi, dtype=float))
