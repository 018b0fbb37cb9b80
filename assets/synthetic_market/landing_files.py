"""Where and how synthetic (or any canonical) days land: one file per day and kind.

The naming lives here only: `<landing>/chains/YYYY-MM-DD.<fmt>` and
`<landing>/bars/YYYY-MM-DD.<fmt>`, `fmt` one of `LANDING_FORMATS`. Each file is replaced
atomically (`assets.common.atomic_files`), so a reader never sees a half-written day.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal, Protocol

import pandas as pd

from assets.common.atomic_files import write_atomic

LandingFormat = Literal["csv", "parquet"]
LANDING_FORMATS: tuple[str, ...] = ("csv", "parquet")
LANDING_KINDS: tuple[str, ...] = ("chains", "bars")


class DayFrames(Protocol):
    day: object
    chains: pd.DataFrame
    bars: pd.DataFrame


def day_file_name(day: object, fmt: str) -> str:
    """`YYYY-MM-DD.<fmt>`: the file name of one day in one format."""
    return f"{pd.Timestamp(day):%Y-%m-%d}.{fmt}"


def day_file(landing_dir: Path, kind: str, day: object, fmt: str) -> Path:
    """The landing file of one day's chain (`kind="chains"`) or bars (`kind="bars"`)."""
    return Path(landing_dir) / kind / day_file_name(day, fmt)


def same_day_other_formats(path: Path) -> list[Path]:
    """The files beside `path` that hold the same day in another format."""
    if not path.parent.exists():
        return []
    return [p for p in path.parent.glob(f"{path.stem}.*") if p != path]


def _bars_for_csv(bars: pd.DataFrame) -> pd.DataFrame:
    out = bars.copy()
    ts = pd.DatetimeIndex(out["ts"])
    ts = ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
    out["ts"] = [t.isoformat() for t in ts]  # e.g. 2024-01-02T14:30:00+00:00
    return out


def write_frame(frame: pd.DataFrame, target: Path, fmt: LandingFormat) -> Path:
    """Write one frame atomically as CSV (no index) or Parquet."""
    if fmt == "csv":
        write_atomic(target, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))
    elif fmt == "parquet":
        write_atomic(target, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        raise ValueError(f"unknown landing format {fmt!r}; expected one of {LANDING_FORMATS}")
    return target


def write_landing(landing_dir: Path, days: Iterable[DayFrames],
                  fmt: LandingFormat = "csv") -> list[Path]:
    """Write every day's chain and bars under `landing_dir`; returns the paths written
    (chains then bars, day by day). Existing files of the same days are replaced."""
    if fmt not in LANDING_FORMATS:
        raise ValueError(f"unknown landing format {fmt!r}; expected one of {LANDING_FORMATS}")
    for kind in LANDING_KINDS:
        (Path(landing_dir) / kind).mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for item in days:
        bars = _bars_for_csv(item.bars) if fmt == "csv" else item.bars
        written.append(write_frame(item.chains, day_file(landing_dir, "chains", item.day, fmt),
                                   fmt))
        written.append(write_frame(bars, day_file(landing_dir, "bars", item.day, fmt), fmt))
    return written
