"""Each day's at-the-money implied volatility from its expiring chain, and the figure a
regime may label a day with: the previous day's, the last one known before the open.

A chain's `implied_volatility` is the vendor's snapshot of the day it is delivered for
(Cboe's 15:45 ET figure, OptionMetrics' close): after the open, so a day's own figure already
carries that afternoon's volatility. `atm_implied_vol` measures it: at the money is the
strike nearest the chain's `underlying_price` (its median over the day's rows), or, when the
chain has none, nearest the day's first bar open; the day's figure is the mean of that
strike's call and put IV. `known_before_open` moves each figure to the next day, so the
IV-tercile regime never reads the day it labels. Deriving an IV from the chain's prices is
not attempted: their quote time is vendor-specific, and a wrong time to expiry would make
the figure meaningless.
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


def known_before_open(iv: Mapping[dt.date, float]) -> dict[dt.date, float]:
    """Each day labelled with the figure of the day before it in the series (the first day
    has none): a causal, pre-open label."""
    days = sorted(iv)
    return {day: iv[before] for before, day in zip(days, days[1:], strict=False)}
