"""`nightly_expiration_run` and `landing_zone_sensor`, evaluated through Dagster's own tick API.

Each test gets an empty `PRESSURE_LAB_HOME`; only file names matter to both (the run itself
reads the contents), so the landing files here are tiny placeholders. Ticks are evaluated
with `evaluate_tick` against the real code location, so a RunRequest whose partition the
job does not have would fail here as it would in the daemon.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    build_schedule_context,
    build_sensor_context,
)

from tests.support.lab_env import lab_environment, scoped_environ

NY = ZoneInfo("America/New_York")
FRIDAY_EARLY_CLOSE = dt.date(2024, 11, 29)
WEDNESDAY = dt.date(2024, 11, 27)
THANKSGIVING = dt.date(2024, 11, 28)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """The code location, loaded once with every writer pointed at a scratch home."""
    home = tmp_path_factory.mktemp("defs_home")
    with scoped_environ(lab_environment(home)):
        from orchestration.definitions import defs

        yield defs().get_repository_def()


@pytest.fixture
def landing(lab_home) -> Path:
    root = lab_home / "landing"
    (root / "chains").mkdir(parents=True)
    (root / "bars").mkdir(parents=True)
    return root


def _drop(landing: Path, day: dt.date, kinds=("chains", "bars"), text: str = "x\n") -> None:
    for kind in kinds:
        (landing / kind / f"{day.isoformat()}.csv").write_text(text)


def _at(day: dt.date, hour: int = 18, minute: int = 30) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), NY)


def _schedule_tick(repo, when: dt.datetime):
    from orchestration.schedules import nightly_expiration_run

    return nightly_expiration_run.evaluate_tick(
        build_schedule_context(scheduled_execution_time=when, repository_def=repo))


def _sensor_tick(repo, cursor: str | None):
    from orchestration.sensors import landing_zone_sensor

    return landing_zone_sensor.evaluate_tick(
        build_sensor_context(cursor=cursor, repository_def=repo))


# --- the schedule ---------------------------------------------------------------------------

def test_both_are_stopped_by_default_and_target_the_full_graph():
    from orchestration.schedules import nightly_expiration_run
    from orchestration.sensors import landing_zone_sensor

    assert nightly_expiration_run.default_status == DefaultScheduleStatus.STOPPED
    assert landing_zone_sensor.default_status == DefaultSensorStatus.STOPPED
    assert nightly_expiration_run.job_name == landing_zone_sensor.job_name == "full_graph"
    assert nightly_expiration_run.cron_schedule == "30 18 * * 1-5"
    assert nightly_expiration_run.execution_timezone == "America/New_York"


def test_code_location_registers_them(repo):
    assert repo.has_schedule_def("nightly_expiration_run")
    assert repo.has_sensor_def("landing_zone_sensor")


def test_schedule_runs_the_days_partition_when_its_files_are_in(repo, landing):
    _drop(landing, FRIDAY_EARLY_CLOSE)
    data = _schedule_tick(repo, _at(FRIDAY_EARLY_CLOSE))
    assert data.skip_message is None
    [request] = data.run_requests
    assert request.partition_key == "2024-11-29"
    assert request.tags["dagster/partition"] == "2024-11-29"
    assert "2024-11-29" in request.run_key


def test_schedule_skips_a_holiday_and_a_weekend_even_with_files(repo, landing):
    saturday = dt.date(2024, 11, 30)
    for day in (THANKSGIVING, saturday):
        _drop(landing, day)
        data = _schedule_tick(repo, _at(day))
        assert data.run_requests == []
        assert "not an expiration session" in data.skip_message
        assert day.isoformat() in data.skip_message


def test_schedule_skips_a_tuesday_before_daily_spxw_listings(repo, landing):
    tuesday = dt.date(2022, 5, 10)
    _drop(landing, tuesday)
    data = _schedule_tick(repo, _at(tuesday))
    assert data.run_requests == [] and "not an expiration session" in data.skip_message


def test_schedule_skips_a_session_whose_files_have_not_arrived(repo, landing):
    _drop(landing, FRIDAY_EARLY_CLOSE)  # another day's files do not count
    data = _schedule_tick(repo, _at(WEDNESDAY))
    assert data.run_requests == []
    assert "have not all arrived" in data.skip_message and "2024-11-27" in data.skip_message
    _drop(landing, WEDNESDAY, kinds=("chains",))  # half a delivery is still not enough
    data = _schedule_tick(repo, _at(WEDNESDAY))
    assert data.run_requests == [] and "'chains'" in data.skip_message


# --- the sensor -----------------------------------------------------------------------------

def test_sensor_launches_one_run_for_a_new_complete_day(repo, landing):
    _drop(landing, WEDNESDAY)
    data = _sensor_tick(repo, None)
    [request] = data.run_requests
    assert request.partition_key == "2024-11-27"
    assert request.run_key.startswith("landing-2024-11-27-")
    seen = json.loads(data.cursor)
    assert set(seen) == {str(landing / k / "2024-11-27.csv") for k in ("chains", "bars")}


def test_sensor_launches_nothing_when_nothing_changed(repo, landing):
    _drop(landing, WEDNESDAY)
    first = _sensor_tick(repo, None)
    again = _sensor_tick(repo, first.cursor)
    assert again.run_requests == []
    assert again.skip_message
    assert json.loads(again.cursor) == json.loads(first.cursor)  # the cursor round-trips


def test_sensor_reruns_a_day_whose_file_was_rewritten(repo, landing):
    _drop(landing, WEDNESDAY)
    first = _sensor_tick(repo, None)
    bars = landing / "bars" / "2024-11-27.csv"
    bars.write_text("a corrected delivery\n")
    stat = bars.stat()
    os.utime(bars, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = _sensor_tick(repo, first.cursor)
    [request] = second.run_requests
    assert request.partition_key == "2024-11-27"
    assert request.run_key != first.run_requests[0].run_key
    assert _sensor_tick(repo, second.cursor).run_requests == []


def test_sensor_waits_for_both_kinds_of_file(repo, landing):
    _drop(landing, WEDNESDAY, kinds=("chains",))
    first = _sensor_tick(repo, None)
    assert first.run_requests == []
    assert str(landing / "chains" / "2024-11-27.csv") in json.loads(first.cursor)
    _drop(landing, WEDNESDAY, kinds=("bars",))
    second = _sensor_tick(repo, first.cursor)
    [request] = second.run_requests
    assert request.partition_key == "2024-11-27"


def test_sensor_only_requests_the_new_day(repo, landing):
    _drop(landing, WEDNESDAY)
    first = _sensor_tick(repo, None)
    _drop(landing, FRIDAY_EARLY_CLOSE)
    second = _sensor_tick(repo, first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["2024-11-29"]


def test_sensor_ignores_complete_files_for_a_non_session(repo, landing):
    _drop(landing, THANKSGIVING)
    data = _sensor_tick(repo, None)
    assert data.run_requests == []


def test_sensor_with_an_empty_landing_zone_skips(repo, landing):
    data = _sensor_tick(repo, None)
    assert data.run_requests == [] and data.skip_message
    assert json.loads(data.cursor) == {}
