"""Synthetic days as in-memory MarketDays, without the landing zone or the warehouse.

For studies over many seeded worlds (false-positive rates, power) and for benchmarks: the
same arrays the warehouse would hand the numpy stages, built straight from the generator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from assets.common import calendar
from assets.common.market_day import MarketDay
from assets.synthetic_market.generator import SyntheticDay, generate_market


def market_day(day: SyntheticDay, exchange: str = calendar.DEFAULT_EXCHANGE,
               sess: calendar.Session | None = None) -> MarketDay:
    sess = sess or calendar.session(day.day, exchange)
    # the front expiration: the 0DTE rows, or a placebo day's next expiration
    zero_dte = day.chains[day.chains["expiration"] == day.chains["expiration"].min()]
    pivot = (zero_dte.pivot_table(index="strike", columns="option_type", values="open_interest",
                                  aggfunc="sum", fill_value=0).sort_index())
    ts = pd.DatetimeIndex(day.bars["ts"])
    return MarketDay(
        quote_date=day.day, session_open=sess.open, session_close=sess.close,
        ts=ts.tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[ns]"),
        open=day.bars["open"].to_numpy(float), high=day.bars["high"].to_numpy(float),
        low=day.bars["low"].to_numpy(float), close=day.bars["close"].to_numpy(float),
        minutes_to_expiry=calendar.minutes_to_close(ts, sess.close),
        strikes=pivot.index.to_numpy(float),
        call_oi=pivot.get("C", pd.Series(0, index=pivot.index)).to_numpy(float),
        put_oi=pivot.get("P", pd.Series(0, index=pivot.index)).to_numpy(float),
    )


def market_days(days: Iterable[SyntheticDay]) -> dict[dt.date, MarketDay]:
    """The days as MarketDays, their sessions read from the calendar once (a lookup per
    day costs the calendar library a schedule each)."""
    days = list(days)
    if not days:
        return {}
    found = {s.day: s for s in calendar.sessions(min(d.day for d in days),
                                                 max(d.day for d in days))}
    return {d.day: market_day(d, sess=found[d.day]) for d in days}


def synthetic_market(start, end, scenario: str = "null", seed: int = 0,
                     strength: float | None = None, placebo_days: bool = False,
                     placebo_effect: bool = False) -> dict[dt.date, MarketDay]:
    return market_days(generate_market(start, end, scenario=scenario, seed=seed, strength=strength,
                                       placebo_days=placebo_days, placebo_effect=placebo_effect))


__all__ = ["market_day", "market_days", "synthetic_market"]
