"""Dagster assets for ingestion: write (stage) → audit (blocking checks) → publish (raw).

`staged_chains` / `staged_bars` read the landing files of the run's days through the
adapters and replace those days in `stage.*`. The blocking checks `chains_quality` /
`bars_quality` (`checks.py`) run the great-expectations rules on the staged rows; an
ERROR-severity failure stops `raw_*` and everything downstream in the run, so the previously
published rows stay exactly as they were. `raw_chains` / `raw_bars` then swap the days into
`raw.*` in one transaction. Every asset covers all partition keys of its run (single-run
backfills), writes through one short-lived DuckDB connection, and is idempotent.

The assets are partitioned by expiration day, so they are made by `build_ingestion_assets`
from the partitions definition the code location passes in: importing this module builds
no exchange calendar (see `assets.dagster_common.partitions`).
"""

import datetime as dt

import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    DagsterInvariantViolationError,
    Failure,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)
from dagster_duckdb import DuckDBResource

from assets.common.settings import lab_paths
from assets.dagster_common.pools import DUCKDB_POOL
from assets.dagster_common.resources import LabConfigResource
from assets.ingestion import bar_sources, folder_underlying, write_audit_publish
from assets.ingestion.adapters import read_days
from assets.ingestion.contract import Kind, LandingRead, empty_stage_frame
from assets.ingestion.underlying import align_to_underlying, bar_sources_frame

GROUP = "ingestion"
_MAX_LISTED_DAYS = 31


def run_days(context: AssetExecutionContext | AssetCheckExecutionContext) -> list[dt.date]:
    try:
        keys = context.partition_keys
    except DagsterInvariantViolationError:
        raise Failure("ingestion runs per expiration day: launch it for one or more partitions "
                      "(a day or a range), not as an unpartitioned run") from None
    return sorted(dt.date.fromisoformat(k) for k in keys)


def _stage(kind: Kind, context: AssetExecutionContext, duckdb: DuckDBResource,
           lab_config: LabConfigResource) -> MaterializeResult:
    cfg = lab_config.load()
    days = run_days(context)
    paths = lab_paths()
    directory = paths.landing_chains if kind == "chains" else paths.landing_bars
    reads: list[LandingRead] = read_days(kind, days, directory, cfg)
    sources = None
    if kind == "chains":  # bars: checked in align_to_underlying
        for read in reads:
            folder_underlying.check(read, cfg)
    if kind == "bars":  # futures refused or moved onto the index; instruments recorded
        reads, sources = align_to_underlying(reads, cfg, directory, paths.landing)
    frames = [r.frame for r in reads if len(r.frame)]
    frame = pd.concat(frames, ignore_index=True) if frames else empty_stage_frame(kind)
    with duckdb.get_connection() as conn:
        counts = write_audit_publish.stage_days(conn, kind, frame, days)
        if sources is not None:
            bar_sources.stage(conn, bar_sources_frame(sources), days)
    listed = reads[:_MAX_LISTED_DAYS]
    table = "\n".join(
        f"| {r.day} | {r.adapter} | {', '.join(f.rsplit('/', 1)[-1] for f in r.files)} | "
        f"{r.rows_in_files} | {len(r.frame)} | {'; '.join(r.notes) or ''} |" for r in listed)
    more = f"\n\n… and {len(reads) - len(listed)} more day(s)" if len(reads) > len(listed) else ""
    return MaterializeResult(metadata={
        "dagster/row_count": int(len(frame)),
        "days": len(days),
        "staged_rows_per_day": MetadataValue.json({d.isoformat(): n for d, n in counts.items()}),
        "sources": MetadataValue.md(
            "| day | adapter | file(s) | rows in file(s) | rows staged | notes |\n"
            "|---|---|---|---|---|---|\n" + table + more),
        "landing_dir": MetadataValue.path(str(directory)),
    })


_STAGED_DOC = ("Landing {kind} files for the run's days, read by the matching adapter "
               "(canonical, Cboe, Databento, ThetaData, Massive, OptionMetrics) and written to "
               "stage.{kind} with source_file/source_row. Replaces those days; nothing is "
               "published yet.")
_RAW_DOC = ("Checked {kind}: the run's days swapped from stage.{kind} into raw.{kind} in one "
            "transaction (the dbt source). Refuses days whose staged rows have not passed.")


def _publish(kind: Kind, context: AssetExecutionContext,
             duckdb: DuckDBResource) -> MaterializeResult:
    days = run_days(context)
    with duckdb.get_connection() as conn:
        counts = write_audit_publish.publish_days(conn, kind, days)
        if kind == "bars":
            bar_sources.publish(conn, days)
    return MaterializeResult(metadata={
        "dagster/row_count": int(sum(counts.values())),
        "days": len(days),
        "published_rows_per_day": MetadataValue.json({d.isoformat(): n for d, n in counts.items()}),
        "table": f"raw.{kind}",
    })


def build_ingestion_assets(partitions_def: PartitionsDefinition) -> list[AssetsDefinition]:
    """staged_chains, staged_bars, raw_chains, raw_bars on the given expiration partitions."""

    @asset(partitions_def=partitions_def, backfill_policy=BackfillPolicy.single_run(),
           pool=DUCKDB_POOL, group_name=GROUP, kinds={"duckdb"},
           description=_STAGED_DOC.format(kind="chains"))
    def staged_chains(context: AssetExecutionContext, duckdb: DuckDBResource,
                      lab_config: LabConfigResource) -> MaterializeResult:
        return _stage("chains", context, duckdb, lab_config)

    @asset(partitions_def=partitions_def, backfill_policy=BackfillPolicy.single_run(),
           pool=DUCKDB_POOL, group_name=GROUP, kinds={"duckdb"},
           description=_STAGED_DOC.format(kind="bars"))
    def staged_bars(context: AssetExecutionContext, duckdb: DuckDBResource,
                    lab_config: LabConfigResource) -> MaterializeResult:
        return _stage("bars", context, duckdb, lab_config)

    @asset(partitions_def=partitions_def, backfill_policy=BackfillPolicy.single_run(),
           pool=DUCKDB_POOL, group_name=GROUP, kinds={"duckdb"}, deps=[staged_chains],
           description=_RAW_DOC.format(kind="chains"))
    def raw_chains(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
        return _publish("chains", context, duckdb)

    @asset(partitions_def=partitions_def, backfill_policy=BackfillPolicy.single_run(),
           pool=DUCKDB_POOL, group_name=GROUP, kinds={"duckdb"}, deps=[staged_bars],
           description=_RAW_DOC.format(kind="bars"))
    def raw_bars(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
        return _publish("bars", context, duckdb)

    return [staged_chains, staged_bars, raw_chains, raw_bars]
