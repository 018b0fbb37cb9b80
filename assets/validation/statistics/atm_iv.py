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
    `implied_volatility` and `underlying_price` (either may be null). Vectorized over days
    (a decade's chains in one pass); on a tie for the nearest strike the lower one."""
    first_open = first_open or {}
    iv = pd.to_numeric(chains["implied_volatility"], errors="coerce")
    ok = chains.loc[np.isfinite(iv) & (iv > 0)].assign(iv=iv)
    if ok.empty:
        return {}
    day = pd.to_datetime(ok["quote_date"]).dt.date
    ok = ok.assign(day=day, price=pd.to_numeric(ok["underlying_price"], errors="coerce"),
                   strike=ok["strike"].astype(float))
    ref = ok.groupby("day")["price"].median()
    ref = ref.fillna(pd.Series({d: first_open.get(d, math.nan) for d in ref.index},
                               dtype=float))
    by_strike = ok.groupby(["day", "strike"], sort=True)["iv"].mean().reset_index()
    by_strike["ref"] = by_strike["day"].map(ref)
    by_strike = by_strike[np.isfinite(by_strike["ref"])]
    if by_strike.empty:
        return {}
    distance = (by_strike["strike"] - by_strike["ref"]).abs()
    nearest = by_strike.loc[distance.groupby(by_strike["day"]).idxmin()]
    return {d: float(v) for d, v in zip(nearest["day"], nearest["iv"], strict=True)}
