"""Reusable fan-out in Dagster: units as dynamic partitions of one asset, plus a fan-in.

`fan_out_assets` builds the pair for any kind of unit (sweep variants here; independent
worlds of a study likewise):
- the unit asset is partitioned by a `DynamicPartitionsDefinition`, one partition per unit,
  visible in the UI; its step evaluates `context.partition_keys` (a single-run backfill
  hands one step a whole range, the default and the fastest on one machine; a range per
  run spreads units over several runs and executors) and writes one file per unit
  (`assets.experiments.units`), never the warehouse;
- the fan-in asset depends on it, takes the `duckdb` pool (the only writer) and loads the
  units' files into the warehouse.
Both take one run config, `FanOutConfig.name` (which sweep or study), so a run launched
from the UI names its work explicitly. Launch them with `orchestration.fan_out.run_fan_out`.
"""

from collections.abc import Callable, Sequence
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    DynamicPartitionsDefinition,
    MaterializeResult,
    asset,
)
from dagster_duckdb import DuckDBResource

EvaluateUnits = Callable[[str, Sequence[str]], dict[str, Any]]
Summarize = Callable[[str, Any], dict[str, Any]]


class FanOutConfig(Config):
    name: str  # the sweep (or study) whose units the run evaluates


def fan_out_assets(unit_asset: str, summary_asset: str, partitions: DynamicPartitionsDefinition,
                   evaluate: EvaluateUnits, summarize: Summarize, pool: str,
                   group_name: str) -> tuple[AssetsDefinition, AssetsDefinition]:
    """(unit asset, fan-in asset). `evaluate(name, keys)` writes the keys' unit files and
    returns metadata; `summarize(name, conn)` loads them and returns metadata."""

    @asset(name=unit_asset, partitions_def=partitions, group_name=group_name,
           backfill_policy=BackfillPolicy.single_run(), kinds={"python", "parquet"})
    def _units(context: AssetExecutionContext, config: FanOutConfig) -> MaterializeResult:
        keys = list(context.partition_keys)
        context.log.info(f"{config.name}: evaluating {len(keys)} unit(s)")
        return MaterializeResult(metadata=evaluate(config.name, keys))

    @asset(name=summary_asset, deps=[_units], pool=pool, group_name=group_name,
           kinds={"python", "duckdb"})
    def _summary(context: AssetExecutionContext, config: FanOutConfig,
                 duckdb: DuckDBResource) -> MaterializeResult:
        with duckdb.get_connection() as conn:
            metadata = summarize(config.name, conn)
        return MaterializeResult(metadata=metadata)

    _units.__doc__ = evaluate.__doc__
    return _units, _summary
