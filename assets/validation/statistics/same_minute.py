"""What a minute usually does: the causal same-minute volatility that the secondary
hypotheses divide realized moves by, and the rows they read.

Intraday volatility is U-shaped (it rises into the close), and the urgency classes have
different horizons, so a raw move says little on its own. Dividing it by the RMS of the
move over the same horizon from the same minutes-to-close on *earlier* days gives a
measure that is alike for every minute and class on a market with no steering.
"""

from __future__ import annotations

import math
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
    day D uses days before D only."""
    order = sorted(days, key=lambda d: d.quote_date)
    pos = {d.quote_date: i for i, d in enumerate(order)}
    lookup = [dict(zip(np.asarray(d.minutes_to_expiry, dtype=float).tolist(),
                       range(d.n_bars), strict=True)) for d in order]
    m = np.asarray(outcomes["minutes_to_expiry"], dtype=float)
    h = np.asarray(outcomes["horizon_minutes"], dtype=float)
    qd = [pd.Timestamp(x).date() for x in outcomes["quote_date"]]
    out = np.full(m.size, np.nan)
    history: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = {}
    for i, key in enumerate(zip(m.tolist(), h.tolist(), strict=True)):
        if key not in history:
            sq = np.full(len(order), np.nan)
            for j, day in enumerate(order):
                t = lookup[j].get(key[0])
                if t is not None and t + int(key[1]) < day.n_bars:
                    sq[j] = (day.close[t + int(key[1])] - day.close[t]) ** 2
            ok = np.isfinite(sq)
            # totals over days strictly before each day
            history[key] = (np.concatenate([[0], np.cumsum(ok)[:-1]]),
                            np.concatenate([[0.0], np.cumsum(np.where(ok, sq, 0.0))[:-1]]))
        j = pos.get(qd[i])
        if j is None:
            continue
        count, total = history[key][0][j], history[key][1][j]
        if count >= min_history and total > 0:
            out[i] = math.sqrt(total / count)
    return out
