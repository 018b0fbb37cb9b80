"""OptionMetrics IvyDB US option prices (WRDS `optionm.opprcdYYYY`, exported as CSV) -> chains.

Layout: IvyDB US File and Data Reference Manual v3.0, "Option_Price File", as WRDS names
its variables: `secid, date, symbol, symbol_flag, exdate, cp_flag, strike_price,
best_bid, best_offer, volume, open_interest, impl_volatility, ..., am_settlement,
ticker, ...` (lower case). `strike_price` is "the strike price of the option times 1000";
`cp_flag` is C/P; `symbol` is the OSI-style option symbol whose first word is the root
(`SPXW 240105C4700000`); dates are YYYY-MM-DD (or YYYYMMDD, WRDS's other date format).
`best_bid`/`best_offer` are the 15:59 ET quotes (after the open: informational only). The
file has no spot price, so `underlying_price` stays empty.

Open interest timing. The manual, Option_Price file, Open Interest: "Open interest is
lagged by one day after November 28, 2000. Prior to this date, the open interest is not
lagged. An Open Interest file with updated values is posted on the following morning."
So the row dated D carries the positions at D-1's close (OCC's figure published on D's
morning): the OI known before D's open. Rule: **the row dated D -> day D**. Reading it as
day D's own close (and taking the row of the previous session for D) would use OI two
closes old, one day off. Days up to 2000-11-28, when IvyDB's OI was D's own close (not
known before D's open), are refused rather than shifted.

Landing: `landing/chains/opprcd_YYYY-MM-DD.csv` (or `opprcdYYYY_YYYYMMDD.csv`), one WRDS
query per day; an export spanning several dates is accepted and only its rows dated the
file's day are used (the others are counted in the notes). Kept contracts: roots in
`ingestion.roots` (first root wins) with `exdate` == the day.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from assets.common.config import LabConfig
from assets.ingestion import readers
from assets.ingestion.adapters import Adapter
from assets.ingestion.contract import LandingRead, normalize_chains
from assets.ingestion.errors import LandingFileError
from assets.ingestion.placebo_days import scored_expiration

REQUIRED = ("date", "symbol", "exdate", "cp_flag", "strike_price", "open_interest")
OPTIONAL = ("best_bid", "best_offer", "volume", "impl_volatility", "ticker")
LAG_FROM = dt.date(2000, 11, 29)  # the manual: lagged "after November 28, 2000"
OI_TIMING = "row dated D = positions at D-1's close (IvyDB lags OI one day) -> day D"
STRIKE_SCALE = 1000.0
_TYPES = {c: pa.string() for c in ("date", "symbol", "exdate", "cp_flag", "ticker")}
_TYPES.update({c: pa.float64() for c in ("strike_price", "open_interest", "best_bid",
                                         "best_offer", "volume", "impl_volatility")})
_NAME = re.compile(r"opprcd(?:\d{4})?_(?P<day>\d{4}-\d{2}-\d{2}|\d{8})\.csv", re.IGNORECASE)


def _dates(values: pd.Series, column: str, path: Path) -> pd.Series:
    text = values.astype(str).str.strip().str.replace("-", "", regex=False)
    out = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    bad = out.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LandingFileError(path, i + 1, "type", f"column {column!r}: {values.iloc[i]!r} is "
                               "not a date YYYY-MM-DD or YYYYMMDD")
    return out


def _read(paths: list[Path], day: dt.date, cfg: LabConfig) -> LandingRead:
    path = paths[0]
    if day < LAG_FROM:
        raise LandingFileError(path, None, "oi_timing",
                               f"IvyDB's open interest before {LAG_FROM} is the day's own close, "
                               "not known before the open; these days are not supported")
    table = readers.read_csv(path, str(path), column_types=_TYPES, required=REQUIRED,
                             optional=OPTIONAL)
    frame = readers.table_to_frame(table)
    frame["source_row"] = np.arange(1, len(frame) + 1)
    dates = _dates(frame["date"], "date", path)
    exdates = _dates(frame["exdate"], "exdate", path)
    today = (dates == pd.Timestamp(day)).to_numpy()
    notes = [f"{len(frame)} rows; {int(today.sum())} dated {day} (OI known before its open)"]
    if (~today).any():
        notes.append(f"{int((~today).sum())} rows of other dates ignored "
                     f"({sorted({d.date().isoformat() for d in dates[~today]})[:3]})")
    root = frame["symbol"].astype(str).str.strip().str.split().str[0]
    mine = frame.assign(root=root, expiration=exdates)[today]
    roots = list(cfg.ingestion.roots)
    expiring = mine[(mine["expiration"] == pd.Timestamp(scored_expiration(day, cfg)))
                    & mine["root"].isin(roots)]
    notes.append(f"{len(expiring)} contracts of roots {roots} expire {day}")
    if len(expiring):
        chosen = next(r for r in roots if (expiring["root"] == r).any())
        dropped = int((expiring["root"] != chosen).sum())
        if dropped:
            notes.append(f"root {chosen} used; {dropped} contracts of other roots dropped")
        expiring = expiring[expiring["root"] == chosen]
    underlying = (expiring["ticker"] if "ticker" in expiring.columns
                  else pd.Series(cfg.ingestion.underlying, index=expiring.index))
    mapped = pd.DataFrame({
        "quote_date": pd.Timestamp(day), "underlying": underlying.fillna(cfg.ingestion.underlying),
        "root": expiring["root"], "expiration": expiring["expiration"],
        "strike": expiring["strike_price"] / STRIKE_SCALE,
        "option_type": expiring["cp_flag"].astype(str).str.strip().str.upper(),
        "open_interest": expiring["open_interest"],
        "volume": expiring.get("volume"), "bid": expiring.get("best_bid"),
        "ask": expiring.get("best_offer"), "implied_volatility": expiring.get("impl_volatility"),
    })
    out = normalize_chains(mapped, source_file=str(path), day=day,
                           source_row=expiring["source_row"].to_numpy())
    return LandingRead("chains", day, "optionmetrics", [str(path)], out, len(frame), notes)


def _examples(day: dt.date) -> list[str]:
    return [f"opprcd_{day.isoformat()}.csv", f"opprcd{day.year}_{day:%Y%m%d}.csv"]


ADAPTERS = (
    Adapter("optionmetrics", "chains", (_NAME,),
            "opprcd_YYYY-MM-DD.csv | opprcdYYYY_YYYYMMDD.csv (WRDS IvyDB option prices)",
            _examples, _read, oi_timing=OI_TIMING),
)
