"""Low-level, defensive readers for landing files (CSV, CSV inside ZIP, Parquet).

The fast path is pyarrow's multi-threaded CSV reader (a full-market Cboe day is ~1.5 M
rows). Its errors do not name a row, so on any failure a slow, pure-Python pass over the
same bytes locates the offending row and the reader raises `LandingFileError(file, row,
rule, detail)` instead. The slow pass only runs on the error path.

Files must be UTF-8 (ASCII is UTF-8); the check covers every byte, including columns an
adapter does not read, because a file in another encoding is a delivery defect to fix at
the source, not something to guess around.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from assets.ingestion.errors import LandingFileError

_CHUNK = 8 << 20
_THREADED_FROM = 4 << 20  # bytes
_COLUMNS_RE = re.compile(r"Expected (\d+) columns, got (\d+)")
_CONVERSION_RE = re.compile(r"In CSV column #(\d+): (?:Row #\d+: )?CSV conversion error to "
                            r"([^:]+): "
                            r"(?:invalid value '(.*)'|expected a zone offset in '(.*?)')",
                            re.DOTALL)

Source = Path | bytes


def _chunks(source: Source) -> Iterator[bytes]:
    if isinstance(source, bytes):
        for i in range(0, len(source), _CHUNK):
            yield source[i:i + _CHUNK]
        return
    with open(source, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def check_text(source: Source, name: str) -> None:
    """Raise unless the bytes are non-empty UTF-8 text without NUL bytes.

    Streams in chunks so a 400 MB file is never decoded into one string.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines_before = 0
    total = 0
    for chunk in _chunks(source):
        total += len(chunk)
        nul = chunk.find(b"\x00")
        if nul >= 0:
            line = lines_before + chunk.count(b"\n", 0, nul)
            raise LandingFileError(name, line or None, "binary",
                                   "contains NUL bytes: a binary file, not CSV text")
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = lines_before + chunk.count(b"\n", 0, max(exc.start, 0))
            raise LandingFileError(
                name, line or None, "encoding",
                f"byte {chunk[exc.start:exc.start + 1]!r} is not valid UTF-8 "
                "(is the file latin-1/cp1252? re-export it as UTF-8)") from None
        lines_before += chunk.count(b"\n")
    if total == 0:
        raise LandingFileError(name, None, "empty", "the file is empty (0 bytes)")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise LandingFileError(name, lines_before or None, "encoding",
                               "the file ends inside a multi-byte UTF-8 character "
                               "(truncated?)") from None


def _text_stream(source: Source) -> io.TextIOBase:
    raw = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def read_header(source: Source, name: str) -> list[str]:
    with _text_stream(source) as fh:
        try:
            header = next(csv.reader(fh))
        except StopIteration:
            raise LandingFileError(name, None, "empty", "the file has no header line") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise LandingFileError(name, None, "empty", "the header line is blank")
    return header


def _locate(source: Source, predicate) -> tuple[int, list[str]] | None:
    """First data row (1-based, header excluded) whose fields satisfy `predicate`."""
    with _text_stream(source) as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row_number, fields in enumerate(reader, start=1):
            if predicate(fields):
                return row_number, fields
    return None


def _explain_arrow_error(exc: Exception, source: Source, name: str,
                         header: list[str]) -> LandingFileError:
    message = str(exc)
    m = _COLUMNS_RE.search(message)
    if m:
        expected = int(m.group(1))
        hit = _locate(source, lambda f: len(f) != expected and f != [])
        row, fields = hit if hit else (None, [])
        got = len(fields) if hit else int(m.group(2))
        truncated = hit and got < expected and _is_last_row(source, row)
        rule = "truncated" if truncated else "field_count"
        return LandingFileError(name, row, rule,
                                f"expected {expected} fields (the header's), found {got}"
                                + (" on the last line: the file looks cut short"
                                   if rule == "truncated" else ""))
    m = _CONVERSION_RE.search(message)
    if m:
        col = int(m.group(1))
        target = m.group(2)
        value = m.group(3) if m.group(3) is not None else m.group(4)
        column = header[col] if col < len(header) else f"#{col}"
        hit = _locate(source, lambda f: col < len(f) and f[col] == value)
        row = hit[0] if hit else None
        if m.group(4) is not None:
            return LandingFileError(name, row, "ts_offset",
                                    f"column {column!r}: {value!r} has no UTC offset (the "
                                    "contract requires e.g. 2024-01-05T09:30:00-05:00)")
        return LandingFileError(name, row, "type",
                                f"column {column!r}: {value!r} is not a valid {target}")
    if "Empty CSV file" in message:
        return LandingFileError(name, None, "empty", "the file is empty")
    return LandingFileError(name, None, "parse", f"cannot parse as CSV: {message}")


def _is_last_row(source: Source, row: int | None) -> bool:
    if row is None:
        return False
    with _text_stream(source) as fh:
        count = sum(1 for _ in csv.reader(fh)) - 1
    return row == count


def read_csv(source: Source, name: str, *, column_types: dict[str, pa.DataType],
             required: tuple[str, ...] | list[str], optional: tuple[str, ...] | list[str] = (),
             check_encoding: bool = True, allow_no_rows: bool = False) -> pa.Table:
    """Read the named columns of a CSV into an Arrow table, or raise `LandingFileError`.

    `required` columns must be in the header; `optional` ones are read when present.
    Columns not listed are not converted (fast on wide vendor files). Empty fields are nulls.
    """
    if check_encoding:
        check_text(source, name)
    header = read_header(source, name)
    missing = [c for c in required if c not in header]
    if missing:
        raise LandingFileError(name, None, "missing_columns",
                               f"required column(s) {missing} not in the header {header}")
    dupes = sorted({h for h in header if header.count(h) > 1 and h})
    if dupes:
        raise LandingFileError(name, None, "duplicate_columns",
                               f"column(s) {dupes} appear more than once in the header")
    include = [c for c in (*required, *optional) if c in header]
    convert = pacsv.ConvertOptions(
        column_types={c: t for c, t in column_types.items() if c in include},
        include_columns=include, strings_can_be_null=True,
        null_values=["", "NA", "NaN", "nan", "null", "NULL"])
    parse = pacsv.ParseOptions(ignore_empty_lines=False)
    stream = pa.BufferReader(source) if isinstance(source, bytes) else str(source)
    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    # Threads pay off on a full-market file; on a day's small file their start-up dominates.
    read = pacsv.ReadOptions(use_threads=size > _THREADED_FROM)
    try:
        table = pacsv.read_csv(stream, read_options=read, parse_options=parse,
                               convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowKeyError, pa.ArrowTypeError) as exc:
        raise _explain_arrow_error(exc, source, name, header) from None
    table = _trim_trailing_blank_rows(table)
    if table.num_rows == 0 and not allow_no_rows:
        raise LandingFileError(name, None, "no_rows", "the file has a header but no data rows")
    return table


def _trim_trailing_blank_rows(table: pa.Table) -> pa.Table:
    """Drop all-empty rows at the end (a trailing blank line is an editor artefact). Blank
    rows in the middle stay, as empty rows the checks report with their row number."""
    if table.num_rows == 0 or table.num_columns == 0:
        return table
    valid = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:
        valid |= pc.is_valid(column).to_numpy(zero_copy_only=False)
    last = np.flatnonzero(valid)
    return table.slice(0, int(last[-1]) + 1 if last.size else 0)


def read_zip_member(path: Path, suffix: str = ".csv") -> tuple[bytes, str]:
    """The bytes of the single `suffix` member of a ZIP (how Cboe DataShop delivers files)."""
    name = str(path)
    if path.stat().st_size == 0:
        raise LandingFileError(name, None, "empty", "the file is empty (0 bytes)")
    try:
        with zipfile.ZipFile(path) as zf:
            members = [i for i in zf.infolist()
                       if i.filename.lower().endswith(suffix) and not i.is_dir()]
            if len(members) != 1:
                listed = [i.filename for i in zf.infolist()]
                raise LandingFileError(name, None, "zip_members",
                                       f"expected exactly one {suffix} member, found {listed}")
            return zf.read(members[0]), f"{name}!{members[0].filename}"
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, OSError) as exc:
        raise LandingFileError(name, None, "zip", f"not a readable ZIP archive "
                               f"(truncated or corrupt?): {exc}") from None


def read_parquet(path: Path, *, required: tuple[str, ...] | list[str],
                 optional: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """Read the named columns of a Parquet file, or raise `LandingFileError`."""
    name = str(path)
    if path.stat().st_size == 0:
        raise LandingFileError(name, None, "empty", "the file is empty (0 bytes)")
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise LandingFileError(name, None, "parquet",
                               f"not a readable Parquet file (truncated or corrupt?): {exc}"
                               ) from None
    names = list(schema.names)
    missing = [c for c in required if c not in names]
    if missing:
        raise LandingFileError(name, None, "missing_columns",
                               f"required column(s) {missing} not in the file's columns {names}")
    include = [c for c in (*required, *optional) if c in names]
    try:
        table = pq.read_table(path, columns=include)
    except (pa.ArrowInvalid, OSError) as exc:
        raise LandingFileError(name, None, "parquet", f"cannot read the Parquet data: {exc}"
                               ) from None
    if table.num_rows == 0:
        raise LandingFileError(name, None, "no_rows", "the file has no data rows")
    return table.to_pandas(date_as_object=False)


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(date_as_object=False)
