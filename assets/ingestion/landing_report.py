"""The landing-zone report behind `pressure-lab inspect`: what a run would read, before it runs.

Per day: which adapter claims each file, the bars' instrument (and basis, when futures are
adjusted), the OI timing rule the chain's adapter applies, counts (contracts, expiring
contracts, strikes, bars, missing minutes), every adapter note and warning, and every
error a run would stop on (unreadable files, futures without a basis method, bars that
cannot be the chain's underlying, a day with only one of its two files). Across days:
expiration sessions without files (missing) and files on days that are not expiration
sessions (extra). The reading goes through the same adapters, basis and plausibility code
as the ingestion assets, without Dagster, dbt or the warehouse; days are read in a small
process pool (fork) because a year is ~500 small files.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from assets.common import calendar
from assets.common.config import LabConfig
from assets.ingestion import folder_underlying, plausibility
from assets.ingestion.adapters import Adapter, adapters_for, claim_files
from assets.ingestion.contract import KINDS, Kind, LandingRead
from assets.ingestion.errors import LandingFileError
from assets.ingestion.placebo_days import scored_expiration
from assets.ingestion.rules import gap_limits
from assets.ingestion.underlying import align_to_underlying


@dataclass
class KindReport:
    adapter: str
    files: list[str]
    rows_in_files: int = 0
    rows: int = 0  # contracts (chains) or bars after the adapter's mapping
    expiring: int = 0  # chains: contracts expiring that day
    strikes: int = 0  # chains: distinct strikes of the expiring contracts
    missing_minutes: int = 0  # bars
    instrument: str = ""  # bars
    basis: str = ""  # bars: method and points, when futures were adjusted
    oi_timing: str = ""  # chains


@dataclass
class DayReport:
    day: dt.date
    chains: KindReport | None = None
    bars: KindReport | None = None
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class LandingReport:
    landing: str
    days: list[DayReport]
    missing_days: list[dt.date]
    extra_days: list[dt.date]
    errors: list[str]  # not tied to a day (unrecognized files)

    @property
    def error_count(self) -> int:
        return len(self.errors) + sum(len(d.errors) for d in self.days)

    @property
    def warning_count(self) -> int:
        return sum(len(d.warnings) for d in self.days)


def _read(kind: Kind, day: dt.date, groups: dict[str, list[Path]], adapters: dict[str, Adapter],
          cfg: LabConfig, report: DayReport) -> LandingRead | None:
    names = sorted(p.name for ps in groups.values() for p in ps)
    if len(groups) > 1 or any(len(p) > 1 and not adapters[n].multi_file
                              for n, p in groups.items()):
        report.errors.append(f"{kind}: {len(names)} competing files {names}: keep one delivery")
        return None
    (name, paths), = groups.items()
    adapter = adapters[name]
    sub = KindReport(name, [p.name for p in paths], oi_timing=adapter.oi_timing)
    setattr(report, kind, sub)
    try:
        read = adapter.read(list(paths), day, cfg)
    except LandingFileError as exc:
        report.errors.append(f"{kind}: {exc}")
        return None
    sub.rows_in_files, sub.rows = read.rows_in_files, len(read.frame)
    report.warnings.extend(f"{kind} ({name}): {n}" for n in read.notes)
    return read


def _chain_counts(read: LandingRead, sub: KindReport, cfg: LabConfig) -> None:
    target = scored_expiration(read.day, cfg)  # the next expiration on a placebo day
    mask = read.frame["expiration"].to_numpy() == np.datetime64(target, "ns")
    sub.expiring = int(mask.sum())
    sub.strikes = int(np.unique(read.frame["strike"].to_numpy()[mask]).size)


def _bar_counts(read: LandingRead, sub: KindReport, sess: calendar.Session | None,
                cfg: LabConfig, report: DayReport) -> None:
    if read.instrument is not None:
        sub.instrument = read.instrument.describe()
    if sess is None:
        return
    present = pd.DatetimeIndex(read.frame["ts"].dropna().unique())
    missing = len(sess.bar_starts().difference(present))
    sub.missing_minutes = missing
    warn, fail = gap_limits(sess.minutes, cfg.ingestion)
    if missing > fail:
        report.errors.append(f"bars: {missing} of {sess.minutes} session minutes without a bar "
                             f"(more than {fail:g}: bars_gaps_excess)")
    elif missing:
        report.warnings.append(f"bars: {missing} session minutes without a bar (bars_gaps)")


def inspect_day(day: dt.date, chains: dict[str, list[Path]] | None,
                bars: dict[str, list[Path]] | None, cfg: LabConfig, landing: Path,
                sess: calendar.Session | None) -> DayReport:
    report = DayReport(day)
    adapters = {k: {a.name: a for a in adapters_for(k)} for k in KINDS}
    chain_read = bar_read = None
    if chains:
        chain_read = _read("chains", day, chains, adapters["chains"], cfg, report)
        if chain_read is not None:
            try:
                folder_underlying.check(chain_read, cfg)
            except LandingFileError as exc:
                report.errors.append(f"chains: {exc}")
                chain_read = None
        if chain_read is not None:
            _chain_counts(chain_read, report.chains, cfg)
    elif bars and cfg.ingestion.basis_method != "none":
        report.warnings.append("bars only: read as the previous session's close for the "
                               "next day's basis")
    else:
        report.errors.append("chains: no file for this day")
    if bars:
        bar_read = _read("bars", day, bars, adapters["bars"], cfg, report)
        if bar_read is not None:
            try:
                (bar_read,), (source,) = align_to_underlying(
                    [bar_read], cfg, landing / "bars", landing)
                if source.basis_points is not None:
                    report.bars.basis = f"{source.basis_method}: {source.basis_points:+.4g} points"
            except LandingFileError as exc:
                report.errors.append(f"bars: {exc}")
                bar_read = None
        if bar_read is not None:
            _bar_counts(bar_read, report.bars, sess, cfg, report)
    else:
        report.errors.append("bars: no file for this day")
    if chain_read is not None and bar_read is not None:
        snapshot = adapters["chains"][chain_read.adapter].underlying_price_at
        check = plausibility.check_day(bar_read.frame, chain_read.frame, day, cfg, snapshot)
        if check is not None and not check.passed:
            report.errors.append(f"{plausibility.RULE}: {check.message()}")
        if check is not None and check.name_warning:
            report.warnings.append(check.name_warning)
    return report


def _inspect_many(args: tuple) -> list[DayReport]:
    items, cfg, landing = args
    return [inspect_day(day, c, b, cfg, landing, s) for day, c, b, s in items]


def inspect_landing(landing: Path, cfg: LabConfig, start: dt.date | None = None,
                    end: dt.date | None = None, workers: int | None = None) -> LandingReport:
    """The report for every day with landing files in [start, end] (see the module doc)."""
    claims, errors = {}, []
    for kind in KINDS:
        claimed, unknown = claim_files(landing / kind, adapters_for(kind))
        claims[kind] = claimed
        if unknown:
            errors.append(f"{landing / kind}: {len(unknown)} file(s) no adapter claims: "
                          f"{', '.join(unknown[:10])}" + (" ..." if len(unknown) > 10 else ""))
    days = sorted({d for c in claims.values() for d in c
                   if (start is None or d >= start) and (end is None or d <= end)})
    if not days:
        return LandingReport(str(landing), [], [], [], errors or [f"no landing files under "
                                                                   f"{landing}"])
    lo, hi = start or days[0], end or days[-1]
    sessions = {s.day: s for s in calendar.sessions(lo, hi, cfg.calendar.exchange)}
    expiring = set(calendar.expiration_days(lo, hi, cfg.calendar.expiration_rule,
                                            cfg.calendar.exchange))
    if cfg.validation.calendar_placebo:  # placebo days are accepted, and optional
        accepted = expiring | set(calendar.placebo_days(lo, hi, cfg.calendar.expiration_rule,
                                                        cfg.calendar.exchange))
    else:
        accepted = expiring
    items = [(d, claims["chains"].get(d), claims["bars"].get(d), sessions.get(d)) for d in days]
    workers = workers or min(2, os.cpu_count() or 1)
    if workers > 1 and len(items) > 20 and "fork" in multiprocessing.get_all_start_methods():
        chunks = [(items[i::workers], cfg, landing) for i in range(workers)]
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            reports = [r for part in pool.map(_inspect_many, chunks) for r in part]
        reports.sort(key=lambda r: r.day)
    else:
        reports = _inspect_many((items, cfg, landing))
    extra = [d for d in days if d not in accepted]
    for report in reports:
        if report.day in extra and report.chains is not None:
            report.errors.append(f"{report.day} is not an expiration session "
                                 f"({cfg.calendar.exchange}, rule {cfg.calendar.expiration_rule})")
    missing = sorted(expiring.difference(days))
    return LandingReport(str(landing), reports, missing, extra, errors)


def _dates(days: list[dt.date], limit: int = 12) -> str:
    shown = ", ".join(d.isoformat() for d in days[:limit])
    return shown + (f", ... ({len(days) - limit} more)" if len(days) > limit else "")


def format_report(report: LandingReport, verbose: bool = True) -> str:
    """Plain text, one block per day (errors and warnings under it), then the summary."""
    lines = [f"landing zone: {report.landing}"]
    for d in report.days:
        c, b = d.chains, d.bars
        chain = (f"chains[{c.adapter}] {', '.join(c.files)}: {c.rows} contracts, {c.expiring} "
                 f"expiring, {c.strikes} strikes; OI: {c.oi_timing}") if c else "chains: -"
        bar = (f"bars[{b.adapter}] {', '.join(b.files)}: {b.instrument or 'instrument ?'}"
               f"{' (basis ' + b.basis + ')' if b.basis else ''}, {b.rows} bars, "
               f"{b.missing_minutes} missing minutes") if b else "bars: -"
        status = "ERROR" if d.errors else ("warn" if d.warnings else "ok")
        if verbose or d.errors or d.warnings:
            lines.append(f"{d.day} {status:5} {chain} | {bar}")
            lines.extend(f"    error: {e}" for e in d.errors)
            lines.extend(f"    warning: {w}" for w in d.warnings if verbose or d.errors)
    lines.extend(f"error: {e}" for e in report.errors)
    if report.missing_days:
        lines.append(f"missing: {len(report.missing_days)} expiration session(s) without files: "
                     f"{_dates(report.missing_days)}")
    if report.extra_days:
        lines.append(f"extra: {len(report.extra_days)} day(s) with files that are not expiration "
                     f"sessions: {_dates(report.extra_days)}")
    span = (f"{report.days[0].day} .. {report.days[-1].day}" if report.days else "no days")
    lines.append(f"{len(report.days)} day(s) ({span}): {report.error_count} error(s), "
                 f"{report.warning_count} warning(s)")
    return "\n".join(lines)
