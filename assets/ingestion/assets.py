"""Dagster assets for ingestion: write (stage) → audit (blocking checks) → publish (raw).

`staged_chains` / `staged_bars` read the landing files of the run's days through the
adapters and replace those days in `stage.*`. The blocking checks `chains_quality` /
`bars_quality` run the great-expectations rules on the staged rows; an ERROR-severity
failure stops `raw_*` and everything downstream in the run, so the previously published
rows stay exactly as they were. `raw_chains` / `raw_bars` then swap the days into `raw.*`
in one transaction. Every asset covers all partition keys of its run (single-run
backfills), writes through one short-lived DuckDB connection, and is idempotent.
"""


import datetime as dt
from typing import Any

import pandas as pd
from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity,
                     AssetExecutionContext, BackfillPolicy, DagsterInvariantViolationError,
                     Failure, MaterializeResult, MetadataValue, asset, asset_check)
from dagster_duckdb import DuckDBResource

from assets.common.settings import lab_paths
from assets.ingestion import warehouse
from assets.ingestion.adapters import read_days
from assets.ingestion.contract import Kind, LandingRead, empty_stage_frame
from assets.ingestion.rules import ValidationReport
from orchestration.partitions import expiration_partitions
from orchestration.resources import DUCKDB_POOL, LabConfigResource

GROUP = "ingestion"
_MAX_LISTED_DAYS = 31


def _run_days(context: AssetExecutionContext | AssetCheckExecutionContext) -> list[dt.date]:
    try:
        keys = context.partition_keys
    except DagsterInvariantViolationError:
        raise Failure("ingestion runs per expiration day: launch it for one or more partitions "
                      "(a day or a range), not as an unpartitioned run") from None
    return sorted(dt.date.fromisoformat(k) for k in keys)


def _stage(kind: Kind, context: AssetExecutionContext, duckdb: DuckDBResource,
           lab_config: LabConfigResource) -> MaterializeResult:
    cfg = lab_config.load()
    days = _run_days(context)
    paths = lab_paths()
    directory = paths.landing_chains if kind == "chains" else paths.landing_bars
    reads: list[LandingRead] = read_days(kind, days, directory, cfg)
    frames = [r.frame for r in reads if len(r.frame)]
    frame = pd.concat(frames, ignore_index=True) if frames else empty_stage_frame(kind)
    with duckdb.get_connection() as conn:
        counts = warehouse.stage_days(conn, kind, frame, days)
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


def _value_text(values: dict[str, Any]) -> str:
    parts = []
    for k, v in values.items():
        if isinstance(v, pd.Timestamp):
            v = v.isoformat()
        parts.append(f"{k}={v}")
    return ", ".join(parts).replace("|", "/")


def _report_markdown(report: ValidationReport) -> str:
    lines = ["| rule | severity | result | count | first offending rows (file:row values) | detail |",
             "|---|---|---|---|---|---|"]
    for r in report.results:
        rows = "<br>".join(
            f"{(o.source_file or '').rsplit('/', 1)[-1]}:{o.source_row if o.source_row else '-'} "
            f"{_value_text(o.values)}" for o in r.first_rows)
        status = "pass" if r.passed else ("FAIL" if r.severity == "error" else "warn")
        lines.append(f"| {r.rule} | {r.severity} | {status} | {r.unexpected_count} | {rows} | "
                     f"{(r.detail or r.description).replace('|', '/')} |")
    return "\n".join(lines)


def _check(kind: Kind, context: AssetCheckExecutionContext, duckdb: DuckDBResource,
           lab_config: LabConfigResource) -> AssetCheckResult:
    from assets.ingestion.gx_validation import validate_bars, validate_chains

    cfg = lab_config.load()
    days = _run_days(context)
    with duckdb.get_connection() as conn:
        frame = warehouse.load_stage(conn, kind, days)
    validate = validate_chains if kind == "chains" else validate_bars
    report = validate(frame, cfg, days)
    with duckdb.get_connection() as conn:
        warehouse.record_verdict(conn, kind, days, report.passed)
    errors, warnings = report.errors, report.warnings
    if errors:
        severity, passed = AssetCheckSeverity.ERROR, False
        summary = (f"{len(errors)} rule(s) failed on {kind} for "
                   f"{days[0]}..{days[-1]}: {', '.join(r.rule for r in errors)}; "
                   f"raw_{kind} is not published and keeps its previous rows.")
    elif warnings:
        severity, passed = AssetCheckSeverity.WARN, False
        summary = f"warnings only ({', '.join(r.rule for r in warnings)}); publishing proceeds."
    else:
        severity, passed = AssetCheckSeverity.ERROR, True
        summary = f"all {len(report.results)} rules pass on {report.rows} staged rows."
    return AssetCheckResult(
        passed=passed, severity=severity, description=summary,
        metadata={
            "summary": summary,
            "days": f"{days[0]} .. {days[-1]} ({len(days)})" if days else "none",
            "rows_checked": report.rows,
            "failed_rules": [r.rule for r in errors],
            "warned_rules": [r.rule for r in warnings],
            "rules": MetadataValue.md(_report_markdown(report)),
            "report": MetadataValue.json(report.to_dict()),
            "validation_seconds": round(report.elapsed_seconds, 3),
        })


_STAGED_DOC = ("Landing {kind} files for the run's days, read by the matching adapter "
               "(canonical CSV/Parquet, Cboe EOD, Databento DBN) and written to stage.{kind} "
               "with source_file/source_row. Replaces those days; nothing is published yet.")
_CHECK_DOC = ("Great-expectations rules on the staged {kind} rows of the run's days "
              "(see assets/ingestion/rules.py). Blocking: an ERROR stops raw_{kind} and "
              "everything downstream; metadata lists each failing rule with its count and "
              "first offending rows (file:row values). Warnings do not block.")
_RAW_DOC = ("Checked {kind}: the run's days swapped from stage.{kind} into raw.{kind} in one "
            "transaction (the dbt source). Refuses days whose staged rows have not passed.")


@asset(partitions_def=expiration_partitions, backfill_policy=BackfillPolicy.single_run(),
       pool=DUCKDB_POOL, group_name=GROUP, kinds={"duckdb"},
       description=_STAGED_DOC.format(kind="chains"))
def staged_chains(context: AssetExecutionContext, duckdb: DuckDBResource,
                  lab_config: LabConfigResource) -> MaterializeResult:
    return _stage("chains", context, duckdb, lab_config)


@asset(partitions_def=expiration_partitions, backfill_policy=BackfillPolicy.single_run(),
       pool=DUCKDB_POOL, group_name=GROUP, kinds={"duckdb"},
       description=_STAGED_DOC.format(kind="bars"))
def staged_bars(context: AssetExecutionContext, duckdb: DuckDBResource,
                lab_config: LabConfigResource) -> MaterializeResult:
    return _stage("bars", context, duckdb, lab_config)


@asset_check(asset=staged_chains, blocking=True, pool=DUCKDB_POOL,
             description=_CHECK_DOC.format(kind="chains"))
def chains_quality(context: AssetCheckExecutionContext, duckdb: DuckDBResource,
                   lab_config: LabConfigResource) -> AssetCheckResult:
    return _check("chains", context, duckdb, lab_config)


@asset_check(asset=staged_bars, blocking=True, pool=DUCKDB_POOL,
             description=_CHECK_DOC.format(kind="bars"))
def bars_quality(context: AssetCheckExecutionContext, duckdb: DuckDBResource,
                 lab_config: LabConfigResource) -> AssetCheckResult:
    return _check("bars", context, duckdb, lab_config)


def _publish(kind: Kind, context: AssetExecutionContext,
             duckdb: DuckDBResource) -> MaterializeResult:
    days = _run_days(context)
    with duckdb.get_connection() as conn:
        counts = warehouse.publish_days(conn, kind, days)
    return MaterializeResult(metadata={
        "dagster/row_count": int(sum(counts.values())),
        "days": len(days),
        "published_rows_per_day": MetadataValue.json({d.isoformat(): n for d, n in counts.items()}),
        "table": f"raw.{kind}",
    })


@asset(partitions_def=expiration_partitions, backfill_policy=BackfillPolicy.single_run(),
       pool=DUCKDB_POOL, group_name=GROUP, kinds={"duckdb"}, deps=[staged_chains],
       description=_RAW_DOC.format(kind="chains"))
def raw_chains(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    return _publish("chains", context, duckdb)


@asset(partitions_def=expiration_partitions, backfill_policy=BackfillPolicy.single_run(),
       pool=DUCKDB_POOL, group_name=GROUP, kinds={"duckdb"}, deps=[staged_bars],
       description=_RAW_DOC.format(kind="bars"))
def raw_bars(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    return _publish("bars", context, duckdb)


ingestion_assets = [staged_chains, staged_bars, raw_chains, raw_bars]
ingestion_checks = [chains_quality, bars_quality]
