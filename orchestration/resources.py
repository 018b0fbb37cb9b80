"""Resources shared by the asset definitions: the DuckDB warehouse, dbt, the lab config."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import ConfigurableResource
from dagster_duckdb import DuckDBResource

from assets.common.config import LabConfig, load_config
from assets.common.settings import configure_environment

# Pool shared by every asset that writes the DuckDB file: one writer at a time.
DUCKDB_POOL = "duckdb"


class LabConfigResource(ConfigurableResource):
    """Carries the path of an optional JSON config; the model itself is `LabConfig`."""

    config_path: str = ""

    def load(self) -> LabConfig:
        return load_config(self.config_path or None)


def dbt_executable() -> str:
    """The `dbt` beside this interpreter: a console script run without an activated venv
    does not have it on PATH."""
    return str(Path(sys.executable).with_name("dbt"))


def build_resources() -> dict:
    from dagster_dbt import DbtCliResource

    from assets.transform.project import dbt_project

    paths = configure_environment()
    return {
        "duckdb": DuckDBResource(database=str(paths.duckdb)),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        "lab_config": LabConfigResource(),
    }
