"""Units in the warehouse: one set of rows per (day, procedure digest), swapped in per
partition, and the Monte Carlo shares summed in DuckDB.

The shares are stored long (a row per day, replication and class), so summing a decade's
replications is one GROUP BY and a night adds only its own day's rows. A day's rows in
every table are replaced together, so a unit is never half old, half new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from assets.common import tables
from assets.common.warehouse_io import read_table, replace_rows, table_exists
from assets.engine.monte_carlo import NullShare
from assets.engine.procedure import Procedure
from assets.engine.unit import CANDIDATE_COLUMNS, SUMMARY_COLUMNS, Shares, Units
from assets.trading.exits import REASON_NAMES


def stale_days(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date],
               digest: str) -> tuple[list[dt.date], int]:
    """(days whose unit is missing or from another procedure, how many of them had one)."""
    if not table_exists(conn, tables.ENGINE_UNITS):
        return sorted(days), 0
    have = dict(conn.execute(f"select quote_date, digest from {tables.ENGINE_UNITS}").fetchall())
    stale = sorted(d for d in days if have.get(d) != digest)
    return stale, sum(1 for d in stale if d in have)


def write_units(conn: duckdb.DuckDBPyConnection, units: Units, digest: str) -> int:
    """Swap in the units' rows for their days (all tables in one go per table)."""
    days = units.days
    if not days:
        return 0
    replace_rows(conn, tables.ENGINE_UNITS, units.summaries.assign(digest=digest), days)
    replace_rows(conn, tables.ENGINE_CANDIDATES, units.candidates.assign(
        quote_date=_dates(units.candidates)), days)
    replace_rows(conn, tables.ALERTS, units.alerts, days)
    replace_rows(conn, tables.PREDICTION_OUTCOMES, units.outcomes, days)
    null, reasons, direction, placebo = _share_frames(units.shares)
    replace_rows(conn, tables.ENGINE_NULL_DRAWS, null, days)
    replace_rows(conn, tables.ENGINE_NULL_REASONS, reasons, days)
    replace_rows(conn, tables.ENGINE_DIRECTION_DRAWS, direction, days)
    replace_rows(conn, tables.ENGINE_PLACEBO_DRAWS, placebo, days)
    return len(days)


def _dates(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(list(frame["quote_date"]), index=frame.index, dtype=object)


def _share_frames(shares: dict[dt.date, Shares]) -> tuple[pa.Table, ...]:
    """The shares as four long tables, built column-wise (a decade's chunk is ~10^6 rows:
    no per-day frames, no Python date objects)."""
    days = sorted(shares)
    null_parts, reason_parts, direction_parts, placebo_parts = [], [], [], []
    for i, day in enumerate(days):
        s = shares[day]
        b = s.null.sums.shape[0]
        active = np.flatnonzero(np.abs(s.null.sums).sum(axis=0) + s.null.wins.sum(axis=0) > 0)
        for k in active:
            null_parts.append((i, b, k, s.null.sums[:, k], s.null.wins[:, k]))
        reason_parts.append((i, s.null.reasons, s.null.fallback))
        direction_parts.append((i, s.direction))
        placebo_parts.append((i, s.placebo_sums, s.placebo_counts))
    stamp = np.array(days, dtype="datetime64[D]")

    def dates(index: np.ndarray) -> pa.Array:
        return pa.array(stamp[index] if len(days) else np.empty(0, "datetime64[D]"),
                        type=pa.date32())

    def cat(parts, j, dtype) -> np.ndarray:
        return (np.concatenate([np.asarray(p[j], dtype=dtype) for p in parts]) if parts
                else np.empty(0, dtype))

    rep = lambda n: np.arange(n, dtype=np.int32)  # noqa: E731
    null = pa.table({
        "quote_date": dates(np.repeat([p[0] for p in null_parts], [p[1] for p in null_parts])
                            .astype(np.int64)),
        "rep": cat([(rep(p[1]),) for p in null_parts], 0, np.int32),
        "class_code": np.repeat([p[2] for p in null_parts],
                                [p[1] for p in null_parts]).astype(np.int16),
        "pnl_sum": cat(null_parts, 3, np.float64), "wins": cat(null_parts, 4, np.float64)})
    n_reasons = len(REASON_NAMES)
    reasons = pa.table({
        "quote_date": dates(np.repeat(np.arange(len(days)), n_reasons)),
        "reason_code": np.tile(np.arange(n_reasons, dtype=np.int16), len(days)),
        "draws": cat(reason_parts, 1, np.float64),
        "fallback": np.repeat([p[2] for p in reason_parts], n_reasons).astype(np.int64)})
    sizes = [p[1].size for p in direction_parts]
    direction = pa.table({
        "quote_date": dates(np.repeat(np.arange(len(days)), sizes)),
        "rep": cat([(rep(n),) for n in sizes], 0, np.int32),
        "pnl_sum": cat(direction_parts, 1, np.float64)})
    sizes = [p[1].size for p in placebo_parts]
    placebo = pa.table({
        "quote_date": dates(np.repeat(np.arange(len(days)), sizes)),
        "rep": cat([(rep(n),) for n in sizes], 0, np.int32),
        "pnl_sum": cat(placebo_parts, 1, np.float64),
        "n": cat(placebo_parts, 2, np.int64)})
    return null, reasons, direction, placebo


def read_units(conn: duckdb.DuckDBPyConnection, digest: str) -> Units:
    """The tables of every stored unit of `digest` (shares stay in the warehouse)."""
    summaries = conn.execute(
        f"select {', '.join(SUMMARY_COLUMNS)} from {tables.ENGINE_UNITS} where digest = ? "
        "order by quote_date", [digest]).df()
    summaries["quote_date"] = [pd.Timestamp(v).date() for v in summaries["quote_date"]]
    days = list(summaries["quote_date"])

    def rows(table: str, order: str) -> pd.DataFrame:
        frame = read_table(conn, table, where="quote_date in (select unnest(?::date[]))",
                           params=[days], order=order)
        return frame

    candidates = rows(tables.ENGINE_CANDIDATES, "quote_date, entry_index")
    return Units(rows(tables.ALERTS, "quote_date, bar_index"),
                 rows(tables.PREDICTION_OUTCOMES, "quote_date, bar_index"),
                 candidates.reindex(columns=list(CANDIDATE_COLUMNS)), summaries)


class WarehouseShares:
    """Summed shares over days, from the stored rows."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, proc: Procedure) -> None:
        self.conn = conn
        vc = proc.cfg.validation
        self.b, self.r = vc.null_replications, vc.oi_placebo_replications
        self.c = len(proc.cfg.pressure.urgency_rules)

    def _query(self, sql: str, days) -> pd.DataFrame:
        return self.conn.execute(sql, [sorted(days)]).df()

    def null(self, days):
        total = NullShare.zeros(self.b, self.c)
        got = self._query(f"select rep, class_code, sum(pnl_sum) s, sum(wins) w from "
                          f"{tables.ENGINE_NULL_DRAWS} where quote_date in "
                          "(select unnest(?::date[])) group by all", days)
        if len(got):
            rep, code = got["rep"].to_numpy(int), got["class_code"].to_numpy(int)
            total.sums[rep, code] = got["s"].to_numpy(float)
            total.wins[rep, code] = got["w"].to_numpy(float)
        reasons = self._query(f"select reason_code, sum(draws) d, sum(fallback) f from "
                              f"{tables.ENGINE_NULL_REASONS} where quote_date in "
                              "(select unnest(?::date[])) group by all", days)
        if len(reasons):
            total.reasons[reasons["reason_code"].to_numpy(int)] = reasons["d"].to_numpy(float)
            total.fallback = int(reasons["f"].iloc[0]) if len(reasons) else 0
        return total

    def null_day_means(self, days):
        """Per day, the mean over replications of its summed null points (one GROUP BY)."""
        got = self._query(f"select quote_date, sum(pnl_sum) s from {tables.ENGINE_NULL_DRAWS} "
                          "where quote_date in (select unnest(?::date[])) group by all", days)
        out = {d: 0.0 for d in days}
        for d, total in zip(got["quote_date"], got["s"].to_numpy(float), strict=True):
            out[pd.Timestamp(d).date()] = float(total) / self.b if self.b else 0.0
        return out

    def direction(self, days):
        out = np.zeros(self.b)
        got = self._query(f"select rep, sum(pnl_sum) s from {tables.ENGINE_DIRECTION_DRAWS} "
                          "where quote_date in (select unnest(?::date[])) group by all", days)
        out[got["rep"].to_numpy(int)] = got["s"].to_numpy(float)
        return out

    def placebo(self, days):
        sums, counts = np.zeros(self.r), np.zeros(self.r, dtype=np.int64)
        got = self._query(f"select rep, sum(pnl_sum) s, sum(n) n from "
                          f"{tables.ENGINE_PLACEBO_DRAWS} where quote_date in "
                          "(select unnest(?::date[])) group by all", days)
        sums[got["rep"].to_numpy(int)] = got["s"].to_numpy(float)
        counts[got["rep"].to_numpy(int)] = got["n"].to_numpy(np.int64)
        return sums, counts

    def stored(self, days) -> dict[dt.date, Shares]:
        """Each day's own stored shares (for the days the aggregation redraws)."""
        return {d: Shares(self.null([d]), self.direction([d]), *self.placebo([d]))
                for d in days}


