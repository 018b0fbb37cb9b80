"""Each day's pre-open at-the-money implied volatility, from its expiring chain.

The chain's `implied_volatility` is read as the vendor delivered it with the OI, before the
day's open (Cboe's 15:45 ET figure of the previous session; canonical files carry what the
writer knew before the open). At the money is the strike nearest the chain's
`underlying_price` (its median over the day's rows), or, when the chain has none, nearest
the day's first bar open; the day's figure is the mean of that strike's call and put IV.
Deriving an IV from the chain's prices is not attempted: their quote time is
vendor-specific, and a wrong time to expiry would make the figure meaningless.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd


def atm_implied_vol(chains: pd.DataFrame,
                    first_open: Mapping[dt.date, float] | None = None) -> dict[dt.date, float]:
    """Day -> ATM IV. `chains`: rows of the expiring contracts with `quote_date`, `strike`,
    `implied_volatility` and `underlying_price` (either may be null)."""
    first_open = first_open or {}
    out: dict[dt.date, float] = {}
    iv = pd.to_numeric(chains["implied_volatility"], errors="coerce")
    ok = chains.loc[np.isfinite(iv) & (iv > 0)].assign(iv=iv)
    for day, g in ok.groupby("quote_date", sort=True):
        day = pd.Timestamp(day).date()
        stamped = pd.to_numeric(g["underlying_price"], errors="coerce").dropna()
        ref = float(stamped.median()) if len(stamped) else first_open.get(day)
        if ref is None or not math.isfinite(ref):
            continue
        strikes = g["strike"].to_numpy(float)
        k = strikes[int(np.argmin(np.abs(strikes - ref)))]
        out[day] = float(g.loc[g["strike"] == k, "iv"].mean())
    return out
