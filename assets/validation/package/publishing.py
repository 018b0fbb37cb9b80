"""Publishing a package: the specification's evidence files beside it, and an atomic swap into
place.

`empirical_evidence_files` cuts the package into the specification's five evidence files (by file
name); `write_package` publishes the package with them, keeping each run's copy under
`runs/<run_id>/`, so a reader never sees a half-written file nor a package without its files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from assets.common.atomic_files import write_text_atomic
from assets.common.settings import EVIDENCE_PACKAGE_FILE
from assets.validation.package.json_values import canonical_dumps, to_jsonable
from assets.validation.statistics.metrics import out_of_sample

PACKAGE_FILE = EVIDENCE_PACKAGE_FILE
LATEST_RUN_FILE = "LATEST_RUN"
STATIC_EVIDENCE_FILES: tuple[str, ...] = (
    "pressure_calculation_accuracy_analysis.json",
    "urgency_classification_validation.json",
    "risk_management_effectiveness_report.json",
    "statistical_significance_testing_results.json",
)
TRADE_LOG_PATTERN = "trade_execution_log_*_trades.json"


def trade_log_name(n_trades: int) -> str:
    return f"trade_execution_log_{n_trades}_trades.json"


def evidence_file_names(n_trades: int) -> list[str]:
    return [trade_log_name(n_trades), *STATIC_EVIDENCE_FILES]


def trade_records(trades: pd.DataFrame) -> list[dict[str, Any]]:
    return [to_jsonable(r) for r in trades.to_dict(orient="records")]


def empirical_evidence_files(package: Mapping[str, Any],
                             trades: pd.DataFrame) -> dict[str, Any]:
    """The specification's five evidence files, by file name (JSON-able objects)."""
    scored_trades = out_of_sample(trades)
    n_trades = int(len(scored_trades))
    return to_jsonable({
        trade_log_name(n_trades): {
            "scope": "out-of-sample trades (is_calibration == False), in entry order",
            "n_trades": n_trades, "trades": trade_records(scored_trades)},
        "pressure_calculation_accuracy_analysis.json": {
            **dict(package.get("prediction_accuracy") or {}),
            "pressure_vs_move": package["figures"]["pressure_vs_move"],
            "hypothesis_result": package["hypothesis_results"].get(
                "assignment_pressure_correlation")},
        "urgency_classification_validation.json": package["urgency_validation"],
        "risk_management_effectiveness_report.json": package["risk_management"],
        "statistical_significance_testing_results.json": {
            "experimental_validity": package["experimental_validity"],
            "verdict_rule": package["verdict_rule"],
            "statistical_measures": package["statistical_measures"],
            "performance_metrics": package["performance_metrics"],
            "success_criteria": package["success_criteria"],
            "null_model": package["null_model"],
            "null_distribution": package["figures"]["null_distribution"],
            "secondary_hypotheses": package["secondary_hypotheses"],
            "opposite_hypothesis": package["opposite_hypothesis"],
            "random_seeds": package["random_seeds"]},
    })


def write_package(directory: str | Path, package: Mapping[str, Any],
                  files: Mapping[str, Any], run_id: str) -> Path:
    """Publish a package and its evidence files.

    The run's copy goes to `directory/runs/<run_id>/` (built in a temporary folder, then
    renamed into place); the current copy in `directory/` is replaced file by file
    atomically, the package last, so a reader never sees a half-written file and never a
    new package without its files. Earlier runs stay under `runs/`.
    A file given as text (the per-day CSV) is written as it is, the others as canonical
    JSON. Returns the path of the current package.
    """
    directory = Path(directory)
    safe_run_id = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(run_id))
    if not safe_run_id or safe_run_id in (".", ".."):
        raise ValueError(f"unusable run_id {run_id!r}")
    texts = {name: obj if isinstance(obj, str) else canonical_dumps(obj)
             for name, obj in files.items()}
    texts[PACKAGE_FILE] = canonical_dumps(package)
    for name in texts:
        if Path(name).name != name:
            raise ValueError(f"evidence file name must be a plain file name: {name!r}")

    _publish_run_copy(directory / "runs", safe_run_id, texts)
    for name, text in texts.items():
        if name != PACKAGE_FILE:
            write_text_atomic(directory / name, text)
    write_text_atomic(directory / PACKAGE_FILE, texts[PACKAGE_FILE])
    write_text_atomic(directory / LATEST_RUN_FILE, safe_run_id + "\n")
    for stale in directory.glob(TRADE_LOG_PATTERN):
        if stale.name not in texts:
            stale.unlink(missing_ok=True)
    return directory / PACKAGE_FILE


def _publish_run_copy(runs: Path, safe_run_id: str, texts: Mapping[str, str]) -> None:
    """Write the run's folder complete in a temporary folder, then rename it into place
    (replacing an earlier copy of the same run)."""
    runs.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{safe_run_id}.", dir=runs))
    try:
        for name, text in texts.items():
            (staging / name).write_text(text, encoding="utf-8")
        final = runs / safe_run_id
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{safe_run_id}.old.", dir=runs))
            os.replace(final, old / safe_run_id)
            shutil.rmtree(old)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
