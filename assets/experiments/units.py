"""Fan-out units as files: each unit writes one Parquet file, a fan-in loads them all.

Work that fans out (sweep variants; independent synthetic worlds for a study) runs on
whatever executor is at hand: in the run's process, in subprocesses, on Celery workers,
in Kubernetes pods. A unit therefore never opens the single-writer DuckDB warehouse: it
writes `<directory>/<key>.parquet` (atomically, so a fan-in never reads half a file) and
the fan-in step loads every unit's file into one warehouse table in one transaction.
The directory must be shared by every worker (the data home, or a mounted volume).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def unit_file(directory: Path, key: str) -> Path:
    return Path(directory) / f"{_SAFE.sub('_', key)}.parquet"


def write_unit(directory: Path, key: str, frame: pd.DataFrame) -> Path:
    """Write one unit's rows (replacing an earlier attempt's file atomically)."""
    target = unit_file(directory, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def missing_units(directory: Path, keys: Sequence[str]) -> list[str]:
    return [k for k in keys if not unit_file(directory, k).exists()]


def load_units(conn: duckdb.DuckDBPyConnection, table: str, directory: Path,
               keys: Sequence[str], delete_where: tuple[str, list] | None = None) -> int:
    """Load every unit's file into `table` (created from the files on first use), first
    deleting the rows `delete_where` (sql, params) selects, in one transaction."""
    missing = missing_units(directory, keys)
    if missing:
        raise FileNotFoundError(f"{len(missing)} unit file(s) missing under {directory}: "
                                f"{', '.join(missing[:5])}; run their steps first")
    files = [str(unit_file(directory, k)) for k in keys]
    schema = table.split(".")[0]
    conn.execute(f"create schema if not exists {schema}")
    conn.execute("begin transaction")
    try:
        conn.execute(f"create table if not exists {table} as select * from "
                     "read_parquet(?, union_by_name = true) limit 0", [files])
        if delete_where is not None:
            conn.execute(f"delete from {table} where {delete_where[0]}", delete_where[1])
        conn.execute(f"insert into {table} by name select * from "
                     "read_parquet(?, union_by_name = true)", [files])
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return len(files)
