"""Nightly run: after the close, when a day's bars and its pre-open OI are both in.

18:30 America/New_York on weekdays: end-of-day vendor files (Cboe EOD, Databento daily)
usually land within two hours of the 16:00 close. Days that are not expiration sessions are
skipped; a day whose files have not arrived yet is skipped with a reason and left to the
landing sensor. Stopped by default, as Dagster's convention is: turn it on in the UI or with
`dagster schedule start nightly_expiration_run`.
"""

from __future__ import annotations

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    partition_loading_context,
    schedule,
)

from assets.common.calendar import EXCHANGE_TZ
from assets.common.settings import lab_paths
from assets.dagster_common.partitions import expiration_partitions
from assets.ingestion.adapters import landing_days
from orchestration.jobs import full_graph
from orchestration.runner import underlying_tags


@schedule(job=full_graph, cron_schedule="30 18 * * 1-5", execution_timezone=EXCHANGE_TZ,
          default_status=DefaultScheduleStatus.STOPPED, name="nightly_expiration_run")
def nightly_expiration_run(context: ScheduleEvaluationContext):
    day = context.scheduled_execution_time.date()
    key = day.isoformat()
    # The partition set as of the tick's time (end_offset=1 makes that day's partition exist).
    with partition_loading_context(effective_dt=context.scheduled_execution_time):
        is_session = expiration_partitions().has_partition_key(key)
    if not is_session:
        return SkipReason(f"{key} is not an expiration session")
    files = landing_days(lab_paths().landing).get(day, [])
    kinds = {p.parent.name for p in files}
    if not {"chains", "bars"} <= kinds:
        return SkipReason(f"landing files for {key} have not all arrived (found: {sorted(kinds)}); "
                          "the landing sensor will launch the run when they do")
    return RunRequest(run_key=f"nightly-{key}", partition_key=key, tags=underlying_tags())
