"""Partitions on the exchange calendar's expiration days.

A daily time-window definition whose exclusions are every calendar day that is not an
expiration session (weekends, exchange holidays, and Tue/Thu before SPXW listed them), so
the UI's partition bar shows real trading days, early closes included, and partition time
windows still give dbt its `min_date`/`max_date` vars.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from dagster import DailyPartitionsDefinition

from assets.common import calendar
from assets.common.config import LabConfig, load_config


def build_expiration_partitions(cfg: LabConfig, end: dt.date | None = None) -> DailyPartitionsDefinition:
    start = pd.Timestamp(cfg.calendar.partitions_start).date()
    # Exclusions are precomputed a year past today so that the definition is stable
    # across a night's runs; the calendar library knows holidays that far ahead.
    end = end or (dt.date.today() + dt.timedelta(days=366))
    excluded = calendar.non_expiration_days(start, end, cfg.calendar.expiration_rule,
                                            cfg.calendar.exchange)
    return DailyPartitionsDefinition(
        start_date=start.isoformat(),
        end_offset=1,  # today's partition exists, so the nightly run can fill it
        timezone="America/New_York",
        exclusions=[dt.datetime.combine(d, dt.time()) for d in excluded],
    )


expiration_partitions = build_expiration_partitions(load_config())
