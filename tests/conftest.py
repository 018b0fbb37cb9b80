"""Shared pytest setup: the markers and the scratch lab home."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.lab_env import lab_environment, scoped_environ


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: end-to-end runs through Dagster (minutes)")
    config.addinivalue_line("markers", "ui: drives the Dagster UI in headless Chromium")


@pytest.fixture
def lab_home(tmp_path: Path) -> Iterator[Path]:
    """An empty PRESSURE_LAB_HOME with every variable the lab would default (Dagster home,
    warehouse, dbt profiles and logs, telemetry off) pointed into it; the whole environment
    is restored afterwards, so nothing outlives the test."""
    home = tmp_path / "home"
    home.mkdir()
    with scoped_environ(lab_environment(home)):
        yield home
