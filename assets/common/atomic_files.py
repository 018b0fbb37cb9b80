"""Atomic file replacement: a reader sees the old file or the new one, never half of one.

Every writer of files that other processes read while the lab runs (the evidence package and
its files, the report, the landing zone's synthetic days) goes through `write_atomic`: the
content is written to a hidden temporary file in the target's own folder (rename is atomic
only within one filesystem), flushed to disk, and renamed over the target. On any error the
temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: str | Path, write: Callable[[Path], None], *,
                 mode: int | None = None) -> Path:
    """Replace `path` with what `write(temporary_path)` writes there.

    `mode` sets the file's permission bits; without it the file keeps the temporary file's
    (owner read/write only, as `tempfile.mkstemp` creates it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                          dir=path.parent)
    os.close(fd)
    temporary = Path(temporary_name)
    try:
        write(temporary)
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str, *, mode: int | None = None) -> Path:
    """Replace `path` with `text` (UTF-8, newlines written as given)."""
    return write_atomic(path, lambda temporary: _write_text(temporary, text), mode=mode)


def write_bytes_atomic(path: str | Path, data: bytes, *, mode: int | None = None) -> Path:
    """Replace `path` with `data`."""
    return write_atomic(path, lambda temporary: temporary.write_bytes(data), mode=mode)


def _write_text(temporary: Path, text: str) -> None:
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
