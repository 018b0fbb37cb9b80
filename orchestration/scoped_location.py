"""Which underlying a step belongs to, for processes that serve every underlying's runs.

A process of `pressure-lab run` works on one underlying, set once in its environment
(`PRESSURE_LAB_UNDERLYING`). A Celery worker is not scoped: it executes the steps of
whichever runs the broker hands it, SPX's and SPY's in turn. So the run names its
underlying in its job's code pointer: `orchestration.definitions:defs` for the flat layout,
`orchestration.definitions:defs_SPY` for SPY's scope (the module makes those names on
demand). Every step process reconstructs the job from that pointer, so
- Dagster's per-process cache of loaded jobs, keyed by the pointer, never hands one
  underlying's definitions (its partitions, its warehouse path) to another's step, and
- the worker can enter the step's scope before running it (`enter_scope`,
  orchestration/celery_worker.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from assets.common.settings import REPO_ROOT, UNDERLYING_ENV, configure_environment

LOCATION_MODULE = "orchestration.definitions"
FLAT_LOCATION = "defs"
SCOPED_PREFIX = "defs_"
# What configure_environment() points at the scope's own state; everything else it sets
# lies under the home and is the same for every scope.
SCOPED_VARIABLES = (UNDERLYING_ENV, "DAGSTER_HOME", "PRESSURE_LAB_DUCKDB", "DBT_LOG_PATH")


def location_name(underlying: str | None) -> str:
    """The attribute of `orchestration.definitions` that loads this scope's definitions."""
    return f"{SCOPED_PREFIX}{underlying}" if underlying else FLAT_LOCATION


def underlying_of(name: str) -> str | None:
    """The scope a location name stands for (None for the flat one); ValueError otherwise."""
    if name == FLAT_LOCATION:
        return None
    underlying = name[len(SCOPED_PREFIX):] if name.startswith(SCOPED_PREFIX) else ""
    if not underlying or underlying != underlying.upper() or not underlying.isprintable():
        raise ValueError(f"{name!r} names no underlying's code location")
    return underlying


def enter_scope(underlying: str | None, baseline: Mapping[str, str]) -> None:
    """Make this process work on `underlying` (None: the flat layout): its scope-dependent
    variables are reset to `baseline` (the process's own at start, so a user's explicit
    setting still wins) and then pointed at the scope, and the per-process partitions
    definition is rebuilt on next use from the scope's calendar and landing zone."""
    from assets.dagster_common.partitions import expiration_partitions

    for key in SCOPED_VARIABLES:
        if key in baseline:
            os.environ[key] = baseline[key]
        else:
            os.environ.pop(key, None)
    if underlying:
        os.environ[UNDERLYING_ENV] = underlying
    expiration_partitions.cache_clear()
    configure_environment()


def reconstructable_job(job_name: str):
    """`job_name` of this process's scope as a job every step process can reload: the
    pointer names the scope (see the module's docstring)."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    from assets.common.settings import current_underlying

    return ReconstructableRepository.for_module(
        LOCATION_MODULE, location_name(current_underlying()), working_directory=str(REPO_ROOT)
    ).get_reconstructable_job(job_name)
