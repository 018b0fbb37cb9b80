"""Dagster checks of ingestion: the audit step of write–audit–publish.

`chains_quality` / `bars_quality` run the great-expectations rules on the staged rows of the
run's days. They are blocking: an ERROR stops `raw_*` and everything downstream, so the
published rows keep their previous values. They name their assets by key, so they need no
partitions definition (the run's partition keys come from the run).
"""

from typing import Any

import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)
from dagster_duckdb import DuckDBResource

from assets.dagster_common.pools import DUCKDB_POOL
from assets.dagster_common.resources import LabConfigResource
from assets.ingestion import gx_worker, plausibility, write_audit_publish
from assets.ingestion.assets import run_days
from assets.ingestion.contract import Kind
from assets.ingestion.rules import ValidationReport, merge_reports

# Days validated at a time: a decade in one frame held ~1 GB of GX intermediates at once;
# each chunk pays GX's set-up (~0.4 s), so chunks are two years of Mon/Wed/Fri sessions.
VALIDATION_CHUNK_DAYS = 512


def _value_text(values: dict[str, Any]) -> str:
    parts = []
    for k, v in values.items():
        if isinstance(v, pd.Timestamp):
            v = v.isoformat()
        parts.append(f"{k}={v}")
    return ", ".join(parts).replace("|", "/")


def _report_markdown(report: ValidationReport) -> str:
    lines = ["| rule | severity | result | count | first offending rows (file:row values) "
             "| detail |",
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
    days = run_days(context)
    validate = validate_chains if kind == "chains" else validate_bars
    if len(days) > VALIDATION_CHUNK_DAYS:
        # a long history: its chunks would be copied to the worker while both processes
        # hold GX (a decade's peak memory grew by half a gigabyte); validate them here
        gx_worker.stop()
    reports = []
    for i in range(0, max(len(days), 1), VALIDATION_CHUNK_DAYS):
        chunk = days[i:i + VALIDATION_CHUNK_DAYS]
        with duckdb.get_connection() as conn:
            frame = write_audit_publish.load_stage(conn, kind, chunk)
            chains = (write_audit_publish.load_stage(conn, "chains", chunk)
                      if kind == "bars" else None)
        chunk_report = gx_worker.run(validate, frame, cfg, chunk)
        if chains is not None:  # the bars against the staged chains of the same days
            chunk_report.results.append(plausibility.rule_result(
                plausibility.check_days(frame, chains, chunk, cfg)))
        reports.append(chunk_report)
        del frame, chains
    report = merge_reports(reports)
    with duckdb.get_connection() as conn:
        write_audit_publish.record_verdict(conn, kind, days, report.passed)
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


_CHECK_DOC = ("Great-expectations rules on the staged {kind} rows of the run's days "
              "(see assets/ingestion/rules.py). Blocking: an ERROR stops raw_{kind} and "
              "everything downstream; metadata lists each failing rule with its count and "
              "first offending rows (file:row values). Warnings do not block.")


@asset_check(asset="staged_chains", blocking=True, pool=DUCKDB_POOL,
             description=_CHECK_DOC.format(kind="chains"))
def chains_quality(context: AssetCheckExecutionContext, duckdb: DuckDBResource,
                   lab_config: LabConfigResource) -> AssetCheckResult:
    return _check("chains", context, duckdb, lab_config)


@asset_check(asset="staged_bars", blocking=True, pool=DUCKDB_POOL,
             additional_deps=["staged_chains"],
             description=_CHECK_DOC.format(kind="bars")
             + " Also checks that the bars can be the staged chains' underlying.")
def bars_quality(context: AssetCheckExecutionContext, duckdb: DuckDBResource,
                 lab_config: LabConfigResource) -> AssetCheckResult:
    return _check("bars", context, duckdb, lab_config)


ingestion_checks = [chains_quality, bars_quality]
