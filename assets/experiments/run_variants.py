"""A `run` is a trial too: its config is a variant of its dataset, counted in the registry.

The validation stage calls `trials_for_run` before it assembles the package (N for the
selection adjustment and the Deflated Sharpe: the registry's count with this config
included, the config field as a floor; the latest sweep's Sharpe variance; the SPA over a
sweep that stored this variant's daily series) and `record_run` after it (once per config;
a nightly run with the same config adds nothing).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from assets.common.config import LabConfig
from assets.experiments.grid import strategy_digest, strategy_overrides
from assets.experiments.registry import (
    VariantTrials,
    landing_dataset_id,
    record_variants,
    variant_trials,
)
from assets.experiments.selection import stored_selection


def trials_for_run(conn: duckdb.DuckDBPyConnection, landing: Path,
                   cfg: LabConfig) -> VariantTrials:
    dataset = landing_dataset_id(landing, cfg.ingestion.underlying)
    digest = strategy_digest(cfg)
    trials = variant_trials(conn, dataset, digest, cfg.validation.n_variants_tried)
    if trials.count <= 1:
        return trials
    return dataclasses.replace(trials, selection=stored_selection(
        conn, dataset, digest, cfg.experiments.spa_replications, cfg.validation.seed))


def record_run(conn: duckdb.DuckDBPyConnection, landing: Path, cfg: LabConfig,
               package: Mapping[str, Any]) -> int:
    """Record the run's config with the package's headline metrics; returns 1 if new."""
    perf = package["performance_metrics"]
    metrics = {"n_trades": perf.get("total_sample_size"), "win_rate": perf.get("win_rate"),
               "mean_pnl_points": perf.get("mean_pnl_points"),
               "sharpe_ratio": perf.get("sharpe_ratio"),
               "daily_sharpe": perf.get("sharpe", {}).get("daily_sharpe")}
    dataset = landing_dataset_id(landing, cfg.ingestion.underlying)
    return record_variants(conn, dataset, [(strategy_digest(cfg), strategy_overrides(cfg),
                                            metrics)], origin="run")
