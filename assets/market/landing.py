"""Writing synthetic (or any canonical) days into the landing zone.

One file per day and kind: `landing/chains/YYYY-MM-DD.<fmt>` and `landing/bars/YYYY-MM-DD.<fmt>`.
Each file is written to a hidden temporary file in the same directory and then renamed over
the target, so a reader never sees a half-written day (rename is atomic within a filesystem).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal, Protocol

import pandas as pd

LandingFormat = Literal["csv", "parquet"]
LANDING_FORMATS: tuple[str, ...] = ("csv", "parquet")


class DayFrames(Protocol):
    day: object
    chains: pd.DataFrame
    bars: pd.DataFrame


def _atomic_write(target: Path, write: Callable[[str], None]) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _bars_for_csv(bars: pd.DataFrame) -> pd.DataFrame:
    out = bars.copy()
    ts = pd.DatetimeIndex(out["ts"])
    ts = ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
    out["ts"] = [t.isoformat() for t in ts]  # e.g. 2024-01-02T14:30:00+00:00
    return out


def write_frame(frame: pd.DataFrame, target: Path, fmt: LandingFormat) -> Path:
    """Write one frame atomically as CSV (no index) or Parquet."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        _atomic_write(target, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))
    elif fmt == "parquet":
        _atomic_write(target, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        raise ValueError(f"unknown landing format {fmt!r}; expected one of {LANDING_FORMATS}")
    return target


def write_landing(landing_dir: Path, days: Iterable[DayFrames], fmt: LandingFormat = "csv") -> list[Path]:
    """Write every day's chain and bars under `landing_dir`; returns the paths written
    (chains then bars, day by day). Existing files of the same days are replaced."""
    if fmt not in LANDING_FORMATS:
        raise ValueError(f"unknown landing format {fmt!r}; expected one of {LANDING_FORMATS}")
    landing_dir = Path(landing_dir)
    chains_dir, bars_dir = landing_dir / "chains", landing_dir / "bars"
    chains_dir.mkdir(parents=True, exist_ok=True)
    bars_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for item in days:
        name = f"{pd.Timestamp(item.day):%Y-%m-%d}.{fmt}"
        bars = _bars_for_csv(item.bars) if fmt == "csv" else item.bars
        written.append(write_frame(item.chains, chains_dir / name, fmt))
        written.append(write_frame(bars, bars_dir / name, fmt))
    return written
