"""The dbt models as Dagster assets: raw_chains / raw_bars -> stg -> int -> marts.

Every model is day-grained and tagged `partitioned`, so there is one `@dbt_assets`
definition, partitioned by expiration day with a single-run backfill policy: a backfill
of N days is one run, one step, one `dbt build` over [min_date, max_date] (the window in
the environment, see assets/transform/dbt_args.py; dbt's partial-parse state is kept
under the data home between runs). (A second,
unpartitioned definition would be added here if an unpartitioned model ever appears; none
exists today.)

Blocking: dagster-dbt 0.29 turns every dbt test into an asset check on the model it is
attached to, blocking when its severity is `error` (all of this project's tests). A failing
test then fails the dbt step twice over: dbt exits non-zero (DbtCliInvocation raises), and
Dagster raises DagsterAssetCheckFailedError for the failed blocking check. Either way the
step fails, so no Python asset downstream of a mart runs in that run.
"""

import contextlib
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    PartitionsDefinition,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from assets.common.settings import lab_paths
from assets.transform import warm_dbt
from assets.transform.dbt_args import (
    PARTIAL_PARSE_FILE,
    dbt_build_args,
    runtime_target_path,
    stale_targets,
    window_env,
    window_vars,
)

TRANSFORM_GROUP = "transform"
PARTITIONED_SELECT = "tag:partitioned"
KEEP_RUNTIME_TARGETS = 30  # dbt run folders kept under $PRESSURE_LAB_HOME/dbt/target
MART_KEYS: Mapping[str, AssetKey] = {
    name: AssetKey(name)
    for name in ("oi_concentration", "oi_concentration_daily", "daily_outcomes")
}


class LabDbtTranslator(DagsterDbtTranslator):
    """Flat asset keys (the model name; for a source, the key its yml declares under
    `meta.dagster.asset_key`: the ingestion's `raw_chains` / `raw_bars`), all in the
    `transform` group, dbt tests loaded as (blocking) asset checks."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # dagster-dbt's default reads `meta.dagster.asset_key` (_raw__sources.yml).
            return super().get_asset_key(dbt_resource_props)
        return AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return TRANSFORM_GROUP


def _prune_runtime_targets(parent: Path, keep: int = KEEP_RUNTIME_TARGETS) -> None:
    if not parent.is_dir():
        return
    folders = [(p, p.stat().st_mtime) for p in parent.iterdir() if p.is_dir()]
    for old in stale_targets(folders, keep):
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set variables for the dbt subprocess (dagster-dbt copies os.environ), then restore."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextlib.contextmanager
def _kept_parse_state(target: Path, store: Path) -> Iterator[None]:
    """Prime the run's fresh target path with the last run's parse state and keep the new
    one afterwards. dbt validates the file itself (versions, project files, profile, vars)
    and parses in full when it does not match, so a stale copy costs time, never
    correctness."""
    target.mkdir(parents=True, exist_ok=True)
    if store.is_file():
        shutil.copyfile(store, target / PARTIAL_PARSE_FILE)
    try:
        yield
    finally:
        fresh = target / PARTIAL_PARSE_FILE
        if fresh.is_file():
            tmp = store.with_suffix(".tmp")
            shutil.copyfile(fresh, tmp)
            os.replace(tmp, store)


@contextlib.contextmanager
def _alongside(work: Callable[[], None] | None) -> Iterator[None]:
    """Run `work` in a thread while dbt builds in its subprocess, and wait for it after.

    The run's process only waits on dbt for seconds a night; the caller (the code
    location) can spend that time on work the later steps would otherwise do first."""
    if work is None:
        yield
        return
    thread = threading.Thread(target=work, name="alongside-dbt", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _run_build(context: AssetExecutionContext, dbt: DbtCliResource,
               alongside: Callable[[], None] | None = None) -> Iterator[Any]:
    vars_ = None
    if context.has_partition_key or context.has_partition_key_range:
        window = context.partition_time_window
        vars_ = window_vars(window.start, window.end)
    runtime = lab_paths().dbt_runtime
    target = runtime_target_path(runtime, context.run.run_id, context.op_execution_context.op.name)
    _prune_runtime_targets(target.parent)
    context.log.info(f"dbt build over {vars_ or 'every day'} (artefacts in {target})")
    # raise_on_error (the default): a failed model or error-severity test fails the step
    # after every event has been streamed, so the check results are recorded first.
    with _kept_parse_state(target, runtime / PARTIAL_PARSE_FILE), _alongside(alongside):
        # dagster-dbt copies os.environ and starts dbt inside cli(): the window need not
        # outlive that call.
        with _environment(window_env(vars_)):
            invocation = dbt.cli(dbt_build_args(), context=context, target_path=target)
        yield from invocation.stream()
    # A run has this one dbt step: a warm dbt server its starter began is not needed again
    # (its memory goes back for the steps after; a rerun of the step uses the real dbt).
    warm_dbt.stop()


def build_transform_assets(project: DbtProject, partitions_def: PartitionsDefinition,
                           pool: str | None = None,
                           alongside: Callable[[], None] | None = None) -> AssetsDefinition:
    """The partitioned dbt assets for a prepared project (its manifest must exist).

    A factory, called by the code location with the lab's project, partitions and the
    DuckDB pool: importing this module reads no manifest and builds no calendar.
    `alongside` runs in a thread during each build (it must not touch the warehouse,
    which dbt holds) and is waited for before the step ends."""
    if not project.manifest_path.exists():
        raise FileNotFoundError(
            f"{project.manifest_path} is missing: run `make manifest` (dbt parse) first")

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=PARTITIONED_SELECT,
        name="dbt_partitioned_models",
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        dagster_dbt_translator=LabDbtTranslator(),
        pool=pool,
    )
    def dbt_partitioned_models(context: AssetExecutionContext, dbt: DbtCliResource):
        yield from _run_build(context, dbt, alongside)

    return dbt_partitioned_models
