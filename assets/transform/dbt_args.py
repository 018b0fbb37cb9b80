"""Pure builders of the dbt invocation for the Dagster assets (unit-tested, no Dagster).

A partition run, or a single-run backfill over a range of partitions, becomes ONE
`dbt build` over the days [min_date, max_date]; the models filter on that window and replace
exactly those days (see dbt_project/macros/partition_window.sql).

Dagster passes the window in environment variables, not `--vars`: dbt discards its whole
partial-parse state when the command-line vars change (every run, since the window moves),
while a changed environment variable only re-parses the few files that read it. People
running dbt by hand use `--vars '{min_date: ..., max_date: ...}'`, which wins over the
environment.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

from assets.common.calendar import EXCHANGE_TZ

PARTITION_TIMEZONE = EXCHANGE_TZ  # assets.dagster_common.partitions builds its windows here


def window_vars(start: dt.datetime, end: dt.datetime,
                timezone: str = PARTITION_TIMEZONE) -> dict[str, str]:
    """dbt vars for a Dagster partition time window [start, end).

    Daily partitions start at local midnight, so the days are read in the partitions'
    own time zone: the same instant in UTC (05:00) would still give the right start day,
    but the exclusive end (next midnight) minus a moment would land on the wrong UTC day.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("partition window bounds must be timezone-aware")
    if end <= start:
        raise ValueError(f"empty partition window [{start}, {end})")
    tz = ZoneInfo(timezone)
    first = start.astimezone(tz).date()
    last = (end.astimezone(tz) - dt.timedelta(microseconds=1)).date()
    return {"min_date": first.isoformat(), "max_date": last.isoformat()}


PARTIAL_PARSE_FILE = "partial_parse.msgpack"  # dbt's parse state, in its target path

WINDOW_ENV = {"min_date": "PRESSURE_LAB_DBT_MIN_DATE", "max_date": "PRESSURE_LAB_DBT_MAX_DATE"}


def window_env(vars_: dict[str, str] | None) -> dict[str, str]:
    """The window as the environment the macro reads; empty values mean every day (both
    keys are always set, so a window left in the environment never leaks into a run)."""
    vars_ = vars_ or {}
    unknown = set(vars_) - set(WINDOW_ENV)
    if unknown:
        raise ValueError(f"unknown window vars {sorted(unknown)}")
    return {env: vars_.get(name, "") for name, env in WINDOW_ENV.items()}


# dbt's unit tests check the models' SQL on hand-made rows, not the data: they belong to
# the code's tests (`make test` runs them in tests/test_dbt_marts.py), not to every night's
# build, where they would run before daily_outcomes on every partition.
NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]


def dbt_build_args(vars_: dict[str, str] | None = None) -> list[str]:
    """`build` (models, then their data tests, in DAG order) with the day window when given.

    Without vars the models rebuild every day in raw. The JSON form is valid YAML, which is
    what dbt parses `--vars` as.
    """
    args = ["build", *NO_UNIT_TESTS]
    if vars_:
        args += ["--vars", json.dumps(dict(sorted(vars_.items())), separators=(",", ":"))]
    return args


def runtime_target_path(root: Path, run_id: str, op_name: str) -> Path:
    """Where one dbt invocation run by Dagster writes its artefacts and logs (dagster-dbt
    points DBT_LOG_PATH at the target path): under the lab's home, one folder per run and
    step, so concurrent runs never share run_results.json."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{run_id}-{op_name}")
    return Path(root) / "target" / safe


def stale_targets(targets: Iterable[tuple[Path, float]], keep: int) -> list[Path]:
    """The run folders to delete so that only the `keep` most recent (by mtime) remain:
    each nightly run leaves a few MB of artefacts, which would otherwise pile up forever."""
    if keep < 0:
        raise ValueError("keep must be >= 0")
    ordered = sorted(targets, key=lambda item: (item[1], str(item[0])), reverse=True)
    return [path for path, _ in ordered[keep:]]
