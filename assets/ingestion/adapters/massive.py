"""Massive (formerly Polygon) flat files: index minute aggregates as bars; no option OI.

Layout (Massive flat-files documentation, "Indices / Minute Aggregates",
https://massive.com/docs/flat-files/indices/minute-aggregates): S3 key
`us_indices/minute_aggs_v1/YYYY/MM/YYYY-MM-DD.csv.gz`, one gzipped CSV per day holding
every index Massive carries, columns `ticker, open, close, high, low, window_start`;
`window_start` is the Unix time in nanoseconds (UTC) of the aggregate window's start;
tickers carry Massive's index prefix (`I:SPX`). Indices have no volume column.

Landing: copy the day's file as `landing/bars/YYYY-MM-DD.csv.gz` (its own name). Only the
rows of `ingestion.index_ticker` are kept, trimmed to the exchange session `[open, close)`
(the file spans the whole day); both counts go to the notes. The file is streamed and
filtered batch by batch (a day is ~140 MB compressed), never decompressed whole.

Massive's option flat files (`us_options_opra/...`) carry trades, quotes and aggregates
but no open interest, the one field the lab needs from a chain ("The options endpoints and
files that do go back in time carry no open interest field", Massive knowledge base, "Does
Massive have historical open interest for options?"): one dropped into `landing/chains/`
is refused with an error that says so. (Massive's REST API has a daily open-interest
endpoint, `/options/v1/open-interest`, whose `date` is the session the figure is for; it
is not a flat file and no adapter reads it.)
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from assets.common import calendar
from assets.common.config import LabConfig
from assets.ingestion.adapters import Adapter
from assets.ingestion.contract import LandingRead, normalize_bars
from assets.ingestion.errors import LandingFileError
from assets.ingestion.instruments import classify

REQUIRED = ("ticker", "open", "close", "high", "low", "window_start")
_TYPES = {"ticker": pa.string(), "open": pa.float64(), "close": pa.float64(),
          "high": pa.float64(), "low": pa.float64(), "window_start": pa.int64()}
_NAME = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})\.csv\.gz")


def _filtered(path: Path, ticker: str) -> tuple[pd.DataFrame, int]:
    """The ticker's rows with their 1-based row in the file, and the file's row count."""
    name = str(path)
    if path.stat().st_size == 0:
        raise LandingFileError(name, None, "empty", "the file is empty (0 bytes)")
    parts, seen = [], 0
    try:
        stream = pa.input_stream(str(path), compression="gzip")
        reader = pacsv.open_csv(stream, convert_options=pacsv.ConvertOptions(
            column_types=_TYPES, include_columns=list(REQUIRED),
            include_missing_columns=False))
        for batch in reader:
            mask = pc.equal(batch.column("ticker"), ticker)
            idx = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
            if idx.size:
                part = batch.take(pa.array(idx)).to_pandas()
                part["source_row"] = idx + seen + 1
                parts.append(part)
            seen += batch.num_rows
    except KeyError as exc:
        raise LandingFileError(name, None, "missing_columns",
                               f"required column missing ({exc}); expected {list(REQUIRED)}"
                               ) from None
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        text = str(exc)
        rule = "missing_columns" if "not found" in text or "include_columns" in text else (
            "gzip" if "gzip" in text.lower() or "compress" in text.lower() else "parse")
        raise LandingFileError(name, seen + 1 if rule == "parse" else None, rule,
                               f"cannot read the gzipped CSV after {seen} rows: {text}"
                               ) from None
    frame = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame(columns=[*REQUIRED, "source_row"]))
    return frame, seen


def _read_bars(paths: list[Path], day: dt.date, cfg: LabConfig) -> LandingRead:
    path = paths[0]
    ticker = cfg.ingestion.index_ticker
    frame, rows = _filtered(path, ticker)
    if frame.empty:
        raise LandingFileError(path, None, "no_rows",
                               f"no row of ticker {ticker!r} (ingestion.index_ticker) among "
                               f"{rows} rows")
    sess = calendar.session(day, cfg.calendar.exchange)
    if sess is None:
        raise LandingFileError(path, None, "no_session",
                               f"{day} is not a {cfg.calendar.exchange} trading session")
    ts = pd.to_datetime(frame["window_start"].astype("int64"), utc=True)
    inside = ((ts >= sess.open) & (ts < sess.close)).to_numpy()
    notes = [f"{len(frame)} rows of {ticker} among {rows}; {int(inside.sum())} inside the "
             f"session [{sess.open:%H:%M}, {sess.close:%H:%M}) UTC"]
    kept = frame[inside].assign(ts=ts[inside].to_numpy(), symbol=ticker, volume=np.nan)
    if kept.empty:
        raise LandingFileError(path, None, "no_rows", f"no {ticker} bar inside the {day} session")
    out = normalize_bars(kept, source_file=str(path), day=day,
                         source_row=kept["source_row"].to_numpy())
    instrument = classify(ticker, day, source="ingestion.index_ticker (Massive ticker)")
    return LandingRead("bars", day, "massive", [str(path)], out, rows, notes, instrument)


def _refuse_chains(paths: list[Path], day: dt.date, cfg: LabConfig) -> LandingRead:
    raise LandingFileError(paths[0], None, "no_open_interest",
                           "a Massive (formerly Polygon) flat file in chains/: Massive's "
                           "option flat files carry trades, quotes and aggregates but no open "
                           "interest, the one chain field the lab needs. Use Massive for index "
                           "bars (landing/bars/) and a vendor with OI for chains (Cboe, "
                           "Databento, ThetaData, OptionMetrics)")


def _examples(day: dt.date) -> list[str]:
    return [f"{day.isoformat()}.csv.gz"]


ADAPTERS = (
    Adapter("massive", "bars", (_NAME,),
            "YYYY-MM-DD.csv.gz (us_indices/minute_aggs_v1)", _examples, _read_bars),
    Adapter("massive", "chains", (_NAME,),
            "YYYY-MM-DD.csv.gz (a Massive options file: refused, no open interest)",
            lambda day: [], _refuse_chains,
            oi_timing="none: Massive option files carry no open interest"),
)
