"""Errors raised while reading the landing zone.

A person fixing a bad vendor file needs three things: which file, which row, which rule.
Every reader failure is therefore re-raised as a `LandingFileError` carrying exactly those,
instead of a parser traceback from deep inside pandas or pyarrow.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path


class LandingFileError(ValueError):
    """A landing file that cannot be mapped onto the data contract.

    `row` is the 1-based data row (header excluded) when the defect is on one row, else None.
    `rule` is a short stable name (e.g. `empty`, `encoding`, `missing_columns`) that tests
    and alerting can match on.
    """

    def __init__(self, file: str | Path, row: int | None, rule: str, detail: str) -> None:
        self.file = str(file)
        self.row = row
        self.rule = rule
        self.detail = detail
        where = f"{self.file}, row {row}" if row is not None else self.file
        super().__init__(f"{where}: [{rule}] {detail}")

    def __reduce__(self):  # keep picklable across Dagster's process boundary
        return (type(self), (self.file, self.row, self.rule, self.detail))


class MissingLandingFileError(LandingFileError):
    """No landing file for a requested day: names the day and the paths that were expected."""

    def __init__(self, file: str | Path, row: int | None, rule: str, detail: str) -> None:
        super().__init__(file, row, rule, detail)

    @classmethod
    def for_day(cls, kind: str, day: dt.date, directory: Path,
                expected: list[str]) -> MissingLandingFileError:
        primary = directory / expected[0]
        others = ", ".join(expected[1:])
        detail = (f"no {kind} file for {day.isoformat()}: expected {primary}"
                  + (f" (or one of: {others})" if others else ""))
        return cls(primary, None, "missing_file", detail)


class UnrecognizedLandingFileError(LandingFileError):
    """Files in the landing zone that no adapter claims: listed by name, never skipped."""

    def __init__(self, file: str | Path, row: int | None, rule: str, detail: str) -> None:
        super().__init__(file, row, rule, detail)

    @classmethod
    def for_files(cls, directory: Path, names: list[str],
                  patterns: list[str]) -> UnrecognizedLandingFileError:
        detail = (f"{len(names)} file(s) in {directory} match no adapter: "
                  f"{', '.join(sorted(names))}. Recognized names: {'; '.join(patterns)}")
        return cls(directory / sorted(names)[0], None, "unrecognized_file", detail)
