"""Scratch data homes for tests: the environment that points the lab at one, in-process
(`lab_environment`, undone by `scoped_environ`) or for a child process (`child_environment`).

The `lab_home` fixture in tests/conftest.py is the usual way in; module-scoped fixtures
use these helpers directly."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assets.common.settings import DBT_PROJECT_DIR


@contextmanager
def scoped_environ(values: dict[str, str]) -> Iterator[None]:
    """Set `values` and undo every change to os.environ on exit, including the defaults
    that configure_environment() adds, so no variable pointing at a scratch home outlives
    the test module in the worker."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def lab_environment(home: Path) -> dict[str, str]:
    """Every variable configure_environment() would default, pointed at `home`."""
    return {"PRESSURE_LAB_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
            "PRESSURE_LAB_DUCKDB": str(home / "warehouse.duckdb"),
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR), "DBT_LOG_PATH": str(home / "dbt" / "logs"),
            "MPLCONFIGDIR": str(home / ".cache" / "matplotlib"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1",
            "DAGSTER_DISABLE_TELEMETRY": "1", "GX_ANALYTICS_ENABLED": "false"}


def child_environment(home: Path, user_home: Path) -> dict[str, str]:
    """The caller's environment minus any lab/Dagster/dbt/matplotlib setting, pointed at
    `home` (and a scratch $HOME, so nothing lands in the real one): how the tests start
    `pressure-lab` as a child process."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DAGSTER_", "DBT_", "PRESSURE_LAB_", "MPLCONFIGDIR"))}
    env.update(PRESSURE_LAB_HOME=str(home), HOME=str(user_home))
    return env
