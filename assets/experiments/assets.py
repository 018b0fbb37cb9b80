"""Dagster assets of a parameter sweep: `sweep_variant` (one dynamic partition per
variant's config digest) and the fan-in `sweep_summary` (sweep.json, sweep.html, the
registry). The sweep is planned first (`pressure-lab sweep`), which adds the partitions."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from dagster import DynamicPartitionsDefinition, MetadataValue

from assets.dagster_common.pools import DUCKDB_POOL
from assets.experiments.fan_out import fan_out_assets

SWEEP_PARTITIONS = DynamicPartitionsDefinition(name="sweep_variant")


def evaluate_sweep_variants(name: str, keys: Sequence[str]) -> dict[str, Any]:
    """The sweep's variants (one partition each): out-of-sample daily P&L per variant, one
    Parquet file each under the home. Pressure grids are shared by the variants that differ
    only in alerts or trading."""
    from assets.experiments.sweep_run import evaluate_units, load_plan

    started = time.perf_counter()
    written = evaluate_units(load_plan(name), keys)
    return {"variants": len(written), "seconds": round(time.perf_counter() - started, 3),
            "directory": MetadataValue.path(str(written[0].parent)) if written else None}


def summarize_sweep_variants(name: str, conn) -> dict[str, Any]:
    from assets.experiments.sweep_run import load_plan, summarize_sweep, write_outputs

    started = time.perf_counter()
    plan = load_plan(name)
    document = summarize_sweep(plan, conn)
    path = write_outputs(document, {"summary_seconds": round(time.perf_counter() - started, 3)},
                         plan.heatmap)
    best = document["best"]
    return {"path": MetadataValue.path(str(path)), "variants": document["n_variants"],
            "n_trials": best["n_trials"], "best_sharpe": best["sharpe_ratio"],
            "best_deflated_sharpe": best["deflated_sharpe_ratio"],
            "pbo": document["pbo"]["value"], "spa_p_value": document["spa"]["p_value"],
            "walk_forward_sharpe": document["walk_forward"]["sharpe_ratio"]}


sweep_variant, sweep_summary = fan_out_assets(
    "sweep_variant", "sweep_summary", SWEEP_PARTITIONS, evaluate_sweep_variants,
    summarize_sweep_variants, pool=DUCKDB_POOL, group_name="experiments")
