"""The rows of the ``pressure.pressure_series`` table: the cells of a day's grid worth
keeping.

A full grid is ~100k cells a day, almost all of them far from the price at the
probability floor. We store every cell with distance < ``cfg.store_within_points``
(30 points by default, wider than the widest urgency rule's distance < 20, so every cell
that can classify is in the table), every cell that actually classified (so the guarantee
survives a config with a narrower band), and each minute's max-pressure cell (so the
per-minute maximum, which the global threshold and the heatmap use, is always present even
when it sits far from the price).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.common.config import PressureConfig
from assets.common.market_day import MarketDay
from assets.pressure.kernel import PressureGrid
from assets.pressure.urgency import classify_grid, urgency_names

SERIES_COLUMNS: tuple[str, ...] = (
    "quote_date", "ts", "bar_index", "strike", "minutes_to_expiry", "distance",
    "total_oi", "probability", "pressure", "urgency",
)


def utc_timestamps(ts: np.ndarray | pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Bar starts as a tz-aware UTC index (naive values are taken to be UTC)."""
    index = pd.DatetimeIndex(ts)
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def stored_mask(grid: PressureGrid, codes: np.ndarray, cfg: PressureConfig) -> np.ndarray:
    """(T, K) bool: the cells written to the series table."""
    keep = (grid.distance < cfg.store_within_points) | (codes != 0)
    n_bars = keep.shape[0]
    if n_bars and keep.shape[1]:
        keep[np.arange(n_bars), grid.row_max_index()] = True
    return keep


def stored_cells(day: MarketDay, grid: PressureGrid, cfg: PressureConfig) -> pd.DataFrame:
    """One row per stored cell, ordered by bar then strike."""
    codes = classify_grid(grid, cfg.urgency_rules)
    rows, cols = np.nonzero(stored_mask(grid, codes, cfg))
    names = np.array(urgency_names(cfg.urgency_rules), dtype=object)
    ts = utc_timestamps(day.ts)
    return pd.DataFrame({
        "quote_date": pd.Series([day.quote_date] * rows.shape[0], dtype=object),
        "ts": ts[rows],
        "bar_index": rows.astype(np.int64),
        "strike": grid.strikes[cols],
        "minutes_to_expiry": grid.minutes[rows],
        "distance": grid.distance[rows, cols],
        "total_oi": grid.total_oi[cols],
        "probability": grid.probability[rows, cols],
        "pressure": grid.pressure[rows, cols],
        "urgency": names[codes[rows, cols]],
    }, columns=list(SERIES_COLUMNS))
