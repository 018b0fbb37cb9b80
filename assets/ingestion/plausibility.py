"""Can these bars be the chain's underlying? A price-level check across the two files.

The instrument rule (underlying.py) catches futures it can name; this one catches what no
name reveals (SPY bars for an SPX chain, another index, futures labelled as the index),
on the scale of those errors rather than of a market move: a wrong instrument is a
*factor* off at every minute (SPY/XSP for SPX x10, NDX ~x3.5, RUT ~x0.4), a futures basis
a few points *at the same minute*, while the market gaps (SPX -7.5 % at the open of
2020-03-16, limit-down opens, +/-20 % earnings gaps) and may trade all day away from the
previous close. Per day, against the chain's reference price:

- stamped `underlying_price` (Cboe: 15:45 ET): the bars' open at that minute within
  `ingestion.underlying_snapshot_gap_fraction` (0.1 %, ~5 SPX points): the same index at
  the same minute differs by a tick, a basis does not;
- unstamped `underlying_price` (canonical files; the synthetic market writes the previous
  session's close): it may predate the open, so only its order of magnitude is checked:
  the factor between it and the bars' session range [lowest low, highest high] (1 inside)
  at most `ingestion.underlying_max_ratio` (1.5; |ln ratio| <= 0.41, a bit over half of
  ln 2: -33 % to +50 % pass, a factor 2 fails);
- no price (Databento, ThetaData, OptionMetrics): the same factor between the bars' first
  price and the strike range of the day's expiring contracts.

A basis passes the last two by design (it is smaller than a move): futures are refused by
the instrument rule, and a stamped reference is compared at its minute.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from assets.common import calendar
from assets.common.config import LabConfig
from assets.ingestion.adapters import adapter_for_file
from assets.ingestion.instruments import bare
from assets.ingestion.rules import OffendingRow, RuleResult, rows_by_day

RULE = "bars_match_chain"
DESCRIPTION = ("the bars can be the chain's underlying: the chain's underlying_price matches "
               "the bars' open at the minute its vendor stamped it (Cboe 15:45 ET); an "
               "unstamped one lies within a factor ingestion.underlying_max_ratio of the bars' "
               "session range; without one, the bars' first price lies within that factor of "
               "the day's strike range (a market move passes, a wrong instrument is a "
               "multiple off)")


def factor_outside(low: float, high: float, price: float) -> float:
    """How many times `price` lies outside [low, high]: 1 inside, price/high above,
    low/price below; infinite for a non-positive or missing price."""
    if not all(math.isfinite(x) and x > 0 for x in (low, high, price)):
        return math.inf
    return max(price / high, low / price, 1.0)


@dataclass(frozen=True)
class UnderlyingCheck:
    day: dt.date
    bars_file: str
    chain_file: str
    reference_kind: str  # "underlying_price_at_HH:MM", "underlying_price", "strike_range"
    reference: float  # the chain's price, or the centre of its strike range
    first_price: float
    low: float
    high: float
    gap: float  # points (at a stamped minute) or a factor (>= 1) between the two prices
    limit: float  # the most allowed, in the same unit
    passed: bool
    name_warning: str = ""
    strike_range: tuple[float, float] | None = None

    @property
    def unit(self) -> str:
        return "points" if self.reference_kind.startswith("underlying_price_at_") else "factor"

    def message(self) -> str:
        if self.unit == "points":
            at = self.reference_kind.rsplit("_", 1)[1]
            what = (f"the chain's underlying_price {self.reference:g} (at {at} ET) is "
                    f"{self.gap:.2f} points from the bars' open at {at} ({self.first_price:g}); "
                    f"at most {self.limit:.2f} allowed")
        elif self.reference_kind == "underlying_price":
            what = (f"the chain's underlying_price {self.reference:g} is a factor "
                    f"{self.gap:.3g} outside the bars' session range [{self.low:g}, "
                    f"{self.high:g}] (first price {self.first_price:g}); at most a factor "
                    f"{self.limit:g} allowed (a market move stays within it, another "
                    "instrument is a multiple off)")
        else:
            lo, hi = self.strike_range or (math.nan, math.nan)
            what = (f"the bars' first price {self.first_price:g} is a factor {self.gap:.3g} "
                    f"outside the chain's strike range [{lo:g}, {hi:g}]; at most a factor "
                    f"{self.limit:g} allowed")
        verdict = "can be" if self.passed else "cannot be"
        return (f"{self.day}: bars {self.bars_file} {verdict} the underlying of chain "
                f"{self.chain_file}: {what}")


def _open_at(bars: pd.DataFrame, day: dt.date, at: dt.time) -> float | None:
    """The open of the bar starting at `at` ET on `day`, if the bars have one."""
    start = pd.Timestamp.combine(day, at).tz_localize(calendar.EXCHANGE_TZ).tz_convert("UTC")
    stamps = pd.to_datetime(bars["ts"], utc=True).astype("int64").to_numpy()
    hit = np.flatnonzero(stamps == start.value)
    return float(bars["open"].to_numpy()[hit[0]]) if hit.size else None


def check_day(bars: pd.DataFrame, chains: pd.DataFrame, day: dt.date, cfg: LabConfig,
              snapshot: dt.time | None = None) -> UnderlyingCheck | None:
    """The check for one day's bars and chain rows (None when either is empty). `snapshot`:
    when the chain's vendor took its underlying_price (ET), if known."""
    if bars.empty or chains.empty:
        return None
    order = np.argsort(bars["source_row"].to_numpy(), kind="stable") \
        if "source_row" in bars.columns else np.arange(len(bars))
    expiring = (pd.to_datetime(chains["expiration"]).to_numpy()
                == np.datetime64(pd.Timestamp(day).to_datetime64()))
    rows = chains[expiring] if expiring.any() else chains
    first = float(bars["open"].to_numpy()[order[0]])
    low, high = float(np.nanmin(bars["low"].to_numpy())), float(np.nanmax(bars["high"].to_numpy()))
    prices = pd.to_numeric(rows["underlying_price"], errors="coerce").to_numpy(dtype=float)
    prices = prices[~np.isnan(prices)]
    at_snapshot = _open_at(bars, day, snapshot) if prices.size and snapshot else None
    max_ratio = cfg.ingestion.underlying_max_ratio
    strike_range = None
    if at_snapshot is not None:
        ref = float(np.median(prices))
        first, gap = at_snapshot, abs(at_snapshot - ref)
        limit = cfg.ingestion.underlying_snapshot_gap_fraction * ref
        kind = f"underlying_price_at_{snapshot:%H:%M}"
    elif prices.size:
        ref = float(np.median(prices))
        gap, limit, kind = factor_outside(low, high, ref), max_ratio, "underlying_price"
    else:
        strikes = pd.to_numeric(rows["strike"], errors="coerce").to_numpy(dtype=float)
        strike_range = (float(np.nanmin(strikes)), float(np.nanmax(strikes)))
        ref = sum(strike_range) / 2.0
        gap, limit, kind = factor_outside(*strike_range, first), max_ratio, "strike_range"
    warning = ""
    symbol = bare(str(bars["symbol"].iloc[0]))
    names = rows["underlying"].dropna()
    underlying = bare(str(names.iloc[0])) if len(names) else ""
    if underlying and symbol != underlying:
        warning = (f"{day}: bars symbol {bars['symbol'].iloc[0]} is not the chain's underlying "
                   f"{underlying} by name")
    return UnderlyingCheck(day, str(bars["source_file"].iloc[order[0]]),
                           str(rows["source_file"].iloc[0]), kind, ref, first, low, high,
                           gap, limit, bool(gap <= limit), warning, strike_range)


def snapshot_time(chains: pd.DataFrame) -> dt.time | None:
    """When the chain's vendor took its underlying_price, from the adapter of its file."""
    if chains.empty:
        return None
    adapter = adapter_for_file("chains", str(chains["source_file"].iloc[0]))
    return adapter.underlying_price_at if adapter is not None else None


def check_days(bars: pd.DataFrame, chains: pd.DataFrame, days: list[dt.date],
               cfg: LabConfig) -> list[UnderlyingCheck]:
    """Every day's check; each frame is split by day once (linear in days)."""
    bar_rows, chain_rows = rows_by_day(bars), rows_by_day(chains)
    none = np.empty(0, dtype=np.intp)
    found = []
    for d in sorted(days):
        day_chains = chains.iloc[chain_rows.get(d, none)]
        found.append(check_day(bars.iloc[bar_rows.get(d, none)], day_chains, d, cfg,
                               snapshot_time(day_chains)))
    return [c for c in found if c is not None]


def rule_result(checks: list[UnderlyingCheck]) -> RuleResult:
    """The checks as one error-severity rule of the bars report (both files named)."""
    failed = [c for c in checks if not c.passed]
    rows = [OffendingRow(c.bars_file, 1, {"chain_file": c.chain_file,
                                          "reference": round(c.reference, 4),
                                          "first_price": c.first_price,
                                          f"gap_{c.unit}": round(c.gap, 4),
                                          f"limit_{c.unit}": round(c.limit, 4)})
            for c in failed[:5]]
    detail = "; ".join(c.message() for c in failed[:5])
    warnings = [c.name_warning for c in checks if c.name_warning]
    if warnings:
        detail = "; ".join(filter(None, [detail, *warnings[:3]]))
    return RuleResult(RULE, not failed, "error", len(failed), rows, DESCRIPTION,
                      detail or f"{len(checks)} day(s) checked")
