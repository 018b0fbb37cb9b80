"""Can these bars be the chain's underlying? A price-level check across the two files.

The instrument rule (underlying.py) catches futures it can name; this one catches what no
name reveals: SPY bars (a tenth of SPX) for an SPX chain, a mislabelled futures file, bars
of another index. Per day it compares the chain's reference price with the bars:

- the chain's vendor stamps its `underlying_price` (Cboe: 15:45 ET): the bars' open at that
  minute must be within `ingestion.underlying_snapshot_gap_fraction` (0.1 %, ~5 SPX
  points) of it: the same index at the same minute differs by a tick, a futures basis of a
  few points does not pass;
- the chain has an unstamped `underlying_price` (canonical files; the synthetic market
  writes the previous close): its median must lie within
  `ingestion.underlying_max_gap_fraction` of the bars' session range [lowest low, highest
  high]. The range, not the first price, because such a price may come from before the
  open or any time of the day, and any in-session price lies inside the range exactly;
- otherwise (Databento, ThetaData, OptionMetrics chains carry none): the bars' first price
  must lie inside the strike range of the day's expiring contracts, i.e. within half the
  range of its centre. Weaker by necessity: it cannot see a basis of a few points.

A futures basis within the tolerance passes the last two; that is why futures are
identified and refused by the instrument rule, not left to prices.
"""

from __future__ import annotations

import datetime as dt
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
               "the bars' open at the minute its vendor stamped it (Cboe 15:45 ET), or lies "
               "within ingestion.underlying_max_gap_fraction of the bars' session range, or "
               "(without one) the bars' first price lies inside the day's strike range")


@dataclass(frozen=True)
class UnderlyingCheck:
    day: dt.date
    bars_file: str
    chain_file: str
    reference_kind: str  # "underlying_price_at_HH:MM", "underlying_price", "strike_centre"
    reference: float
    first_price: float
    low: float
    high: float
    gap: float  # points between the reference and what it is compared with
    limit: float  # points allowed
    passed: bool
    name_warning: str = ""

    def message(self) -> str:
        if self.reference_kind.startswith("underlying_price_at_"):
            at = self.reference_kind.rsplit("_", 1)[1]
            what = (f"the chain's underlying_price {self.reference:g} (at {at} ET) is "
                    f"{self.gap:.2f} points from the bars' open at {at} ({self.first_price:g}); "
                    f"at most {self.limit:.2f} allowed")
        elif self.reference_kind == "underlying_price":
            what = (f"the chain's underlying_price {self.reference:g} lies {self.gap:.2f} points "
                    f"outside the bars' session range [{self.low:g}, {self.high:g}] "
                    f"(first price {self.first_price:g}); at most {self.limit:.2f} allowed")
        else:
            what = (f"the bars' first price {self.first_price:g} is {self.gap:.2f} points from "
                    f"the centre {self.reference:g} of the chain's strike range (half-width "
                    f"{self.limit:.2f})")
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
    if at_snapshot is not None:
        ref = float(np.median(prices))
        first, gap = at_snapshot, abs(at_snapshot - ref)
        limit = cfg.ingestion.underlying_snapshot_gap_fraction * ref
        kind = f"underlying_price_at_{snapshot:%H:%M}"
    elif prices.size:
        ref = float(np.median(prices))
        gap = max(low - ref, ref - high, 0.0)
        limit = cfg.ingestion.underlying_max_gap_fraction * ref
        kind = "underlying_price"
    else:
        strikes = pd.to_numeric(rows["strike"], errors="coerce").to_numpy(dtype=float)
        lo, hi = float(np.nanmin(strikes)), float(np.nanmax(strikes))
        ref, limit = (lo + hi) / 2.0, (hi - lo) / 2.0
        gap = abs(first - ref)
        kind = "strike_centre"
    warning = ""
    symbol = bare(str(bars["symbol"].iloc[0]))
    names = rows["underlying"].dropna()
    underlying = bare(str(names.iloc[0])) if len(names) else ""
    if underlying and symbol != underlying:
        warning = (f"{day}: bars symbol {bars['symbol'].iloc[0]} is not the chain's underlying "
                   f"{underlying} by name")
    return UnderlyingCheck(day, str(bars["source_file"].iloc[order[0]]),
                           str(rows["source_file"].iloc[0]), kind, ref, first, low, high,
                           gap, limit, bool(gap <= limit), warning)


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
                                          "gap_points": round(c.gap, 4),
                                          "limit_points": round(c.limit, 4)})
            for c in failed[:5]]
    detail = "; ".join(c.message() for c in failed[:5])
    warnings = [c.name_warning for c in checks if c.name_warning]
    if warnings:
        detail = "; ".join(filter(None, [detail, *warnings[:3]]))
    return RuleResult(RULE, not failed, "error", len(failed), rows, DESCRIPTION,
                      detail or f"{len(checks)} day(s) checked")
