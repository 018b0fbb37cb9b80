"""Small DuckDB helpers shared by the Python stages.

Writes replace whole days (delete, then insert, in one transaction) so that a re-run of
a day never duplicates rows and a crash mid-write leaves the previous rows visible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import duckdb
import numpy as np
import pandas as pd

from assets.common import calendar
from assets.common.bar_tape import BarTape
from assets.common.market_day import MarketDay
from assets.common.tables import OI_CONCENTRATION, RAW_BARS, RAW_CHAINS


def table_exists(conn: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    row = conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name]).fetchone()
    return bool(row and row[0])


def replace_rows(conn: duckdb.DuckDBPyConnection, qualified: str, frame: pd.DataFrame,
                 days: Iterable[dt.date] | None = None) -> int:
    """Swap in `frame` for the given days (or the whole table when days is None).

    The table is created from the frame's schema on first write. One transaction: readers
    see the old rows or the new ones, never a mix.
    """
    schema = qualified.split(".")[0]
    conn.execute(f"create schema if not exists {schema}")
    conn.register("_incoming", frame)
    try:
        conn.execute("begin transaction")
        if not table_exists(conn, qualified):
            conn.execute(f"create table {qualified} as select * from _incoming limit 0")
        if days is None:
            conn.execute(f"delete from {qualified}")
        else:
            day_list = sorted(set(days))
            if day_list:
                # the range lets DuckDB skip row groups by their min/max (a night deletes
                # one day of a decade's table)
                conn.execute(
                    f"delete from {qualified} where quote_date between ? and ? "
                    "and quote_date in (select unnest(?::date[]))",
                    [day_list[0], day_list[-1], day_list])
        conn.execute(f"insert into {qualified} by name select * from _incoming")
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        conn.unregister("_incoming")
    return len(frame)


def append_rows(conn: duckdb.DuckDBPyConnection, qualified: str, frame: pd.DataFrame) -> None:
    """Add rows to a log-like table (created from the frame's schema on first write)."""
    conn.execute(f"create schema if not exists {qualified.split('.')[0]}")
    conn.register("_incoming", frame)
    try:
        if not table_exists(conn, qualified):
            conn.execute(f"create table {qualified} as select * from _incoming limit 0")
        conn.execute(f"insert into {qualified} by name select * from _incoming")
    finally:
        conn.unregister("_incoming")


def read_table(conn: duckdb.DuckDBPyConnection, qualified: str, where: str | None = None,
               params: list | None = None, order: str | None = None) -> pd.DataFrame:
    if not table_exists(conn, qualified):
        raise LookupError(f"table {qualified} does not exist yet: materialize its asset first")
    sql = f"select * from {qualified}" + (f" where {where}" if where else "") + (
        f" order by {order}" if order else "")
    frame = conn.execute(sql, params or []).df()
    # DuckDB hands DATE columns to pandas as datetime64; the stages key days by date.
    for name, kind, *_ in conn.execute(f"describe {qualified}").fetchall():
        if kind == "DATE" and name in frame:
            frame[name] = date_column(frame[name])
    return frame


def date_column(column: pd.Series) -> list:
    """A datetime64 column as `datetime.date` objects, missing values as None."""
    if not pd.api.types.is_datetime64_any_dtype(column):  # e.g. an empty column
        return [None if pd.isna(v) else pd.Timestamp(v).date() for v in column]
    days = np.empty(len(column), dtype=object)
    present = column.notna().to_numpy()
    days[present] = column[present].dt.date.to_numpy()
    return days.tolist()


def available_days(conn: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Days that have both published bars and OI for their own expiration (calendar
    placebo days, whose OI is a later expiration's, are `placebo_days`)."""
    return _days_with_oi(conn, placebo=False)


def placebo_days(conn: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Calendar placebo days: published bars and OI of a later expiration (the next one;
    the ingestion checks allow that on a non-expiration session only)."""
    return _days_with_oi(conn, placebo=True)


def _days_with_oi(conn: duckdb.DuckDBPyConnection, placebo: bool) -> list[dt.date]:
    if not all(table_exists(conn, t) for t in (RAW_BARS, OI_CONCENTRATION)):
        return []
    if not table_exists(conn, RAW_CHAINS):  # OI without its chains: nothing tells a placebo
        return [] if placebo else [r[0] for r in conn.execute(
            f"select distinct quote_date from {RAW_BARS} join (select distinct quote_date "
            f"from {OI_CONCENTRATION}) using (quote_date) order by 1").fetchall()]
    rows = conn.execute(
        f"select distinct b.quote_date from {RAW_BARS} b "
        f"join (select distinct quote_date from {OI_CONCENTRATION}) o using (quote_date) "
        f"join (select quote_date, bool_or(expiration = quote_date) as own from {RAW_CHAINS} "
        f"group by quote_date) c using (quote_date) where c.own = {'false' if placebo else 'true'} "
        "order by 1").fetchall()
    return [r[0] for r in rows]


def load_market_days(conn: duckdb.DuckDBPyConnection, days: Iterable[dt.date] | None = None,
                     exchange: str = calendar.DEFAULT_EXCHANGE) -> dict[dt.date, MarketDay]:
    """MarketDays from the published bars and the OI-concentration mart, in day order.

    Several stages of one run load the same days; the last load is kept and reused while
    a fingerprint of the rows it was built from (one hash aggregate in DuckDB) is
    unchanged. Its arrays are read-only, so no stage can alter what the next one reads.
    """
    wanted = sorted(set(days)) if days is not None else available_days(conn)
    if not wanted:
        return {}
    key = (_database_file(conn), tuple(wanted), exchange, load_fingerprint(conn, wanted))
    if _LAST_LOAD.get("key") != key:
        _LAST_LOAD.clear()  # release the previous days before building new ones
        _LAST_LOAD.update(key=key, market=_build_market_days(conn, wanted, exchange))
    return dict(_LAST_LOAD["market"])


_LAST_LOAD: dict = {}


def _database_file(conn: duckdb.DuckDBPyConnection) -> str:
    return str(conn.execute("select file from pragma_database_list where name = current_database()")
               .fetchone()[0])


def load_fingerprint(conn: duckdb.DuckDBPyConnection, wanted: list[dt.date]) -> tuple:
    """Row count and an order-independent hash of every column MarketDays are built from."""
    bars = conn.execute(
        "select count(*), sum(hash(quote_date, ts, open, high, low, close)::hugeint) "
        f"from {RAW_BARS} where quote_date in (select unnest(?::date[]))", [wanted]).fetchone()
    oi = conn.execute(
        "select count(*), sum(hash(quote_date, strike, call_oi, put_oi)::hugeint) "
        f"from {OI_CONCENTRATION} where quote_date in (select unnest(?::date[]))",
        [wanted]).fetchone()
    return tuple(bars) + tuple(oi)


def _build_market_days(conn: duckdb.DuckDBPyConnection, wanted: list[dt.date],
                       exchange: str) -> dict[dt.date, MarketDay]:
    bars = conn.execute(
        f"select quote_date, epoch_ns(ts) as ts_ns, open, high, low, close from {RAW_BARS} "
        "where quote_date in (select unnest(?::date[])) order by quote_date, ts",
        [wanted]).df()
    oi = conn.execute(
        f"select quote_date, strike, call_oi, put_oi from {OI_CONCENTRATION} "
        "where quote_date in (select unnest(?::date[])) order by quote_date, strike",
        [wanted]).df()
    out: dict[dt.date, MarketDay] = {}
    # One calendar lookup for the whole span: a per-day lookup costs ~10 ms (a nightly run
    # loads every day several times).
    by_day = {s.day: s for s in calendar.sessions(wanted[0], wanted[-1], exchange)}
    bars_by_day = {d: g for d, g in bars.groupby("quote_date", sort=True)}
    oi_by_day = {d: g for d, g in oi.groupby("quote_date", sort=True)}
    for day in wanted:
        key = pd.Timestamp(day)
        b = bars_by_day.get(key if key in bars_by_day else day)
        o = oi_by_day.get(key if key in oi_by_day else day)
        if b is None or o is None:
            continue
        sess = by_day.get(day)
        if sess is None:
            raise ValueError(f"{day}: bars exist but the {exchange} calendar has no session")
        ts = b["ts_ns"].to_numpy(dtype="int64").astype("datetime64[ns]")
        out[day] = _read_only(MarketDay(
            quote_date=day,
            session_open=sess.open,
            session_close=sess.close,
            ts=ts,
            open=b["open"].to_numpy(float),
            high=b["high"].to_numpy(float),
            low=b["low"].to_numpy(float),
            close=b["close"].to_numpy(float),
            minutes_to_expiry=calendar.minutes_to_close(pd.DatetimeIndex(ts, tz="UTC"), sess.close),
            strikes=o["strike"].to_numpy(float),
            call_oi=o["call_oi"].to_numpy(float),
            put_oi=o["put_oi"].to_numpy(float),
        ))
    return out


def _read_only(day: MarketDay) -> MarketDay:
    for value in vars(day).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return day


def as_dates(values: Iterable) -> list[dt.date]:
    return [pd.Timestamp(v).date() for v in values]


def finite(frame: pd.DataFrame, columns: Iterable[str]) -> pd.Series:
    """Row mask: every named numeric column is finite."""
    arr = frame[list(columns)].to_numpy(dtype=float)
    return pd.Series(np.isfinite(arr).all(axis=1), index=frame.index)


def load_bar_tape(conn: duckdb.DuckDBPyConnection, days: Iterable[dt.date] | None = None,
                  exchange: str = calendar.DEFAULT_EXCHANGE):
    """Every wanted day's published bars as one `BarTape`, from one query: the aggregation
    reads prices only, and a decade of MarketDays (with their chains) is many times the
    memory and time of its bars."""
    wanted = sorted(set(days)) if days is not None else available_days(conn)
    global _last_tape
    key = (tuple(wanted), exchange, _bars_checksum(conn, wanted))
    if _last_tape is None or _last_tape[0] != key:
        _last_tape = (key, _read_bar_tape(conn, wanted, exchange))
    return _last_tape[1]


# The last tape read, keyed by the bars' content: a night's later steps (trades, the risk
# report, the validation) read the same decade of bars, ~700,000 rows, one after another.
_last_tape: tuple | None = None


def _bars_checksum(conn: duckdb.DuckDBPyConnection, wanted: list[dt.date]) -> tuple:
    """The wanted days' bars, summarized by count and a sum of row hashes: a cheap scan
    that changes whenever a bar is added, removed or changed."""
    if not wanted:
        return (0, 0)
    count, hashed = conn.execute(
        f"select count(*), sum(hash(quote_date, ts, open, high, low, close)) from {RAW_BARS} "
        "where quote_date in (select unnest(?::date[]))", [wanted]).fetchone()
    return (int(count), int(hashed or 0))


def _read_bar_tape(conn: duckdb.DuckDBPyConnection, wanted: list[dt.date],
                   exchange: str):
    # days as integers since the epoch: a day's boundaries are found on ints, and only one
    # date per day is made (a decade is ~700,000 bars, one python date each otherwise)
    bars = conn.execute(
        f"select datediff('day', date '1970-01-01', quote_date) as day_number, "
        f"epoch_ns(ts) as ts_ns, open, high, low, close from {RAW_BARS} "
        "where quote_date in (select unnest(?::date[])) order by quote_date, ts",
        [wanted]).df() if wanted else pd.DataFrame(
            columns=["day_number", "ts_ns", "open", "high", "low", "close"])
    qd = bars["day_number"].to_numpy(dtype=np.int64)
    change = np.flatnonzero(np.r_[True, qd[1:] != qd[:-1]]) if len(qd) else np.empty(0, int)
    epoch = dt.date(1970, 1, 1)
    dates = tuple(epoch + dt.timedelta(days=int(d)) for d in qd[change])
    lens = np.diff(np.r_[change, len(qd)]).astype(np.int64)
    ts = bars["ts_ns"].to_numpy(dtype="int64")
    minutes = np.empty(len(ts))
    if dates:
        close_ns = {s.day: s.close.value
                    for s in calendar.sessions(dates[0], dates[-1], exchange)}
        missing = [d for d in dates if d not in close_ns]
        if missing:
            raise ValueError(f"{missing[0]}: bars exist but the {exchange} calendar has no "
                             "session")
        day_close = np.repeat(np.array([close_ns[d] for d in dates], dtype=np.int64), lens)
        # minutes from the end of each 1-minute bar to the close (calendar.minutes_to_close)
        minutes = (day_close - ts) / 60e9 - 1.0
    arrays = [change.astype(np.int64), lens, ts.astype("datetime64[ns]"),
              bars["open"].to_numpy(float), bars["high"].to_numpy(float),
              bars["low"].to_numpy(float), bars["close"].to_numpy(float), minutes]
    for array in arrays:  # shared by the steps that read it: nobody may write to it
        array.flags.writeable = False
    return BarTape(dates, *arrays)
