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
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")

_pool: ProcessPoolExecutor | None = None


def _warm() -> None:
    from assets.ingestion.gx_validation import _gx

    _gx()


def _ready() -> bool:
    return True


def start() -> None:
    """Start the worker now and let it import GX (idempotent)."""
    global _pool
    if _pool is not None:
        return
    _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                initializer=_warm)
    _pool.submit(_ready)  # the pool starts its process on its first task, not when it is made
    atexit.register(stop)


def stop() -> None:
    """End the worker without waiting for its interpreter's teardown (GX's heap takes
    half a second to free, and nothing in the worker outlives a validation)."""
    global _pool
    if _pool is not None:
        processes = list(_pool._processes.values())
        _pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        _pool = None


def run(validate: Callable[..., T], *args) -> T:
    """`validate(*args)` in the worker when there is one, else here. A worker that died
    (killed, out of memory) is dropped and the validation is done here instead."""
    global _pool
    if _pool is not None:
        try:
            return _pool.submit(validate, *args).result()
        except BrokenProcessPool:
            _pool = None
    return validate(*args)
