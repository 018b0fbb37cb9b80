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


def _start_server(start_args: str = "", env: dict | None = None):
    """A server started by a separate process (as the CLI's run starts one)."""
    probe = subprocess.Popen(
        [sys.executable, "-c",
         "import os, sys; from assets.transform import warm_dbt; "
         f"warm_dbt.start({start_args}); "
         "print(os.environ[warm_dbt.SOCKET_ENV], flush=True); sys.stdin.read(); "
         "warm_dbt.stop()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)
    sock_path = probe.stdout.readline().strip()
    return probe, sock_path


def _stop_server(probe, sock_path) -> None:
    probe.stdin.close()
    probe.wait(timeout=60)
    assert not Path(sock_path).exists()  # the server cleans up after itself
    assert "leaked" not in probe.stderr.read()  # nor leaves semaphores to the tracker


@pytest.fixture
def server():
    probe, sock_path = _start_server()
    yield sock_path
    _stop_server(probe, sock_path)


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


def _compiled(done: subprocess.CompletedProcess) -> tuple[list[str], str]:
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    compiled = [e["data"]["compiled"] for e in events if e["info"]["name"] == "CompiledNode"]
    return [e["info"]["name"] for e in events], compiled[0] if compiled else ""


def test_a_prepared_server_compiles_with_the_requests_window(tmp_path):
    """A server that parsed the project at start (with no day window in its environment)
    compiles a model with the window of the request, as a fresh dbt does; the request
    does not parse again."""
    env = _dbt_env(tmp_path)
    probe, sock_path = _start_server(f"{str(DBT_PROJECT_DIR)!r}", env=env)
    try:
        request_env = _dbt_env(tmp_path, DBT_PROJECT_DIR=str(DBT_PROJECT_DIR),
                               DBT_LOG_FORMAT="json", DBT_TARGET_PATH=str(tmp_path / "t"),
                               DBT_LOG_PATH=str(tmp_path / "t"),
                               PRESSURE_LAB_DBT_MIN_DATE="2024-03-06",
                               PRESSURE_LAB_DBT_MAX_DATE="2024-03-08",
                               **{warm_dbt.SOCKET_ENV: sock_path})
        args = ["compile", "--select", "int_bars__sessions"]
        warm = _run(CLIENT, args, request_env, DBT_PROJECT_DIR)
        real = _run(REAL_DBT, args, request_env, DBT_PROJECT_DIR)
        assert warm.returncode == real.returncode == 0, warm.stdout[-2000:]
        (warm_names, warm_sql), (real_names, real_sql) = _compiled(warm), _compiled(real)
        assert "between date '2024-03-06' and date '2024-03-08'" in warm_sql
        assert warm_sql == real_sql
        parsing = {"UnableToPartialParse", "PartialParsingEnabled", "ParsePerfInfoPath"}
        assert not parsing & set(warm_names) and parsing & set(real_names)
    finally:
        _stop_server(probe, sock_path)


def test_the_prepared_manifest_serves_only_its_projects_build_like_commands():
    prepared = warm_dbt._Prepared(Path(DBT_PROJECT_DIR).resolve(), manifest="M")
    env = {"DBT_PROJECT_DIR": str(DBT_PROJECT_DIR)}

    def pick(argv, cwd="/", env=env):
        return warm_dbt._prepared_for({"argv": argv, "env": env, "cwd": cwd}, prepared)

    assert pick(["build", "--exclude-resource-type", "unit_test"]) == "M"
    assert pick(["parse"]) is None and pick(["ls"]) is None
    assert pick(["build", "--vars", "{min_date: 2024-01-02}"]) is None  # vars change the parse
    assert pick(["build"], env={"DBT_PROJECT_DIR": "/elsewhere"}) is None
    assert pick(["build", "--project-dir", "."], cwd=str(DBT_PROJECT_DIR), env={}) == "M"
    assert pick(["build"], env={}) is None
    assert warm_dbt._prepared_for({"argv": ["build"], "env": env, "cwd": "/"}, None) is None


def test_the_socket_accepts_as_soon_as_start_returns(monkeypatch, tmp_path):
    """A client may come before the server's interpreter has even started (a loaded
    machine): it is queued, not turned away to a dbt that parses alone. One that leaves
    without a request does not stop the server from serving the next."""
    import socket

    monkeypatch.delenv(warm_dbt.SOCKET_ENV, raising=False)
    warm_dbt.start()
    try:
        sock_path = os.environ[warm_dbt.SOCKET_ENV]
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as early:
            early.connect(sock_path)  # no wait: refused with the socket bound late
        env = _dbt_env(tmp_path, **{warm_dbt.SOCKET_ENV: sock_path})
        served = _run(CLIENT, ["--version"], env, tmp_path)
        assert served.returncode == 0 and served.stdout == \
            _run(REAL_DBT, ["--version"], env, tmp_path).stdout
        assert warm_dbt._server.poll() is None  # still serving, not fallen over
    finally:
        warm_dbt.stop()


def _connected_sockets(pid: int) -> set[str]:
    """Inodes of the process's connected Unix sockets (state 03 in /proc/net/unix)."""
    own = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:  # it has ended
        return own
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile (its interpreter is still starting)
            continue
        if link.startswith("socket:["):
            own.add(link[len("socket:["):-1])
    rows = Path("/proc/net/unix").read_text().splitlines()[1:]
    return {row.split()[6] for row in rows if row.split()[5] == "03"} & own


def test_a_client_queued_at_a_server_that_dies_runs_the_real_dbt(monkeypatch, tmp_path):
    import signal
    import time

    monkeypatch.delenv(warm_dbt.SOCKET_ENV, raising=False)
    warm_dbt.start()
    server = warm_dbt._server
    folder = Path(os.environ[warm_dbt.SOCKET_ENV]).parent
    os.kill(server.pid, signal.SIGSTOP)  # it takes no one from its backlog
    try:
        env = _dbt_env(tmp_path, **{warm_dbt.SOCKET_ENV: os.environ[warm_dbt.SOCKET_ENV]})
        client = subprocess.Popen([CLIENT, "--version"], stdout=subprocess.PIPE, text=True,
                                  env=env, cwd=tmp_path)
        while not _connected_sockets(client.pid):  # queued, waiting for the child's pid
            assert client.poll() is None
            time.sleep(0.05)
    finally:
        server.kill()
    out, _ = client.communicate(timeout=120)
    warm_dbt.stop()
    assert not folder.exists()  # removed for the server that could not
    assert client.returncode == 0
    assert out == _run(REAL_DBT, ["--version"], env, tmp_path).stdout


def test_a_server_that_does_not_end_is_killed(monkeypatch):
    import signal

    monkeypatch.delenv(warm_dbt.SOCKET_ENV, raising=False)
    monkeypatch.setattr(warm_dbt, "STOP_GRACE_SECONDS", 0.5)
    warm_dbt.start()
    server = warm_dbt._server
    folder = Path(os.environ[warm_dbt.SOCKET_ENV]).parent
    os.kill(server.pid, signal.SIGSTOP)  # a server stuck in a command
    warm_dbt.stop()
    assert server.returncode == -signal.SIGKILL
    assert not folder.exists()
    assert warm_dbt._server is None and warm_dbt.SOCKET_ENV not in os.environ
