"""`raw.bar_sources`: per day, what the bars are of and the basis taken off them.

Staged with the bars (`stage.bar_sources`) and swapped into `raw.bar_sources` in the same
publish as `raw.bars`, so the published prices and the record of how they were made never
disagree. The validation stage quotes it in the evidence package (`package_section`), so
a reviewer sees whether the prices were the index itself or futures moved by a basis, and
by how much on each day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from assets.common import tables

COLUMNS = ("quote_date", "source_file", "adapter", "instrument_kind", "symbol",
           "contract_month", "instrument_source", "basis_method", "basis_points", "basis_detail")
_DDL = """
    CREATE TABLE IF NOT EXISTS {table} (
        quote_date DATE, source_file VARCHAR, adapter VARCHAR, instrument_kind VARCHAR,
        symbol VARCHAR, contract_month VARCHAR, instrument_source VARCHAR,
        basis_method VARCHAR, basis_points DOUBLE, basis_detail VARCHAR)"""


def ensure(conn: duckdb.DuckDBPyConnection) -> None:
    for table in (tables.STAGE_BAR_SOURCES, tables.RAW_BAR_SOURCES):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}")
        conn.execute(_DDL.format(table=table))


def _replace(conn: duckdb.DuckDBPyConnection, table: str, days: list[dt.date],
             select: str, params: list[Any]) -> None:
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"DELETE FROM {table} WHERE list_contains(?::DATE[], quote_date)", [days])
        conn.execute(f"INSERT INTO {table} ({', '.join(COLUMNS)}) {select}", params)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def stage(conn: duckdb.DuckDBPyConnection, frame: pd.DataFrame,
          days: Sequence[dt.date]) -> None:
    """Replace the staged records of `days` (frame: `underlying.bar_sources_frame`)."""
    ensure(conn)
    conn.register("incoming_bar_sources", frame.loc[:, list(COLUMNS)])
    try:
        _replace(conn, tables.STAGE_BAR_SOURCES, sorted(set(days)),
                 f"SELECT {', '.join(COLUMNS)} FROM incoming_bar_sources", [])
    finally:
        conn.unregister("incoming_bar_sources")


def publish(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date]) -> None:
    """Copy the staged records of `days` to raw (after raw.bars was published)."""
    ensure(conn)
    days = sorted(set(days))
    _replace(conn, tables.RAW_BAR_SOURCES, days,
             f"SELECT {', '.join(COLUMNS)} FROM {tables.STAGE_BAR_SOURCES} "
             "WHERE list_contains(?::DATE[], quote_date)", [days])


def package_section(conn: duckdb.DuckDBPyConnection,
                    days: Sequence[dt.date]) -> dict[str, Any]:
    """What the evidence package says about the bars: instruments, methods, basis per day."""
    ensure(conn)
    frame = conn.execute(
        f"SELECT {', '.join(COLUMNS)} FROM {tables.RAW_BAR_SOURCES} "
        "WHERE list_contains(?::DATE[], quote_date) ORDER BY quote_date",
        [sorted(set(days))]).df()
    if frame.empty:
        return {"recorded_days": 0}
    frame["quote_date"] = pd.to_datetime(frame["quote_date"]).dt.date
    adjusted = frame[frame["basis_method"] != "none"]
    return {
        "recorded_days": int(len(frame)),
        "instruments": sorted({f"{k} {s}" for k, s in zip(frame["instrument_kind"],
                                                          frame["symbol"], strict=True)}),
        "basis_methods": sorted(set(frame["basis_method"])),
        "basis_points_by_day": {d.isoformat(): round(float(b), 6)
                                for d, b in zip(adjusted["quote_date"],
                                                adjusted["basis_points"], strict=True)},
    }
