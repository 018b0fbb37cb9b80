"""ThetaData (Theta Terminal) exports: option open interest as chains, index OHLC as bars.

Open interest timing, from ThetaData's documentation of its open-interest endpoints and
flat file (https://docs.thetadata.us/operations/option_history_open_interest.html,
https://http-docs.thetadata.us/operations/get-v2-flat-file-option-open-interest.html):
"Open Interest is normally reported once per day by OPRA at approximately 06:30 ET ... The
reported open interest represents the open interest at the end of the previous trading
day." So the OI ticks dated D, stamped before D's open, are the positions at D-1's close
known before D's open: mapped to day D, without a shift. Ticks stamped at or after D's
open are ignored (no lookahead) and counted in the notes; per contract the latest pre-open
tick is used.

Chains (`landing/chains/`), two layouts, told apart by their header:
- `OPTION-OPEN_INTEREST-YYYYMMDD.csv`, the Terminal's flat-file download name: columns
  `root, expiration, strike, right, ms_of_day, open_interest, date` (`ms_of_day` since
  midnight ET, `date` YYYYMMDD, `right` C/P). Strike units follow the Terminal version's
  convention: v2 writes `expiration` as a YYYYMMDD integer and strikes in 1/10 of a cent
  (170000 = $170.00); v3 writes `expiration` as YYYY-MM-DD and strikes in dollars.
- `thetadata-open_interest-YYYYMMDD.csv`, a saved v3 `option/history/open_interest`
  response (`symbol=SPXW&expiration=*&date=...`, format csv): columns `symbol, expiration,
  strike, right, timestamp, open_interest` (`timestamp` ET without offset, `right`
  CALL/PUT, strike in dollars).
Kept: roots in `ingestion.roots` (first root wins, as for Cboe) expiring on the file's day.

Bars (`landing/bars/thetadata-<SYMBOL>-ohlc-1m-YYYYMMDD.csv`): a saved v3
`index/history/ohlc` (or `stock/history/ohlc` for an ETF) response at `interval=1m`:
`timestamp, open, high, low, close, volume, count, vwap`, `timestamp` the bar's start in
ET without offset (v2: `ms_of_day, open, high, low, close, volume, count, date`). The
symbol in the file name is the instrument. Bars outside the session and empty intervals
(all prices 0, ThetaData's filler) are dropped and counted.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from assets.common import calendar
from assets.common.config import LabConfig
from assets.ingestion import readers
from assets.ingestion.adapters import Adapter
from assets.ingestion.contract import LandingRead, normalize_bars, normalize_chains
from assets.ingestion.errors import LandingFileError
from assets.ingestion.instruments import classify
from assets.ingestion.placebo_days import scored_expiration

FLAT_COLUMNS = ("root", "expiration", "strike", "right", "ms_of_day", "open_interest", "date")
HISTORY_COLUMNS = ("symbol", "expiration", "strike", "right", "timestamp", "open_interest")
OI_TIMING = ("OPRA's ~06:30 ET report on D = positions at D-1's close -> day D (ticks at or "
             "after the open ignored)")
_FLAT_NAME = re.compile(r"OPTION-OPEN_INTEREST-(?P<day>\d{8})\.csv", re.IGNORECASE)
_HISTORY_NAME = re.compile(r"thetadata-open_interest-(?P<day>\d{8})\.csv")
_BAR_NAME = re.compile(r"thetadata-(?P<symbol>[A-Za-z0-9.^:_]+)-ohlc-1m-(?P<day>\d{8})\.csv")
_TEXT = pa.string()


def _session(day: dt.date, cfg: LabConfig, path: Path) -> calendar.Session:
    sess = calendar.session(day, cfg.calendar.exchange)
    if sess is None:
        raise LandingFileError(path, None, "no_session",
                               f"{day} is not a {cfg.calendar.exchange} trading session")
    return sess


def _et(day_values: pd.Series, ms_of_day: pd.Series) -> pd.Series:
    local = pd.to_datetime(day_values) + pd.to_timedelta(ms_of_day, unit="ms")
    return local.dt.tz_localize(calendar.EXCHANGE_TZ).dt.tz_convert("UTC")


def _dates(values: pd.Series, column: str, path: Path, rows: np.ndarray) -> pd.Series:
    text = values.astype(str).str.strip().str.replace("-", "", regex=False)
    out = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    bad = out.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LandingFileError(path, int(rows[i]), "type",
                               f"column {column!r}: {values.iloc[i]!r} is not a date")
    return out


def _read_oi(path: Path) -> tuple[pd.DataFrame, str]:
    header = readers.read_header(path, str(path))
    layout = "flat" if "ms_of_day" in header else "history"
    required = FLAT_COLUMNS if layout == "flat" else HISTORY_COLUMNS
    table = readers.read_csv(path, str(path), column_types={c: _TEXT for c in required},
                             required=required)
    frame = readers.table_to_frame(table)
    frame["source_row"] = np.arange(1, len(frame) + 1)
    return frame, layout


def _read_chains(paths: list[Path], day: dt.date, cfg: LabConfig) -> LandingRead:
    path = paths[0]
    frame, layout = _read_oi(path)
    rows = frame["source_row"].to_numpy()
    expiration = _dates(frame["expiration"], "expiration", path, rows)
    strike = pd.to_numeric(frame["strike"], errors="coerce")
    if layout == "flat":
        v2 = frame["expiration"].astype(str).str.fullmatch(r"\d{8}").all()
        strike = strike / 1000.0 if v2 else strike
        stamped = _et(_dates(frame["date"], "date", path, rows),
                      pd.to_numeric(frame["ms_of_day"], errors="coerce"))
        root = frame["root"]
        units = "v2 (strike in 1/10 cent)" if v2 else "v3 (strike in dollars)"
    else:
        local = pd.to_datetime(frame["timestamp"], format="ISO8601", errors="coerce")
        stamped = local.dt.tz_localize(calendar.EXCHANGE_TZ).dt.tz_convert("UTC")
        root = frame["symbol"]
        units = "v3 history export"
    right = frame["right"].astype(str).str.strip().str.upper().str[0]
    oi = pd.to_numeric(frame["open_interest"], errors="coerce")
    for name, values in (("strike", strike), ("open_interest", oi), ("timestamp", stamped)):
        bad = values.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise LandingFileError(path, int(rows[i]), "type",
                                   f"column {name!r} cannot be read on this row ({units})")
    sess = _session(day, cfg, path)
    ticks = pd.DataFrame({"root": root.astype(str).str.strip(), "expiration": expiration,
                          "strike": strike, "option_type": right, "open_interest": oi,
                          "stamped": stamped, "source_row": rows})
    roots = list(cfg.ingestion.roots)
    expiring = ticks[(ticks["expiration"] == pd.Timestamp(scored_expiration(day, cfg)))
                     & ticks["root"].isin(roots)]
    notes = [f"{len(ticks)} OI ticks ({units}); {len(expiring)} of roots {roots} expire {day}"]
    if len(expiring):
        chosen = next(r for r in roots if (expiring["root"] == r).any())
        dropped = int((expiring["root"] != chosen).sum())
        if dropped:
            notes.append(f"root {chosen} used; {dropped} ticks of other roots dropped")
        expiring = expiring[expiring["root"] == chosen]
    stamped_day = expiring["stamped"].dt.tz_convert(calendar.EXCHANGE_TZ).dt.date
    late = (expiring["stamped"] >= sess.open).to_numpy() | (stamped_day != day).to_numpy()
    if late.any():
        notes.append(f"{int(late.sum())} OI ticks not stamped before the {day} open ignored")
    kept = (expiring[~late].sort_values("stamped", kind="stable")
            .drop_duplicates(["strike", "option_type"], keep="last")
            .sort_values("source_row"))
    mapped = kept.assign(quote_date=pd.Timestamp(day), underlying=cfg.ingestion.underlying)
    out = normalize_chains(mapped, source_file=str(path), day=day,
                           source_row=kept["source_row"].to_numpy())
    return LandingRead("chains", day, "thetadata", [str(path)], out, len(frame), notes)


def _read_bars(paths: list[Path], day: dt.date, cfg: LabConfig) -> LandingRead:
    path = paths[0]
    symbol = _BAR_NAME.fullmatch(path.name).group("symbol")
    header = readers.read_header(path, str(path))
    v2 = "ms_of_day" in header
    time_cols = ("ms_of_day", "date") if v2 else ("timestamp",)
    required = (*time_cols, "open", "high", "low", "close")
    types = {c: pa.float64() for c in ("open", "high", "low", "close", "volume")}
    types.update({c: _TEXT for c in time_cols})
    table = readers.read_csv(path, str(path), column_types=types, required=required,
                             optional=("volume",))
    frame = readers.table_to_frame(table)
    rows = np.arange(1, len(frame) + 1)
    if v2:
        ts = _et(_dates(frame["date"], "date", path, rows),
                 pd.to_numeric(frame["ms_of_day"], errors="coerce"))
    else:
        local = pd.to_datetime(frame["timestamp"], format="ISO8601", errors="coerce")
        ts = local.dt.tz_localize(calendar.EXCHANGE_TZ).dt.tz_convert("UTC")
    bad = ts.isna().to_numpy()
    if bad.any():
        raise LandingFileError(path, int(rows[np.flatnonzero(bad)[0]]), "type",
                               "the bar's time cannot be read (ET, YYYY-MM-DDTHH:mm:ss)")
    sess = _session(day, cfg, path)
    inside = ((ts >= sess.open) & (ts < sess.close)).to_numpy()
    empty = (frame[["open", "high", "low", "close"]].fillna(0) == 0).all(axis=1).to_numpy()
    notes = [f"{len(frame)} bars; {int(inside.sum())} inside the session"]
    if (inside & empty).any():
        notes.append(f"{int((inside & empty).sum())} empty intervals (prices 0) dropped")
    keep = inside & ~empty
    kept = frame[keep].assign(ts=ts[keep].to_numpy(), symbol=symbol)
    out = normalize_bars(kept, source_file=str(path), day=day, source_row=rows[keep])
    instrument = classify(symbol, day, source="file name symbol")
    return LandingRead("bars", day, "thetadata", [str(path)], out, len(frame), notes, instrument)


def _chain_examples(day: dt.date) -> list[str]:
    return [f"OPTION-OPEN_INTEREST-{day:%Y%m%d}.csv", f"thetadata-open_interest-{day:%Y%m%d}.csv"]


def _bar_examples(day: dt.date) -> list[str]:
    return [f"thetadata-SPX-ohlc-1m-{day:%Y%m%d}.csv"]


ADAPTERS = (
    Adapter("thetadata", "chains", (_FLAT_NAME, _HISTORY_NAME),
            "OPTION-OPEN_INTEREST-YYYYMMDD.csv | thetadata-open_interest-YYYYMMDD.csv",
            _chain_examples, _read_chains, oi_timing=OI_TIMING),
    Adapter("thetadata", "bars", (_BAR_NAME,), "thetadata-<SYMBOL>-ohlc-1m-YYYYMMDD.csv",
            _bar_examples, _read_bars),
)
