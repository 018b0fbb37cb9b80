"""`read_table` hands DATE columns over as `datetime.date` objects, NULLs as None: the
vectorized conversion against the row-by-row one, on a real DuckDB table."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from assets.common.warehouse_io import read_table


def _row_by_row(conn, qualified):
    frame = conn.execute(f"select * from {qualified}").df()
    frame["d"] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame["d"]]
    return frame


@pytest.mark.parametrize("rows", [
    "select * from (values (date '2020-01-02', 1), (null, 2), (date '1999-12-31', 3)) v(d, x)",
    "select null::date as d, 1 as x",
    "select null::date as d, 1 as x where false",
    "select date '2016-01-04' + i::int as d, i as x from range(3000) t(i)",
])
def test_dates_and_nulls_as_row_by_row(rows):
    conn = duckdb.connect()
    conn.execute(f"create table main.t as {rows}")
    fast = read_table(conn, "main.t")
    assert fast.equals(_row_by_row(conn, "main.t"))
    assert all(v is None or type(v) is dt.date for v in fast["d"])
