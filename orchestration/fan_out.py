"""Launch a fan-out job (`assets.experiments.fan_out`): register its units as dynamic
partitions, evaluate them in one run or several, then run the fan-in.

- `runs=1` (default): one run over the whole range of units, the unit asset as one step
  (single-run backfill) and then the fan-in: the fastest on one machine.
- `runs=k`: the units are cut into k contiguous ranges, each its own run, launched
  together from k processes (as Dagster's run launcher would), then one run of the fan-in:
  how units spread over workers.
`executor`: "in_process", "multiprocess" (steps in subprocesses) or "celery" (steps on
Celery workers; `broker` and `backend` are the Celery URLs, e.g. redis://host:6379/0).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from dagster import AssetKey, DagsterInstance, execute_job

from orchestration.runner import describe_failures, open_instance, range_tags
from orchestration.scoped_location import reconstructable_job

EXECUTORS = ("in_process", "multiprocess", "celery")


@dataclass
class FanOutOutcome:
    run_ids: list[str] = field(default_factory=list)
    success: bool = True
    failures: list[str] = field(default_factory=list)


def register_units(instance: DagsterInstance, partitions_name: str, prefix: str,
                   keys: Sequence[str]) -> None:
    """Make `keys` the only partitions starting with `prefix`, added in order, so that
    they form one contiguous range of the dynamic partitions."""
    existing = instance.get_dynamic_partitions(partitions_name)
    stale = [k for k in existing if k.startswith(prefix)]
    if stale != list(keys):
        for key in stale:
            instance.delete_dynamic_partition(partitions_name, key)
        instance.add_dynamic_partitions(partitions_name, list(keys))


def _run_config(executor: str, op_config: Mapping[str, Any], assets: Sequence[str],
                broker: str | None, backend: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {"ops": {name: {"config": dict(op_config)} for name in assets},
                              "loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    if executor == "celery":
        config["execution"] = {"config": {"broker": broker, "backend": backend or broker}}
    elif executor == "multiprocess":
        config["execution"] = {"config": {"multiprocess": {}}}
    else:
        config["execution"] = {"config": {"in_process": {}}}
    return config


def _execute(job_name: str, assets: Sequence[str], run_config: Mapping[str, Any],
             tags: Mapping[str, str],
             instance: DagsterInstance | None = None) -> tuple[str, bool, list[str]]:
    """One run of `assets` of the job; top level so that a spawned process can run it.

    In process, the job is taken from the loaded definitions and run in this process (as
    `pressure-lab run` does); any other executor needs a reconstructable job, which every
    step process (subprocess, Celery worker, pod) loads from `orchestration.definitions`
    under this process's underlying scope."""
    own = instance is None
    instance = instance or open_instance()
    selection = {AssetKey(a) for a in assets}
    try:
        if run_config.get("execution", {}).get("config", {}).keys() == {"in_process"}:
            from orchestration.definitions import defs

            config = {k: v for k, v in run_config.items() if k != "execution"}
            result = defs().resolve_job_def(job_name).execute_in_process(
                run_config=config, instance=instance, tags=dict(tags),
                asset_selection=list(selection), raise_on_error=False)
        else:
            job = reconstructable_job(job_name).get_subset(asset_selection=selection)
            result = execute_job(job, instance=instance, run_config=dict(run_config),
                                 tags=dict(tags))
        return result.run_id, result.success, describe_failures(result.all_events)
    finally:
        if own:
            instance.dispose()


def run_fan_out(job_name: str, unit_asset: str, summary_asset: str, partitions_name: str,
                prefix: str, keys: Sequence[str], op_config: Mapping[str, Any],
                executor: str = "in_process", runs: int = 1, broker: str | None = None,
                backend: str | None = None,
                instance: DagsterInstance | None = None) -> FanOutOutcome:
    """Evaluate every unit in `keys` (partitions of `unit_asset`), then `summary_asset`."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor {executor!r}: expected one of {EXECUTORS}")
    if executor == "celery" and not broker:
        raise ValueError("the celery executor needs a broker URL")
    instance = instance or open_instance()
    register_units(instance, partitions_name, prefix, keys)
    outcome = FanOutOutcome()

    def record(run_id: str, success: bool, failures: list[str]) -> bool:
        outcome.run_ids.append(run_id)
        outcome.success = outcome.success and success
        outcome.failures.extend(failures)
        return success

    def config(assets: Sequence[str]) -> dict[str, Any]:
        return _run_config(executor, op_config, assets, broker, backend)

    if runs <= 1:
        assets = [unit_asset, summary_asset]
        record(*_execute(job_name, assets, config(assets), range_tags(keys[0], keys[-1]),
                         instance))
        return outcome
    chunks = [list(c) for c in np.array_split(np.array(keys, dtype=object), runs) if len(c)]
    with ProcessPoolExecutor(max_workers=len(chunks),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_execute, job_name, [unit_asset], config([unit_asset]),
                               range_tags(c[0], c[-1])) for c in chunks]
        done = [record(*f.result()) for f in futures]
    if all(done):
        record(*_execute(job_name, [summary_asset], config([summary_asset]), {}, instance))
    return outcome
