"""The canonical landing contract (docs/data-contract.md) as code, and its normalizer.

Every adapter maps its vendor's file onto these columns and then calls `normalize_chains` /
`normalize_bars`, so the staged frames always have the same names, order and dtypes no
matter where they came from. Two levels of defect are kept apart on purpose:

- a value that cannot be read as its column's type at all (``"abc"`` as a strike, a date of
  ``2024-13-45``, a timestamp without its UTC offset) makes the file unusable and raises
  `LandingFileError` naming the file, the row and the rule;
- a value of the right type that breaks a business rule (a negative or fractional open
  interest, a strike off the grid, ``option_type == "X"``) is staged as is and reported by
  the great-expectations checks, so a person sees every offending row at once.

That is why counts (open interest, volume) are float64 in the staged frame: a fractional
count must survive staging to be reported by the integrality rule. Publishing casts them to
BIGINT only after the checks passed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from assets.ingestion.errors import LandingFileError
from assets.ingestion.instruments import BarInstrument

ColumnKind = Literal["date", "text", "float", "count", "timestamp"]

# Canonical chain columns, in file/table order, with their kind.
CHAIN_COLUMNS: dict[str, ColumnKind] = {
    "quote_date": "date",
    "underlying": "text",
    "root": "text",
    "expiration": "date",
    "strike": "float",
    "option_type": "text",
    "open_interest": "count",
    "volume": "count",
    "bid": "float",
    "ask": "float",
    "implied_volatility": "float",
    "underlying_price": "float",
}
# Columns a chain file must carry; the others "may be empty" and may also be absent.
CHAIN_REQUIRED: tuple[str, ...] = (
    "quote_date", "underlying", "expiration", "strike", "option_type", "open_interest")

BAR_COLUMNS: dict[str, ColumnKind] = {
    "symbol": "text",
    "ts": "timestamp",
    "open": "float",
    "high": "float",
    "low": "float",
    "close": "float",
    "volume": "count",
}
BAR_REQUIRED: tuple[str, ...] = ("symbol", "ts", "open", "high", "low", "close")

# Lineage columns added by ingestion. `partition_date` is the day of the landing file (the
# partition); it exists in stage only, so that a chain row whose own `quote_date` is wrong
# is still found, replaced and reported under the day it was delivered for.
LINEAGE_COLUMNS: tuple[str, ...] = ("source_file", "source_row", "partition_date")

STAGE_CHAIN_COLUMNS: tuple[str, ...] = (*CHAIN_COLUMNS, *LINEAGE_COLUMNS)
STAGE_BAR_COLUMNS: tuple[str, ...] = ("quote_date", *BAR_COLUMNS, *LINEAGE_COLUMNS)

# Published (raw.*) columns, exactly as the dbt sources read them.
RAW_CHAIN_COLUMNS: tuple[str, ...] = (*CHAIN_COLUMNS, "source_file", "source_row")
RAW_BAR_COLUMNS: tuple[str, ...] = ("quote_date", *BAR_COLUMNS, "source_file", "source_row")

Kind = Literal["chains", "bars"]
KINDS: tuple[Kind, ...] = ("chains", "bars")

_OFFSET_RE = re.compile(r"(Z|[+-]\d{2}(:?\d{2})?)$")


@dataclass
class LandingRead:
    """One day's landing data, already normalized to the stage columns.

    `notes` say what an adapter dropped or assumed (rows of other roots or expirations,
    instruments without a pre-open open interest, ...) so it is shown, not silent.
    """

    kind: Kind
    day: dt.date
    adapter: str
    files: list[str]
    frame: pd.DataFrame
    rows_in_files: int
    notes: list[str] = field(default_factory=list)
    instrument: BarInstrument | None = None  # bars: what the prices are of


def _first_bad(mask: np.ndarray, source_row: pd.Series) -> int | None:
    idx = np.flatnonzero(mask)
    return int(source_row.iloc[idx[0]]) if idx.size else None


def _bad_value(values: pd.Series, mask: np.ndarray) -> str:
    return repr(values.iloc[int(np.flatnonzero(mask)[0])])


def _present(values: pd.Series) -> np.ndarray:
    """Non-missing input values (empty or blank strings count as missing)."""
    notna = values.notna().to_numpy()
    if values.dtype == object:
        blank = values.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
        notna &= ~blank
    return notna


def _to_date(values: pd.Series, column: str, file: str, rows: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        out = values
    else:
        text = values.map(lambda v: v.isoformat() if isinstance(v, (dt.date, pd.Timestamp))
                          else (None if v is None or (isinstance(v, float) and np.isnan(v))
                                else str(v).strip() or None))
        out = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        bad = _present(values) & out.isna().to_numpy()
        if bad.any():
            raise LandingFileError(file, _first_bad(bad, rows), "type",
                                   f"column {column!r}: {_bad_value(values, bad)} is not a "
                                   "date YYYY-MM-DD")
    return out.dt.normalize().astype("datetime64[ns]")


def _to_text(values: pd.Series) -> pd.Series:
    def conv(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        s = v.decode() if isinstance(v, bytes) else str(v)
        s = s.strip()
        return s or None
    return values.map(conv).astype(object)


def _to_float(values: pd.Series, column: str, file: str, rows: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64")
    out = pd.to_numeric(values.map(lambda v: v.strip() if isinstance(v, str) else v)
                        .replace("", np.nan), errors="coerce").astype("float64")
    bad = _present(values) & out.isna().to_numpy()
    if bad.any():
        raise LandingFileError(file, _first_bad(bad, rows), "type",
                               f"column {column!r}: {_bad_value(values, bad)} is not a number")
    return out


def _to_timestamp(values: pd.Series, column: str, file: str, rows: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        raise LandingFileError(file, None, "ts_offset",
                               f"column {column!r} holds timestamps without a UTC offset; the "
                               "contract requires ISO-8601 with its offset")
    text = values.map(lambda v: v.strip() if isinstance(v, str) else v)
    present = _present(values)
    no_offset = present & ~text.map(lambda v: isinstance(v, str) and bool(_OFFSET_RE.search(v))
                                    ).to_numpy(dtype=bool)
    if no_offset.any():
        raise LandingFileError(file, _first_bad(no_offset, rows), "ts_offset",
                               f"column {column!r}: {_bad_value(values, no_offset)} has no UTC "
                               "offset (the contract requires e.g. 2024-01-05T09:30:00-05:00)")
    out = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    bad = present & out.isna().to_numpy()
    if bad.any():
        raise LandingFileError(file, _first_bad(bad, rows), "type",
                               f"column {column!r}: {_bad_value(values, bad)} is not an "
                               "ISO-8601 timestamp")
    return out.astype("datetime64[ns, UTC]")


def _normalize(frame: pd.DataFrame, columns: dict[str, ColumnKind], required: tuple[str, ...],
               source_file: str, source_row: np.ndarray | pd.Series | None,
               day: dt.date, order: tuple[str, ...]) -> pd.DataFrame:
    """The converted columns plus lineage, built as one frame in `order` (one construction:
    a day's file is small, so pandas' per-operation cost is what a year of files pays)."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise LandingFileError(source_file, None, "missing_columns",
                               f"required column(s) {missing} not found; columns present: "
                               f"{list(frame.columns)}")
    n = len(frame)
    frame = frame if isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 \
        and frame.index.step == 1 else frame.reset_index(drop=True)
    rows = pd.Series(np.arange(1, n + 1, dtype="int64") if source_row is None
                     else np.asarray(source_row, dtype="int64"))
    out: dict[str, pd.Series | np.ndarray] = {}
    for column, kind in columns.items():
        values = (frame[column] if column in frame.columns
                  else pd.Series([None] * n, dtype=object))
        if kind == "date":
            out[column] = _to_date(values, column, source_file, rows)
        elif kind == "text":
            out[column] = _to_text(values)
        elif kind in ("float", "count"):
            out[column] = _to_float(values, column, source_file, rows)
        else:
            out[column] = _to_timestamp(values, column, source_file, rows)
    day_column = np.full(n, np.datetime64(day, "ns"))
    out["quote_date"] = out.get("quote_date", day_column)
    out["source_file"] = np.full(n, source_file, dtype=object)
    out["source_row"] = rows.to_numpy()
    out["partition_date"] = day_column
    return pd.DataFrame({c: out[c] for c in order})


def normalize_chains(frame: pd.DataFrame, *, source_file: str, day: dt.date,
                     source_row: np.ndarray | pd.Series | None = None) -> pd.DataFrame:
    """Map an adapter's chain frame to the stage columns and dtypes (see module doc)."""
    return _normalize(frame, CHAIN_COLUMNS, CHAIN_REQUIRED, source_file, source_row, day,
                      STAGE_CHAIN_COLUMNS)


def normalize_bars(frame: pd.DataFrame, *, source_file: str, day: dt.date,
                   source_row: np.ndarray | pd.Series | None = None) -> pd.DataFrame:
    """Map an adapter's bar frame to the stage columns; `quote_date` is the file's day."""
    return _normalize(frame, BAR_COLUMNS, BAR_REQUIRED, source_file, source_row, day,
                      STAGE_BAR_COLUMNS)


def empty_stage_frame(kind: Kind) -> pd.DataFrame:
    """A zero-row frame with the stage columns and dtypes (for days without rows)."""
    columns = CHAIN_COLUMNS if kind == "chains" else BAR_COLUMNS
    dtypes = {"date": "datetime64[ns]", "text": object, "float": "float64",
              "count": "float64", "timestamp": "datetime64[ns, UTC]"}
    data = {c: pd.Series([], dtype=dtypes[k]) for c, k in columns.items()}
    if kind == "bars":
        data = {"quote_date": pd.Series([], dtype="datetime64[ns]"), **data}
    data["source_file"] = pd.Series([], dtype=object)
    data["source_row"] = pd.Series([], dtype="int64")
    data["partition_date"] = pd.Series([], dtype="datetime64[ns]")
    return pd.DataFrame(data)
