"""The dbt models as Dagster assets: lineage, partition windows, and blocking dbt tests.

A real Dagster run (in process) with stub raw assets writing a real DuckDB file, the dbt
assets running a real `dbt build`, and a tiny Python asset downstream of a mart: a passing
day materializes the downstream asset; a day whose mart fails an error-severity dbt test
must stop it.
"""


import datetime as dt
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import (
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    DailyPartitionsDefinition,
    asset,
    materialize,
)
from dagster_dbt import DbtCliResource, DbtProject

from assets.common.settings import DBT_PROJECT_DIR
from assets.transform.dbt_args import WINDOW_ENV
from tests.support.dbt_fixtures import (
    DBT_EXECUTABLE,
    RAW_DDL,
    chain_frame,
    query,
    run_dbt,
    session_bars,
    write_raw,
)

if not (DBT_PROJECT_DIR / "target" / "manifest.json").exists():
    pytest.skip("dbt_project/target/manifest.json is missing: run `make manifest`",
                allow_module_level=True)

from assets.transform.dbt_assets import (  # noqa: E402  (needs the prepared manifest)
    LabDbtTranslator,
    build_transform_assets,
)

PARTITIONS = DailyPartitionsDefinition(start_date="2024-11-25", end_date="2024-12-03",
                                       timezone="America/New_York")
SINGLE_RUN = BackfillPolicy.single_run()  # as the ingestion and pressure assets declare
GOOD_DAY, BAD_DAY = dt.date(2024, 11, 27), dt.date(2024, 11, 29)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> DbtProject:
    """The repo's dbt project with a manifest parsed into a temporary target."""
    work = tmp_path_factory.mktemp("dbt_parse")
    result = run_dbt(["parse", "--quiet"], work / "parse.duckdb", work)
    assert result.returncode == 0, result.stdout[-3000:]
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR,
                      target_path=work / "target")


def test_asset_graph_lineage_groups_and_blocking_checks(project):
    dbt_defs = build_transform_assets(project, PARTITIONS, pool="duckdb")
    keys = {k.to_user_string() for k in dbt_defs.keys}
    assert {"oi_concentration", "oi_concentration_daily", "daily_outcomes"} <= keys
    deps = {k.to_user_string(): {d.asset_key.to_user_string() for d in spec.deps}
            for k, spec in dbt_defs.specs_by_key.items()}
    assert deps["stg_raw__chains"] == {"raw_chains"}
    assert deps["stg_raw__bars"] == {"raw_bars"}
    assert deps["int_chains__oi_by_strike"] == {"stg_raw__chains"}
    assert "int_bars__sessions" in deps["oi_concentration"]
    assert {spec.group_name for spec in dbt_defs.specs_by_key.values()} == {"transform"}
    assert dbt_defs.partitions_def == PARTITIONS
    assert dbt_defs.backfill_policy is not None
    assert dbt_defs.backfill_policy.max_partitions_per_run is None  # single run
    assert dbt_defs.op.pool == "duckdb"
    checks = list(dbt_defs.check_specs)
    mart_checks = [c for c in checks if c.asset_key == AssetKey("oi_concentration")]
    assert any(c.name == "oi_concentration_shares_sum_to_one" for c in mart_checks)
    assert any(c.name.startswith("relationships_oi_concentration") for c in mart_checks)
    assert checks and all(c.blocking for c in checks)
    assert LabDbtTranslator().settings.enable_asset_checks


class _NoEvents:
    def stream(self):
        return iter(())


class RecordingDbt(DbtCliResource):
    """Records the dbt command lines instead of running them."""

    def cli(self, args, **kwargs):
        window = {k: os.environ.get(k) for k in WINDOW_ENV.values()}
        CALLS.append((list(args), kwargs.get("target_path"), window))
        return _NoEvents()


CALLS: list = []


def test_a_range_backfill_is_one_dbt_build_over_the_whole_window(project, tmp_path, monkeypatch):
    monkeypatch.setenv("PRESSURE_LAB_HOME", str(tmp_path / "home"))
    CALLS.clear()
    result = materialize(
        [build_transform_assets(project, PARTITIONS)],
        resources={"dbt": RecordingDbt(project_dir=project, dbt_executable=DBT_EXECUTABLE)},
        tags={"dagster/asset_partition_range_start": "2024-11-26",
              "dagster/asset_partition_range_end": "2024-12-02"},
    )
    assert result.success
    assert len(CALLS) == 1
    args, target, window = CALLS[0]
    # The window travels in the environment (keeps dbt's partial parse), not in --vars.
    assert args == ["build", "--exclude-resource-type", "unit_test"]
    assert window == {"PRESSURE_LAB_DBT_MIN_DATE": "2024-11-26",
                      "PRESSURE_LAB_DBT_MAX_DATE": "2024-12-02"}
    assert all(os.environ.get(k) is None for k in WINDOW_ENV.values()), "window leaked"
    assert Path(target).is_relative_to(tmp_path / "home" / "dbt" / "target")


def _raw_assets(db_path: Path, bars_missing_on: dt.date):
    def _day(context: AssetExecutionContext) -> dt.date:
        return dt.date.fromisoformat(context.partition_key)

    @asset(key="raw_chains", partitions_def=PARTITIONS, backfill_policy=SINGLE_RUN)
    def raw_chains(context: AssetExecutionContext) -> None:
        day = _day(context)
        write_raw(db_path, chain_frame(day, [(5990, "C", 100), (5990, "P", 300),
                                             (5995, "C", 500), (5995, "P", 500)]))

    @asset(key="raw_bars", partitions_def=PARTITIONS, backfill_policy=SINGLE_RUN)
    def raw_bars(context: AssetExecutionContext) -> None:
        day = _day(context)
        con = duckdb.connect(str(db_path))
        con.execute(RAW_DDL)
        con.close()
        if day != bars_missing_on:  # a chain file without its bars: the mart's test fails
            write_raw(db_path, bars=session_bars(day, 5992.0, {0: 5992.0, -1: 5995.4}).frame())

    return raw_chains, raw_bars


@pytest.mark.slow  # two Dagster runs, each one real `dbt build` (~20 s each on shared cores)
def test_failing_dbt_test_blocks_the_downstream_python_asset(project, tmp_path, monkeypatch):
    db = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("PRESSURE_LAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PRESSURE_LAB_DUCKDB", str(db))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(DBT_PROJECT_DIR))
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    ran: list[str] = []

    @asset(deps=[AssetKey("oi_concentration")], partitions_def=PARTITIONS,
           backfill_policy=SINGLE_RUN)
    def pressure_stub(context: AssetExecutionContext) -> None:
        ran.append(context.partition_key)

    assets = [*_raw_assets(db, bars_missing_on=BAD_DAY),
              build_transform_assets(project, PARTITIONS), pressure_stub]
    resources = {"dbt": DbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE)}

    good = materialize(assets, partition_key=GOOD_DAY.isoformat(), resources=resources,
                       raise_on_error=False)
    assert good.success
    assert ran == [GOOD_DAY.isoformat()]
    assert good.get_asset_check_evaluations()
    assert all(e.passed for e in good.get_asset_check_evaluations())
    # dbt's run artefacts went under the lab home, one folder per run and step
    assert list((tmp_path / "home" / "dbt" / "target").glob("*/run_results.json"))

    bad = materialize(assets, partition_key=BAD_DAY.isoformat(), resources=resources,
                      raise_on_error=False)
    assert not bad.success
    assert ran == [GOOD_DAY.isoformat()]  # the downstream asset did not run
    materialized = {e.asset_key for e in bad.get_asset_materialization_events()}
    assert AssetKey("pressure_stub") not in materialized
    assert AssetKey("oi_concentration") in materialized  # written, then its test failed
    failed = [e for e in bad.get_asset_check_evaluations() if not e.passed]
    assert any(e.asset_key == AssetKey("oi_concentration")
               and e.check_name == "oi_concentration_column_rules"
               and e.severity == AssetCheckSeverity.ERROR for e in failed)
    step_failures = [e for e in bad.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in step_failures] == ["dbt_partitioned_models"]
    # the good day's marts are untouched by the failed day
    out = query(db, "select quote_date from marts.daily_outcomes")
    assert [pd.Timestamp(d).date() for d in out.quote_date] == [GOOD_DAY]
