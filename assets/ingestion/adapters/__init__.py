"""Vendor adapters: which landing file feeds which day, and how it maps to the contract.

Each adapter claims file names by pattern inside `landing/chains/` or `landing/bars/` and
turns the files of one day into a normalized `LandingRead`. Recognized names:

| kind   | adapter    | file names (in landing/<kind>/)                                          |
|--------|------------|--------------------------------------------------------------------------|
| chains | canonical  | `YYYY-MM-DD.csv`, `YYYY-MM-DD.parquet`                                   |
| chains | cboe       | `UnderlyingOptionsEODCalcs_YYYY-MM-DD.csv|.zip`,                         |
|        |            | `UnderlyingOptionsEODQuotes_YYYY-MM-DD.csv|.zip`                         |
| chains | databento  | `YYYY-MM-DD[.definition|.statistics].dbn[.zst]`, or Databento's batch   |
|        |            | names `<dataset>-YYYYMMDD.definition|statistics.dbn[.zst]`; all files   |
|        |            | of a day are read together (definitions + statistics, one or two files) |
| bars   | canonical  | `YYYY-MM-DD.csv`, `YYYY-MM-DD.parquet`                                   |
| bars   | databento  | `YYYY-MM-DD.ohlcv-1m.dbn[.zst]`, `<dataset>-YYYYMMDD.ohlcv-1m.dbn[.zst]` |
| chains | thetadata  | `OPTION-OPEN_INTEREST-YYYYMMDD.csv`, `thetadata-open_interest-YYYYMMDD.csv`|
| bars   | thetadata  | `thetadata-<SYMBOL>-ohlc-1m-YYYYMMDD.csv`                                |
| bars   | massive    | `YYYY-MM-DD.csv.gz` (us_indices/minute_aggs_v1)                          |
| chains | massive    | `YYYY-MM-DD.csv.gz`: refused (Massive carries no option open interest)   |
| chains | optionmetrics | `opprcd_YYYY-MM-DD.csv`, `opprcdYYYY_YYYYMMDD.csv` (WRDS IvyDB)    |

A file no adapter claims is an error naming it (dot-files such as `.DS_Store` or a
writer's `.tmp` are the only ones ignored). Two adapters (or two canonical files) for the
same day is an error too: the lab never guesses which delivery is the right one. The
selection can be narrowed by name (`adapters=("cboe",)`), e.g. from a job's config.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assets.common.config import LabConfig
from assets.ingestion.contract import Kind, LandingRead
from assets.ingestion.errors import (
    LandingFileError,
    MissingLandingFileError,
    UnrecognizedLandingFileError,
)

Reader = Callable[[list[Path], dt.date, LabConfig], LandingRead]


@dataclass(frozen=True)
class Adapter:
    """One vendor format for one kind of landing file.

    `patterns` are full-match regexes over the file name with a named group `day`
    (YYYY-MM-DD or YYYYMMDD). `multi_file` adapters read all of a day's files together.
    """

    name: str
    kind: Kind
    patterns: tuple[re.Pattern[str], ...]
    described: str
    examples: Callable[[dt.date], list[str]]
    read: Reader
    multi_file: bool = False
    oi_timing: str = ""  # chains: which day the vendor's OI describes and where it is mapped
    underlying_price_at: dt.time | None = None  # chains: ET time of the underlying_price

    def day_of(self, filename: str) -> dt.date | None:
        for pattern in self.patterns:
            m = pattern.fullmatch(filename)
            if m:
                raw = m.group("day").replace("-", "")
                try:
                    return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
                except ValueError:
                    return None
        return None


def registry() -> tuple[Adapter, ...]:
    # Imported here so that each adapter module can import this one for `Adapter`.
    from assets.ingestion.adapters import (
        canonical,
        cboe,
        databento,
        massive,
        optionmetrics,
        thetadata,
    )
    return (*canonical.ADAPTERS, *cboe.ADAPTERS, *databento.ADAPTERS, *thetadata.ADAPTERS,
            *massive.ADAPTERS, *optionmetrics.ADAPTERS)


def adapters_for(kind: Kind, names: Sequence[str] | None = None) -> tuple[Adapter, ...]:
    found = tuple(a for a in registry() if a.kind == kind)
    if names:
        unknown = set(names) - {a.name for a in found}
        if unknown:
            raise ValueError(f"unknown {kind} adapter(s) {sorted(unknown)}; "
                             f"available: {[a.name for a in found]}")
        found = tuple(a for a in found if a.name in names)
    return found


@dataclass(frozen=True)
class DaySource:
    """The files one adapter claims for one day."""

    adapter: Adapter
    day: dt.date
    paths: tuple[Path, ...]


def _ignored(name: str) -> bool:
    return name.startswith(".")


def landing_days(landing: Path) -> dict[dt.date, list[Path]]:
    """Every day an adapter recognizes in `landing/chains/` and `landing/bars/`, with its
    files, in day order: what the planner, the sensor, the schedule and the reproducibility
    protocol see. Lenient by design: a file no adapter claims is left to `scan`, which
    names it as an error when the day is ingested."""
    days: dict[dt.date, list[Path]] = {}
    for kind in ("chains", "bars"):
        directory = landing / kind
        if not directory.is_dir():
            continue
        candidates = adapters_for(kind)  # type: ignore[arg-type]
        for path in sorted(p for p in directory.iterdir() if p.is_file()):
            if _ignored(path.name):
                continue
            day = next((d for a in candidates if (d := a.day_of(path.name)) is not None), None)
            if day is not None:
                days.setdefault(day, []).append(path)
    return {day: days[day] for day in sorted(days)}


def adapter_for_file(kind: Kind, source_file: str) -> Adapter | None:
    """The adapter whose name pattern claims a staged row's `source_file` (a ZIP member's
    lineage `x.zip!x.csv` is matched by the archive's name)."""
    name = Path(str(source_file).split("!", 1)[0]).name
    return next((a for a in adapters_for(kind) if a.day_of(name) is not None), None)


def claim_files(directory: Path, candidates: Sequence[Adapter]
                ) -> tuple[dict[dt.date, dict[str, list[Path]]], list[str]]:
    """Each file's day and adapter (the first whose pattern matches), and the names no
    adapter claims; dot-files are skipped."""
    claimed: dict[dt.date, dict[str, list[Path]]] = {}
    unknown: list[str] = []
    if not directory.is_dir():
        return claimed, unknown
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        if _ignored(path.name):
            continue
        for adapter in candidates:
            day = adapter.day_of(path.name)
            if day is not None:
                claimed.setdefault(day, {}).setdefault(adapter.name, []).append(path)
                break
        else:
            unknown.append(path.name)
    return claimed, unknown


def scan(directory: Path, kind: Kind, adapters: Sequence[str] | None = None
         ) -> dict[dt.date, DaySource]:
    """Every day found in a landing directory, with its adapter and files.

    Raises `UnrecognizedLandingFileError` listing any file no adapter claims and
    `LandingFileError(rule="ambiguous_source")` when a day has competing deliveries.
    """
    candidates = adapters_for(kind, adapters)
    if not directory.exists():
        return {}
    claimed, unknown = claim_files(directory, candidates)
    if unknown:
        raise UnrecognizedLandingFileError.for_files(
            directory, unknown, [f"{a.name}: {a.described}" for a in candidates])
    by_name = {a.name: a for a in candidates}
    found: dict[dt.date, DaySource] = {}
    for day, groups in claimed.items():
        if len(groups) > 1 or any(len(p) > 1 and not by_name[n].multi_file
                                  for n, p in groups.items()):
            files = sorted(p.name for ps in groups.values() for p in ps)
            raise LandingFileError(directory / files[0], None, "ambiguous_source",
                                   f"{len(files)} competing {kind} files for {day}: {files}; "
                                   "keep exactly one delivery per day")
        (name, paths), = groups.items()
        found[day] = DaySource(by_name[name], day, tuple(paths))
    return found


def expected_names(kind: Kind, day: dt.date, adapters: Sequence[str] | None = None) -> list[str]:
    names: list[str] = []
    for adapter in adapters_for(kind, adapters):
        names.extend(adapter.examples(day))
    return names


def read_day(kind: Kind, day: dt.date, directory: Path, cfg: LabConfig,
             adapters: Sequence[str] | None = None,
             sources: dict[dt.date, DaySource] | None = None) -> LandingRead:
    """Read and normalize one day's landing files of one kind.

    A day without any file raises `MissingLandingFileError` naming the day and the paths
    that were looked for.
    """
    sources = scan(directory, kind, adapters) if sources is None else sources
    source = sources.get(day)
    if source is None:
        raise MissingLandingFileError.for_day(kind, day, directory,
                                              expected_names(kind, day, adapters))
    return source.adapter.read(list(source.paths), day, cfg)


def read_days(kind: Kind, days: Sequence[dt.date], directory: Path, cfg: LabConfig,
              adapters: Sequence[str] | None = None) -> list[LandingRead]:
    """`read_day` for many days with one directory scan; fails on the first bad day."""
    sources = scan(directory, kind, adapters)
    days = sorted(set(days))
    missing = [d for d in days if d not in sources]
    if len(missing) > 1:  # name every missing day at once, not one per retry
        first = MissingLandingFileError.for_day(kind, missing[0], directory,
                                                expected_names(kind, missing[0], adapters))
        listed = ", ".join(d.isoformat() for d in missing)
        raise MissingLandingFileError(first.file, None, "missing_file",
                                      f"no {kind} file for {len(missing)} day(s): {listed}. "
                                      f"For {missing[0]}: {first.detail.split(': ', 1)[1]}")
    return [read_day(kind, d, directory, cfg, adapters, sources) for d in days]
