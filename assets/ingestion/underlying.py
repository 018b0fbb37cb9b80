"""Bars must be the options' underlying: futures are refused or moved onto the index.

A futures contract trades at the index plus a basis (carry minus dividends until its
expiry): for ES against SPX, tens of points. Compared with SPX strikes, unadjusted futures
prices put every distance, urgency class and alert off by that much, silently. So:

- `ingestion.basis_method = "none"` (default): a futures bars file is refused with an
  error naming the file, its contract and what to configure.
- `"previous_close"`: basis(D) = F(P) - I(P), where P is the session before D, F(P) the
  close of the same contract's last bar of P's session (from P's bars file in the landing
  zone) and I(P) the index's official close of P from `landing/<ingestion.index_closes_file>`
  (CSV `date,close`, provided by the user). Every price of day D is then `price - basis(D)`.
  Causal: the basis is fixed before D's open and applied to the whole day. It ignores the
  basis's intraday drift (carry over a day: a fraction of a point), which is the price of
  not looking ahead.

Each bars file's instrument, method and basis are returned as `BarSource` rows, stored in
`raw.bar_sources` and quoted by the evidence package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from assets.common import calendar
from assets.common.config import LabConfig
from assets.ingestion import folder_underlying, readers
from assets.ingestion.adapters import DaySource, scan
from assets.ingestion.contract import LandingRead
from assets.ingestion.errors import LandingFileError
from assets.ingestion.instruments import BarInstrument

PRICE_COLUMNS = ("open", "high", "low", "close")


@dataclass(frozen=True)
class BarSource:
    """One bars file: what it is of and how it was put onto the underlying."""

    day: dt.date
    source_file: str
    adapter: str
    instrument_kind: str
    symbol: str
    contract_month: str | None
    instrument_source: str
    basis_method: str  # "none" (index/ETF bars, used as delivered) or the configured method
    basis_points: float | None  # subtracted from every price of the day
    basis_detail: str


def _instrument(read: LandingRead) -> BarInstrument:
    if read.instrument is not None:
        return read.instrument
    return BarInstrument("unknown", str(read.frame["symbol"].iloc[0]) if len(read.frame)
                         else "", None, "no instrument named by the adapter")


def refusal(read: LandingRead, inst: BarInstrument, cfg: LabConfig) -> LandingFileError:
    return LandingFileError(
        read.files[0], None, "futures_bars",
        f"the bars are of the future {inst.symbol}"
        + (f" (contract month {inst.contract_month})" if inst.contract_month else "")
        + f", identified by {inst.source}, not of the options' underlying "
        f"{cfg.ingestion.underlying}: its basis (tens of points for ES against SPX) would shift "
        "every distance to a strike. Deliver index bars, or set ingestion.basis_method = "
        "'previous_close' and put the index's daily closes in landing/"
        f"{cfg.ingestion.index_closes_file} (columns date,close)")


def read_index_closes(path: Path) -> dict[dt.date, float]:
    """The user's index closes, `date,close`, one row per session."""
    if not path.exists():
        raise LandingFileError(path, None, "missing_file",
                               "the previous_close basis method needs the index's daily "
                               "closes here (CSV with columns date,close)")
    import pyarrow as pa

    table = readers.read_csv(path, str(path), column_types={"date": pa.date32(),
                                                            "close": pa.float64()},
                             required=("date", "close"))
    frame = readers.table_to_frame(table)
    bad = frame["close"].isna() | (frame["close"] <= 0) | frame["date"].isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 1
        raise LandingFileError(path, row, "type", "date and a positive close are required")
    pairs = zip(frame["date"], frame["close"], strict=True)
    return {pd.Timestamp(d).date(): float(c) for d, c in pairs}


def previous_session(day: dt.date, exchange: str) -> calendar.Session:
    found = calendar.sessions(day - dt.timedelta(days=10), day - dt.timedelta(days=1), exchange)
    return found[-1]


class _PreviousBars:
    """Reads the previous session's bars file on demand (one directory scan)."""

    def __init__(self, directory: Path, cfg: LabConfig) -> None:
        self.directory, self.cfg = directory, cfg
        self._sources: dict[dt.date, DaySource] | None = None

    def read(self, day: dt.date, needed_by: str, symbol: str) -> LandingRead:
        if self._sources is None:
            self._sources = scan(self.directory, "bars")
        source = self._sources.get(day)
        if source is None:
            raise LandingFileError(needed_by, None, "basis_reference",
                                   f"the previous_close basis needs the bars of the previous "
                                   f"session {day} (its close), but {self.directory} has no "
                                   f"bars file for {day}")
        if source.adapter.name == "databento":  # files of every month: pick the contract
            from assets.ingestion.adapters.databento import read_bars_of

            return read_bars_of(list(source.paths), day, self.cfg, symbol)
        return source.adapter.read(list(source.paths), day, self.cfg)


def _basis(read: LandingRead, inst: BarInstrument, cfg: LabConfig, closes: dict[dt.date, float],
           closes_path: Path, previous: _PreviousBars) -> tuple[float, str]:
    prev = previous_session(read.day, cfg.calendar.exchange)
    file = read.files[0]
    if prev.day not in closes:
        raise LandingFileError(closes_path, None, "basis_reference",
                               f"no index close for {prev.day}, the session before {read.day}: "
                               f"needed for the basis of {file}")
    prev_read = previous.read(prev.day, file, inst.symbol)
    prev_symbol = str(prev_read.frame["symbol"].iloc[0]) if len(prev_read.frame) else ""
    if prev_symbol != inst.symbol:
        raise LandingFileError(file, None, "basis_reference",
                               f"the basis needs the close of {inst.symbol} on {prev.day}, but "
                               f"{prev_read.files[0]} holds {prev_symbol}: deliver the same "
                               "contract for both sessions")
    last = prev_read.frame.sort_values("ts").iloc[-1]
    future_close, index_close = float(last["close"]), closes[prev.day]
    basis = future_close - index_close
    detail = (f"{inst.symbol} close {future_close:g} (bar {last['ts']:%Y-%m-%d %H:%M} UTC, "
              f"{Path(prev_read.files[0]).name}) - index close {index_close:g} on {prev.day}")
    return basis, detail


def align_to_underlying(reads: Sequence[LandingRead], cfg: LabConfig, bars_dir: Path,
                        landing: Path) -> tuple[list[LandingRead], list[BarSource]]:
    """Refuse or adjust futures bars (see the module doc); every read gets a `BarSource`."""
    method = cfg.ingestion.basis_method
    closes_path = landing / cfg.ingestion.index_closes_file
    closes: dict[dt.date, float] | None = None
    previous = _PreviousBars(bars_dir, cfg)
    out, sources = [], []
    for read in reads:
        folder_underlying.check(read, cfg)
        inst = _instrument(read)
        basis, detail, used = None, "used as delivered", "none"
        if inst.kind == "future":
            if method == "none":
                raise refusal(read, inst, cfg)
            closes = read_index_closes(closes_path) if closes is None else closes
            basis, detail = _basis(read, inst, cfg, closes, closes_path, previous)
            frame = read.frame.copy()
            for column in PRICE_COLUMNS:
                frame[column] = frame[column] - basis
            read = replace(read, frame=frame,
                           notes=[*read.notes, f"basis {basis:+.4g} points subtracted "
                                  f"({method}: {detail})"])
            used = method
        out.append(read)
        sources.append(BarSource(read.day, read.files[0], read.adapter, inst.kind, inst.symbol,
                                 inst.contract_month, inst.source, used, basis, detail))
    return out, sources


def bar_sources_frame(sources: Sequence[BarSource]) -> pd.DataFrame:
    columns = list(BarSource.__dataclass_fields__)
    frame = pd.DataFrame([s.__dict__ for s in sources], columns=columns)
    frame["day"] = pd.to_datetime(frame["day"]).astype("datetime64[ns]")
    frame["basis_points"] = frame["basis_points"].astype("float64")
    return frame.rename(columns={"day": "quote_date"})
