"""The ingestion checks' GX validations in a warm worker process, when one was started.

Importing great-expectations takes about two seconds, and a night's own validation well
under one, so on a night the import is most of the audit step. A run's process spends
its first seconds importing Dagster, dbt and the code location, on one core; the other is
idle. Whoever starts a run (the CLI) calls `start()` first: a fresh worker process (spawned,
so it inherits no threads or connections) imports GX meanwhile, and `run` then hands it
each validation. The worker only ever computes a
report from the frame it is sent (no warehouse, no files), so where it runs changes
nothing but the time. Without a worker, or when it has died, `run` validates in the
calling process.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TypeVar

T = TypeVar("T")

_worker: tuple[BaseProcess, Connection] | None = None
_lock = threading.Lock()  # one request at a time on the pipe


def _serve(conn: Connection) -> None:
    """The worker: import GX, then answer (validate, args) with ("ok"|"error", value)."""
    from assets.ingestion.gx_validation import _gx

    _gx()
    while True:
        try:
            validate, args = conn.recv()
        except EOFError:  # the run's process has closed its end: exit handlers only
            atexit._run_exitfuncs()  # (what the validations took is released) ...
            os._exit(0)  # ... and not the teardown of GX's heap, half a second
        try:
            conn.send(("ok", validate(*args)))
        except Exception as exc:  # noqa: BLE001 - raised again in the caller
            conn.send(("error", exc))


def start() -> None:
    """Start the worker now and let it import GX (idempotent). A plain process and a pipe:
    no queue, lock or semaphore outlives it."""
    global _worker
    if _worker is not None:
        return
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(theirs,), name="gx-worker", daemon=True)
    process.start()
    theirs.close()
    _worker = (process, ours)
    atexit.register(stop)


def worker_pid() -> int | None:
    return _worker[0].pid if _worker is not None else None


STOP_GRACE_SECONDS = 2.0


def stop() -> None:
    """End the worker: closing the pipe ends its loop (see `_serve`). One that does not
    end in time is killed."""
    global _worker
    if _worker is not None:
        process, conn = _worker
        _worker = None
        conn.close()
        process.join(STOP_GRACE_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()


def run(validate: Callable[..., T], *args) -> T:
    """`validate(*args)` in the worker when there is one, else here. A worker that died
    (killed, out of memory) is stopped and the validation is done here instead."""
    if _worker is not None:
        with _lock:
            try:
                _worker[1].send((validate, args))
                status, value = _worker[1].recv()
            except (EOFError, OSError):
                status = None
        if status is None:
            stop()
        elif status == "error":
            raise value
        else:
            return value
    return validate(*args)
