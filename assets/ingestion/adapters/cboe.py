"""Cboe DataShop "Option EOD Summary" files → canonical chains.

Files: `UnderlyingOptionsEODCalcs_YYYY-MM-DD.csv|.zip` (with greeks/IV) or
`UnderlyingOptionsEODQuotes_YYYY-MM-DD.csv|.zip` (without), one CSV per ZIP, every
underlying of the market in one file (~1.5 M rows a day).

Mapping and the assumptions behind it:
- Kept rows: `root` in `cfg.ingestion.roots` and `expiration` == the file's day (0DTE).
  On days when several kept roots expire (third-Friday SPX AM and SPXW PM), only the first
  root of `cfg.ingestion.roots` that has rows that day is used, so AM- and PM-settled
  series are never mixed (and never collide on (expiration, strike, option_type)); the
  dropped rows are counted in the read's notes.
- `open_interest` is used as delivered. Cboe's EOD summary dated D carries the open
  interest OCC published on D's morning, i.e. the positions at D-1's close, which is the
  OI known before D's open: exactly the contract's definition. No shift is applied.
- `volume` = `trade_volume` (day D's, informational only: it is not known at the open).
- `bid`, `ask`, `implied_volatility` and `underlying_price` come from the 15:45 ET
  snapshot (the only one with IV); `underlying_price` is `active_underlying_price_1545`
  when the file has it, else the mid of `underlying_bid_1545`/`underlying_ask_1545`. These
  are after-the-open values; the lab's pre-open logic reads only `open_interest`.
- `underlying` = `underlying_symbol` without Cboe's index caret (`^SPX` → `SPX`).
- `source_row` is the 1-based data row in the vendor file (before filtering).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from assets.common.config import LabConfig
from assets.ingestion import readers
from assets.ingestion.adapters import Adapter
from assets.ingestion.contract import LandingRead, normalize_chains
from assets.ingestion.errors import LandingFileError
from assets.ingestion.placebo_days import scored_expiration

REQUIRED = ("underlying_symbol", "quote_date", "root", "expiration", "strike", "option_type",
            "trade_volume", "bid_1545", "ask_1545", "underlying_bid_1545",
            "underlying_ask_1545", "open_interest")
OPTIONAL = ("implied_volatility_1545", "active_underlying_price_1545")
_TYPES = {
    "underlying_symbol": pa.string(), "quote_date": pa.date32(), "root": pa.string(),
    "expiration": pa.date32(), "strike": pa.float64(), "option_type": pa.string(),
    "trade_volume": pa.float64(), "bid_1545": pa.float64(), "ask_1545": pa.float64(),
    "underlying_bid_1545": pa.float64(), "underlying_ask_1545": pa.float64(),
    "open_interest": pa.float64(), "implied_volatility_1545": pa.float64(),
    "active_underlying_price_1545": pa.float64(),
}
_NAME = re.compile(r"UnderlyingOptionsEOD(?:Calcs|Quotes)_(?P<day>\d{4}-\d{2}-\d{2})\.(?:csv|zip)",
                   re.IGNORECASE)


def read_table(path: Path, check_encoding: bool = True) -> tuple[pa.Table, str]:
    """The Cboe columns the lab uses, as Arrow, plus the display name of the source."""
    if path.suffix.lower() == ".zip":
        data, name = readers.read_zip_member(path)
        return readers.read_csv(data, name, column_types=_TYPES, required=REQUIRED,
                                optional=OPTIONAL, check_encoding=check_encoding), name
    return readers.read_csv(path, str(path), column_types=_TYPES, required=REQUIRED,
                            optional=OPTIONAL, check_encoding=check_encoding), str(path)


def map_table(table: pa.Table, name: str, day: dt.date, cfg: LabConfig) -> LandingRead:
    """Filter a Cboe table to the day's expiring roots and map it to the contract."""
    n = table.num_rows
    table = table.append_column("__row", pa.array(np.arange(1, n + 1, dtype=np.int64)))
    roots = list(cfg.ingestion.roots)
    target = pa.scalar(scored_expiration(day, cfg), pa.date32())  # next one on a placebo day
    expiring = table.filter(pc.fill_null(pc.equal(table["expiration"], target), False))
    kept = expiring.filter(pc.fill_null(pc.is_in(expiring["root"], pa.array(roots)), False))
    notes = [f"{n} rows in file; {expiring.num_rows} expire {day}; "
             f"{kept.num_rows} of roots {roots}"]
    frame = kept.to_pandas(date_as_object=False)
    if len(frame):
        present = [r for r in roots if (frame["root"] == r).any()]
        chosen = present[0]
        dropped = int((frame["root"] != chosen).sum())
        if dropped:
            notes.append(f"root {chosen} used; {dropped} expiring rows of root(s) "
                         f"{present[1:]} dropped (never mix AM/PM-settled series)")
        frame = frame[frame["root"] == chosen]
    if "active_underlying_price_1545" in frame.columns:
        underlying_price = frame["active_underlying_price_1545"].where(
            frame["active_underlying_price_1545"].notna(),
            (frame["underlying_bid_1545"] + frame["underlying_ask_1545"]) / 2)
    else:
        underlying_price = (frame["underlying_bid_1545"] + frame["underlying_ask_1545"]) / 2
    mapped = pd.DataFrame({
        "quote_date": frame["quote_date"],
        "underlying": frame["underlying_symbol"].str.lstrip("^"),
        "root": frame["root"],
        "expiration": frame["expiration"],
        "strike": frame["strike"],
        "option_type": frame["option_type"],
        "open_interest": frame["open_interest"],
        "volume": frame["trade_volume"],
        "bid": frame["bid_1545"],
        "ask": frame["ask_1545"],
        "implied_volatility": frame.get("implied_volatility_1545",
                                        pd.Series(np.nan, index=frame.index)),
        "underlying_price": underlying_price,
    })
    out = normalize_chains(mapped, source_file=name, day=day, source_row=frame["__row"])
    return LandingRead("chains", day, "cboe", [name], out, n, notes)


def _read(paths: list[Path], day: dt.date, cfg: LabConfig) -> LandingRead:
    if len(paths) != 1:
        raise LandingFileError(paths[0], None, "ambiguous_source",
                               f"{len(paths)} Cboe files for {day}: {[p.name for p in paths]}; "
                               "keep one (Calcs or Quotes, .csv or .zip)")
    table, name = read_table(paths[0])
    return map_table(table, name, day, cfg)


def _examples(day: dt.date) -> list[str]:
    return [f"UnderlyingOptionsEODCalcs_{day.isoformat()}.csv",
            f"UnderlyingOptionsEODCalcs_{day.isoformat()}.zip",
            f"UnderlyingOptionsEODQuotes_{day.isoformat()}.csv|.zip"]


ADAPTERS = (
    Adapter("cboe", "chains", (_NAME,),
            "UnderlyingOptionsEOD{Calcs|Quotes}_YYYY-MM-DD.{csv|zip}", _examples, _read,
            oi_timing="file dated D = OCC's figure of D's morning (D-1's close) -> day D",
            underlying_price_at=dt.time(15, 45)),
)
