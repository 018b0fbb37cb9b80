"""What a bars file's prices are of: the index itself, an ETF, or a future (and which month).

The lab compares bar prices with option strikes, so the bars must be the options'
underlying. An ES future trades tens of points away from SPX (the basis), more than the
specification's whole 8-point ASSIGNMENT_PANIC window, and SPY trades at a tenth of SPX. Each
adapter therefore names the instrument of its bars, from the vendor's own metadata where
it has some (Databento's dataset and symbology) and from the symbol otherwise.

Symbols are read by the conventions of the vendors the lab reads: Massive prefixes indices
with `I:` (`I:SPX`), Cboe with a caret (`^SPX`); CME futures are root + month code + year
(`ESH4`, `ESH24`, `MESZ3`), and Databento's parent symbology names a futures family as
`ES.FUT`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

InstrumentKind = Literal["index", "etf", "future", "unknown"]

# Cash-settled index option underlyings (Cboe) and their common spellings.
INDICES = frozenset({"SPX", "XSP", "NDX", "XND", "RUT", "MRUT", "VIX", "DJX", "OEX", "XEO"})
# Exchange-traded funds with listed options that research on index pinning uses.
ETFS = frozenset({"SPY", "QQQ", "IWM", "DIA", "VOO", "IVV"})
MONTH_CODES = "FGHJKMNQUVXZ"  # CME: January .. December
# Root + month code + 1- or 2-digit year, e.g. ESH4, ESH24, MESZ3, NQM25.
_FUTURE = re.compile(rf"(?P<root>[A-Z]{{1,3}}?)(?P<month>[{MONTH_CODES}])(?P<year>\d{{1,2}})")
_PARENT = re.compile(r"(?P<root>[A-Z]{1,3})\.(?:FUT|c\.\d+|n\.\d+|v\.\d+)")
_FUTURES_DATASETS = ("GLBX.", "IFEU.", "NDEX.")  # Databento: CME Globex, ICE Europe, ICE Endex


@dataclass(frozen=True)
class BarInstrument:
    """The instrument of one bars file, as recorded in `raw.bar_sources`."""

    kind: InstrumentKind
    symbol: str
    contract_month: str | None = None  # futures: "YYYY-MM"
    source: str = ""  # how the kind was determined (shown by inspect and in the package)

    @property
    def bare_symbol(self) -> str:
        return bare(self.symbol)

    def describe(self) -> str:
        month = f" (contract month {self.contract_month})" if self.contract_month else ""
        return f"{self.kind} {self.symbol}{month}"


def bare(symbol: str) -> str:
    """`I:SPX`, `^SPX`, `$SPX.X`, ` spx ` -> `SPX` (vendor prefixes and suffixes removed)."""
    text = symbol.strip().upper()
    for prefix in ("I:", "^", "$", "."):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text.removesuffix(".X")


def contract_month(month_code: str, year_digits: str, day: dt.date) -> str:
    """The contract month of a CME code on `day`: a one-digit year is the nearest year at
    or after the day's year minus one that ends in that digit (ESH4 on 2024-01-05 is
    March 2024; on 2029-06-01 it would be March 2034)."""
    month = MONTH_CODES.index(month_code) + 1
    if len(year_digits) == 2:
        year = 2000 + int(year_digits)
    else:
        year = day.year - day.year % 10 + int(year_digits)
        if year < day.year - 1:
            year += 10
    return f"{year:04d}-{month:02d}"


def classify(symbol: str, day: dt.date, *, dataset: str | None = None,
             source: str = "symbol") -> BarInstrument:
    """The instrument a symbol names; `dataset` (Databento's) overrides the symbol's form."""
    text = symbol.strip()
    name = bare(text)
    futures_venue = bool(dataset) and str(dataset).upper().startswith(_FUTURES_DATASETS)
    if futures_venue or _PARENT.fullmatch(name) or (
            _FUTURE.fullmatch(name) and name not in INDICES | ETFS):
        m = _FUTURE.fullmatch(name)
        month = contract_month(m.group("month"), m.group("year"), day) if m else None
        how = f"dataset {dataset}" if futures_venue else source
        return BarInstrument("future", text, month, how)
    if name in INDICES or text.upper().startswith(("I:", "^", "$")):
        return BarInstrument("index", text, None, source)
    if name in ETFS:
        return BarInstrument("etf", text, None, source)
    return BarInstrument("unknown", text, None, source)


def future_root(name: str) -> str | None:
    """The futures root of a bare symbol (`ESH4`, `ES.FUT` -> `ES`), None otherwise."""
    m = _FUTURE.fullmatch(name) or _PARENT.fullmatch(name)
    return m.group("root") if m else None
