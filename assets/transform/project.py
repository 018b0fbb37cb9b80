"""The dbt project as Dagster sees it.

The manifest is a build artefact: `make manifest` runs `dbt parse` into
`dbt_project/target/` before anything loads the asset definitions, so production code
paths never parse. Only under `dagster dev` does `prepare_if_dev()` re-parse, to pick up
edits to the models. `DbtProject` reads `dbt_project.yml`, so the project is built on first
use (when the code location loads), not when this module is imported. Run-time artefacts
(each invocation's target and logs) go under `$PRESSURE_LAB_HOME/dbt`, not here: see
`assets.transform.dbt_args.runtime_target_path`.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

from dagster_dbt import DbtProject

from assets.common.settings import DBT_PROJECT_DIR, configure_environment

# Relative to the project directory, where `make manifest` writes it.
MANIFEST_TARGET_PATH = Path("target")


@lru_cache(maxsize=1)
def dbt_project() -> DbtProject:
    """The lab's dbt project, re-parsed first when running under `dagster dev`."""
    project = DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROJECT_DIR,
        target_path=MANIFEST_TARGET_PATH,
    )
    if project.preparer.using_dagster_dev():
        # prepare_if_dev() runs `dbt parse` through a DbtCliResource that looks for `dbt` on
        # PATH (a venv that was not activated does not have it there), and dbt renders
        # profiles.yml, which needs PRESSURE_LAB_DUCKDB.
        configure_environment()
        bin_dir = str(Path(sys.executable).parent)
        if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    project.prepare_if_dev()
    return project
