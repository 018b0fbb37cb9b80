"""An inter-process lock on the DuckDB warehouse, and the clean-up of a run that died
holding it.

DuckDB lets one process at a time open the file for writing, and a run's write–audit–publish
spans several steps (stage, check, publish, dbt), so two runs over one warehouse must not
interleave: every run executed in one process holds an exclusive `flock` on
`<warehouse>.duckdb.lock` for its whole length. The kernel drops a `flock` when its holder
dies, so a SIGKILLed run cannot keep the warehouse forever; the next holder finds the dead
run's record in the lock file (it never wrote "released"), marks that run failed and frees
the pool slots it still claimed, which would otherwise block every later run for good.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import multiprocessing
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LOCK_SUFFIX = ".lock"
DEFAULT_LOCK_TIMEOUT_SECONDS = 3600.0


class WarehouseBusy(TimeoutError):
    """Another live run kept the warehouse lock for longer than the wait allowed."""


def lock_path(database: str | os.PathLike) -> Path:
    return Path(f"{os.fspath(database)}{LOCK_SUFFIX}")


def read_holder(path: str | os.PathLike) -> dict[str, Any] | None:
    """The record the last holder wrote into the lock file (None when empty or unreadable)."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _write_holder(fd: int, record: dict[str, Any]) -> None:
    data = json.dumps(record, sort_keys=True).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
    os.fsync(fd)


@contextmanager
def warehouse_lock(database: str | os.PathLike, owner: str,
                   timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
                   poll_seconds: float = 0.25,
                   on_wait: Callable[[dict[str, Any] | None], None] | None = None,
                   ) -> Iterator[dict[str, Any] | None]:
    """Hold the warehouse's inter-process lock; yields the record of a previous holder that
    died while holding it (its run needs cleaning up), else None.

    Waits up to `timeout_seconds` (`on_wait` is told once who holds it), then raises
    `WarehouseBusy` naming the holder. The lock file is never deleted: removing a lock file
    lets two processes lock two different inodes.
    """
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait is not None:
                    on_wait(read_holder(path))
                    told = True
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"the DuckDB warehouse {database} is still locked after "
                        f"{timeout_seconds:.0f}s by {read_holder(path)}") from None
                time.sleep(poll_seconds)
        previous = read_holder(path)
        dead = previous if previous and not previous.get("released", True) else None
        record = {"owner": owner, "pid": os.getpid(), "host": socket.gethostname(),
                  "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                  "released": False}
        _write_holder(fd, record)
        try:
            yield dead
        finally:
            _write_holder(fd, {**record, "released": True})
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def reap_dead_run(instance, run_id: str, holder: dict[str, Any]) -> str:
    """Clean up after a run whose process died holding the warehouse: free the concurrency
    slots it claimed (or queued for) and mark it failed if the instance still shows it
    running. Returns what was done, for the log."""
    from dagster import DagsterRunStatus
    from dagster._core.events import JobFailureData, RunFailureReason

    instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    run = instance.get_run_by_id(run_id)
    if run is None:
        return f"freed the pool slots of run {run_id} (not in this instance)"
    if run.status in (DagsterRunStatus.STARTED, DagsterRunStatus.STARTING,
                      DagsterRunStatus.CANCELING, DagsterRunStatus.NOT_STARTED):
        instance.report_run_failed(
            run, f"run process {holder.get('pid')} on {holder.get('host')} died while holding "
                 "the DuckDB warehouse; marked failed by the next run",
            job_failure_data=JobFailureData(error=None,
                                            failure_reason=RunFailureReason.UNEXPECTED_TERMINATION))
        return f"marked run {run_id} failed and freed its pool slots"
    return f"freed the pool slots of run {run_id} ({run.status.value})"


def _in_step_worker() -> bool:
    """True inside a step subprocess of the multiprocess executor: there the pool already
    serializes steps, and holding the run lock from a step that holds a pool slot could
    deadlock against an in-process run that holds the lock and waits for the slot."""
    return multiprocessing.parent_process() is not None


