"""Launch the whole asset graph as one Dagster run and say plainly what failed."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance
from threadpoolctl import threadpool_limits

from assets.common.settings import lab_paths

PARTITION_RANGE_START = "dagster/asset_partition_range_start"
PARTITION_RANGE_END = "dagster/asset_partition_range_end"


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    failures: list[str] = field(default_factory=list)
    stdout_log: Path | None = None


UNDERLYING_TAG = "pressure_lab/underlying"


def underlying_tags() -> dict[str, str]:
    """The underlying of a scoped run, as a tag the UI's run list shows ({} when flat)."""
    from assets.common.settings import current_underlying

    scope = current_underlying()
    return {UNDERLYING_TAG: scope} if scope else {}


def range_tags(first_key: str, last_key: str) -> dict[str, str]:
    """Tags that make one run cover a contiguous range of partitions (a single-run backfill),
    plus the underlying of a scoped run."""
    return {PARTITION_RANGE_START: first_key, PARTITION_RANGE_END: last_key, **underlying_tags()}


def open_instance() -> DagsterInstance:
    """The instance under DAGSTER_HOME, opened under a file lock: two processes creating a
    fresh SQLite instance at once race in its schema migration ("more than one head")."""
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".instance.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            return DagsterInstance.get()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_full_graph(first_key: str, last_key: str, instance: DagsterInstance | None = None,
                   job_name: str = "full_graph", log_level: str = "INFO",
                   executor: str = "in_process", broker: str | None = None,
                   backend: str | None = None) -> RunOutcome:
    """One run of the whole graph over the range. `executor` "celery": the run of
    `full_graph_celery`, every step on a Celery worker reached through `broker` (results
    through `backend`, default the broker); this process only orchestrates."""
    instance = instance or open_instance()
    # dbt's console lines go to stdout; a quiet run keeps them in a file under the data home.
    quiet = log_level in ("ERROR", "CRITICAL")
    log_file = lab_paths().scoped_state / "logs" / "last_run_stdout.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    tags = range_tags(first_key, last_key)
    # One BLAS thread for the whole in-process run: every matrix here is a day's, too small
    # for threads to pay off, and on a busy 2-core machine they cost 8-30x (dbt and the
    # other subprocesses are unaffected; the engine pins itself on other executors too).
    with open(log_file, "w", encoding="utf-8") as sink, \
            contextlib.redirect_stdout(sink if quiet else sys.stdout), \
            threadpool_limits(limits=1, user_api="blas"):
        if executor == "celery":
            result = _execute_on_celery(instance, run_config, tags, broker, backend)
        else:
            from orchestration.definitions import defs

            result = defs().resolve_job_def(job_name).execute_in_process(
                instance=instance, tags=tags, raise_on_error=False, run_config=run_config)
    return RunOutcome(result.run_id, result.success, describe_failures(result.all_events),
                      log_file if quiet else None)


CELERY_JOB = "full_graph_celery"


def _execute_on_celery(instance: DagsterInstance, run_config: dict, tags: dict,
                       broker: str | None, backend: str | None):
    """`full_graph_celery` through `execute_job`: a reconstructable job whose code pointer
    names this process's underlying scope, which the workers reload and enter per step."""
    from dagster import execute_job

    from orchestration.scoped_location import reconstructable_job

    if not broker:
        raise ValueError("the celery executor needs a broker URL (--broker)")
    config = {**run_config,
              "execution": {"config": {"broker": broker, "backend": backend or broker}}}
    return execute_job(reconstructable_job(CELERY_JOB), instance=instance,
                       run_config=config, tags=tags, raise_on_error=False)


def describe_failures(events) -> list[str]:
    """One line per failed step or failed blocking check: what failed and why."""
    lines: list[str] = []
    for event in events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            err = event.step_failure_data.error
            if err is not None and "AssetCheckFailed" in (err.cls_name or ""):
                continue  # the failed check itself is reported, with its details
            message = _root_message(err)
            lines.append(f"step {event.step_key} failed: {message}")
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            data = event.event_specific_data
            if not data.passed:
                detail = _check_detail(data.metadata)
                lines.append(f"check {data.asset_key.to_user_string()}:{data.check_name} "
                             f"failed{': ' + detail if detail else ''}")
    return lines


def _root_message(err) -> str:
    while err is not None and err.cause is not None and "dagster" in (err.cls_name or "").lower():
        err = err.cause
    if err is None:
        return "unknown error"
    text = (err.message or "").strip().splitlines()
    return text[0] if text else err.cls_name


def _check_detail(metadata: dict) -> str:
    """The summary, then for each failed rule its count and first offending rows (file, row,
    values), so the user can open the file at the right line."""
    value = {k: getattr(v, "value", v) for k, v in metadata.items()}
    parts = [str(value["summary"])] if "summary" in value else []
    report = value.get("report")
    if isinstance(report, dict):
        for rule in report.get("results", []):
            if rule.get("passed") or rule.get("severity") != "error":
                continue
            rows = [f"{r.get('source_file')} row {r.get('source_row')} {r.get('values')}"
                    for r in rule.get("first_rows", [])[:3]]
            parts.append(f"rule {rule.get('rule')}: {rule.get('unexpected_count')} offending; "
                         + ("first: " + " | ".join(rows) if rows else str(rule.get("detail", ""))))
    if not parts:
        for key in ("file", "rule", "error", "message"):
            if key in value:
                parts.append(f"{key}={value[key]}")
        parts += [f"{k}={v}" for k, v in value.items() if isinstance(v, int) and v and
                  k not in ("rows", "trades", "alerts")]
    return "\n      ".join(parts)[:4000]
