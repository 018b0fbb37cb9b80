"""The reviewer's report, built from the published evidence package alone, and the day
pages, built from the warehouse (redrawn only where a day's stored inputs changed)."""

import json

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from assets.common import tables
from assets.common.settings import lab_paths
from assets.dagster_common.partitions import run_window
from assets.dagster_common.pools import DUCKDB_POOL
from assets.dagster_common.resources import LabConfigResource
from assets.validation.assets import PACKAGE_FILE, evidence_package


@asset(pool=DUCKDB_POOL, group_name="validation", kinds={"html"},
       deps=[AssetKey("simulated_trades"), AssetKey("prediction_outcomes")])
def day_pages(context: AssetExecutionContext, duckdb: DuckDBResource,
              lab_config: LabConfigResource) -> MaterializeResult:
    """One self-contained page per expiration day (evidence/days/DAY.html): the price over
    the strike ladder, the pressure surface, alerts, trades and the day's outcome. At most
    `report.day_pages_per_run` pages a run, newest first.

    A run launched for some days (a night, a backfill) redraws the pages from its first day
    on (later days' trades move with the sizing), unless it also recomputed other days'
    units (a new procedure); the older backlog is left to `pressure-lab pages`, so a night
    costs its own day, not the history's."""
    from assets.engine.warehouse import refreshes_of
    from assets.report.day_pages import DAYS_DIR, refresh_day_pages  # matplotlib: lazily

    evidence = lab_paths().evidence
    cfg = lab_config.load()
    window = run_window(context.run.tags)
    with duckdb.get_connection() as conn:
        only = None
        if window is not None:
            refreshed = refreshes_of(conn, context.run_id)
            in_window = conn.execute(f"select count(*) from {tables.ENGINE_UNITS} where "
                                     "quote_date between ? and ?", list(window)).fetchone()[0]
            if not refreshed["recomputed"] and refreshed["computed"] <= in_window:
                only = [d for (d,) in conn.execute(
                    f"select quote_date from {tables.ENGINE_UNITS} where quote_date >= ?",
                    [window[0]]).fetchall()]
        done = refresh_day_pages(conn, evidence, cfg, only=only,
                                 limit=cfg.report.day_pages_per_run)
    return MaterializeResult(metadata={
        "pages": done.days, "redrawn_this_run": len(done.built), "seconds": done.seconds,
        "pending": MetadataValue.text(
            f"{done.pending} pages left for later runs (report.day_pages_per_run) or "
            "`pressure-lab pages`" if done.pending else "none"),
        "redrawn_days": MetadataValue.json([d.isoformat() for d in done.built[:50]]),
        "folder": MetadataValue.path(str(evidence / DAYS_DIR))})

REPORT_FILE = "report.html"


@asset(group_name="validation", kinds={"html"}, deps=[evidence_package, day_pages])
def reviewer_report() -> MaterializeResult:
    """Self-contained HTML (figures embedded) beside the package; also kept per run."""
    from assets.report.sections import write_report  # matplotlib: only when the report is built

    evidence = lab_paths().evidence
    package_path = evidence / PACKAGE_FILE
    out = write_report(package_path, evidence / REPORT_FILE)
    latest = evidence / "LATEST_RUN"
    run = latest.read_text().strip() if latest.exists() else None
    if run and (evidence / "runs" / run).is_dir():
        write_report(evidence / "runs" / run / PACKAGE_FILE, evidence / "runs" / run / REPORT_FILE)
    pkg = json.loads(package_path.read_text())
    return MaterializeResult(metadata={
        "verdict": pkg.get("experimental_validity"),
        "path": MetadataValue.path(str(out)),
        "bytes": out.stat().st_size,
    })
