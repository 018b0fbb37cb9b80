"""Write–audit–publish through Dagster with a real DuckDB file in tmp_path."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from tests.support import ingestion_fixtures as fx

DAYS = [dt.date(2024, 1, 3), dt.date(2024, 1, 4), fx.DAY]


@pytest.fixture
def lab(lab_home):
    """A lab home with landing files for three days; imports after PRESSURE_LAB_HOME is set."""
    for i, day in enumerate(DAYS):
        fx.write_csv(fx.chain_frame(day, seed=i), lab_home / "landing" / "chains" / f"{day}.csv")
        fx.write_csv(fx.bar_frame(day, seed=i), lab_home / "landing" / "bars" / f"{day}.csv")
    from dagster_duckdb import DuckDBResource

    from assets.dagster_common.partitions import expiration_partitions
    from assets.dagster_common.resources import LabConfigResource
    from assets.ingestion.assets import build_ingestion_assets
    from assets.ingestion.checks import ingestion_checks

    db = lab_home / "w.duckdb"
    resources = {"duckdb": DuckDBResource(database=str(db)), "lab_config": LabConfigResource()}
    return (lab_home, db, resources,
            [*build_ingestion_assets(expiration_partitions()), *ingestion_checks])


def _run(defs, resources, partition_key=None, tags=None):
    from dagster import materialize

    return materialize(defs, partition_key=partition_key, resources=resources,
                       raise_on_error=False, tags=tags)


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _query(db, sql):
    with duckdb.connect(str(db), read_only=True) as c:
        return c.execute(sql).df()


def test_idempotent_rerun_replaces_the_day(lab):
    home, db, resources, defs = lab
    first = _run(defs, resources, partition_key="2024-01-05")
    assert first.success
    assert _materialized(first) == {"staged_chains", "staged_bars", "raw_chains", "raw_bars"}
    rows = _query(db, "SELECT count(*) n FROM raw.chains WHERE quote_date = DATE '2024-01-05'")
    assert rows["n"].item() == 2 * len(fx.STRIKES)
    # A corrected delivery for the same day: re-running replaces, never duplicates.
    corrected = fx.chain_frame(fx.DAY, seed=99)
    fx.write_csv(corrected, home / "landing" / "chains" / "2024-01-05.csv")
    second = _run(defs, resources, partition_key="2024-01-05")
    assert second.success
    raw = _query(db, "SELECT * FROM raw.chains ORDER BY source_row")
    assert len(raw) == len(corrected)
    assert raw["open_interest"].tolist() == corrected["open_interest"].tolist()
    assert _query(db, "SELECT count(*) n FROM raw.bars")["n"].item() == 390


def test_failing_check_blocks_publish_and_keeps_previous_rows(lab):
    home, db, resources, defs = lab
    assert _run(defs, resources, partition_key="2024-01-05").success
    before = _query(db, "SELECT * FROM raw.chains ORDER BY source_row")
    bad = fx.chain_frame(fx.DAY, seed=7)
    bad.loc[3, "strike"] = 4702.5  # off the 5-point grid, data row 4
    fx.write_csv(bad, home / "landing" / "chains" / "2024-01-05.csv")
    result = _run(defs, resources, partition_key="2024-01-05")
    assert not result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    check = evaluations["chains_quality"]
    assert not check.passed and check.severity.value == "ERROR"
    assert check.metadata["failed_rules"].value == ["chains_strike_on_grid"]
    table = check.metadata["rules"].value
    assert "2024-01-05.csv:4" in table and "strike=4702.5" in table
    # The bars are checked against the staged chain (can they be its underlying?), so a
    # failed chain holds the day's bars back too: neither raw table changes.
    assert "bars_quality" not in evaluations
    done = _materialized(result)
    assert "raw_chains" not in done and "staged_chains" in done and "raw_bars" not in done
    after = _query(db, "SELECT * FROM raw.chains ORDER BY source_row")
    pd.testing.assert_frame_equal(before, after)
    staged = _query(db, "SELECT strike FROM stage.chains WHERE source_row = 4")
    assert staged["strike"].item() == 4702.5  # the bad delivery sits in stage only


def test_missing_landing_file_names_day_and_path(lab):
    home, db, resources, defs = lab
    result = _run(defs, resources, partition_key="2024-01-08")
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    messages = " ".join(e.event_specific_data.error.to_string() for e in failures)
    assert "MissingLandingFileError" in messages
    assert "2024-01-08" in messages
    assert str(home / "landing" / "chains" / "2024-01-08.csv") in messages


def test_one_run_covers_many_days(lab):
    home, db, resources, defs = lab
    result = _run(defs, resources, tags={"dagster/asset_partition_range_start": "2024-01-03",
                                         "dagster/asset_partition_range_end": "2024-01-05"})
    assert result.success
    per_day = _query(db, "SELECT quote_date, count(*) n FROM raw.bars GROUP BY 1 ORDER BY 1")
    assert [d.date() for d in pd.to_datetime(per_day["quote_date"])] == DAYS
    assert per_day["n"].tolist() == [390, 390, 390]


def test_a_range_validated_in_day_chunks_reports_every_chunks_defects(lab, monkeypatch):
    """Chunked validation (bounded memory) finds what one pass over the range finds: two
    bad days in different chunks fail one rule with both files named and counts added."""
    from assets.ingestion import checks

    monkeypatch.setattr(checks, "VALIDATION_CHUNK_DAYS", 1)
    home, db, resources, defs = lab
    for day, row in ((DAYS[0], 3), (DAYS[2], 5)):
        bad = fx.chain_frame(day, seed=7)
        bad.loc[row, "strike"] = bad.loc[row, "strike"] + 2.5  # off the 5-point grid
        fx.write_csv(bad, home / "landing" / "chains" / f"{day}.csv")
    result = _run(defs, resources, tags={"dagster/asset_partition_range_start": "2024-01-03",
                                         "dagster/asset_partition_range_end": "2024-01-05"})
    assert not result.success
    check = {e.check_name: e for e in result.get_asset_check_evaluations()}["chains_quality"]
    assert check.metadata["failed_rules"].value == ["chains_strike_on_grid"]
    report = check.metadata["report"].value
    rule = next(r for r in report["results"] if r["rule"] == "chains_strike_on_grid")
    assert rule["unexpected_count"] == 2
    assert [(r["source_file"].rsplit("/", 1)[-1], r["source_row"]) for r in rule["first_rows"]] \
        == [("2024-01-03.csv", 4), ("2024-01-05.csv", 6)]
    assert report["days"] == [d.isoformat() for d in DAYS]
