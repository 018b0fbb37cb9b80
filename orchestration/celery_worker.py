"""The lab's Celery worker: dagster-celery's app, with every step run under its run's scope.

    celery -A orchestration.celery_worker -b BROKER --result-backend BACKEND worker -Q dagster

One worker serves the steps of every underlying's run (`pressure-lab run --executor
celery` submits them together). Before each step it enters the step's underlying scope,
read from the job's code pointer (orchestration/scoped_location.py): the scope's config,
calendar, landing folder, and the variables that point dbt and DuckDB at the scope's own
warehouse. Scope is per process, so the worker must run its tasks in processes (Celery's
default prefork pool, or `--pool solo`), not in threads.
"""

from __future__ import annotations

import os

from celery.signals import task_prerun
from dagster_celery.app import app, execute_job, execute_plan, resume_job  # noqa: F401
from dagster_celery.config import TASK_EXECUTE_PLAN_NAME

from orchestration.scoped_location import enter_scope, underlying_of

# The environment the worker was started with: each step's scope starts from it.
BASELINE = dict(os.environ)


def step_underlying(executable_dict: dict) -> str | None:
    """The underlying of a step task's job (its second argument), from the job's pointer."""
    from dagster._core.definitions.reconstruct import ReconstructableJob

    pointer = ReconstructableJob.from_dict(executable_dict).repository.pointer
    return underlying_of(getattr(pointer, "fn_name", None) or getattr(pointer, "attribute", ""))


@task_prerun.connect
def _enter_step_scope(sender=None, args=None, **_kwargs) -> None:
    if getattr(sender, "name", None) != TASK_EXECUTE_PLAN_NAME or not args:
        return
    enter_scope(step_underlying(args[1]), BASELINE)
