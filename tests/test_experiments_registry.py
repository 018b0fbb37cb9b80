"""The variant registry on a real DuckDB file: a changed config is counted exactly once, and
the SPA a package's selection adjustment reads is arch's over the stored series."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
from arch.bootstrap import SPA

from assets.common.config import LabConfig
from assets.common.tables import EXPERIMENT_SWEEPS, SWEEP_DAILY
from assets.common.warehouse_io import table_exists
from assets.experiments import registry as R
from assets.experiments.grid import apply_overrides, strategy_digest
from assets.experiments.selection import spa_p_value, stored_selection


def test_a_changed_config_is_counted_exactly_once(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    base = LabConfig()
    changed = apply_overrides(base, {"pressure.threshold_percentile": 90})
    dataset = R.dataset_id({"kind": "synthetic", "generations": [
        {"scenario": "null", "seed": 7, "strength": 0.0, "start": "2024-01-01"}]}, "SPX")
    with duckdb.connect(str(db)) as conn:
        assert R.record_variants(conn, dataset, [(strategy_digest(base), {}, {})], "run") == 1
        # the nightly run with the same config adds nothing
        assert R.record_variants(conn, dataset, [(strategy_digest(base), {}, {})], "run") == 0
        trials = R.variant_trials(conn, dataset, strategy_digest(changed), floor=1)
        assert trials.count == 2  # the changed config is counted before it is recorded
        assert R.record_variants(conn, dataset, [(strategy_digest(changed), {}, {})],
                                 "run") == 1
        assert R.variant_trials(conn, dataset, strategy_digest(changed), floor=1).count == 2
        # the validation section is not part of the strategy: no new trial
        reseeded = base.model_copy(update={"validation": base.validation.model_copy(
            update={"seed": 1, "null_replications": 10})})
        assert strategy_digest(reseeded) == strategy_digest(base)
        # the config field stays a floor
        assert R.variant_trials(conn, dataset, strategy_digest(base), floor=40).count == 40
        # another dataset has its own count
        other = R.dataset_id({"kind": "landing files (vendor or canonical)"}, "SPX")
        assert R.count_variants(conn, other) == 0
    with duckdb.connect(str(db)) as conn:  # it is in the file, not in a session
        assert R.count_variants(conn, dataset) == 2


def test_dataset_is_source_and_underlying_not_the_date_range():
    gen = {"scenario": "null", "seed": 7, "strength": 0.0}
    a = R.dataset_id({"kind": "synthetic", "generations": [
        {**gen, "start": "2024-01-01", "end": "2024-06-30"}]}, "SPX")
    b = R.dataset_id({"kind": "synthetic", "generations": [
        {**gen, "start": "2024-01-01", "end": "2024-06-30"},
        {**gen, "start": "2024-07-01", "end": "2024-07-02"}]}, "SPX")
    assert a == b
    assert a != R.dataset_id({"kind": "synthetic", "generations": [{**gen, "seed": 8}]}, "SPX")
    assert a != R.dataset_id({"kind": "synthetic", "generations": [gen]}, "NDX")


def test_latest_sweep_variance(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        assert R.latest_sweep_variance(conn, "d") is None
        R.record_sweep(conn, "d", "first", 12, 0.004)
        assert R.latest_sweep_variance(conn, "d") == 0.004


def _store_sweep(conn, dataset, name, pnl, bench, recorded_at):
    days = pd.bdate_range("2024-01-02", periods=pnl.shape[0]).date
    frame = pd.concat([pd.DataFrame({"sweep": name, "config_digest": f"d{j}",
                                     "quote_date": days, "pnl_dollars": pnl[:, j],
                                     "benchmark_dollars": bench[:, j]})
                       for j in range(pnl.shape[1])], ignore_index=True)
    conn.register("frame", frame)
    if table_exists(conn, SWEEP_DAILY):
        conn.execute(f"insert into {SWEEP_DAILY} select * from frame")
    else:
        conn.execute(f"create table {SWEEP_DAILY} as select * from frame")
    conn.unregister("frame")
    conn.execute(f"insert into {EXPERIMENT_SWEEPS} values (?, ?, ?, ?, ?)",
                 [dataset, name, pnl.shape[1], None, recorded_at])


def test_the_selection_spa_is_arch_s_on_the_stored_series(tmp_path):
    rng = np.random.default_rng(3)
    pnl = rng.normal(0.0, 100.0, (60, 5))
    pnl[:, 2] += 40.0
    bench = rng.normal(-10.0, 20.0, (60, 5))
    pnl[:, 4] = bench[:, 4] = 0.0  # a variant that never traded
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        assert stored_selection(conn, "ds", "d2", 500, 3) is None  # no sweep yet
        R.ensure_tables(conn)
        _store_sweep(conn, "ds", "first", pnl, bench, dt.datetime(2025, 1, 1))
        got = stored_selection(conn, "ds", "d2", 500, 3)
        # arch's SPA called directly: losses are negated P&L over the benchmark, the
        # flat variant left out
        direct = SPA(np.zeros(60), -(pnl - bench)[:, :4], reps=500, seed=3)
        direct.compute()
        assert got.sweep == "first" and got.n_series == 5 and got.n_days == 60
        assert got.p_value == pytest.approx(float(direct.pvalues["consistent"]))
        assert stored_selection(conn, "ds", "d9", 500, 3) is None  # not in any sweep
        assert stored_selection(conn, "other", "d2", 500, 3) is None  # another dataset
        # a later sweep holding the variant is the one it was chosen from
        _store_sweep(conn, "ds", "later", pnl[:, :3], bench[:, :3], dt.datetime(2025, 2, 1))
        assert stored_selection(conn, "ds", "d2", 500, 3).sweep == "later"
        assert stored_selection(conn, "ds", "d4", 500, 3).sweep == "first"
    flat = np.zeros((10, 2))
    assert spa_p_value(flat, flat, 500, 3) == 1.0
