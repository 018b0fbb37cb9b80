"""The registry of variants tried: every configuration ever evaluated on a dataset.

The Deflated Sharpe is only honest if it knows how many variants were tried, so the lab
counts them itself. A dataset is its *source and underlying* (e.g. the synthetic null
world with seed 7 on SPX, or the vendor files of SPX), never the content hash of the days:
a nightly run that adds a day with the same config is the same trial, and adds nothing.
A variant is its strategy digest (`grid.strategy_digest`), recorded once per dataset by
whichever came first, a sweep or a run.

Tables (schema `experiments` in the warehouse): `variants` (one row per dataset and
digest) and `sweeps` (one row per sweep: its size and the variance of its variants'
per-day Sharpes, which the package's DSR uses as the trials' Sharpe variance).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from assets.common.tables import EXPERIMENT_SWEEPS as SWEEPS_TABLE
from assets.common.tables import EXPERIMENT_VARIANTS as VARIANTS_TABLE

_DDL = (
    "create schema if not exists experiments",
    f"""create table if not exists {VARIANTS_TABLE} (
        dataset varchar not null, config_digest varchar not null, overrides_json varchar,
        metrics_json varchar, origin varchar, recorded_at timestamp,
        primary key (dataset, config_digest))""",
    f"""create table if not exists {SWEEPS_TABLE} (
        dataset varchar not null, name varchar not null, n_variants integer,
        daily_sharpe_variance double, recorded_at timestamp, primary key (dataset, name))""",
)


@dataclass(frozen=True)
class VariantTrials:
    """What the package's selection adjustment and DSR need: N (never below the config's
    floor), when a sweep exists on the dataset the variance of its variants' per-day
    Sharpes, and when a sweep stored this variant's daily series the SPA over that sweep
    (`assets.experiments.selection.StoredSelection`)."""

    count: int
    sharpe_variance: float | None
    source: str
    selection: Any = None


def dataset_id(source: Mapping[str, Any], underlying: str) -> str:
    """`<source> | <underlying>`; a synthetic source is named by what generates its days
    (scenario, seed, strength), not by the date range generated so far."""
    if source.get("kind") == "synthetic":
        worlds = sorted({json.dumps({k: g.get(k) for k in ("scenario", "seed", "strength")},
                                    sort_keys=True) for g in source.get("generations", [])})
        name = "synthetic " + "; ".join(worlds)
    else:
        name = str(source.get("kind", "landing files"))
    return f"{name} | {underlying}"


def landing_dataset_id(landing: Path, underlying: str) -> str:
    from assets.validation.package.reproducibility import data_source

    return dataset_id(data_source(landing), underlying)


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    for statement in _DDL:
        conn.execute(statement)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def record_variants(conn: duckdb.DuckDBPyConnection, dataset: str,
                    rows: Iterable[tuple[str, Mapping[str, Any], Mapping[str, Any]]],
                    origin: str) -> int:
    """Insert (digest, overrides, metrics) rows not yet known for `dataset`; returns how
    many were new. A digest already recorded keeps its first row."""
    ensure_tables(conn)
    now = _now()
    values = [(dataset, digest, json.dumps(dict(overrides), sort_keys=True),
               json.dumps(dict(metrics), sort_keys=True), origin, now)
              for digest, overrides, metrics in rows]
    before = count_variants(conn, dataset)
    if values:
        conn.executemany(f"insert into {VARIANTS_TABLE} values (?, ?, ?, ?, ?, ?) "
                         "on conflict do nothing", values)
    return count_variants(conn, dataset) - before


def record_sweep(conn: duckdb.DuckDBPyConnection, dataset: str, name: str, n_variants: int,
                 daily_sharpe_variance: float | None) -> None:
    ensure_tables(conn)
    conn.execute(f"insert or replace into {SWEEPS_TABLE} values (?, ?, ?, ?, ?)",
                 [dataset, name, int(n_variants), daily_sharpe_variance, _now()])


def count_variants(conn: duckdb.DuckDBPyConnection, dataset: str) -> int:
    ensure_tables(conn)
    return int(conn.execute(f"select count(*) from {VARIANTS_TABLE} where dataset = ?",
                            [dataset]).fetchone()[0])


def is_recorded(conn: duckdb.DuckDBPyConnection, dataset: str, digest: str) -> bool:
    ensure_tables(conn)
    return bool(conn.execute(f"select count(*) from {VARIANTS_TABLE} where dataset = ? and "
                             "config_digest = ?", [dataset, digest]).fetchone()[0])


def latest_sweep_variance(conn: duckdb.DuckDBPyConnection, dataset: str) -> float | None:
    ensure_tables(conn)
    row = conn.execute(f"select daily_sharpe_variance from {SWEEPS_TABLE} where dataset = ? "
                       "order by recorded_at desc, name limit 1", [dataset]).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def variant_trials(conn: duckdb.DuckDBPyConnection, dataset: str, digest: str,
                   floor: int) -> VariantTrials:
    """N for the package of `digest` on `dataset`: the registry's count, with this variant
    counted even before it is recorded, and never below `floor` (the config field)."""
    count = count_variants(conn, dataset) + (0 if is_recorded(conn, dataset, digest) else 1)
    return VariantTrials(max(int(floor), count), latest_sweep_variance(conn, dataset),
                         f"registry {VARIANTS_TABLE} for dataset {dataset!r}, floor "
                         f"validation.n_variants_tried = {floor}")
