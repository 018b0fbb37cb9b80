"""The data-quality rules for staged chains and bars, and their result types.

Pure pandas/numpy. Great-expectations (gx_validation.py) evaluates the rules; this module
prepares what it evaluates: vectorized helper columns for facts GX has no expectation for
(a strike's distance to the listed grid, a bar inside its day's exchange session, ...) and
one summary row per day for the per-day rules (expiring contracts present, missing
minutes). Several days can be validated in one frame: every rule is keyed by the day the
row was delivered for (`partition_date`), so one GX run covers a whole backfill.

Gap rule (bars), the decision: let T be the session's minutes and m the minutes without a
bar. m == 0 passes. 0 < m <= max(N, f*T) is a warning (N =
`ingestion.max_missing_minutes_warn`, f = `ingestion.max_missing_fraction_fail`): a few
missing minutes are normal in thin pre-holiday sessions and the numpy stages carry the last
price. m > max(N, f*T) fails: more than a fraction f of the session is gone and the
day's minute-level statistics would be biased. With the defaults (N = 5, f = 2 %) a
regular day (T = 390) fails from 8 missing minutes on, an early close (T = 210) from 6: a
gap of up to N minutes only ever warns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from assets.common import calendar
from assets.common.config import IngestionConfig, LabConfig
from assets.ingestion.placebo_days import is_placebo_day, scored_expiration

Severity = Literal["error", "warn"]
FIRST_ROWS = 5  # offending rows kept per rule
GRID_TOLERANCE = 1e-6  # points: a strike this close to a grid multiple is on the grid


@dataclass(frozen=True)
class RuleSpec:
    name: str
    severity: Severity
    description: str


CHAIN_RULES: tuple[RuleSpec, ...] = (
    RuleSpec("chains_columns_and_types", "error",
             "every contract column is present with its type; quote_date, underlying, "
             "expiration, strike, option_type and open_interest are never empty"),
    RuleSpec("chains_counts_integral_nonnegative", "error",
             "open_interest and volume are whole numbers >= 0"),
    RuleSpec("chains_strike_on_grid", "error",
             "strike > 0 and a multiple of ingestion.strike_grid_points"),
    RuleSpec("chains_option_type", "error", "option_type is C or P"),
    RuleSpec("chains_unique_contract", "error",
             "no two rows of a day share (expiration, strike, option_type)"),
    RuleSpec("chains_dates_match_day", "error",
             "quote_date equals the file's day, no contract has already expired, and the day "
             "has contracts expiring that day (the 0DTE rows the lab uses); on a calendar "
             "placebo day, contracts of the next expiration session and none expiring that "
             "day"),
)

BAR_RULES: tuple[RuleSpec, ...] = (
    RuleSpec("bars_columns_and_types", "error",
             "symbol, ts (timezone-aware), open, high, low, close are present, typed and "
             "never empty; volume is numeric"),
    RuleSpec("bars_in_session", "error",
             "every bar starts on a whole minute inside its day's exchange session "
             "[open, close), early closes included"),
    RuleSpec("bars_ts_strictly_increasing", "error",
             "timestamps strictly increase in file order, without duplicates"),
    RuleSpec("bars_ohlc_consistent", "error",
             "high >= max(open, close) and min(open, close) >= low > 0"),
    RuleSpec("bars_gaps", "warn",
             "every minute of the session has a bar (missing minutes are listed)"),
    RuleSpec("bars_gaps_excess", "error",
             "missing minutes <= max(ingestion.max_missing_minutes_warn, "
             "ingestion.max_missing_fraction_fail x session minutes)"),
)

RULES_BY_NAME: dict[str, RuleSpec] = {r.name: r for r in (*CHAIN_RULES, *BAR_RULES)}


@dataclass
class OffendingRow:
    source_file: str | None
    source_row: int | None
    values: dict[str, Any]


@dataclass
class RuleResult:
    rule: str
    passed: bool
    severity: Severity
    unexpected_count: int
    first_rows: list[OffendingRow] = field(default_factory=list)
    description: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass
class ValidationReport:
    kind: str
    days: list[dt.date]
    rows: int
    results: list[RuleResult]
    elapsed_seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """No error-severity rule failed (warnings do not block)."""
        return all(r.passed for r in self.results if r.severity == "error")

    @property
    def errors(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed and r.severity == "error"]

    @property
    def warnings(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed and r.severity == "warn"]

    def result(self, rule: str) -> RuleResult:
        return next(r for r in self.results if r.rule == rule)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable({"kind": self.kind, "days": [d.isoformat() for d in self.days],
                          "rows": self.rows, "passed": self.passed,
                          "elapsed_seconds": round(self.elapsed_seconds, 4),
                          "results": [r.to_dict() for r in self.results]})


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    return value


# ---------------------------------------------------------------- helper columns (chains)

def _day_column(frame: pd.DataFrame) -> pd.Series:
    """The day each row was delivered for: `partition_date`, else its own `quote_date`."""
    for column in ("partition_date", "quote_date"):
        if column in frame.columns:
            return pd.to_datetime(frame[column], errors="coerce").dt.normalize()
    return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")


def rows_by_day(frame: pd.DataFrame) -> dict[dt.date, np.ndarray]:
    """Positions of each day's rows, in frame order, from one pass over the day column.

    Per-day work must index its rows this way: masking the whole frame once per day costs
    days x rows, so ten years would take a hundred times one year, not ten."""
    codes, uniques = pd.factorize(_day_column(frame).to_numpy())  # NaT -> -1, dropped
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {pd.Timestamp(u).date(): order[bounds[i]:bounds[i + 1]]
            for i, u in enumerate(uniques)}


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    return pd.to_numeric(frame[column], errors="coerce")


def _fractional_part(values: pd.Series) -> pd.Series:
    return (values - values.round()).abs()


def chain_row_frame(frame: pd.DataFrame, cfg: IngestionConfig) -> pd.DataFrame:
    """The frame GX validates (RangeIndex = position) plus one helper column per derived fact."""
    out = frame.reset_index(drop=True).copy()
    day = _day_column(out)
    out["_day"] = day
    out["_oi_fraction"] = _fractional_part(_numeric(out, "open_interest"))
    out["_volume_fraction"] = _fractional_part(_numeric(out, "volume"))
    strike = _numeric(out, "strike")
    grid = float(cfg.strike_grid_points)
    out["_strike_grid_offset"] = ((strike / grid) - (strike / grid).round()).abs() * grid
    quote = (pd.to_datetime(out["quote_date"], errors="coerce").dt.normalize()
             if "quote_date" in out.columns else pd.Series(pd.NaT, index=out.index))
    expiration = (pd.to_datetime(out["expiration"], errors="coerce").dt.normalize()
                  if "expiration" in out.columns else pd.Series(pd.NaT, index=out.index))
    # Empty dates are the columns rule's business; here only wrong dates count.
    out["_quote_date_matches_day"] = (quote.isna() | (quote == day)).to_numpy()
    out["_not_expired"] = (expiration.isna() | (expiration >= day)).to_numpy()
    return out


def chain_day_frame(frame: pd.DataFrame, days: list[dt.date],
                    cfg: LabConfig | None = None) -> pd.DataFrame:
    """One row per requested day: rows delivered, rows of the expiration it is scored on
    (its own; on a calendar placebo day the next one) and rows expiring on the day itself
    when that is a placebo day (which must be none)."""

    by_day = rows_by_day(frame)
    expiration = (pd.to_datetime(frame["expiration"], errors="coerce").dt.normalize()
                  .to_numpy() if "expiration" in frame.columns
                  else np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[ns]"))
    files = (frame["source_file"].to_numpy() if "source_file" in frame.columns
             else np.full(len(frame), None, dtype=object))
    rows = []
    for d in sorted(set(days)):
        mine = by_day.get(d, np.empty(0, dtype=np.intp))
        placebo = cfg is not None and is_placebo_day(d, cfg)
        target = scored_expiration(d, cfg) if placebo else d
        same_day = int((expiration[mine] == np.datetime64(pd.Timestamp(d))).sum())
        rows.append({"day": d.isoformat(),
                     "source_file": files[mine[0]] if mine.size else None,
                     "rows": int(mine.size),
                     "scored_expiration": target.isoformat(),
                     "expiring_rows": int(
                         (expiration[mine] == np.datetime64(pd.Timestamp(target))).sum()),
                     "placebo_same_day_rows": same_day if placebo else 0})
    out = pd.DataFrame(rows, columns=["day", "source_file", "rows", "scored_expiration",
                                      "expiring_rows", "placebo_same_day_rows"])
    return out


# ------------------------------------------------------------------ helper columns (bars)

def _sessions(days: list[dt.date], exchange: str) -> dict[dt.date, calendar.Session | None]:
    if not days:
        return {}
    found = {s.day: s for s in calendar.sessions(min(days), max(days), exchange)}
    return {d: found.get(d) for d in days}


def _utc_ts(frame: pd.DataFrame) -> tuple[pd.Series, np.ndarray]:
    """Timestamps as UTC plus a per-row flag: was the value timezone-aware?"""
    if "ts" not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]"), \
            np.ones(len(frame), dtype=bool)
    values = frame["ts"]
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC"), np.ones(len(frame), dtype=bool)
    aware = values.map(lambda v: v is None or v is pd.NaT
                       or (isinstance(v, (pd.Timestamp, dt.datetime)) and v.tzinfo is not None)
                       ).to_numpy(dtype=bool)
    converted = values.map(lambda v: pd.Timestamp(v).tz_convert("UTC")
                           if isinstance(v, (pd.Timestamp, dt.datetime)) and v.tzinfo is not None
                           else pd.NaT)
    return pd.to_datetime(converted, utc=True), aware


def bar_row_frame(frame: pd.DataFrame, cfg: LabConfig) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    day = _day_column(out)
    out["_day"] = day
    ts, aware = _utc_ts(out)
    out["_ts_timezone_aware"] = aware
    days = sorted(set(pd.DatetimeIndex(day.dropna().unique()).date))
    sessions = _sessions(days, cfg.calendar.exchange)
    open_of = {pd.Timestamp(d): s.open for d, s in sessions.items() if s is not None}
    close_of = {pd.Timestamp(d): s.close for d, s in sessions.items() if s is not None}
    opens = pd.to_datetime(day.map(open_of), utc=True)
    closes = pd.to_datetime(day.map(close_of), utc=True)
    on_minute = (ts == ts.dt.floor("min")).to_numpy(dtype=bool)
    inside = ((ts >= opens) & (ts < closes)).to_numpy(dtype=bool)
    # An empty ts is the columns rule's business.
    out["_in_session"] = ts.isna().to_numpy() | (inside & on_minute)
    out["_session_open"] = opens
    out["_session_close"] = closes
    return out


def gap_limits(session_minutes: int, cfg: IngestionConfig) -> tuple[int, float]:
    """(warn_up_to, fail_above): see the module docstring for the decision."""
    warn = int(cfg.max_missing_minutes_warn)
    return warn, max(float(warn), float(cfg.max_missing_fraction_fail) * session_minutes)


def _format_minutes(minutes: pd.DatetimeIndex, limit: int = 30) -> str:
    if len(minutes) == 0:
        return ""
    et = minutes.tz_convert(calendar.EXCHANGE_TZ)
    # Collapse consecutive minutes into ranges so a long gap reads as one item.
    parts, start, prev = [], et[0], et[0]
    for t in et[1:]:
        if t - prev == pd.Timedelta(minutes=1):
            prev = t
            continue
        parts.append(start.strftime("%H:%M") if start == prev
                     else f"{start:%H:%M}-{prev:%H:%M}")
        start = prev = t
    parts.append(start.strftime("%H:%M") if start == prev else f"{start:%H:%M}-{prev:%H:%M}")
    text = ", ".join(parts[:limit])
    return text + (f", ... ({len(parts) - limit} more)" if len(parts) > limit else "") + " ET"


def bar_day_frame(frame: pd.DataFrame, days: list[dt.date], cfg: LabConfig) -> pd.DataFrame:
    """One row per requested day: session minutes, minutes without a bar and the limits."""
    by_day = rows_by_day(frame)
    ts, _ = _utc_ts(frame)
    files = (frame["source_file"].to_numpy() if "source_file" in frame.columns
             else np.full(len(frame), None, dtype=object))
    sessions = _sessions(sorted(set(days)), cfg.calendar.exchange)
    rows = []
    for d in sorted(set(days)):
        mine = by_day.get(d, np.empty(0, dtype=np.intp))
        sess = sessions.get(d)
        if sess is None:
            rows.append({"day": d.isoformat(), "source_file": None, "session_minutes": 0,
                         "bars": int(mine.size), "missing_minutes": 0, "warn_up_to": 0,
                         "fail_above": 0.0, "missing": "no exchange session on this day"})
            continue
        expected = sess.bar_starts()
        present = pd.DatetimeIndex(ts.iloc[mine].dropna().unique())
        missing = expected.difference(present)
        warn, fail = gap_limits(sess.minutes, cfg.ingestion)
        rows.append({"day": d.isoformat(),
                     "source_file": files[mine[0]] if mine.size else None,
                     "session_minutes": sess.minutes, "bars": int(mine.size),
                     "missing_minutes": int(len(missing)), "warn_up_to": warn,
                     "fail_above": fail, "missing": _format_minutes(missing)})
    columns = ["day", "source_file", "session_minutes", "bars", "missing_minutes",
               "warn_up_to", "fail_above", "missing"]
    out = pd.DataFrame(rows, columns=columns)
    return out


def merge_reports(reports: list[ValidationReport]) -> ValidationReport:
    """Reports of consecutive day chunks as one: a rule passes only where it passed on every
    chunk; counts add up and the first offending rows are the earliest chunks'. (The rules
    are per row or per day, so validating a range chunk by chunk finds what one pass finds,
    with memory bounded by the chunk.)"""
    if len(reports) == 1:
        return reports[0]
    merged: dict[str, RuleResult] = {}
    for report in reports:
        for r in report.results:
            m = merged.get(r.rule)
            if m is None:
                merged[r.rule] = RuleResult(r.rule, r.passed, r.severity, r.unexpected_count,
                                            list(r.first_rows[:FIRST_ROWS]), r.description,
                                            r.detail)
                continue
            m.passed = m.passed and r.passed
            m.unexpected_count += r.unexpected_count
            m.first_rows.extend(r.first_rows[:FIRST_ROWS - len(m.first_rows)])
            if r.detail and r.detail not in m.detail:
                m.detail = "; ".join(filter(None, [m.detail, r.detail]))
    return ValidationReport(reports[0].kind, [d for r in reports for d in r.days],
                            sum(r.rows for r in reports), list(merged.values()),
                            sum(r.elapsed_seconds for r in reports))
