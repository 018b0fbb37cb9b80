"""What the run's process does while dbt builds: the later steps' imports, and the end of
the GX worker (`during_dbt_build`).

A run executes its steps one after another in one process (the in-process executor), and
during dbt's build that process only waits on dbt's subprocess: one core idles while the
steps after it start by importing the engine, the statistics stack and matplotlib, about
two seconds of a night. The code location hands `prefetch_downstream_imports` to the dbt
assets, which run it in a thread during the build. It imports only modules the run would
import anyway, all of them below the wiring and none of them Dagster's or dbt's, so it
shares no import lock with what the waiting thread does. A module that fails to import is
left for its step to report.
"""

from __future__ import annotations

import importlib

DOWNSTREAM_MODULES = (
    "assets.engine.warehouse",  # pressure_series onwards: the engine, scipy, statsmodels
    "assets.engine.calendar_placebo",
    "assets.validation.package.evaluate",
    "assets.validation.package.publishing",
    "assets.validation.package.schema",
    "assets.validation.statistics.regimes",
    "assets.report.sections",  # matplotlib
    "assets.report.day_pages",
)


def prefetch_downstream_imports() -> None:
    for name in DOWNSTREAM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the step that imports it reports the error
            return


def during_dbt_build() -> None:
    """What the run's process does while dbt builds. The ingestion checks are blocking and
    dbt reads what they passed, so they are done: the GX worker ends first (its memory
    with it, a third of a gigabyte beside a decade's run), then the later steps' imports."""
    from assets.ingestion import gx_worker

    gx_worker.stop()
    prefetch_downstream_imports()
