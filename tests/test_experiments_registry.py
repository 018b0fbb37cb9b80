"""The variant registry on a real DuckDB file: a changed config is counted exactly once."""

from __future__ import annotations

import duckdb

from assets.common.config import LabConfig
from assets.experiments import registry as R
from assets.experiments.grid import apply_overrides, strategy_digest


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
