"""The Dagster instance on PostgreSQL, as docs/operations.md tells an operator to set it up.

A throw-away PostgreSQL server (Debian's packages; `initdb` refuses root, so as the
`postgres` user when the tests run as root) listens on a Unix socket in a temporary
directory only, no TCP. The lab home gets a hand-written `dagster.yaml` with a `storage:
postgres:` block (the generated SQLite one is never written over an existing file), then
the real `pressure-lab run` materializes the whole graph. The run, its events, its asset
materializations and the DuckDB pool live in Postgres, read back with plain SQL; no SQLite
storage appears in the home. Skipped, with the reason, only when the server binaries are
not installed.
"""

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support import ops_fixtures as ops

pytestmark = pytest.mark.slow
SYNTH = ["synth", "--scenario", "steer", "--strength", "3", "--seed", "11",
         "--start", "2024-01-02", "--end", "2024-01-05"]
DB = "dagster_lab"


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser: cannot start initdb as `postgres`")
    return [runuser, "-u", "postgres", "--", *argv]


@pytest.fixture(scope="module")
def postgres():
    """(socket dir, port) of a running server; always stopped and removed afterwards."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed "
                    "(apt-get install postgresql; .ci/run does it)")
    root = Path(tempfile.mkdtemp(prefix="pl-pg-"))  # short: socket paths max ~100 chars
    data, sock, log = root / "data", root / "sock", root / "server.log"
    sock.mkdir()
    if os.geteuid() == 0:
        import pwd
        pg = pwd.getpwnam("postgres")
        for p in (root, sock):
            os.chown(p, pg.pw_uid, pg.pw_gid)
    port = _free_port()
    try:
        init = subprocess.run(_as_server_user(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--no-sync"]), capture_output=True, text=True, timeout=120, check=False)
        assert init.returncode == 0, init.stderr
        start = subprocess.run(_as_server_user(
            [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
             "-o", f"-p {port} -k {sock} -c listen_addresses='' -c fsync=off", "start"]),
            capture_output=True, text=True, timeout=90, check=False)
        assert start.returncode == 0, start.stderr + (log.read_text() if log.exists() else "")
        import psycopg2
        conn = psycopg2.connect(host=str(sock), port=port, user="postgres", dbname="postgres")
        try:
            conn.autocommit = True  # CREATE DATABASE refuses to run inside a transaction
            with conn.cursor() as cur:
                cur.execute(f"create database {DB}")
        finally:
            conn.close()
        yield sock, port
    finally:
        _stop(bindir, data)
        shutil.rmtree(root, ignore_errors=True)


def _stop(bindir: Path, data: Path) -> None:
    if not (data / "postmaster.pid").exists():
        return
    stop = subprocess.run(_as_server_user(
        [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"]),
        capture_output=True, text=True, timeout=60, check=False)
    if stop.returncode != 0 and (data / "postmaster.pid").exists():
        pid = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)


def _sql(sock: Path, port: int, query: str, args=()):
    import psycopg2
    conn = psycopg2.connect(host=str(sock), port=port, user="postgres", dbname=DB)
    try:
        with conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall()
    finally:
        conn.close()


def test_a_real_run_records_its_run_events_and_pool_in_postgres(postgres, tmp_path):
    sock, port = postgres
    home, user_home = tmp_path / "home", tmp_path / "user"
    user_home.mkdir()
    (home / "dagster").mkdir(parents=True)
    (home / "dagster" / "dagster.yaml").write_text(
        # The block docs/operations.md documents; `scheme` names the psycopg2 driver that
        # dagster-postgres installs (SQLAlchemy 2.1's bare `postgresql` means psycopg 3).
        "storage:\n  postgres:\n    postgres_db:\n"
        # `params.host` (the socket directory) overrides `hostname` in libpq's connect args.
        f"      username: postgres\n      hostname: localhost\n      db_name: {DB}\n"
        f"      port: {port}\n      scheme: postgresql+psycopg2\n"
        f"      params:\n        host: {sock}\n"
        "telemetry:\n  enabled: false\n"
        "concurrency:\n  runs:\n    max_concurrent_runs: 1\n  pools:\n    default_limit: 1\n")
    synth = ops.cli(home, user_home, *SYNTH, timeout=120)
    assert synth.returncode == 0, synth.stderr
    (home / "config.json").write_text(json.dumps({"pressure": {"calibration_days": 2}}))

    run = ops.cli(home, user_home, "run", timeout=ops.RUN_TIMEOUT)
    assert run.returncode == 0, run.stderr[-3000:]

    runs = _sql(sock, port, "select run_id, pipeline_name, status from runs")
    assert len(runs) == 1
    run_id, job, status = runs[0]
    assert (job, status) == ("full_graph", "SUCCESS")
    assert run_id in run.stdout
    counts = dict(_sql(sock, port, "select dagster_event_type, count(*) from event_logs "
                                   "where run_id = %s group by 1", (run_id,)))
    assert counts["PIPELINE_START"] == 1 and counts["PIPELINE_SUCCESS"] == 1
    assert counts.get("STEP_FAILURE", 0) == 0
    materialized = {json.loads(k)[0] for (k,) in _sql(
        sock, port, "select distinct asset_key from event_logs where run_id = %s and "
                    "dagster_event_type = 'ASSET_MATERIALIZATION'", (run_id,))}
    assert {"raw_bars", "oi_concentration", "pressure_series", "evidence_package",
            "reviewer_report"} <= materialized
    checks = _sql(sock, port, "select count(*) from event_logs where run_id = %s and "
                              "dagster_event_type = 'ASSET_CHECK_EVALUATION'", (run_id,))
    assert checks[0][0] > 30  # the GX checks and dbt's 34 tests, all blocking
    pools = _sql(sock, port, "select concurrency_key, count(*) from concurrency_slots group by 1")
    assert ("duckdb", 1) in pools
    # Nothing went to the default SQLite storage.
    assert not list((home / "dagster").rglob("*.db"))
    assert (home / "evidence" / "evidence_package.json").exists()
