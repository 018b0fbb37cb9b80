"""Single-run backfill through Dagster, then a one-day re-run that replaces only that day.

The real ingestion assets (with their blocking GX checks), the real dbt assets (dbt build
with its 34 blocking tests) and `pressure_series` run on a synthetic week in a temporary
home, launched with the same range tags `pressure-lab run` uses. Oracles: the landing
files themselves (rows per day), and exact arithmetic on a corrected delivery (every open
interest of one day doubled => that day's raw OI sum and every stored pressure double,
since pressure is linear in OI, while no other day's rows change by a single bit).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from tests.support.lab_env import lab_environment, scoped_environ

START, END = dt.date(2024, 1, 2), dt.date(2024, 1, 9)
DAYS = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"]
REDO = "2024-01-04"
PARTITIONED = {"staged_chains", "staged_bars", "raw_chains", "raw_bars", "stg_raw__chains",
               "stg_raw__bars", "int_chains__oi_by_strike", "int_bars__sessions",
               "oi_concentration", "oi_concentration_daily", "daily_outcomes", "pressure_series"}
# Per-day fingerprint of every day-grained table the selected assets write.
TABLES = ["raw.chains", "raw.bars", "intermediate.int_chains__oi_by_strike",
          "intermediate.int_bars__sessions", "marts.oi_concentration",
          "marts.oi_concentration_daily", "marts.daily_outcomes", "pressure.pressure_series"]


def _selected_assets():
    from assets.dagster_common.partitions import expiration_partitions
    from assets.dagster_common.pools import DUCKDB_POOL
    from assets.ingestion.assets import build_ingestion_assets
    from assets.ingestion.checks import ingestion_checks
    from assets.pressure.assets import build_pressure_series
    from assets.pressure.checks import pressure_series_valid
    from assets.transform.dbt_assets import build_transform_assets
    from assets.transform.project import dbt_project

    partitions = expiration_partitions()
    return [*build_ingestion_assets(partitions), *ingestion_checks,
            build_transform_assets(dbt_project(), partitions, pool=DUCKDB_POOL),
            build_pressure_series(partitions), pressure_series_valid]


def _resources(home: Path) -> dict:
    from dagster_dbt import DbtCliResource
    from dagster_duckdb import DuckDBResource

    from assets.dagster_common.resources import LabConfigResource, dbt_executable
    from assets.transform.project import dbt_project

    return {"duckdb": DuckDBResource(database=str(home / "warehouse.duckdb")),
            "dbt": DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable()),
            "lab_config": LabConfigResource()}


def _fingerprints(db: Path) -> dict[str, dict[str, tuple[int, int]]]:
    """table -> day -> (rows, order-independent hash of the rows)."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as conn:
        for table in TABLES:
            rows = conn.execute(
                f"select strftime(quote_date, '%Y-%m-%d'), count(*), sum(hash(t)::hugeint) "
                f"from {table} t group by 1").fetchall()
            out[table] = {day: (n, int(h)) for day, n, h in rows}
    return out


def _scalar(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _data_rows(path: Path) -> int:
    with open(path, newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def _step_starts(result) -> list[str]:
    return [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]


def _materialized_partitions(result) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for event in result.get_asset_materialization_events():
        out.setdefault(event.asset_key.to_user_string(), set()).add(event.partition)
    return out


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A synthetic week backfilled in one run, the warehouse fingerprinted, then one day's
    chain file corrected and that day re-run."""
    from dagster import DagsterInstance, materialize

    home = tmp_path_factory.mktemp("backfill_home")
    with scoped_environ(lab_environment(home)):
        from assets.common.settings import configure_environment
        from assets.synthetic_market.landing_source import write_synthetic_landing
        from orchestration.runner import range_tags

        paths = configure_environment()
        write_synthetic_landing(paths.landing, scenario="null", start=START, end=END, seed=5)
        assets, resources = _selected_assets(), _resources(home)
        with DagsterInstance.ephemeral() as instance:
            backfill = materialize(assets, resources=resources, instance=instance,
                                   tags=range_tags(DAYS[0], DAYS[-1]), raise_on_error=False)
            before = _fingerprints(paths.duckdb)
            redo_oi = _scalar(paths.duckdb, f"select sum(open_interest) from raw.chains "
                                            f"where quote_date = '{REDO}'")[0][0]
            redo_pressure = _scalar(paths.duckdb, f"select strike, ts, pressure "
                                                  f"from pressure.pressure_series "
                                                  f"where quote_date = '{REDO}' order by 1, 2")
            chain = paths.landing_chains / f"{REDO}.csv"
            with open(chain, newline="") as f:
                rows = list(csv.DictReader(f))
            for row in rows:
                row["open_interest"] = str(2 * int(row["open_interest"]))
            with open(chain, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            rerun = materialize(assets, resources=resources, instance=instance,
                                partition_key=REDO, raise_on_error=False)
            after = _fingerprints(paths.duckdb)
        yield {"home": home, "paths": paths, "backfill": backfill, "rerun": rerun,
               "before": before, "after": after, "redo_oi": redo_oi,
               "redo_pressure": redo_pressure}


def test_backfill_policies_are_single_run():
    from dagster import AssetsDefinition, BackfillPolicy

    assets = [a for a in _selected_assets() if isinstance(a, AssetsDefinition) and a.keys]
    covered = {k.to_user_string() for a in assets for k in a.keys}
    assert PARTITIONED <= covered
    for asset in assets:
        assert asset.backfill_policy == BackfillPolicy.single_run(), asset.keys


@pytest.mark.slow
def test_one_run_one_step_each_covers_every_day(lab):
    result = lab["backfill"]
    assert result.success
    starts = _step_starts(result)
    assert len(starts) == len(set(starts)), "a step ran more than once"
    assert {"staged_chains", "staged_bars", "raw_chains", "raw_bars",
            "dbt_partitioned_models", "pressure_series"} <= set(starts)
    materialized = _materialized_partitions(result)
    assert set(materialized) == PARTITIONED
    for key, parts in materialized.items():
        assert parts == set(DAYS), key
    # dbt ran once, over the whole window.
    targets = list((lab["home"] / "dbt" / "target").glob(f"{result.run_id}-*"))
    assert len(targets) == 1
    # The window reached dbt through the environment (not --vars, which would void dbt's
    # partial parse): every compiled model filters on exactly the backfill's days.
    args = json.loads((targets[0] / "run_results.json").read_text())["args"]
    assert not args.get("vars")
    window = f"between date '{DAYS[0]}' and date '{DAYS[-1]}'"
    compiled = sorted((targets[0] / "compiled").rglob("*.sql"))
    filtered = [p.stem for p in compiled if window in p.read_text()]
    assert {"int_bars__sessions", "int_chains__oi_by_strike", "oi_concentration",
            "oi_concentration_daily", "daily_outcomes"} <= set(filtered)
    # dbt's parse state is kept for the next run.
    assert (lab["home"] / "dbt" / "partial_parse.msgpack").is_file()


@pytest.mark.slow
def test_backfill_loads_every_landing_row_of_every_day(lab):
    paths, before = lab["paths"], lab["before"]
    for day in DAYS:
        assert before["raw.bars"][day][0] == _data_rows(paths.landing_bars / f"{day}.csv")
        assert before["raw.chains"][day][0] == _data_rows(paths.landing_chains / f"{day}.csv")
        assert before["marts.daily_outcomes"][day][0] == 1
        assert before["pressure.pressure_series"][day][0] > 0
    for table in TABLES:
        assert set(before[table]) == set(DAYS), table


@pytest.mark.slow
def test_rerun_of_one_day_is_one_partition(lab):
    result = lab["rerun"]
    assert result.success
    materialized = _materialized_partitions(result)
    assert set(materialized) == PARTITIONED
    assert all(parts == {REDO} for parts in materialized.values())
    assert result.run_id != lab["backfill"].run_id
    # The second run's dbt re-parsed only the files that read the window.
    target, = (lab["home"] / "dbt" / "target").glob(f"{result.run_id}-*")
    log = (target / "dbt.log").read_text()
    assert "Partial parsing enabled" in log and "Unable to do partial parsing" not in log


@pytest.mark.slow
def test_rerun_replaces_that_day_only(lab):
    before, after = lab["before"], lab["after"]
    for table in TABLES:
        assert set(after[table]) == set(DAYS), table
        for day in DAYS:
            assert after[table][day][0] == before[table][day][0], (table, day)  # row counts
            if day != REDO:
                assert after[table][day] == before[table][day], (table, day)  # untouched
    for table in ("raw.chains", "intermediate.int_chains__oi_by_strike",
                  "marts.oi_concentration", "pressure.pressure_series"):
        assert after[table][REDO] != before[table][REDO], f"{table} was not replaced"
    # The bars did not change, so their day is rewritten with identical content.
    assert after["raw.bars"][REDO] == before["raw.bars"][REDO]


@pytest.mark.slow
def test_replaced_day_carries_the_corrected_values(lab):
    db = lab["paths"].duckdb
    oi = _scalar(db, f"select sum(open_interest) from raw.chains where quote_date = '{REDO}'")
    assert oi[0][0] == 2 * lab["redo_oi"]
    now = _scalar(db, f"select strike, ts, pressure from pressure.pressure_series "
                      f"where quote_date = '{REDO}' order by 1, 2")
    then = lab["redo_pressure"]
    assert [r[:2] for r in now] == [r[:2] for r in then]
    np.testing.assert_allclose([r[2] for r in now], [2 * r[2] for r in then], rtol=1e-12)
