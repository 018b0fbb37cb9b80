"""The read-only warehouse the reading commands (`replay`, `pages`) open, with one message
for each way it can be missing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WarehouseUnavailable(Exception):
    """No warehouse yet, or a run holds it."""


@contextmanager
def read_only_warehouse(path: Path) -> Iterator:
    if not path.exists():
        raise WarehouseUnavailable(f"no warehouse at {path}: run `pressure-lab run` first")
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as conn:
            yield conn
    except duckdb.IOException as exc:
        raise WarehouseUnavailable(f"the warehouse {path} cannot be read now (is a run "
                                   f"writing it?): {exc}") from exc
