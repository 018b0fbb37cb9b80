"""What a minute usually does: the causal same-minute volatility that the secondary
hypotheses divide realized moves by, and the rows they read.

Intraday volatility is U-shaped (it rises into the close), and the urgency classes have
different horizons, so a raw move says little on its own. Dividing it by the RMS of the
move over the same horizon from the same minutes-to-close on *earlier* days gives a
measure that is alike for every minute and class on a market with no steering.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from assets.common.market_day import MarketDay

CLASSES: tuple[str, ...] = ("ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT")


def out_of_sample_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows not flagged `is_calibration` (all of them without that column)."""
    if "is_calibration" in df.columns:
        return df.loc[~df["is_calibration"].astype(bool)]
    return df


MIN_HISTORY_DAYS = 20  # earlier days needed before a same-minute volatility is trusted


def same_minute_volatility(outcomes: pd.DataFrame, days: Sequence[MarketDay],
                           min_history: int = MIN_HISTORY_DAYS) -> np.ndarray:
    """Per outcome row: the RMS of close[t+h] - close[t] from the same minutes-to-close
    (the row's `minutes_to_expiry`) over the same horizon h (`horizon_minutes`) on every
    earlier day in `days` (NaN with fewer than `min_history` such days). Causal: a row of
    day D uses days before D only.

    Vectorized over days: each day's bar position of every minutes-to-close value is one
    row of a (days x distinct minutes) table, so a (minute, horizon) pair costs a few
    array operations instead of a loop over a decade of days."""
    order = sorted(days, key=lambda d: d.quote_date)
    pos = {d.quote_date: i for i, d in enumerate(order)}
    m = np.asarray(outcomes["minutes_to_expiry"], dtype=float)
    h = np.asarray(outcomes["horizon_minutes"], dtype=float)
    out = np.full(m.size, np.nan)
    if not order or not m.size:
        return out
    n_bars = np.array([d.n_bars for d in order], dtype=np.int64)
    close = np.full((len(order), int(n_bars.max()) + 1), np.nan)
    for j, day in enumerate(order):
        close[j, :day.n_bars] = day.close
    minutes = [np.asarray(d.minutes_to_expiry, dtype=float) for d in order]
    values = np.unique(np.concatenate(minutes))
    position = np.full((len(order), values.size), -1, dtype=np.int64)
    for j, mins in enumerate(minutes):
        # bars are strictly increasing in time, so each value appears once in a day
        position[j, np.searchsorted(values, mins)] = np.arange(mins.size)
    rows = np.arange(len(order))
    day_index = np.array([pos.get(pd.Timestamp(x).date(), -1) for x in outcomes["quote_date"]])
    keys, inverse = np.unique(np.column_stack([m, h]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    for k, (minute, horizon) in enumerate(keys):
        mine = np.flatnonzero((inverse == k) & (day_index >= 0))
        at = np.searchsorted(values, minute)
        if not mine.size or at >= values.size or values[at] != minute:
            continue
        t = position[:, at]
        later = t + int(horizon)
        ok = (t >= 0) & (later < n_bars)
        sq = np.where(ok, (close[rows, np.where(ok, later, 0)]
                           - close[rows, np.where(ok, t, 0)]) ** 2, np.nan)
        ok = np.isfinite(sq)
        # totals over days strictly before each day
        count = np.concatenate([[0], np.cumsum(ok)[:-1]])
        total = np.concatenate([[0.0], np.cumsum(np.where(ok, sq, 0.0))[:-1]])
        j = day_index[mine]
        trusted = (count[j] >= min_history) & (total[j] > 0)
        out[mine[trusted]] = np.sqrt(total[j][trusted] / count[j][trusted])
    return out
