"""Resources shared by the asset definitions: the DuckDB warehouse, dbt, the lab config.

Two mechanisms keep runs over one warehouse apart: the `duckdb` concurrency pool (limit 1 in
the generated `dagster.yaml`) lets one step at a time touch the file, and `LabDuckDBResource`
holds the inter-process warehouse lock (`assets.common.warehouse_lock`) for a whole run, so a
second run waits instead of slipping its steps between the first one's stage, check and
publish.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, InitResourceContext
from dagster_duckdb import DuckDBResource
from pydantic import Field

from assets.common.config import LabConfig, load_config
from assets.common.settings import configure_environment
from assets.common.warehouse_lock import (
    DEFAULT_LOCK_TIMEOUT_SECONDS,
    _in_step_worker,
    reap_dead_run,
    warehouse_lock,
)

DUCKDB_MEMORY_LIMIT = "256MB"


class LabDuckDBResource(DuckDBResource):
    """`DuckDBResource` that, for a run executed in one process, holds `warehouse_lock` from
    resource set-up to tear-down: the whole run. `get_connection` is unchanged (it retries
    a locked file with backoff, for short holders outside the lab)."""

    lock_timeout_seconds: float = Field(
        default=DEFAULT_LOCK_TIMEOUT_SECONDS,
        description="How long a run waits for another run to release the warehouse.")

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[LabDuckDBResource]:
        if self.database == ":memory:" or _in_step_worker():
            yield self
            return
        run = context.run
        run_id = run.run_id if run is not None else f"pid-{os.getpid()}"
        log = context.log

        def waiting(holder: dict[str, Any] | None) -> None:
            if log is not None:
                log.info(f"waiting for the DuckDB warehouse, held by {holder}")

        with warehouse_lock(self.database, run_id, self.lock_timeout_seconds,
                            on_wait=waiting) as dead:
            if dead is not None and dead.get("owner") != run_id and context.instance is not None:
                done = reap_dead_run(context.instance, str(dead.get("owner")), dead)
                if log is not None:
                    log.warning(f"previous warehouse holder died: {done}")
            yield self


class LabConfigResource(ConfigurableResource):
    """Carries the path of an optional JSON config; the model itself is `LabConfig`."""

    config_path: str = ""

    def load(self) -> LabConfig:
        return load_config(self.config_path or None)


class ExperimentRecordsResource(ConfigurableResource):
    """What the validation stage quotes from outside its own inputs: the study's measured
    false-positive rates and power, and the variant registry's count of trials on the
    dataset. A resource, so the statistics never read the study's files or the registry
    themselves and a test can hand them any record."""

    def study(self, evidence_dir: Path) -> dict[str, Any] | None:
        from assets.study.run import load_study

        return load_study(evidence_dir)

    def trials(self, conn, landing: Path, cfg: LabConfig):
        from assets.experiments.run_variants import trials_for_run

        return trials_for_run(conn, landing, cfg)

    def record_run(self, conn, landing: Path, cfg: LabConfig, package) -> int:
        from assets.experiments.run_variants import record_run

        return record_run(conn, landing, cfg, package)


def dbt_executable() -> str:
    """The `dbt` beside this interpreter (a console script run without an activated venv
    does not have it on PATH), or its warm client when the run's starter started a warm
    dbt server (assets.transform.warm_dbt)."""
    from assets.transform.warm_dbt import client_executable

    return client_executable() or str(Path(sys.executable).with_name("dbt"))


@lru_cache(maxsize=1)
def _dbt_resource_class():
    """Built on first use: importing dagster_dbt is slow and most importers of this module
    (sensors, the CLI's planning) never touch dbt."""
    import importlib.metadata
    from functools import cached_property

    from dagster_dbt import DbtCliResource
    from packaging import version as packaging_version

    class SubprocessDbtCliResource(DbtCliResource):
        """dbt as a subprocess only, started once per invocation. dagster-dbt otherwise also
        (1) loads dbt's project, profile and adapter inside the orchestrating process
        (~2 s), solely to fetch column metadata and row counts on request, which this
        project never requests; and (2) runs `dbt --version` in a subprocess (~1.5 s) to
        learn the version of the dbt beside this interpreter, which the installed dbt-core
        package already states."""

        def _initialize_dbt_core_adapter(self, args):
            return None

        @cached_property
        def _cli_version(self):
            return packaging_version.parse(importlib.metadata.version("dbt-core"))

    return SubprocessDbtCliResource


def build_resources() -> dict:
    from assets.transform.project import dbt_project

    paths = configure_environment()
    return {
        # DuckDB's buffer pool defaults to 80 % of the machine's memory and keeps every page
        # a step wrote; the steps stream a chunk of days at a time, so a small pool is enough
        # and keeps a decade's run inside its memory budget (benchmarks/results/e2e.json).
        "duckdb": LabDuckDBResource(database=str(paths.duckdb),
                                    connection_config={"memory_limit": DUCKDB_MEMORY_LIMIT}),
        "dbt": _dbt_resource_class()(project_dir=dbt_project(),
                                     dbt_executable=dbt_executable()),
        "lab_config": LabConfigResource(),
        "experiments": ExperimentRecordsResource(),
    }
