"""Run the ingestion rules (rules.py) with great-expectations 1.x on pandas frames.

One ephemeral GX context per validation, two batches (the rows, and one summary row per
day), one suite each: GX evaluates every expectation column-wise over the whole frame, so
a year of bars is one validation, not 98 000. GX is imported lazily (it takes seconds) with
its analytics and progress bars off. Each expectation carries the rule it belongs to; the
results are folded into one `RuleResult` per rule with the offending rows' file, row and
values, which is what the Dagster checks show.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from assets.common.config import LabConfig
from assets.ingestion.contract import BAR_COLUMNS, BAR_REQUIRED, CHAIN_COLUMNS, CHAIN_REQUIRED
from assets.ingestion.rules import (
    BAR_RULES,
    CHAIN_RULES,
    FIRST_ROWS,
    GRID_TOLERANCE,
    OffendingRow,
    RuleResult,
    RuleSpec,
    ValidationReport,
    bar_day_frame,
    bar_row_frame,
    chain_day_frame,
    chain_row_frame,
)

_NUMERIC_TYPES = ["float64", "float32", "int64", "int32", "Int64", "Float64"]
_DATE_TYPES = ["datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"]
_INTEGRAL_TOLERANCE = 1e-9


@lru_cache(maxsize=1)
def _gx():
    """Import GX once, quietly: no analytics, no progress bars, no INFO chatter."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    return gx, gxe, ProgressBarsConfig


@dataclass(frozen=True)
class _Check:
    rule: str
    label: str  # what a failure means, for the rule's detail text
    batch: str  # "rows" or "days"
    expectation: str  # GX expectation class name
    kwargs: dict[str, Any]
    show: tuple[str, ...]  # columns shown for offending rows
    count_column: str | None = None  # count = this column summed over unexpected rows


def _column_checks(prefix: str, columns: dict[str, str], required: tuple[str, ...],
                   present: set[str]) -> list[_Check]:
    rule = f"{prefix}_columns_and_types"
    checks = [_Check(rule, f"column {c!r} missing", "rows", "ExpectColumnToExist",
                     {"column": c}, ()) for c in columns]
    for column, kind in columns.items():
        if column not in present:
            continue
        if kind in ("float", "count"):
            checks.append(_Check(rule, f"column {column!r} is not numeric", "rows",
                                 "ExpectColumnValuesToBeInTypeList",
                                 {"column": column, "type_list": _NUMERIC_TYPES}, (column,)))
        elif kind == "text":
            checks.append(_Check(rule, f"column {column!r} holds non-text values", "rows",
                                 "ExpectColumnValuesToBeInTypeList",
                                 {"column": column, "type_list": ["str"]}, (column,)))
        elif kind == "date":
            checks.append(_Check(rule, f"column {column!r} is not a date column", "rows",
                                 "ExpectColumnValuesToBeInTypeList",
                                 {"column": column, "type_list": _DATE_TYPES}, (column,)))
        else:  # timestamp: GX cannot type-check tz-aware dtypes; a helper flag per row
            checks.append(_Check(rule, f"column {column!r} has timestamps without a timezone",
                                 "rows", "ExpectColumnValuesToBeInSet",
                                 {"column": "_ts_timezone_aware", "value_set": [True]}, (column,)))
    for column in required:
        if column in present:
            checks.append(_Check(rule, f"{column!r} empty", "rows",
                                 "ExpectColumnValuesToNotBeNull", {"column": column}, (column,)))
    return checks


def chain_checks(present: set[str]) -> list[_Check]:
    checks = _column_checks("chains", CHAIN_COLUMNS, CHAIN_REQUIRED, present)
    has = present.__contains__
    r = "chains_counts_integral_nonnegative"
    for column in ("open_interest", "volume"):
        if has(column):
            checks += [
                _Check(r, f"{column} < 0", "rows", "ExpectColumnValuesToBeBetween",
                       {"column": column, "min_value": 0}, (column,)),
                _Check(r, f"{column} not a whole number", "rows", "ExpectColumnValuesToBeBetween",
                       {"column": f"_{'oi' if column == 'open_interest' else column}_fraction",
                        "max_value": _INTEGRAL_TOLERANCE}, (column,)),
            ]
    r = "chains_strike_on_grid"
    if has("strike"):
        checks += [
            _Check(r, "strike <= 0", "rows", "ExpectColumnValuesToBeBetween",
                   {"column": "strike", "min_value": 0, "strict_min": True}, ("strike",)),
            _Check(r, "strike off the listed grid", "rows", "ExpectColumnValuesToBeBetween",
                   {"column": "_strike_grid_offset", "max_value": GRID_TOLERANCE}, ("strike",)),
        ]
    if has("option_type"):
        checks.append(_Check("chains_option_type", "option_type not C/P", "rows",
                             "ExpectColumnValuesToBeInSet",
                             {"column": "option_type", "value_set": ["C", "P"]},
                             ("option_type",)))
    key = ["expiration", "strike", "option_type"]
    if all(map(has, key)):
        checks.append(_Check("chains_unique_contract",
                             "duplicate (expiration, strike, option_type) on a day", "rows",
                             "ExpectCompoundColumnsToBeUnique",
                             {"column_list": ["_day", *key]}, tuple(key)))
    r = "chains_dates_match_day"
    if has("quote_date"):
        checks.append(_Check(r, "quote_date differs from the file's day", "rows",
                             "ExpectColumnValuesToBeInSet",
                             {"column": "_quote_date_matches_day", "value_set": [True]},
                             ("quote_date", "_day")))
    if has("expiration"):
        checks += [
            _Check(r, "expiration before the file's day", "rows", "ExpectColumnValuesToBeInSet",
                   {"column": "_not_expired", "value_set": [True]}, ("expiration", "_day")),
            _Check(r, "no contract expiring on the day (on a calendar placebo day: on the next "
                   "expiration session)", "days", "ExpectColumnValuesToBeBetween",
                   {"column": "expiring_rows", "min_value": 1},
                   ("day", "rows", "scored_expiration", "expiring_rows")),
            _Check(r, "contracts expiring on a calendar placebo day (not an expiration "
                   "session under calendar.expiration_rule)", "days",
                   "ExpectColumnValuesToBeBetween",
                   {"column": "placebo_same_day_rows", "max_value": 0},
                   ("day", "rows", "placebo_same_day_rows")),
        ]
    return checks


def bar_checks(present: set[str]) -> list[_Check]:
    checks = _column_checks("bars", BAR_COLUMNS, BAR_REQUIRED, present)
    has = present.__contains__
    if has("ts"):
        checks += [
            _Check("bars_in_session", "bar outside the session or not on a whole minute",
                   "rows", "ExpectColumnValuesToBeInSet",
                   {"column": "_in_session", "value_set": [True]},
                   ("ts", "_session_open", "_session_close")),
            _Check("bars_ts_strictly_increasing", "ts not after the previous bar's", "rows",
                   "ExpectColumnValuesToBeIncreasing", {"column": "ts", "strictly": True},
                   ("ts",)),
            _Check("bars_ts_strictly_increasing", "duplicate ts", "rows",
                   "ExpectColumnValuesToBeUnique", {"column": "ts"}, ("ts",)),
        ]
    r = "bars_ohlc_consistent"
    ohlc = ("open", "high", "low", "close")
    for a, b, label in (("high", "open", "high < open"), ("high", "close", "high < close"),
                        ("open", "low", "open < low"), ("close", "low", "close < low")):
        if has(a) and has(b):
            checks.append(_Check(r, label, "rows", "ExpectColumnPairValuesAToBeGreaterThanB",
                                 {"column_A": a, "column_B": b, "or_equal": True,
                                  "ignore_row_if": "either_value_is_missing"},
                                 tuple(c for c in ohlc if has(c))))
    if has("low"):
        checks.append(_Check(r, "low <= 0", "rows", "ExpectColumnValuesToBeBetween",
                             {"column": "low", "min_value": 0, "strict_min": True}, ("low",)))
    day_cols = ("day", "session_minutes", "bars", "missing_minutes", "fail_above", "missing")
    checks += [
        _Check("bars_gaps", "minutes without a bar", "days", "ExpectColumnValuesToBeBetween",
               {"column": "missing_minutes", "max_value": 0}, day_cols, "missing_minutes"),
        _Check("bars_gaps_excess", "too many minutes without a bar", "days",
               "ExpectColumnPairValuesAToBeGreaterThanB",
               {"column_A": "fail_above", "column_B": "missing_minutes", "or_equal": True},
               day_cols, "missing_minutes"),
    ]
    return checks


def _offending(frame: pd.DataFrame, indices: list[int],
               show: tuple[str, ...]) -> list[OffendingRow]:
    rows = []
    for i in indices[:FIRST_ROWS]:
        rec = frame.iloc[int(i)]
        values = {c: rec[c] for c in show if c in frame.columns}
        file = rec.get("source_file")
        row = rec.get("source_row")
        rows.append(OffendingRow(None if pd.isna(file) else str(file),
                                 None if row is None or pd.isna(row) else int(row), values))
    return rows


def _validate(kind: str, specs: tuple[RuleSpec, ...], checks: list[_Check],
              frames: dict[str, pd.DataFrame],
              only: Sequence[str] | None = None) -> list[RuleResult]:
    if only is not None:
        unknown = set(only) - {s.name for s in specs}
        if unknown:
            raise ValueError(f"unknown {kind} rule(s) {sorted(unknown)}")
        specs = tuple(s for s in specs if s.name in only)
        checks = [c for c in checks if c.rule in only]
    gx, gxe, ProgressBarsConfig = _gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(f"{kind}_staged")
    outcomes: dict[int, Any] = {}
    for batch_name, frame in frames.items():
        mine = [(i, c) for i, c in enumerate(checks) if c.batch == batch_name]
        if not mine:
            continue
        suite = gx.ExpectationSuite(name=f"{kind}_{batch_name}")
        for i, c in mine:
            suite.add_expectation(getattr(gxe, c.expectation)(**c.kwargs, meta={"check": i}))
        definition = (source.add_dataframe_asset(batch_name)
                      .add_batch_definition_whole_dataframe("whole"))
        batch = definition.get_batch(batch_parameters={"dataframe": frame})
        # Frames carry a RangeIndex, so GX's index lists are positions. (Naming index columns
        # instead makes GX loop in Python over *every* unexpected row: minutes on a broken
        # full-market file.) Day summaries are few rows: COMPLETE lists every failing day.
        result = batch.validate(suite, result_format={
            "result_format": "COMPLETE" if batch_name == "days" else "SUMMARY",
            "partial_unexpected_count": FIRST_ROWS, "return_unexpected_index_query": False})
        for r in result.results:
            outcomes[int(r.expectation_config.meta["check"])] = r

    results = []
    for spec in specs:
        count, rows, details = 0, [], []
        passed = True
        for i, c in enumerate(checks):
            if c.rule != spec.name:
                continue
            r = outcomes.get(i)
            if r is None or r.success:
                continue
            passed = False
            info = r.exception_info or {}
            if info.get("raised_exception"):
                details.append(f"{c.label}: not evaluated ({info.get('exception_message')})")
                count += 1
                continue
            n = r.result.get("unexpected_count")
            if n is None:  # aggregate expectations (column exists, column dtype)
                observed = r.result.get("observed_value")
                details.append(c.label + (f" (found {observed})" if observed else ""))
                count += 1
                continue
            indices = [int(i) for i in r.result.get("partial_unexpected_index_list") or []]
            if c.count_column:  # e.g. missing minutes summed over the failing days
                every = [int(i) for i in r.result.get("unexpected_index_list") or []]
                n = int(frames[c.batch].iloc[every][c.count_column].sum())
            count += int(n)
            details.append(f"{c.label}: {int(n)}")
            seen = {(o.source_file, o.source_row, tuple(o.values)) for o in rows}
            for o in _offending(frames[c.batch], indices, c.show):
                if (o.source_file, o.source_row, tuple(o.values)) not in seen and \
                        len(rows) < FIRST_ROWS:
                    rows.append(o)
        if not any(c.rule == spec.name for c in checks):
            passed = False
            details.append("not evaluated: its columns are missing")
        results.append(RuleResult(spec.name, passed, spec.severity, count, rows,
                                  spec.description, "; ".join(details)))
    return results


def _days_of(frame: pd.DataFrame, days: list[dt.date] | None) -> list[dt.date]:
    if days is not None:
        return sorted(set(days))
    for column in ("partition_date", "quote_date"):
        if column in frame.columns:
            unique = pd.DatetimeIndex(pd.to_datetime(frame[column]).dropna().unique())
            return sorted(set(unique.normalize().date))
    return []


def validate_chains(frame: pd.DataFrame, cfg: LabConfig, days: list[dt.date] | None = None,
                    rules: Sequence[str] | None = None) -> ValidationReport:
    """Validate staged chain rows (one or many days) against the chain rules.

    `days` are the days the rows were delivered for (default: those present in the frame);
    a requested day without rows fails `chains_dates_match_day`. `rules` restricts the run
    to some rule names (default: all).
    """
    start = time.perf_counter()
    days = _days_of(frame, days)
    rows = chain_row_frame(frame, cfg.ingestion)
    day_frame = chain_day_frame(frame, days, cfg)
    results = _validate("chains", CHAIN_RULES, chain_checks(set(frame.columns)),
                        {"rows": rows, "days": day_frame}, rules)
    return ValidationReport("chains", days, len(frame), results, time.perf_counter() - start)


def validate_bars(frame: pd.DataFrame, cfg: LabConfig, days: list[dt.date] | None = None,
                  rules: Sequence[str] | None = None) -> ValidationReport:
    """Validate staged 1-minute bars (one or many days, in file order) against the bar rules.

    Rows must be ordered by day, then by their row in the file, for the ordering rule.
    """
    start = time.perf_counter()
    days = _days_of(frame, days)
    rows = bar_row_frame(frame, cfg)
    day_frame = bar_day_frame(frame, days, cfg)
    results = _validate("bars", BAR_RULES, bar_checks(set(frame.columns)),
                        {"rows": rows, "days": day_frame}, rules)
    return ValidationReport("bars", days, len(frame), results, time.perf_counter() - start)
