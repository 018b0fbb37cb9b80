"""The lab's own format (docs/data-contract.md): `YYYY-MM-DD.csv` or `.parquet`.

This is what the synthetic market writes, so the mapping is the identity: read the
contract's columns, keep every row (all expirations; the checks and the marts decide which
rows are used), and normalize dtypes.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa

from assets.common.config import LabConfig
from assets.ingestion import readers
from assets.ingestion.adapters import Adapter
from assets.ingestion.contract import (
    BAR_COLUMNS,
    BAR_REQUIRED,
    CHAIN_COLUMNS,
    CHAIN_REQUIRED,
    ColumnKind,
    Kind,
    LandingRead,
    normalize_bars,
    normalize_chains,
)
from assets.ingestion.errors import LandingFileError
from assets.ingestion.instruments import classify

_ARROW: dict[ColumnKind, pa.DataType] = {
    "date": pa.date32(), "text": pa.string(), "float": pa.float64(), "count": pa.float64(),
    "timestamp": pa.timestamp("ns", tz="UTC"),
}
_NAME = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})\.(?:csv|parquet)")


def _read(paths: list[Path], day: dt.date, kind: Kind) -> LandingRead:
    if len(paths) != 1:
        raise LandingFileError(paths[0], None, "ambiguous_source",
                               f"{len(paths)} canonical {kind} files for {day}: "
                               f"{[p.name for p in paths]}; keep one")
    path = paths[0]
    columns = CHAIN_COLUMNS if kind == "chains" else BAR_COLUMNS
    required = CHAIN_REQUIRED if kind == "chains" else BAR_REQUIRED
    optional = [c for c in columns if c not in required]
    if path.suffix == ".parquet":
        frame = readers.read_parquet(path, required=required, optional=optional)
    else:
        table = readers.read_csv(path, str(path),
                                 column_types={c: _ARROW[k] for c, k in columns.items()},
                                 required=required, optional=optional)
        frame = readers.table_to_frame(table)
    absent = [c for c in optional if c not in frame.columns]
    normalize = normalize_chains if kind == "chains" else normalize_bars
    out = normalize(frame, source_file=str(path), day=day)
    notes = [f"optional column(s) {absent} absent: stored as empty"] if absent else []
    instrument = (classify(str(out["symbol"].iloc[0]), day, source="symbol column")
                  if kind == "bars" and len(out) and out["symbol"].notna().any() else None)
    return LandingRead(kind, day, "canonical", [str(path)], out, len(frame), notes, instrument)


def _examples(day: dt.date) -> list[str]:
    return [f"{day.isoformat()}.csv", f"{day.isoformat()}.parquet"]


ADAPTERS = (
    Adapter("canonical", "chains", (_NAME,), "YYYY-MM-DD.csv | YYYY-MM-DD.parquet", _examples,
            lambda paths, day, cfg: _read(paths, day, "chains"),
            oi_timing="open_interest as known before D's open (the contract) -> day D"),
    Adapter("canonical", "bars", (_NAME,), "YYYY-MM-DD.csv | YYYY-MM-DD.parquet", _examples,
            lambda paths, day, cfg: _read(paths, day, "bars")),
)


def read_chain_file(path: Path, day: dt.date, cfg: LabConfig | None = None) -> LandingRead:
    """Read one canonical chain file (convenience for tests and tools)."""
    return _read([Path(path)], day, "chains")


def read_bar_file(path: Path, day: dt.date, cfg: LabConfig | None = None) -> LandingRead:
    return _read([Path(path)], day, "bars")
