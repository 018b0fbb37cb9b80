"""Figure data of the evidence package that the other stages do not produce: the pressure
heat map of one example day.

The report draws its figures from the package alone, so the package carries the data of
each figure (numbers, not images).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.validation.package.json_values import to_jsonable
from assets.validation.statistics.metrics import out_of_sample


def heatmap_figure_data(quote_date, strikes: np.ndarray, minutes: np.ndarray,
                        pressure: np.ndarray, price: np.ndarray | None = None,
                        last_minutes: float = 90.0, max_strikes: int = 41) -> dict[str, Any]:
    """Figure data from one day's (T, K) pressure grid: the last `last_minutes` minutes and
    the `max_strikes` strikes nearest the day's final price; rows = strikes, each a list
    over minutes; zero pressure → null (log undefined)."""
    strikes = np.asarray(strikes, dtype=float)
    minutes = np.asarray(minutes, dtype=float)
    pressure = np.asarray(pressure, dtype=float)
    rows = np.flatnonzero(minutes <= last_minutes)
    reference_price = (np.asarray(price, dtype=float)[rows[-1]] if price is not None and rows.size
                       else (np.median(strikes) if strikes.size else 0.0))
    columns = np.sort(np.argsort(np.abs(strikes - reference_price), kind="stable")[:max_strikes])
    shown = pressure[np.ix_(rows, columns)]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pressure = np.where(shown > 0, np.log10(np.where(shown > 0, shown, 1.0)), np.nan)
    return to_jsonable({
        "quote_date": pd.Timestamp(quote_date).date().isoformat(),
        "strikes": strikes[columns], "minutes_to_expiry": minutes[rows],
        "log10_pressure": log_pressure.T,
        "price": np.asarray(price, dtype=float)[rows] if price is not None else [],
    })


def example_day_heatmap(days: Sequence[MarketDay], trades: pd.DataFrame,
                        cfg: LabConfig) -> dict[str, Any]:
    """Heatmap data of the out-of-sample day with the most scored trades (the latest such
    day on ties; the last day when nothing traded), from the pressure stage's kernel."""
    from assets.pressure.kernel import pressure_grid

    scored_trades = out_of_sample(trades)
    counts = (pd.Series([pd.Timestamp(d).date() for d in scored_trades["quote_date"]])
              .value_counts() if len(scored_trades) else pd.Series(dtype=int))
    by_date = {d.quote_date: d for d in days}
    ranked = sorted(by_date, key=lambda d: (int(counts.get(d, 0)), d))
    day = by_date[ranked[-1]]
    grid = pressure_grid(day, cfg.pressure)
    return heatmap_figure_data(day.quote_date, grid.strikes, grid.minutes, grid.pressure,
                               grid.close)
