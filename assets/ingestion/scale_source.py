"""The points scale k of an underlying, measured causally against SPX in the same home.

k = median first-bar open of the underlying over its calibration window (its first
`pressure.calibration_days` expiration days with landing files) / SPX's median over those
of the days SPX has too. Only the calibration window is read, so k is fixed before any
scored day and does not move as days are added (assets/common/scaling.py).
"""

from __future__ import annotations

import statistics
from pathlib import Path

from assets.common import calendar
from assets.common.config import LabConfig
from assets.common.settings import LabPaths
from assets.ingestion.adapters import landing_days, read_days


def _first_opens(paths: LabPaths, cfg: LabConfig, days) -> dict:
    reads = read_days("bars", list(days), paths.landing_bars, cfg)
    out = {}
    for read in reads:
        frame = read.frame.dropna(subset=["open"]).sort_values("ts")
        if len(frame):
            out[read.day] = float(frame["open"].iloc[0])
    return out


def calibration_days(paths: LabPaths, cfg: LabConfig) -> list:
    found = sorted(d for d, files in landing_days(paths.landing).items()
                   if any(p.parent.name == "bars" for p in files))
    if not found:
        return []
    expiring = set(calendar.expiration_days(found[0], found[-1], cfg.calendar.expiration_rule,
                                            cfg.calendar.exchange))
    return [d for d in found if d in expiring][: cfg.pressure.calibration_days]


def measurement_window(home: Path, underlying: str, cfg: LabConfig) -> list:
    """The days k is measured on: the underlying's calibration window's days SPX has too
    (file names only, no file is read)."""
    window = calibration_days(LabPaths(home, underlying), cfg)
    spx_days = set(landing_days(LabPaths(home, "SPX").landing))
    return [d for d in window if d in spx_days]


def measure_points_scale(home: Path, underlying: str, cfg: LabConfig,
                         spx_cfg: LabConfig, common: list | None = None
                         ) -> tuple[float, str] | None:
    """(k, how it was measured), or None when SPX has none of the window's days."""
    paths, spx_paths = LabPaths(home, underlying), LabPaths(home, "SPX")
    common = measurement_window(home, underlying, cfg) if common is None else common
    if not common:
        return None
    mine, spx = _first_opens(paths, cfg, common), _first_opens(spx_paths, spx_cfg, common)
    both = [d for d in common if d in mine and d in spx]
    if not both:
        return None
    k = statistics.median(mine[d] for d in both) / statistics.median(spx[d] for d in both)
    detail = (f"median first-bar open of {underlying} over SPX's on the {len(both)} days of "
              f"{underlying}'s calibration window with both ({both[0]} .. {both[-1]})")
    return k, detail
