"""Shared helpers for the operations tests: a small synthetic market, `pressure-lab` runs as
real processes, and one uninterrupted reference run shared by every test file of a session.

The market is eight expiration days with a three-day calibration window, so a run takes the
whole graph (ingestion, dbt, pressure, trades, validation, package) with a few out-of-sample
trades, in under a minute on a quiet machine.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.support.lab_env import child_environment

CLI = str(Path(sys.executable).with_name("pressure-lab"))
SYNTH = ["synth", "--scenario", "steer", "--strength", "3", "--seed", "11",
         "--start", "2024-01-02", "--end", "2024-01-11"]
CONFIG = {"pressure": {"calibration_days": 3}}
RUN_TIMEOUT = 420
# Day-grained tables: each day is either absent or exactly the reference run's rows.
DAY_TABLES = ["raw.chains", "raw.bars", "intermediate.int_chains__oi_by_strike",
              "intermediate.int_bars__sessions", "marts.oi_concentration",
              "marts.oi_concentration_daily", "marts.daily_outcomes", "pressure.pressure_series"]


def cli(home: Path, user_home: Path, *args: str,
        timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=child_environment(home, user_home), capture_output=True,
                          text=True, timeout=timeout, cwd=user_home, check=False)


def prepare_home(home: Path, user_home: Path) -> None:
    """Landing files of the small market and the config override."""
    done = cli(home, user_home, *SYNTH, timeout=120)
    assert done.returncode == 0, done.stderr
    (home / "config.json").write_text(json.dumps(CONFIG))


def start_run(home: Path, user_home: Path, log: Path) -> subprocess.Popen:
    """`pressure-lab run` in its own process group (so the test can kill it with dbt)."""
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([CLI, "run"], env=child_environment(home, user_home), stdout=out,
                                stderr=subprocess.STDOUT, cwd=user_home, start_new_session=True)


def wait(proc: subprocess.Popen, timeout: float = RUN_TIMEOUT) -> int:
    """The exit code; a process still running after `timeout` is killed with its group."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def package(path: Path) -> dict:
    """An evidence package without the one field that differs run to run."""
    pkg = json.loads(Path(path).read_text())
    assert pkg.pop("validation_timestamp")
    return pkg


def landing_rows(home: Path, kind: str) -> dict[str, int]:
    """Data rows per day in the landing CSV files: the oracle for complete days."""
    out = {}
    for path in sorted((home / "landing" / kind).glob("*.csv")):
        with path.open(newline="") as fh:
            out[path.stem] = sum(1 for _ in csv.DictReader(fh))
    return out


def landing_strikes(home: Path) -> dict[str, int]:
    out = {}
    for path in sorted((home / "landing" / "chains").glob("*.csv")):
        with path.open(newline="") as fh:
            out[path.stem] = len({r["strike"] for r in csv.DictReader(fh)})
    return out


def day_fingerprints(db: Path) -> dict[str, dict[str, tuple[int, int]]]:
    """table -> day -> (rows, order-independent hash of the rows); absent tables are {}.

    A table whose schema exists but not the table is absent too (a run killed before
    creating it)."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    with duckdb.connect(str(db), read_only=True) as conn:
        present = {f"{s}.{t}" for s, t in conn.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}
        for table in DAY_TABLES:
            if table not in present:
                out[table] = {}
                continue
            # source_file is an absolute path, different in every home: leave it out.
            cols = [c for c, *_ in conn.execute(f"describe {table}").fetchall()
                    if c != "source_file"]
            rows = conn.execute(
                f"select strftime(quote_date, '%Y-%m-%d'), count(*), sum(hash(t)::hugeint) "
                f"from (select {', '.join(cols)} from {table}) t group by 1").fetchall()
            out[table] = {day: (int(n), int(h)) for day, n, h in rows}
    return out


def per_day_counts(db: Path, table: str, expr: str = "count(*)") -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return {d: int(n) for d, n in conn.execute(
            f"select strftime(quote_date, '%Y-%m-%d'), {expr} from {table} group by 1").fetchall()}


def _shared_root(tmp_path_factory) -> Path:
    """One directory for the whole session: under pytest-xdist every worker's basetemp sits
    in the same parent (the pattern pytest-xdist documents for run-once fixtures)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def reference_home(tmp_path_factory, timeout: float = 900) -> Path:
    """The home of one uninterrupted `pressure-lab run` on the small market, built once per
    session under a file lock (a worker that finds it building waits for it)."""
    root = _shared_root(tmp_path_factory)
    home = root / "ops-reference" / "home"
    with open(root / "ops-reference.lock", "w") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                assert time.monotonic() < deadline, "reference run not built in time"
                time.sleep(0.5)
        done = home.parent / "DONE"
        if not done.exists():
            user_home = home.parent / "user"
            for d in (home, user_home):
                d.mkdir(parents=True, exist_ok=True)
            prepare_home(home, user_home)
            run = cli(home, user_home, "run")
            assert run.returncode == 0, run.stderr[-3000:]
            done.write_text("ok\n")
        fcntl.flock(fh, fcntl.LOCK_UN)
    return home
