"""The code location: every asset, check, job, schedule, sensor and resource of the lab.

Loaded by `workspace.yaml` (the UI, the daemon) and by the CLI's runner. `defs` is Dagster's
lazy `@definitions` entry point: importing this module builds nothing; Dagster (or a caller)
calls `defs()` when it loads the location. Only then are the lab's paths configured (every
writer points at `$PRESSURE_LAB_HOME`), the expiration partitions built from the exchange
calendar, and the partitioned assets made from them. The stages themselves stay below this
module: they never import `orchestration`.

`defs_<U>` (e.g. `defs_SPY`, made on demand) are the definitions of one underlying's scope:
the code pointer a run on Celery hands its steps (orchestration/scoped_location.py).
"""

import os
import warnings

from dagster import BetaWarning, PreviewWarning

# `backfill_policy` and `pool` are marked beta/preview; the lab relies on both on purpose.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)

from dagster import (  # noqa: E402
    Definitions,
    definitions,
    in_process_executor,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)

from assets.common.settings import configure_environment, current_underlying  # noqa: E402
from assets.dagster_common.partitions import expiration_partitions  # noqa: E402
from assets.dagster_common.pools import DUCKDB_POOL  # noqa: E402
from assets.dagster_common.resources import build_resources  # noqa: E402
from assets.experiments import assets as experiments_assets  # noqa: E402
from assets.ingestion import assets as ingestion_assets  # noqa: E402
from assets.ingestion import checks as ingestion_checks  # noqa: E402
from assets.pressure import assets as pressure_assets  # noqa: E402
from assets.pressure import checks as pressure_checks  # noqa: E402
from assets.report import assets as report_assets  # noqa: E402
from assets.trading import assets as trading_assets  # noqa: E402
from assets.trading import checks as trading_checks  # noqa: E402
from assets.transform.dbt_assets import build_transform_assets  # noqa: E402
from assets.transform.project import dbt_project  # noqa: E402
from assets.validation import assets as validation_assets  # noqa: E402
from assets.validation import checks as validation_checks  # noqa: E402
from orchestration.jobs import full_graph, full_graph_celery, sweep, sweep_celery  # noqa: E402
from orchestration.prefetch import during_dbt_build  # noqa: E402
from orchestration.schedules import nightly_expiration_run  # noqa: E402
from orchestration.scoped_location import SCOPED_PREFIX, enter_scope, underlying_of  # noqa: E402
from orchestration.sensors import landing_zone_sensor  # noqa: E402

# The stages' unpartitioned assets (module level; the partitioned ones come from factories
# in the same modules) and every check (checks name their assets by key, so none needs the
# partitions definition).
_ASSET_MODULES = [ingestion_assets, pressure_assets, trading_assets, validation_assets,
                  report_assets, experiments_assets]
_CHECK_MODULES = [ingestion_checks, pressure_checks, trading_checks, validation_checks]


@definitions
def defs() -> Definitions:
    configure_environment()
    partitions = expiration_partitions()
    return Definitions(
        assets=[
            *ingestion_assets.build_ingestion_assets(partitions),
            build_transform_assets(dbt_project(), partitions, pool=DUCKDB_POOL,
                                   alongside=during_dbt_build),
            pressure_assets.build_pressure_series(partitions),
            *load_assets_from_modules(_ASSET_MODULES),
        ],
        asset_checks=load_asset_checks_from_modules(_CHECK_MODULES),
        jobs=[full_graph, full_graph_celery, sweep, sweep_celery],
        schedules=[nightly_expiration_run],
        sensors=[landing_zone_sensor],
        resources=build_resources(),
        # Every step writes or reads the one single-writer DuckDB file, so steps run one at a
        # time anyway; in one process a run holds the warehouse lock for its whole length and
        # imports the code location once instead of once per step.
        executor=in_process_executor,
    )


def __getattr__(name: str):
    """`defs_<U>`: the definitions of underlying U's scope, entered first when this process
    is on another scope (a step process that loads the job from its pointer)."""
    if not name.startswith(SCOPED_PREFIX):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        underlying = underlying_of(name)
    except ValueError as exc:
        raise AttributeError(str(exc)) from None

    @definitions
    def scoped() -> Definitions:
        if current_underlying() != underlying:
            enter_scope(underlying, dict(os.environ))
        return defs()

    return scoped
