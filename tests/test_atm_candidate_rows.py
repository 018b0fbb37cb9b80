"""The warehouse's pre-filter of the ATM IV rows: `atm_implied_vol` gives on the filtered
rows exactly what it gives on every expiring row (ties, missing IVs, NaN and missing
underlying prices, non-expiring rows), and the tie day's figure is the hand-computed one."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd

from assets.validation.assets import ATM_CANDIDATE_ROWS
from assets.validation.statistics.atm_iv import atm_implied_vol

D1, D2, D3, D4 = (dt.date(2024, 3, d) for d in (4, 6, 8, 11))
NAN = math.nan
ROWS = [  # quote_date, expiration, strike, iv, underlying_price
    # D1: price 5002.5 is equidistant from 5000 and 5005: the lower strike, mean of C and P
    (D1, D1, 4995, 0.20, 5002.5), (D1, D1, 5000, 0.14, 5002.5), (D1, D1, 5000, 0.16, 5002.5),
    (D1, D1, 5005, 0.30, 5002.5), (D1, D1, 5005, 0.31, 5002.5),
    (D1, D2, 5000, 0.99, 5002.5),  # another expiration: never read
    # D2: the nearest strike has no IV; one row's price is NaN (left out of the median)
    (D2, D2, 5010, NAN, 5011.0), (D2, D2, 5015, 0.18, 5011.0), (D2, D2, 5005, 0.22, NAN),
    (D2, D2, 5020, 0.25, 5011.0),
    # D3: no underlying price at all: the first bar's open decides (5031 -> 5030)
    (D3, D3, 5025, 0.12, None), (D3, D3, 5030, 0.13, None), (D3, D3, 5035, 0.11, None),
    # D4: a zero IV is no IV
    (D4, D4, 5040, 0.0, 5040.0), (D4, D4, 5045, 0.17, 5040.0),
]


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.chains (quote_date date, expiration date, strike double, "
                "implied_volatility double, underlying_price double)")
    con.executemany("insert into raw.chains values (?, ?, ?, ?, ?)", ROWS)
    return con


def test_filtered_rows_give_the_same_atm_iv_as_every_row():
    con = _warehouse()
    every = con.execute("select quote_date, strike, implied_volatility, underlying_price "
                        "from raw.chains where expiration = quote_date").df()
    filtered = con.execute(ATM_CANDIDATE_ROWS.format(chains="raw.chains")).df()
    first_open = {D3: 5031.0}
    expected = atm_implied_vol(every, first_open)
    assert atm_implied_vol(filtered, first_open) == expected
    assert len(filtered) < len(every)
    assert expected[D1] == (0.14 + 0.16) / 2
    assert expected[D2] == 0.18 and expected[D3] == 0.13 and expected[D4] == 0.17
    assert set(pd.to_datetime(filtered["quote_date"]).dt.date) == {D1, D2, D3, D4}
