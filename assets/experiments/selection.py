"""What a package needs to test a selection: Hansen's SPA over the variants a sweep stored.

A variant run after a sweep was chosen among the sweep's variants on the same days, so
its confirmatory test must be the selection's, not its own (`assets.validation.claims.
selection`). The sweep stored every variant's out-of-sample daily P&L and its matched-null
benchmark (`experiments.sweep_daily`); the SPA over those series asks whether any of them
beats its benchmark, the question a best-of-M choice has to answer. The series are read
here, in the experiments layer, and handed to the validation stage as numbers through its
resource: validation never reads the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

from assets.common.tables import EXPERIMENT_SWEEPS, SWEEP_DAILY
from assets.common.warehouse_io import table_exists
from assets.experiments.overfitting import spa_test


@dataclass(frozen=True)
class StoredSelection:
    """Hansen's SPA over the daily series of one sweep that holds the package's variant."""

    sweep: str
    n_series: int  # M: the sweep's variants the SPA covers
    n_days: int
    p_value: float  # arch's consistent p: H0 no variant beats its matched-null benchmark
    reps: int
    seed: int


def spa_p_value(pnl: np.ndarray, benchmark: np.ndarray, reps: int, seed: int) -> float:
    """The SPA's consistent p over the columns of (days x variants) `pnl` against
    `benchmark`. A variant whose excess over its benchmark is flat on every day (no trade)
    cannot beat it and is left out; with none left there is nothing to claim (p = 1)."""
    excess = np.asarray(pnl, dtype=float) - np.asarray(benchmark, dtype=float)
    live = excess.std(axis=0) > 0
    if not live.any():
        return 1.0
    return float(spa_test(pnl[:, live], benchmark[:, live], reps, seed)["p_value"])


def stored_selection(conn: duckdb.DuckDBPyConnection, dataset: str, digest: str,
                     reps: int, seed: int) -> StoredSelection | None:
    """The SPA over the latest sweep on `dataset` that stored `digest`'s daily series;
    None when no sweep did (a variant tried by `run` alone)."""
    if not (table_exists(conn, SWEEP_DAILY) and table_exists(conn, EXPERIMENT_SWEEPS)):
        return None
    row = conn.execute(
        f"select s.name from {EXPERIMENT_SWEEPS} s where s.dataset = ? and exists "
        f"(select 1 from {SWEEP_DAILY} d where d.sweep = s.name and d.config_digest = ?) "
        "order by s.recorded_at desc, s.name limit 1", [dataset, digest]).fetchone()
    if row is None:
        return None
    frame = conn.execute(f"select config_digest, quote_date, pnl_dollars, benchmark_dollars "
                         f"from {SWEEP_DAILY} where sweep = ?", [row[0]]).df()
    pnl = frame.pivot(index="quote_date", columns="config_digest", values="pnl_dollars")
    bench = frame.pivot(index="quote_date", columns="config_digest",
                        values="benchmark_dollars").reindex_like(pnl)
    if pnl.isna().any().any() or bench.isna().any().any():
        raise ValueError(f"sweep {row[0]!r}: its variants' daily series cover different days")
    p = spa_p_value(pnl.to_numpy(float), bench.to_numpy(float), reps, seed)
    return StoredSelection(str(row[0]), int(pnl.shape[1]), int(pnl.shape[0]), p, int(reps),
                           int(seed))
