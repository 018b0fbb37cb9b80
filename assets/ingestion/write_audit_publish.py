"""DuckDB side of write–audit–publish: stage tables, the audit trail, the atomic publish.

`stage.chains` / `stage.bars` hold the newest delivery of each day exactly as read (counts
still DOUBLE so the checks can see a fractional one). `stage.audit` remembers, per kind and
day, when it was staged and whether the checks passed *since*; staging a day again resets
its verdict. `publish_days` refuses any day without a passing verdict, so even a run that
selects `raw_*` alone can never publish unchecked rows, and swaps the days into `raw.*` in
one transaction: readers see either the old rows or the new ones, never a mix.

All functions take an open connection; callers keep connections short-lived. Bulk moves go
through a registered DataFrame (Arrow scan), never row by row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import duckdb
import pandas as pd

from assets.ingestion.contract import (
    RAW_BAR_COLUMNS,
    RAW_CHAIN_COLUMNS,
    STAGE_BAR_COLUMNS,
    STAGE_CHAIN_COLUMNS,
    Kind,
)

_STAGE_DDL = {
    "chains": """
        CREATE TABLE IF NOT EXISTS stage.chains (
            quote_date DATE, underlying VARCHAR, root VARCHAR, expiration DATE,
            strike DOUBLE, option_type VARCHAR, open_interest DOUBLE, volume DOUBLE,
            bid DOUBLE, ask DOUBLE, implied_volatility DOUBLE, underlying_price DOUBLE,
            source_file VARCHAR, source_row BIGINT, partition_date DATE)""",
    "bars": """
        CREATE TABLE IF NOT EXISTS stage.bars (
            quote_date DATE, symbol VARCHAR, ts TIMESTAMPTZ, open DOUBLE, high DOUBLE,
            low DOUBLE, close DOUBLE, volume DOUBLE, source_file VARCHAR,
            source_row BIGINT, partition_date DATE)""",
}
_RAW_DDL = {
    "chains": """
        CREATE TABLE IF NOT EXISTS raw.chains (
            quote_date DATE, underlying VARCHAR, root VARCHAR, expiration DATE,
            strike DOUBLE, option_type VARCHAR, open_interest BIGINT, volume BIGINT,
            bid DOUBLE, ask DOUBLE, implied_volatility DOUBLE, underlying_price DOUBLE,
            source_file VARCHAR, source_row BIGINT)""",
    "bars": """
        CREATE TABLE IF NOT EXISTS raw.bars (
            quote_date DATE, symbol VARCHAR, ts TIMESTAMPTZ, open DOUBLE, high DOUBLE,
            low DOUBLE, close DOUBLE, volume BIGINT, source_file VARCHAR,
            source_row BIGINT)""",
}
_AUDIT_DDL = """
    CREATE TABLE IF NOT EXISTS stage.audit (
        kind VARCHAR, partition_date DATE, staged_at TIMESTAMPTZ, staged_rows BIGINT,
        checked_at TIMESTAMPTZ, passed BOOLEAN)"""
_COUNTS = {"open_interest", "volume"}


class PublishRefused(RuntimeError):
    """A requested day has not passed its checks since it was last staged."""


def stage_columns(kind: Kind) -> tuple[str, ...]:
    return STAGE_CHAIN_COLUMNS if kind == "chains" else STAGE_BAR_COLUMNS


def raw_columns(kind: Kind) -> tuple[str, ...]:
    return RAW_CHAIN_COLUMNS if kind == "chains" else RAW_BAR_COLUMNS


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("CREATE SCHEMA IF NOT EXISTS stage")
    conn.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for ddl in (*_STAGE_DDL.values(), *_RAW_DDL.values(), _AUDIT_DDL):
        conn.execute(ddl)


def _days(days: Iterable[dt.date]) -> list[dt.date]:
    return sorted(set(days))


def _transaction(conn: duckdb.DuckDBPyConnection, work) -> None:
    conn.execute("BEGIN TRANSACTION")
    try:
        work()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def stage_days(conn: duckdb.DuckDBPyConnection, kind: Kind, frame: pd.DataFrame,
               days: Sequence[dt.date]) -> dict[dt.date, int]:
    """Replace the stage rows of `days` with `frame` and reset their audit verdicts."""
    ensure_tables(conn)
    days = _days(days)
    columns = stage_columns(kind)
    incoming = frame.loc[:, list(columns)]
    per_day = (pd.to_datetime(incoming["partition_date"]).dt.date.value_counts().to_dict()
               if len(incoming) else {})
    audit = pd.DataFrame({"kind": kind, "partition_date": pd.to_datetime(days),
                          "staged_rows": [int(per_day.get(d, 0)) for d in days]})

    def work() -> None:
        conn.execute(f"DELETE FROM stage.{kind} WHERE list_contains(?::DATE[], partition_date)",
                     [days])
        conn.register("incoming_stage", incoming)
        try:
            cols = ", ".join(columns)
            conn.execute(f"INSERT INTO stage.{kind} ({cols}) SELECT {cols} FROM incoming_stage")
        finally:
            conn.unregister("incoming_stage")
        conn.execute("DELETE FROM stage.audit WHERE kind = ? "
                     "AND list_contains(?::DATE[], partition_date)", [kind, days])
        conn.register("incoming_audit", audit)
        try:
            conn.execute("INSERT INTO stage.audit SELECT kind, CAST(partition_date AS DATE), "
                         "now(), staged_rows, NULL, NULL FROM incoming_audit")
        finally:
            conn.unregister("incoming_audit")

    _transaction(conn, work)
    return {d: int(per_day.get(d, 0)) for d in days}


def load_stage(conn: duckdb.DuckDBPyConnection, kind: Kind,
               days: Sequence[dt.date]) -> pd.DataFrame:
    """The staged rows of `days`, in delivery order (day, file, row), timestamps in UTC."""
    ensure_tables(conn)
    cols = ", ".join(stage_columns(kind))
    frame = conn.execute(
        f"SELECT {cols} FROM stage.{kind} WHERE list_contains(?::DATE[], partition_date) "
        "ORDER BY partition_date, source_file, source_row", [_days(days)]).df()
    for c in ("quote_date", "expiration", "partition_date"):
        if c in frame.columns:
            frame[c] = frame[c].astype("datetime64[ns]")
    if "ts" in frame.columns:
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True).astype("datetime64[ns, UTC]")
    return frame


def record_verdict(conn: duckdb.DuckDBPyConnection, kind: Kind, days: Sequence[dt.date],
                   passed: bool) -> None:
    """Remember the checks' verdict for the currently staged rows of `days`."""
    ensure_tables(conn)
    conn.execute("UPDATE stage.audit SET checked_at = now(), passed = ? WHERE kind = ? "
                 "AND list_contains(?::DATE[], partition_date)", [passed, kind, _days(days)])


def publish_days(conn: duckdb.DuckDBPyConnection, kind: Kind,
                 days: Sequence[dt.date]) -> dict[dt.date, int]:
    """Swap the checked stage rows of `days` into `raw.<kind>` in one transaction."""
    ensure_tables(conn)
    days = _days(days)
    verdicts = dict(conn.execute(
        "SELECT partition_date, passed FROM stage.audit WHERE kind = ? "
        "AND list_contains(?::DATE[], partition_date)", [kind, days]).fetchall())
    refused = [d for d in days if verdicts.get(d) is not True]
    if refused:
        states = {d.isoformat(): ("never staged" if d not in verdicts else
                                  "checks not run since staging" if verdicts[d] is None else
                                  "checks failed") for d in refused}
        raise PublishRefused(
            f"refusing to publish {kind} for {len(refused)} day(s) without a passing check "
            f"on their staged rows: {states}. Materialize staged_{kind} with its checks first.")
    cols = raw_columns(kind)
    select = ", ".join(f"CAST(round({c}) AS BIGINT)" if c in _COUNTS else c for c in cols)

    def work() -> None:
        conn.execute(f"DELETE FROM raw.{kind} WHERE list_contains(?::DATE[], quote_date)", [days])
        conn.execute(f"INSERT INTO raw.{kind} ({', '.join(cols)}) SELECT {select} "
                     f"FROM stage.{kind} WHERE list_contains(?::DATE[], partition_date) "
                     "ORDER BY partition_date, source_file, source_row", [days])

    _transaction(conn, work)
    counts = dict(conn.execute(
        f"SELECT quote_date, count(*) FROM raw.{kind} WHERE list_contains(?::DATE[], quote_date) "
        "GROUP BY quote_date", [days]).fetchall())
    return {d: int(counts.get(d, 0)) for d in days}
