"""The bar tape is read once per content: a second read of the same bars is the same
(read-only) tape, and any change to a bar gives a fresh one with the change in it."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest

from assets.common import warehouse_io
from assets.common.tables import RAW_BARS

DAYS = [dt.date(2024, 3, 4), dt.date(2024, 3, 6)]


@pytest.fixture
def conn():
    conn = duckdb.connect()
    schema = RAW_BARS.split(".")[0]
    conn.execute(f"create schema if not exists {schema}")
    conn.execute(f"""create table {RAW_BARS} as
        select d::date as quote_date,
               (d::date + interval 14 hour + interval 30 minute
                + i * interval 1 minute)::timestamptz as ts,
               (5000.0 + i)::double as open, (5001.0 + i)::double as high,
               (4999.0 + i)::double as low, (5000.5 + i)::double as close
        from (values ('2024-03-04'), ('2024-03-06')) v(d), range(390) r(i)""")
    return conn


def test_same_bars_same_tape_changed_bars_new_tape(conn):
    first = warehouse_io.load_bar_tape(conn, DAYS)
    assert warehouse_io.load_bar_tape(conn, DAYS) is first
    assert first.n_bars == 780 and first.dates == tuple(DAYS)
    with pytest.raises(ValueError):
        first.close[0] = 1.0  # shared between steps: read-only
    conn.execute(f"update {RAW_BARS} set close = close + 0.25 "
                 "where quote_date = '2024-03-06' and open = 5100.0")
    changed = warehouse_io.load_bar_tape(conn, DAYS)
    assert changed is not first
    moved = np.flatnonzero(changed.close != first.close)
    assert moved.tolist() == [390 + 100]
    assert changed.close[490] == pytest.approx(first.close[490] + 0.25)
    assert warehouse_io.load_bar_tape(conn, DAYS[:1]).n_bars == 390  # other days, other tape
