"""What a day page shows, read from the warehouse: the day's published bars and opening OI,
its stored pressure cells, alerts, prediction outcomes, trades and session outcome.

Read in a few queries per batch of days (each table filtered on the days), so refreshing a
night's page costs a handful of small reads. Nothing is recomputed: a page shows what the
run stored.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from assets.common import tables
from assets.common.config import LabConfig, UrgencyRule
from assets.common.warehouse_io import load_market_days, read_table, table_exists

DAILY_OUTCOMES = "marts.daily_outcomes"


@dataclass(frozen=True)
class DayView:
    day: dt.date
    is_calibration: bool
    ts: pd.DatetimeIndex  # bar starts, UTC
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    minutes: np.ndarray  # minutes to expiry after each bar
    strikes: np.ndarray
    total_oi: np.ndarray  # as known before the open
    cells: pd.DataFrame  # the stored pressure cells: bar_index, strike, pressure, urgency
    alerts: pd.DataFrame
    outcomes: pd.DataFrame
    trades: pd.DataFrame
    session: dict  # the day's row of the daily outcomes mart ({} without one)
    rules: tuple[UrgencyRule, ...]
    thresholds: dict[str, float]

    @property
    def max_pressure(self) -> float:
        return float(self.cells["pressure"].max()) if len(self.cells) else float("nan")


def _rows(conn: duckdb.DuckDBPyConnection, table: str, days: Sequence[dt.date],
          columns: str = "*", order: str = "quote_date") -> dict[dt.date, pd.DataFrame] | None:
    """The table's rows of `days`, split by day in one pass (a chunk of pages reads each
    table once; the per-day split is by position, not by comparing dates row by row)."""
    if not table_exists(conn, table):
        return None
    frame = conn.execute(f"select {columns} from {table} where quote_date in "
                         f"(select unnest(?::date[])) order by {order}", [list(days)]).df()
    stamp = pd.to_datetime(frame["quote_date"]).to_numpy("datetime64[D]")
    wanted = np.array(sorted(days), dtype="datetime64[D]")
    bounds = np.searchsorted(stamp, np.r_[wanted, wanted[-1] + 1] if len(wanted) else [])
    empty = frame.iloc[0:0].assign(quote_date=pd.Series(dtype=object))
    out = {}
    for i, day in enumerate(sorted(days)):
        part = frame.iloc[bounds[i]:bounds[i + 1]]
        out[day] = part.assign(quote_date=[day] * len(part)).reset_index(drop=True) \
            if len(part) else empty
    return out


def _by_day(frames: dict[dt.date, pd.DataFrame] | None, day: dt.date) -> pd.DataFrame:
    if frames is None:
        return pd.DataFrame()
    return frames[day]


def stored_thresholds(conn: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """The run's alert thresholds (the stored calibration)."""
    if not table_exists(conn, tables.CALIBRATION):
        return {}
    return {k: float(v) for k, v in json.loads(
        read_table(conn, tables.CALIBRATION)["thresholds_json"].iloc[0]).items()}


def load_day_views(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date],
                   cfg: LabConfig) -> dict[dt.date, DayView]:
    """The views of `days` that have published bars and OI."""
    days = sorted(set(days))
    market = load_market_days(conn, days, cfg.calendar.exchange)
    if not market:
        return {}
    days = sorted(market)
    units = _rows(conn, tables.ENGINE_UNITS, days, "quote_date, is_calibration")
    calibration = {d: bool(f["is_calibration"].iloc[0]) for d, f in units.items() if len(f)} \
        if units is not None else {}
    cells = _rows(conn, tables.PRESSURE_SERIES, days,
                  "quote_date, bar_index, strike, pressure, urgency", "quote_date, bar_index")
    alerts = _rows(conn, tables.ALERTS, days, order="quote_date, bar_index")
    outcomes = _rows(conn, tables.PREDICTION_OUTCOMES, days, order="quote_date, bar_index")
    trades = _rows(conn, tables.TRADES, days, order="quote_date, entry_index")
    sessions = _rows(conn, DAILY_OUTCOMES, days)
    thresholds = stored_thresholds(conn)
    out = {}
    for day in days:
        m = market[day]
        session = _by_day(sessions, day)
        out[day] = DayView(
            day, bool(calibration.get(day, False)), pd.DatetimeIndex(m.ts, tz="UTC"),
            np.asarray(m.open), np.asarray(m.high), np.asarray(m.low), np.asarray(m.close),
            np.asarray(m.minutes_to_expiry), np.asarray(m.strikes), np.asarray(m.total_oi),
            _by_day(cells, day), _by_day(alerts, day), _by_day(outcomes, day),
            _by_day(trades, day), session.iloc[0].to_dict() if len(session) else {},
            tuple(cfg.pressure.urgency_rules), thresholds)
    return out
