"""Each great-expectations rule: a small bad frame fails it beside a good one that passes.

Thresholds and session times in the assertions are hand-computed (see
tests/support/ingestion_fixtures.py).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from assets.common.config import IngestionConfig, LabConfig
from assets.ingestion.contract import normalize_bars, normalize_chains
from assets.ingestion.gx_validation import validate_bars, validate_chains
from assets.ingestion.rules import BAR_RULES, CHAIN_RULES, gap_limits, rows_by_day
from tests.support import ingestion_fixtures as fx

CFG = LabConfig()
FILE = "landing/chains/2024-01-05.csv"
GAP_RULES = ("bars_gaps", "bars_gaps_excess")


def good_chains() -> pd.DataFrame:
    return normalize_chains(fx.chain_frame(), source_file=FILE, day=fx.DAY)


def good_bars(day: dt.date = fx.DAY, minutes: int = 390) -> pd.DataFrame:
    return normalize_bars(fx.bar_frame(day, minutes), source_file=f"landing/bars/{day}.csv",
                          day=day)


def chain_rule(frame: pd.DataFrame, rule: str, cfg: LabConfig = CFG, days=None):
    """Run one rule only (each GX expectation costs ~20 ms of fixed overhead)."""
    return validate_chains(frame, cfg, days, rules=[rule]).result(rule)


def bar_rule(frame: pd.DataFrame, rule: str, cfg: LabConfig = CFG, days=None):
    return validate_bars(frame, cfg, days, rules=[rule]).result(rule)


# ----------------------------------------------------------------------------- chains

def test_good_chain_passes_every_rule():
    report = validate_chains(good_chains(), CFG)
    assert [r.rule for r in report.results] == [r.name for r in CHAIN_RULES]
    assert all(r.passed for r in report.results), report.to_dict()
    assert report.passed


def test_chains_columns_and_types():
    missing = good_chains().drop(columns=["underlying"])
    r = chain_rule(missing, "chains_columns_and_types")
    assert not r.passed and "underlying" in r.detail and r.severity == "error"
    empty_strike = good_chains()
    empty_strike.loc[4, "strike"] = np.nan
    r = chain_rule(empty_strike, "chains_columns_and_types")
    assert not r.passed and r.unexpected_count == 1
    assert (r.first_rows[0].source_file, r.first_rows[0].source_row) == (FILE, 5)
    text_strike = good_chains().astype({"strike": object})
    text_strike["strike"] = text_strike["strike"].astype(str)
    assert not chain_rule(text_strike, "chains_columns_and_types").passed


def test_chains_counts_integral_nonnegative():
    frame = good_chains()
    frame.loc[2, "open_interest"] = -3
    frame.loc[7, "open_interest"] = 12.5
    frame.loc[9, "volume"] = 1.5
    r = chain_rule(frame, "chains_counts_integral_nonnegative")
    assert not r.passed and r.unexpected_count == 3
    assert sorted(o.source_row for o in r.first_rows) == [3, 8, 10]
    ok = good_chains()
    ok.loc[3, "volume"] = np.nan  # volume may be empty
    assert chain_rule(ok, "chains_counts_integral_nonnegative").passed


def test_chains_strike_on_grid():
    frame = good_chains()
    frame.loc[0, "strike"] = 4702.5
    frame.loc[1, "strike"] = 0.0
    r = chain_rule(frame, "chains_strike_on_grid")
    assert not r.passed and r.unexpected_count >= 2
    assert {o.source_row for o in r.first_rows} >= {1, 2}
    half = good_chains()
    half.loc[0, "strike"] = 4702.5
    cfg = LabConfig(ingestion=IngestionConfig(strike_grid_points=2.5))
    assert chain_rule(half, "chains_strike_on_grid", cfg).passed


def test_chains_option_type():
    frame = good_chains()
    frame.loc[5, "option_type"] = "X"
    r = chain_rule(frame, "chains_option_type")
    assert not r.passed and r.unexpected_count == 1
    assert r.first_rows[0].source_row == 6 and r.first_rows[0].values["option_type"] == "X"


def test_chains_unique_contract():
    frame = good_chains()
    frame = pd.concat([frame, frame.iloc[[3]].assign(source_row=len(frame) + 1)],
                      ignore_index=True)
    r = chain_rule(frame, "chains_unique_contract")
    assert not r.passed and r.unexpected_count == 2  # both copies
    # The same contract quoted on two different days is not a duplicate.
    day2 = dt.date(2024, 1, 4)
    other = normalize_chains(fx.chain_frame(day2).assign(expiration=fx.DAY.isoformat()),
                             source_file="b.csv", day=day2)
    both = pd.concat([good_chains(), other], ignore_index=True)
    assert chain_rule(both, "chains_unique_contract").passed


def test_chains_dates_match_day():
    wrong_quote = good_chains()
    wrong_quote.loc[0, "quote_date"] = pd.Timestamp("2024-01-04")
    r = chain_rule(wrong_quote, "chains_dates_match_day")
    assert not r.passed and r.first_rows[0].source_row == 1
    expired = good_chains()
    expired.loc[1, "expiration"] = pd.Timestamp("2024-01-03")
    assert not chain_rule(expired, "chains_dates_match_day").passed
    # Rows only for next week: nothing the lab can use that day.
    next_week = good_chains().assign(expiration=pd.Timestamp("2024-01-12"))
    r = chain_rule(next_week, "chains_dates_match_day")
    assert not r.passed and "no contract expiring" in r.detail
    # A requested day without any row fails too.
    r = chain_rule(good_chains(), "chains_dates_match_day", days=[fx.DAY, dt.date(2024, 1, 8)])
    assert not r.passed and r.first_rows[0].values["day"] == "2024-01-08"


# ------------------------------------------------------------------------------- bars

def test_good_bars_pass_every_rule_including_early_close():
    report = validate_bars(good_bars(), CFG)
    assert [r.rule for r in report.results] == [r.name for r in BAR_RULES]
    assert all(r.passed for r in report.results), report.to_dict()
    early = good_bars(fx.EARLY_DAY, 210)  # 09:30-13:00 EST, written by hand
    assert all(r.passed for r in validate_bars(early, CFG).results)
    with pytest.raises(ValueError, match="unknown bars rule"):
        validate_bars(early, CFG, rules=["nope"])


def test_bars_columns_and_types():
    assert not bar_rule(good_bars().drop(columns=["close"]), "bars_columns_and_types").passed
    frame = good_bars()
    frame.loc[12, "open"] = np.nan
    r = bar_rule(frame, "bars_columns_and_types")
    assert not r.passed and r.first_rows[0].source_row == 13
    naive = good_bars()
    naive["ts"] = naive["ts"].dt.tz_localize(None).astype(object)
    assert not bar_rule(naive, "bars_columns_and_types").passed


def test_bars_in_session():
    frame = good_bars()
    # 16:00 EST = 21:00 UTC is the close: a bar starting there is outside [open, close).
    frame.loc[389, "ts"] = pd.Timestamp("2024-01-05 21:00", tz="UTC")
    r = bar_rule(frame, "bars_in_session")
    assert not r.passed and r.first_rows[0].source_row == 390
    before = good_bars()
    before.loc[0, "ts"] = pd.Timestamp("2024-01-05 14:29", tz="UTC")
    assert not bar_rule(before, "bars_in_session").passed
    off_minute = good_bars()
    off_minute.loc[5, "ts"] += pd.Timedelta(seconds=30)
    assert not bar_rule(off_minute, "bars_in_session").passed
    # Early close: a bar at 13:00 EST (18:00 UTC) on 2023-11-24 is after the close.
    early = good_bars(fx.EARLY_DAY, 211)
    r = bar_rule(early, "bars_in_session")
    assert not r.passed and r.unexpected_count == 1 and r.first_rows[0].source_row == 211


def test_bars_ts_strictly_increasing():
    swapped = good_bars()
    swapped.loc[[10, 11], "ts"] = swapped.loc[[11, 10], "ts"].to_numpy()
    r = bar_rule(swapped, "bars_ts_strictly_increasing")
    assert not r.passed and 12 in {o.source_row for o in r.first_rows}
    dup = good_bars()
    dup.loc[20, "ts"] = dup.loc[19, "ts"]
    r = bar_rule(dup, "bars_ts_strictly_increasing")
    assert not r.passed and "duplicate ts" in r.detail


def test_bars_ohlc_consistent():
    frame = good_bars()
    frame.loc[3, "high"] = frame.loc[3, "close"] - 0.5
    frame.loc[8, "low"] = frame.loc[8, "open"] + 0.5
    r = bar_rule(frame, "bars_ohlc_consistent")
    assert not r.passed and {4, 9} <= {o.source_row for o in r.first_rows}
    zero = good_bars()
    zero.loc[2, ["open", "high", "low", "close"]] = [0.0, 0.0, 0.0, 0.0]
    assert not bar_rule(zero, "bars_ohlc_consistent").passed


def test_gap_limits_are_hand_computable():
    ing = CFG.ingestion
    assert gap_limits(390, ing) == (5, pytest.approx(7.8))
    assert gap_limits(210, ing) == (5, 5.0)  # 2 % of 210 = 4.2 < 5: a 5-minute gap only warns


def test_bars_gaps_warn_but_do_not_block():
    frame = good_bars().drop(index=[10, 11, 12]).reset_index(drop=True)  # 09:40-09:42 EST
    report = validate_bars(frame, CFG, rules=GAP_RULES)
    r = report.result("bars_gaps")
    assert not r.passed and r.severity == "warn" and r.unexpected_count == 3
    assert r.first_rows[0].values["missing"] == "09:40-09:42 ET"
    assert report.result("bars_gaps_excess").passed and report.passed


@pytest.mark.parametrize("day,minutes,dropped,fails", [
    (fx.DAY, 390, 7, False), (fx.DAY, 390, 8, True),
    (fx.EARLY_DAY, 210, 5, False), (fx.EARLY_DAY, 210, 6, True)])
def test_bars_gaps_excess(day, minutes, dropped, fails):
    frame = good_bars(day, minutes)
    frame = frame.drop(index=range(100, 100 + dropped)).reset_index(drop=True)
    report = validate_bars(frame, CFG, rules=GAP_RULES)
    assert report.result("bars_gaps_excess").passed is (not fails)
    assert report.result("bars_gaps").unexpected_count == dropped
    assert report.passed is (not fails)


def test_bars_missing_day_fails_excess():
    r = bar_rule(good_bars(), "bars_gaps_excess", days=[fx.DAY, dt.date(2024, 1, 8)])
    assert not r.passed and r.unexpected_count == 390


def test_rows_by_day_keeps_frame_order_and_drops_empty_days():
    """Interleaved days and an empty day: positions by hand, in the frame's own order."""
    frame = pd.DataFrame({"partition_date": pd.to_datetime(
        ["2024-01-08", "2024-01-05", "2024-01-08", None, "2024-01-05", "2024-01-08"])})
    got = {d: p.tolist() for d, p in rows_by_day(frame).items()}
    assert got == {dt.date(2024, 1, 8): [0, 2, 5], dt.date(2024, 1, 5): [1, 4]}
    assert rows_by_day(frame.iloc[:0]) == {}


def test_two_days_in_one_frame_are_summarized_apart():
    """A backfill frame: day two misses 8 minutes (fails), day one none; each day's summary
    counts its own rows only."""
    second = good_bars(dt.date(2024, 1, 8)).drop(index=range(50, 58))
    frame = pd.concat([good_bars(), second], ignore_index=True)
    report = validate_bars(frame, CFG, rules=GAP_RULES)
    r = report.result("bars_gaps_excess")
    assert not r.passed and r.unexpected_count == 8
    assert [o.values["day"] for o in r.first_rows] == ["2024-01-08"]
    assert r.first_rows[0].values["bars"] == 382


def test_report_is_json_ready():
    import json

    frame = good_chains()
    frame.loc[0, "option_type"] = "Z"
    text = json.dumps(validate_chains(frame, CFG, rules=["chains_option_type"]).to_dict())
    assert '"chains_option_type"' in text and '"passed": false' in text
