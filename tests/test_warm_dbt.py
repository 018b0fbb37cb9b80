"""The warm dbt server: `pressure-lab-dbt` behaves as `dbt` does (output, exit code, the
caller's environment and working directory), and without a server it is the real dbt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assets.common.settings import DBT_PROJECT_DIR
from assets.transform import warm_dbt

BIN = Path(sys.executable).parent
REAL_DBT = str(BIN / "dbt")
CLIENT = str(BIN / warm_dbt.CLIENT_NAME)


@pytest.fixture
def server():
    """A server started by a separate process (as the CLI's run starts one)."""
    probe = subprocess.Popen(
        [sys.executable, "-c",
         "import os, sys; from assets.transform import warm_dbt; warm_dbt.start(); "
         "print(os.environ[warm_dbt.SOCKET_ENV], flush=True); sys.stdin.read(); "
         "warm_dbt.stop()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    sock_path = probe.stdout.readline().strip()
    yield sock_path
    probe.stdin.close()
    probe.wait(timeout=60)
    assert not Path(sock_path).exists()  # the server cleans up after itself


def _run(exe: str, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)


def _dbt_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "PRESSURE_LAB"))}
    return {**env, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
            "PRESSURE_LAB_DUCKDB": str(tmp_path / "w.duckdb"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}


def test_client_output_and_exit_codes_equal_dbt(server, tmp_path):
    env = _dbt_env(tmp_path, **{warm_dbt.SOCKET_ENV: server})
    for args in (["--version"], ["no-such-command"], ["--no-such-flag", "build"]):
        warm = _run(CLIENT, args, env, tmp_path)
        real = _run(REAL_DBT, args, env, tmp_path)
        assert (warm.returncode, warm.stdout, warm.stderr) == \
               (real.returncode, real.stdout, real.stderr), args
    assert _run(CLIENT, ["no-such-command"], env, tmp_path).returncode == 2


def test_the_callers_environment_and_directory_reach_dbt(server, tmp_path):
    """`dbt parse` in the project directory (relative to the caller's cwd) writes its
    manifest where the caller's DBT_TARGET_PATH says, in dbt's JSON log format."""
    target = tmp_path / "target"
    env = _dbt_env(tmp_path, DBT_TARGET_PATH=str(target), DBT_LOG_FORMAT="json",
                   DBT_LOG_PATH=str(target), **{warm_dbt.SOCKET_ENV: server})
    done = _run(CLIENT, ["parse"], env, DBT_PROJECT_DIR)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((target / "manifest.json").read_text())["metadata"]["project_name"]
    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert "MainReportVersion" in {e["info"]["name"] for e in events}
    assert len({e["info"]["invocation_id"] for e in events}) == 1


def test_a_failing_dbt_command_fails_the_client_alike(server, tmp_path):
    env = _dbt_env(tmp_path, DBT_TARGET_PATH=str(tmp_path / "t"),
                   **{warm_dbt.SOCKET_ENV: server})
    args = ["parse", "--project-dir", str(tmp_path / "no-project")]
    warm = _run(CLIENT, args, env, tmp_path)
    real = _run(REAL_DBT, args, env, tmp_path)
    assert warm.returncode == real.returncode != 0


def test_without_a_server_the_client_is_the_real_dbt(tmp_path):
    env = _dbt_env(tmp_path, **{warm_dbt.SOCKET_ENV: str(tmp_path / "gone.sock")})
    warm = _run(CLIENT, ["--version"], env, tmp_path)
    real = _run(REAL_DBT, ["--version"], env, tmp_path)
    assert (warm.returncode, warm.stdout) == (real.returncode, real.stdout)
    no_env = {k: v for k, v in env.items() if k != warm_dbt.SOCKET_ENV}
    assert _run(CLIENT, ["--version"], no_env, tmp_path).stdout == real.stdout


def test_only_a_started_server_selects_the_client(monkeypatch):
    monkeypatch.delenv(warm_dbt.SOCKET_ENV, raising=False)
    assert warm_dbt.client_executable() is None
    monkeypatch.setenv(warm_dbt.SOCKET_ENV, "/x/dbt.sock")
    assert warm_dbt.client_executable() == CLIENT
