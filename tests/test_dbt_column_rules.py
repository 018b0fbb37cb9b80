"""The `column_rules` generic test: each model's not-null columns and value ranges in one
dbt node. Checked on hand-made raw rows through a real `dbt build` of the staging views:
a strict bound fails at the bound itself, an inclusive one does not, nulls fail only the
not-null rule, and every failing value is one row naming its rule and column."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.support.dbt_fixtures import chain_frame, run_dbt, session_bars, write_raw

DAY = dt.date(2024, 11, 26)


@pytest.mark.slow  # one dbt invocation
def test_column_rules_fail_on_exactly_the_offending_values(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    chains = chain_frame(DAY, [(5985, "C", 0),      # OI 0: on the inclusive bound, passes
                               (0, "P", 10),        # strike 0: the strict bound, fails
                               (5990, "C", -3),     # negative OI, fails
                               (5995, "P", 7)])
    chains["strike"] = chains["strike"].astype("float64")
    chains.loc[3, "strike"] = np.nan                # null strike: not_null only
    bars = session_bars(DAY, 5986.0, {0: 5986.0, -1: 5987.5}).frame()
    write_raw(db, chains, bars)

    out = run_dbt(["build", "--select", "stg_raw__chains", "--store-failures"], db,
                  tmp_path / "run")
    assert out.returncode != 0
    results = json.loads((tmp_path / "run" / "target" / "run_results.json").read_text())
    by_name = {r["unique_id"].split(".")[2]: r for r in results["results"]}
    rules = by_name["stg_raw__chains_column_rules"]
    assert (rules["status"], rules["failures"]) == ("fail", 3)

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select rule, column_name, cast(value as double) "
                           "from dbt_test__audit.stg_raw__chains_column_rules "
                           "order by rule, column_name").fetchall()
    finally:
        con.close()
    assert rows == [("accepted_range", "open_interest", -3.0),
                    ("accepted_range", "strike", 0.0),
                    ("not_null", "strike", None)]


@pytest.mark.slow  # three dbt invocations
def test_a_windowed_build_tests_its_own_days_and_a_full_build_every_day(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    later = dt.date(2024, 11, 27)
    bad = chain_frame(DAY, [(5985, "C", 5), (5990, "P", -3)])  # an offending earlier day
    good = chain_frame(later, [(5985, "C", 5), (5990, "P", 3)])
    bars = [session_bars(d, 5986.0, {0: 5986.0, -1: 5987.5}).frame() for d in (DAY, later)]
    write_raw(db, pd.concat([bad, good]), pd.concat(bars))
    windowed = run_dbt(["build", "--select", "stg_raw__chains"], db, tmp_path / "w",
                       window=(later, later), window_via="env")
    assert windowed.returncode == 0, windowed.stdout[-3000:]
    on_bad_day = run_dbt(["build", "--select", "stg_raw__chains"], db, tmp_path / "b",
                         window=(DAY, DAY), window_via="env")
    assert on_bad_day.returncode != 0
    full = run_dbt(["build", "--select", "stg_raw__chains"], db, tmp_path / "f")
    assert full.returncode != 0
