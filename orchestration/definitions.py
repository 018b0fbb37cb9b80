"""The code location: every asset, check, job, schedule, sensor and resource of the lab.

Loaded by `workspace.yaml` (the UI, the daemon) and by the CLI. Importing it points every
writer at `$PRESSURE_LAB_HOME` first, so nothing is written anywhere else.
"""

import warnings

from dagster import BetaWarning, PreviewWarning

from assets.common.settings import configure_environment

configure_environment()
# `backfill_policy` and `pool` are marked beta/preview; the lab relies on both on purpose.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)

from dagster import (  # noqa: E402
    Definitions,
    in_process_executor,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)

from assets.ingestion import definitions as ingestion  # noqa: E402
from assets.pressure import definitions as pressure  # noqa: E402
from assets.report import definitions as report  # noqa: E402
from assets.trading import definitions as trading  # noqa: E402
from assets.transform import dbt_assets as transform  # noqa: E402
from assets.validation import definitions as validation  # noqa: E402
from orchestration.jobs import full_graph  # noqa: E402
from orchestration.resources import build_resources  # noqa: E402
from orchestration.schedules import nightly_expiration_run  # noqa: E402
from orchestration.sensors import landing_zone_sensor  # noqa: E402

_stage_modules = [ingestion, transform, pressure, trading, validation, report]

defs = Definitions(
    assets=load_assets_from_modules(_stage_modules),
    asset_checks=load_asset_checks_from_modules(_stage_modules),
    jobs=[full_graph],
    schedules=[nightly_expiration_run],
    sensors=[landing_zone_sensor],
    resources=build_resources(),
    # Every step writes or reads the one single-writer DuckDB file, so steps run one at a
    # time anyway; in one process a run holds the warehouse lock for its whole length and
    # imports the code location once instead of once per step.
    executor=in_process_executor,
)
