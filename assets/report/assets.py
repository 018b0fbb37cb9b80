"""The reviewer's report: built from the published evidence package alone."""

import json

from dagster import MaterializeResult, MetadataValue, asset

from assets.common.settings import lab_paths
from assets.validation.assets import PACKAGE_FILE, evidence_package

REPORT_FILE = "report.html"


@asset(group_name="validation", kinds={"html"}, deps=[evidence_package])
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
