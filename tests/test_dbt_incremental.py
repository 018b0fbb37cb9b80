"""Partition-aware incremental builds: a window builds exactly its days, finds the previous
close outside the window, and a re-run of a window replaces exactly its days (a day
withdrawn from raw disappears) and nothing else."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.support.dbt_fixtures import chain_frame, query, run_dbt, session_bars, write_raw

D0, D1, D2, D3 = (dt.date(2024, 11, 25), dt.date(2024, 11, 26), dt.date(2024, 11, 27),
                  dt.date(2024, 11, 29))


def _day_counts(db, table: str) -> dict[dt.date, int]:
    frame = query(db, f"select quote_date, count(*) as n from {table} group by 1")
    return {pd.Timestamp(d).date(): int(n) for d, n in zip(frame.quote_date, frame.n, strict=True)}


@pytest.mark.slow  # two dbt invocations: ~25-35 s on the shared cores
def test_window_builds_only_its_days_and_a_rerun_replaces_exactly_its_days(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    bars = [session_bars(D0, 5980.0, {0: 5980.0, -1: 5983.25}),
            session_bars(D1, 5986.0, {0: 5986.0, -1: 5987.5}),
            session_bars(D2, 5992.0, {0: 5992.0, -1: 5995.4}),
            session_bars(D3, 6001.0, {0: 6001.0, -1: 6000.75})]
    chains = pd.concat([
        chain_frame(D0, [(5980, "C", 1)]),
        chain_frame(D1, [(5985, "C", 100), (5985, "P", 100)]),
        chain_frame(D2, [(5990, "C", 100), (5990, "P", 300), (5995, "C", 500), (5995, "P", 500)]),
        chain_frame(D3, [(6000, "C", 1000), (6000, "P", 1000), (6005, "C", 10), (6010, "P", 0),
                         (6050, "C", 5000)]),
    ])
    write_raw(db, chains, pd.concat([b.frame() for b in bars]))

    # 1. Three days on an empty warehouse: D0 is not built, but D1 still finds D0's close.
    first = run_dbt(["build"], db, tmp_path / "run1", window=(D1, D3))
    assert first.returncode == 0, first.stdout[-4000:]
    assert _day_counts(db, "marts.oi_concentration") == {D1: 1, D2: 2, D3: 4}
    assert _day_counts(db, "marts.daily_outcomes") == {D1: 1, D2: 1, D3: 1}
    d1 = query(db, f"select distance_from_prev_close from marts.oi_concentration "
                   f"where quote_date = date '{D1}'")
    np.testing.assert_allclose(d1.distance_from_prev_close, [5985 - 5983.25])

    # 2. Raw changes: D1 re-delivered with other OI, D2 withdrawn entirely, D3 re-delivered
    #    without strike 6010. Rebuilding the window D2..D3 must drop D2, replace D3, keep D1.
    #    This time the window comes from the environment, as the Dagster asset passes it.
    write_raw(db, pd.concat([
        chain_frame(D1, [(5985, "C", 900), (5985, "P", 100)]),
        chain_frame(D3, [(6000, "C", 3000), (6000, "P", 1000), (6005, "C", 10), (6050, "C", 5000)]),
    ]))
    con = duckdb.connect(str(db))
    con.execute(f"delete from raw.chains where quote_date = date '{D2}'")
    con.execute(f"delete from raw.bars where quote_date = date '{D2}'")
    con.close()
    second = run_dbt(["build"], db, tmp_path / "run2", window=(D2, D3), window_via="env")
    assert second.returncode == 0, second.stdout[-4000:]
    for table in ("oi_concentration", "oi_concentration_daily", "daily_outcomes",
                  "int_chains__oi_by_strike", "int_bars__sessions"):
        schema = "intermediate" if table.startswith("int_") else "marts"
        assert set(_day_counts(db, f"{schema}.{table}")) == {D1, D3}, table
    assert _day_counts(db, "marts.oi_concentration") == {D1: 1, D3: 3}
    daily = query(db, "select quote_date, total_0dte_oi, n_strikes "
                      "from marts.oi_concentration_daily order by quote_date")
    assert daily.total_0dte_oi.tolist() == [200, 9010]  # D1 kept its old OI (100 + 100)
    assert daily.n_strikes.tolist() == [1, 3]
    # D3's previous day is now D1 (D2 is gone from raw)
    d3 = query(db, f"select strike, distance_from_prev_close from marts.oi_concentration "
                   f"where quote_date = date '{D3}' order by strike")
    np.testing.assert_allclose(d3.distance_from_prev_close, np.array([6000, 6005, 6050]) - 5987.5)


def test_full_refresh_with_a_window_is_refused(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    write_raw(db, chain_frame(D2, [(5995, "C", 1)]),
              session_bars(D2, 5992.0, {0: 5992.0, -1: 5995.0}).frame())
    result = run_dbt(["build", "--full-refresh", "--select", "int_chains__oi_by_strike"], db,
                     tmp_path, window=(D2, D2))
    assert result.returncode != 0
    assert "do not combine it with min_date/max_date" in result.stdout
