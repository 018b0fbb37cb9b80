"""New adapters and the underlying rules through the real ingestion assets (Dagster runs,
a DuckDB file in tmp_path): published rows, refusals that keep the last good rows, and
the per-day record of instruments and basis."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import numpy as np
import pytest

from tests.support import ingestion_fixtures as fx
from tests.support import vendor_fixtures as vf

PREV = dt.date(2024, 1, 4)


@pytest.fixture
def lab(lab_home):
    """An empty lab home (conftest) and the real ingestion assets and checks."""
    from dagster_duckdb import DuckDBResource

    from assets.dagster_common.partitions import expiration_partitions
    from assets.dagster_common.resources import LabConfigResource
    from assets.ingestion.assets import build_ingestion_assets
    from assets.ingestion.checks import ingestion_checks

    db = lab_home / "w.duckdb"
    resources = {"duckdb": DuckDBResource(database=str(db)), "lab_config": LabConfigResource()}
    return (lab_home / "landing", db, resources,
            [*build_ingestion_assets(expiration_partitions()), *ingestion_checks])


def _run(defs, resources, key="2024-01-05"):
    from dagster import materialize

    return materialize(defs, partition_key=key, resources=resources, raise_on_error=False)


def _query(db, sql):
    with duckdb.connect(str(db), read_only=True) as c:
        return c.execute(sql).df()


def _failure_text(result) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return " ".join(e.event_specific_data.error.to_string() for e in failures)


def test_thetadata_chains_and_massive_bars_publish(lab):
    landing, db, resources, defs = lab
    vf.write_theta_flat(landing / "chains")
    path = vf.index_path()
    vf.write_massive_minute_aggs(landing / "bars", path=path)
    result = _run(defs, resources)
    assert result.success
    chains = _query(db, "SELECT strike, option_type, open_interest FROM raw.chains")
    got = {(float(k), t): int(q) for k, t, q in chains.itertuples(index=False)}
    want = {(t["strike"], t["right"]): t["expected"] for t in vf.theta_oi_ticks()
            if t["expected"] is not None}
    assert got == want
    bars = _query(db, "SELECT symbol, close FROM raw.bars ORDER BY ts")
    assert set(bars["symbol"]) == {"I:SPX"}
    np.testing.assert_array_equal(bars["close"].to_numpy(), [p[4] for p in path])
    sources = _query(db, "SELECT * FROM raw.bar_sources")
    assert sources[["adapter", "instrument_kind", "symbol", "basis_method"]].values.tolist() == [
        ["massive", "index", "I:SPX", "none"]]


def test_futures_bars_are_refused_then_adjusted_with_the_basis_method(lab):
    landing, db, resources, defs = lab
    path = vf.index_path()
    vf.write_canonical_chain(landing / "chains", fx.DAY, 4700.5)
    vf.write_canonical_bars(landing / "bars", fx.DAY, path, "SPX")
    assert _run(defs, resources).success
    before = _query(db, "SELECT * FROM raw.bars ORDER BY ts")

    # An ES-like delivery: the same path 40.5 points higher, labelled with its contract.
    vf.write_canonical_bars(landing / "bars", fx.DAY, path, "ESH4", offset=40.5)
    refused = _run(defs, resources)
    assert not refused.success
    text = _failure_text(refused)
    assert "futures_bars" in text and "2024-01-05.csv" in text and "ESH4" in text
    assert "basis" in text
    after = _query(db, "SELECT * FROM raw.bars ORDER BY ts")
    assert after.equals(before)  # the last good rows stay

    # Configured: previous session's ES close 4741.0, index close 4700.25 -> basis 40.75.
    (landing.parent / "config.json").write_text(
        json.dumps({"ingestion": {"basis_method": "previous_close"}}))
    prev_path = vf.index_path(PREV, start=4690.0, seed=9)
    vf.write_canonical_bars(landing / "bars", PREV, prev_path, "ESH4",
                            offset=4741.0 - prev_path[-1][4])
    vf.write_index_closes(landing, {PREV: 4700.25})
    adjusted = _run(defs, resources)
    assert adjusted.success
    closes = _query(db, "SELECT close FROM raw.bars ORDER BY ts")["close"].to_numpy()
    np.testing.assert_allclose(closes, np.array([p[4] for p in path]) + 40.5 - 40.75, atol=1e-9)
    sources = _query(db, "SELECT symbol, contract_month, basis_method, basis_points "
                         "FROM raw.bar_sources")
    assert sources.values.tolist() == [["ESH4", "2024-03", "previous_close", pytest.approx(40.75)]]


def test_spy_bars_for_an_spx_chain_fail_the_check_naming_both_files(lab):
    landing, db, resources, defs = lab
    path = vf.index_path()
    vf.write_canonical_chain(landing / "chains", fx.DAY, 4700.5)
    spy = [(t, o / 10, h / 10, lo / 10, c / 10) for t, o, h, lo, c in path]
    vf.write_canonical_bars(landing / "bars", fx.DAY, spy, "SPY")
    result = _run(defs, resources)
    assert not result.success
    check = {e.check_name: e for e in result.get_asset_check_evaluations()}["bars_quality"]
    assert not check.passed and check.metadata["failed_rules"].value == ["bars_match_chain"]
    table = check.metadata["rules"].value
    assert "bars/2024-01-05.csv" in table and "chains/2024-01-05.csv" in table
    with duckdb.connect(str(db), read_only=True) as c:
        tables = {r[0] for r in c.execute("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'raw'").fetchall()}
        published = c.execute("SELECT count(*) FROM raw.bars").fetchone()[0] \
            if "bars" in tables else 0
    assert published == 0
