"""The per-day file the pooled package reads, from the engine: each day's null mean is the
mean over replications of that day's own share (redrawn days included), in memory and
summed in DuckDB alike, and the file's totals are its package's numbers."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from assets.common.config import LabConfig
from assets.engine.procedure import Procedure
from assets.engine.run import risk_report, run_engine
from assets.engine.store import WarehouseShares, _share_frames
from assets.engine.unit import day_shares
from assets.synthetic_market.in_memory_days import synthetic_market
from assets.validation.package.daily_edge import (
    DAILY_EDGE_FILE,
    daily_edge,
    read_daily_edge,
)
from assets.validation.package.evaluate import evaluate


@pytest.fixture(scope="module")
def run():
    market = synthetic_market("2024-01-01", "2024-02-29", "steer", seed=3, strength=3.0)
    cfg = LabConfig()
    cfg = cfg.model_copy(update={
        "pressure": cfg.pressure.model_copy(update={"calibration_days": 10}),
        # sizes that round to zero make the aggregation redraw some days' shares
        "trading": cfg.trading.model_copy(update={"base_size": 0.25}),
        "validation": cfg.validation.model_copy(update={"oi_placebo_replications": 8,
                                                        "null_replications": 64})})
    return market, cfg, run_engine(market, cfg)


def test_day_means_are_each_day_s_own_share_on_its_final_trades(run):
    market, _, agg = run
    assert agg.redrawn_days
    for pos, d in enumerate(agg.tape.dates):
        if d not in set(agg.scored_days):
            continue
        mine = agg.trades[[q == d for q in agg.trades["quote_date"]]]
        share = day_shares(market[d], pos, agg.tape, mine, agg.procedure).null
        assert agg.null_day_means[d] == pytest.approx(share.sums.sum(axis=1).mean(), abs=1e-9)


def test_the_warehouse_sums_the_same_day_means(run):
    market, _, agg = run
    proc: Procedure = agg.procedure
    shares = {}
    for pos, d in enumerate(agg.tape.dates):
        if d in set(agg.scored_days):
            mine = agg.trades[[q == d for q in agg.trades["quote_date"]]]
            shares[d] = day_shares(market[d], pos, agg.tape, mine, proc)
    null, *_ = _share_frames(shares)
    conn = duckdb.connect()
    conn.register("draws", null)
    conn.execute("create schema engine")
    from assets.common import tables

    conn.execute(f"create table {tables.ENGINE_NULL_DRAWS} as select * from draws")
    got = WarehouseShares(conn, proc).null_day_means(agg.scored_days)
    for d in agg.scored_days:
        assert got[d] == pytest.approx(agg.null_day_means[d], abs=1e-9)


def test_the_file_s_totals_are_its_package_s(run, tmp_path):
    market, cfg, agg = run
    package, files = evaluate(agg, cfg, risk_report(agg), {}, validation_timestamp="",
                              load_days=lambda ds: {d: market[d] for d in ds})
    (tmp_path / DAILY_EDGE_FILE).write_text(files[DAILY_EDGE_FILE])
    frame = read_daily_edge(tmp_path / DAILY_EDGE_FILE)
    n = int(frame["n_trades"].sum())
    assert n == package["performance_metrics"]["total_sample_size"] > 0
    assert list(frame["date"]) == list(agg.scored_days)
    null = package["null_model"]
    assert frame["pnl_points"].sum() / n == pytest.approx(null["observed"],
                                                          rel=1e-9)
    assert frame["null_mean_points"].sum() / n == pytest.approx(null["null_mean_pnl_points"],
                                                                rel=1e-9)
    opens = {d: market[d].open[0] for d in agg.scored_days}
    np.testing.assert_allclose(frame["open"], [opens[d] for d in frame["date"]])
    assert (frame.loc[frame["n_trades"] == 0, ["pnl_points", "null_mean_points"]] == 0).all(
        axis=None)
    assert isinstance(daily_edge(agg), pd.DataFrame)
