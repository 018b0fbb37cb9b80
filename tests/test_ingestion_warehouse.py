"""Stage → audit → publish on a real DuckDB file (no Dagster)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from assets.ingestion.contract import (
    RAW_BAR_COLUMNS,
    RAW_CHAIN_COLUMNS,
    normalize_bars,
    normalize_chains,
)
from assets.ingestion.write_audit_publish import (
    PublishRefused,
    load_stage,
    publish_days,
    record_verdict,
    stage_days,
)
from tests.support import ingestion_fixtures as fx

DAY2 = dt.date(2024, 1, 4)


def _chains(day=fx.DAY, seed=1):
    return normalize_chains(fx.chain_frame(day, seed=seed), source_file=f"{day}.csv", day=day)


@pytest.fixture
def conn(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield c
    c.close()


def test_publish_requires_a_passing_verdict(conn):
    stage_days(conn, "chains", _chains(), [fx.DAY])
    with pytest.raises(PublishRefused, match="checks not run since staging"):
        publish_days(conn, "chains", [fx.DAY])
    record_verdict(conn, "chains", [fx.DAY], False)
    with pytest.raises(PublishRefused, match="checks failed"):
        publish_days(conn, "chains", [fx.DAY])
    with pytest.raises(PublishRefused, match="never staged"):
        publish_days(conn, "chains", [DAY2])
    record_verdict(conn, "chains", [fx.DAY], True)
    assert publish_days(conn, "chains", [fx.DAY]) == {fx.DAY: 2 * len(fx.STRIKES)}
    # Restaging resets the verdict: the new rows must be checked again.
    stage_days(conn, "chains", _chains(seed=9), [fx.DAY])
    with pytest.raises(PublishRefused):
        publish_days(conn, "chains", [fx.DAY])


def test_raw_schema_matches_the_contract(conn):
    stage_days(conn, "chains", _chains(), [fx.DAY])
    bars = normalize_bars(fx.bar_frame(), source_file="b.csv", day=fx.DAY)
    stage_days(conn, "bars", bars, [fx.DAY])
    for kind in ("chains", "bars"):
        record_verdict(conn, kind, [fx.DAY], True)
        publish_days(conn, kind, [fx.DAY])
    types = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_schema='raw' AND table_name='chains'").fetchall())
    assert list(types) == list(RAW_CHAIN_COLUMNS)
    assert (types["quote_date"], types["expiration"], types["strike"], types["open_interest"],
            types["volume"], types["source_row"]) == ("DATE", "DATE", "DOUBLE", "BIGINT",
                                                      "BIGINT", "BIGINT")
    types = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_schema='raw' AND table_name='bars'").fetchall())
    assert list(types) == list(RAW_BAR_COLUMNS)
    assert types["ts"] == "TIMESTAMP WITH TIME ZONE" and types["volume"] == "BIGINT"
    first = conn.execute("SELECT epoch(ts) FROM raw.bars ORDER BY ts LIMIT 1").fetchone()[0]
    assert first == pd.Timestamp("2024-01-05 14:30", tz="UTC").timestamp()


def test_restaging_replaces_only_its_days(conn):
    both = pd.concat([_chains(), _chains(DAY2)], ignore_index=True)
    stage_days(conn, "chains", both, [fx.DAY, DAY2])
    stage_days(conn, "chains", _chains(seed=5), [fx.DAY])
    staged = load_stage(conn, "chains", [fx.DAY, DAY2])
    assert staged.groupby("partition_date").size().tolist() == [42, 42]
    want = fx.chain_frame(seed=5)["open_interest"].tolist()
    got = staged[staged["partition_date"] == pd.Timestamp(fx.DAY)]["open_interest"].tolist()
    assert got == want


def test_publish_is_one_transaction(conn):
    stage_days(conn, "chains", _chains(), [fx.DAY])
    record_verdict(conn, "chains", [fx.DAY], True)
    publish_days(conn, "chains", [fx.DAY])
    before = conn.execute("SELECT * FROM raw.chains ORDER BY source_row").df()
    bad = _chains(seed=3)
    bad.loc[5, "open_interest"] = 1e30  # cannot be cast to BIGINT: the insert fails
    stage_days(conn, "chains", bad, [fx.DAY])
    record_verdict(conn, "chains", [fx.DAY], True)
    with pytest.raises(duckdb.Error):
        publish_days(conn, "chains", [fx.DAY])
    after = conn.execute("SELECT * FROM raw.chains ORDER BY source_row").df()
    pd.testing.assert_frame_equal(before, after)  # the delete was rolled back too
