"""A throw-away Celery cluster for tests: a real redis-server on a free 127.0.0.1 port as
broker and result backend, and real lab workers (`celery -A orchestration.celery_worker`),
each its own process session, stopped (and their pool children killed) on exit."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assets.common.settings import REPO_ROOT

CELERY = str(Path(sys.executable).with_name("celery"))


@dataclass
class Cluster:
    broker: str
    logs: dict[str, Path] = field(default_factory=dict)

    def pool_pids(self) -> dict[str, list[int]]:
        """Each worker's pool processes (the pids its tasks run in), by worker name."""
        from celery import Celery

        app = Celery(broker=self.broker, backend=self.broker)
        stats = app.control.inspect(timeout=5.0).stats() or {}
        return {name: list(s["pool"]["processes"]) for name, s in stats.items()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process started here (its own session), then its children."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # leftover pool children of a worker, if any
    except ProcessLookupError:
        pass


def _wait_for_redis(port: int) -> None:
    import redis

    deadline = time.monotonic() + 30
    while True:
        try:
            if redis.Redis(host="127.0.0.1", port=port).ping():
                return
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _wait_for_workers(broker: str, n: int) -> None:
    from celery import Celery

    app = Celery(broker=broker, backend=broker)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= n:
            return
        time.sleep(0.5)
    raise TimeoutError(f"{n} Celery workers did not answer within 120 s")


@contextmanager
def celery_cluster(env: Mapping[str, str], scratch: Path,
                   workers: tuple[str, ...] = ("w1", "w2")) -> Iterator[Cluster]:
    """redis-server plus one single-process worker per name, in `env` (the lab's home)."""
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing in CI (.ci/run installs it)")
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    port = _free_port()
    cluster = Cluster(f"redis://127.0.0.1:{port}/0")
    started: list[subprocess.Popen] = []
    try:
        started.append(subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
             "--appendonly", "no", "--dir", str(scratch)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        _wait_for_redis(port)
        for name in workers:
            cluster.logs[name] = scratch / f"{name}.log"
            with open(cluster.logs[name], "w") as log:
                started.append(subprocess.Popen(
                    [CELERY, "-A", "orchestration.celery_worker", "-b", cluster.broker,
                     "--result-backend", cluster.broker, "worker", "-Q", "dagster", "-c", "1",
                     "-n", f"{name}@%h", "--loglevel", "INFO"],
                    env=dict(env), cwd=str(REPO_ROOT), stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True))
        _wait_for_workers(cluster.broker, len(workers))
        yield cluster
    finally:
        for proc in reversed(started):
            _stop(proc)
    assert all(p.poll() is not None for p in started)
