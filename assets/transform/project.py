"""The dbt project as Dagster sees it.

The manifest is a build artefact: `make manifest` runs `dbt parse` into
`dbt_project/target/` before anything imports the asset definitions, so production code
paths never parse at import. Only under `dagster dev` does `prepare_if_dev()` re-parse, to
pick up edits to the models. Run-time artefacts (each invocation's target and logs) go
under `$PRESSURE_LAB_HOME/dbt`, not here: see `assets.transform.dbt_args.runtime_target_path`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from assets.common.settings import DBT_PROJECT_DIR, configure_environment

# Relative to the project directory, where `make manifest` writes it.
MANIFEST_TARGET_PATH = Path("target")

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target_path=MANIFEST_TARGET_PATH,
)

if dbt_project.preparer.using_dagster_dev():
    # prepare_if_dev() runs `dbt parse` through a DbtCliResource that looks for `dbt` on
    # PATH (a venv that was not activated does not have it there), and dbt renders
    # profiles.yml, which needs PRESSURE_LAB_DUCKDB: this module may be imported before the
    # definitions module configured the environment.
    configure_environment()
    _bin = str(Path(sys.executable).parent)
    if _bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([_bin, os.environ.get("PATH", "")])
dbt_project.prepare_if_dev()
