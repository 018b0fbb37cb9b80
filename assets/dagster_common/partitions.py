"""Partitions on the exchange calendar's expiration days, built on first use.

A daily time-window definition whose exclusions are every calendar day that is not an
expiration session (weekends, exchange holidays, and Tue/Thu before SPXW listed them), so
the UI's partition bar shows real trading days, early closes included, and partition time
windows still give dbt its `min_date`/`max_date` vars. With `validation.calendar_placebo`
every exchange session is a partition: the placebo days sit in the same bar, the same
ingestion and dbt runs, and the engine tells them apart by the calendar rule.

Why a cached builder and not a module constant: the exclusions come from the exchange
calendar (pandas-market-calendars, a year of sessions), which is slow and reads the lab
config. Importing a stage module must do neither, so the partitioned assets are made by
factories that take the definition (`build_ingestion_assets(partitions_def)` ...), and only
the code location's `@definitions` function (`orchestration/definitions.py`, Dagster's lazy
loading) and the schedule, sensor and CLI at their run time call `expiration_partitions()`.
The cache keeps one definition per process, so every asset, the job, the schedule and the
sensor share the very same object, as they did when it was a module constant. (A partitions
definition that fills its exclusions lazily is not an option: Dagster snapshots a definition
by its fields, so it must be complete when the assets are built.)

The first partition is `calendar.partitions_start`, or the earliest landing-file day when
that is earlier: a history that starts before the configured day is then planned like any
other, instead of being refused file by file as "not an expiration session".
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import pandas as pd
from dagster import DailyPartitionsDefinition

from assets.common import calendar
from assets.common.config import LabConfig, load_config
from assets.common.settings import lab_paths


def partitions_start(cfg: LabConfig, landing: Path | None = None) -> dt.date:
    """`calendar.partitions_start`, moved back to the earliest day with a landing file."""
    start = pd.Timestamp(cfg.calendar.partitions_start).date()
    if landing is None:
        return start
    # The adapters' own file-name rules (the planner's, the sensor's), read at call time.
    from assets.ingestion.adapters import landing_days

    earliest = next(iter(landing_days(landing)), None)
    return min(start, earliest) if earliest is not None else start


def build_expiration_partitions(cfg: LabConfig, end: dt.date | None = None,
                                landing: Path | None = None) -> DailyPartitionsDefinition:
    start = partitions_start(cfg, landing)
    # Exclusions are precomputed a year past today so that the definition is stable
    # across a night's runs; the calendar library knows holidays that far ahead.
    end = end or (dt.date.today() + dt.timedelta(days=366))
    excluded = calendar.partition_exclusions(start, end, cfg.calendar.expiration_rule,
                                             cfg.calendar.exchange,
                                             cfg.validation.calendar_placebo)
    return DailyPartitionsDefinition(
        start_date=start.isoformat(),
        end_offset=1,  # today's partition exists, so the nightly run can fill it
        timezone=calendar.EXCHANGE_TZ,
        exclusions=[dt.datetime.combine(d, dt.time()) for d in excluded],
    )


@lru_cache(maxsize=1)
def expiration_partitions() -> DailyPartitionsDefinition:
    """The lab's partitions definition (from the lab config and the landing zone's first
    day), built once per process."""
    return build_expiration_partitions(load_config(), landing=lab_paths().landing)


RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"


def run_window(tags: dict[str, str]) -> tuple[dt.date, dt.date] | None:
    """The first and last expiration day a run was launched for (a single-run backfill's
    range or one partition), read from its tags; None for a run over no partitions. An
    unpartitioned step of the run (day pages, the report) uses it to keep a night's work
    to the night's days."""
    if PARTITION_TAG in tags:
        day = dt.date.fromisoformat(tags[PARTITION_TAG])
        return day, day
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return (dt.date.fromisoformat(tags[RANGE_START_TAG]),
                dt.date.fromisoformat(tags[RANGE_END_TAG]))
    return None
