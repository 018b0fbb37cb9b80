"""A step process that serves every underlying (a Celery worker) takes each step's scope
from its job's code pointer: the pointer names the scope, the worker's hook reads it back
from the serialized job a step task carries, and entering a scope points the warehouse,
instance and dbt logs at that underlying's state, or back at the flat layout's."""

from __future__ import annotations

import os

import pytest

from assets.common.settings import UNDERLYING_ENV
from orchestration.scoped_location import (
    enter_scope,
    location_name,
    reconstructable_job,
    underlying_of,
)


@pytest.fixture(autouse=True)
def fresh_partitions():
    """Entering a scope rebuilds the process's partitions; none outlives the test."""
    from assets.dagster_common.partitions import expiration_partitions

    yield
    expiration_partitions.cache_clear()


def test_location_names_round_trip_and_foreign_names_are_refused():
    assert location_name(None) == "defs" and underlying_of("defs") is None
    assert location_name("SPY") == "defs_SPY" and underlying_of("defs_SPY") == "SPY"
    for bad in ("defs_", "defs_spy", "other", "definitions"):
        with pytest.raises(ValueError):
            underlying_of(bad)


def test_a_step_task_carries_its_scope_and_the_worker_enters_it(lab_home):
    from orchestration.celery_worker import step_underlying

    baseline = dict(os.environ)
    os.environ[UNDERLYING_ENV] = "SPY"
    job = reconstructable_job("full_graph_celery")
    assert job.repository.pointer.fn_name == "defs_SPY"
    # what dagster-celery sends with each step task, and the hook reads back
    assert step_underlying(job.to_dict()) == "SPY"

    enter_scope("QQQ", baseline)
    assert os.environ[UNDERLYING_ENV] == "QQQ"
    assert os.environ["PRESSURE_LAB_DUCKDB"] == str(
        lab_home / "underlyings" / "QQQ" / "warehouse.duckdb")
    assert os.environ["DAGSTER_HOME"] == str(lab_home / "underlyings" / "QQQ" / "dagster")
    # a flat run's step after a scoped one: back to the worker's own settings
    enter_scope(None, baseline)
    assert UNDERLYING_ENV not in os.environ
    assert os.environ["PRESSURE_LAB_DUCKDB"] == str(lab_home / "warehouse.duckdb")
    assert os.environ["DAGSTER_HOME"] == str(lab_home / "dagster")
    assert step_underlying(reconstructable_job("full_graph").to_dict()) is None


def test_the_scoped_definitions_load_under_their_scope(lab_home):
    import orchestration.definitions as location

    with pytest.raises(AttributeError):
        location.defs_spy  # noqa: B018 - a lower-case name is no underlying
    loaded = location.defs_SPY()
    assert os.environ[UNDERLYING_ENV] == "SPY"
    assert {j.name for j in loaded.jobs} >= {"full_graph", "full_graph_celery"}
    assert loaded.resources["duckdb"].database == str(
        lab_home / "underlyings" / "SPY" / "warehouse.duckdb")
