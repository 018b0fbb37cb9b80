"""ThetaData, Massive and OptionMetrics adapters against files in the vendors' layouts.

Expected values come from the rows the fixtures wrote (tests/vendor_fixtures.py), and for
Massive from a plain gzip + csv reading of the same file: never from the adapters.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip

import numpy as np
import pandas as pd
import pytest

from assets.common.config import IngestionConfig, LabConfig
from assets.ingestion.adapters import read_day
from assets.ingestion.contract import STAGE_BAR_COLUMNS, STAGE_CHAIN_COLUMNS
from assets.ingestion.errors import LandingFileError
from tests.support import vendor_fixtures as vf

CFG = LabConfig()


def _oi(frame: pd.DataFrame) -> dict[tuple[float, str], float]:
    return {(float(k), t): float(q) for k, t, q in
            zip(frame["strike"], frame["option_type"], frame["open_interest"], strict=True)}


def _expected_oi() -> dict[tuple[float, str], float]:
    return {(t["strike"], t["right"]): float(t["expected"]) for t in vf.theta_oi_ticks()
            if t["expected"] is not None}


# ------------------------------------------------------------------------ ThetaData

@pytest.mark.parametrize("layout", ["flat_v2", "flat_v3", "history_v3"])
def test_thetadata_chains_keep_the_pre_open_report(tmp_path, layout):
    d = tmp_path / "chains"
    if layout == "history_v3":
        vf.write_theta_history(d)
    else:
        vf.write_theta_flat(d, version=2 if layout == "flat_v2" else 3)
    read = read_day("chains", vf.DAY, d, CFG)
    out = read.frame
    assert read.adapter == "thetadata" and list(out.columns) == list(STAGE_CHAIN_COLUMNS)
    # The 06:30 ET report of D (positions at D-1's close) is day D's OI; the 11:02 re-send
    # is after the open and must not leak in; strikes in dollars whatever the file's units.
    assert _oi(out) == _expected_oi()
    assert set(out["root"]) == {"SPXW"} and set(out["expiration"]) == {pd.Timestamp(vf.DAY)}
    notes = " ".join(read.notes)
    assert "10 OI ticks not stamped before the 2024-01-05 open ignored" in notes
    assert "root SPXW used; 1 ticks of other roots dropped" in notes
    # Lineage: the row of the 06:30 tick (2 ticks per contract, written in strike order).
    rows = {(float(k), t): int(r) for k, t, r in
            zip(out["strike"], out["option_type"], out["source_row"], strict=True)}
    want = {(k, cp): 2 * (2 * j + (cp == "P")) + 1
            for j, k in enumerate(vf.STRIKES) for cp in ("C", "P")}
    assert rows == want


def test_thetadata_bars_are_the_named_index_in_session(tmp_path):
    path = vf.index_path()
    vf.write_theta_bars(tmp_path / "bars", path=path)
    read = read_day("bars", vf.DAY, tmp_path / "bars", CFG)
    out = read.frame
    assert list(out.columns) == list(STAGE_BAR_COLUMNS)
    assert read.instrument.kind == "index" and read.instrument.symbol == "SPX"
    assert len(out) == 390  # the 16:00 bar is outside [open, close)
    # ET 09:30 on 2024-01-05 is 14:30 UTC (EST, hand-computed).
    assert out["ts"].iloc[0] == pd.Timestamp("2024-01-05 14:30", tz="UTC")
    np.testing.assert_array_equal(out["close"].to_numpy(), [p[4] for p in path])
    np.testing.assert_array_equal(out["open"].to_numpy(), [p[1] for p in path])


def test_thetadata_unreadable_strike_names_the_row(tmp_path):
    path = vf.write_theta_flat(tmp_path / "chains")
    lines = path.read_text().splitlines()
    assert lines[5].startswith("SPXW,20240105,4695000,C")  # data row 5
    lines[5] = lines[5].replace("4695000", "forty")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LandingFileError) as err:
        read_day("chains", vf.DAY, tmp_path / "chains", CFG)
    assert (err.value.rule, err.value.row) == ("type", 5) and path.name in str(err.value)


# -------------------------------------------------------------------------- Massive

def test_massive_keeps_the_configured_ticker_inside_the_session(tmp_path):
    target = vf.write_massive_minute_aggs(tmp_path / "bars")
    read = read_day("bars", vf.DAY, tmp_path / "bars", CFG)
    out = read.frame
    assert read.adapter == "massive" and read.instrument.kind == "index"
    # Independent reading: gzip + csv, the I:SPX rows whose window starts in the session
    # (hand-written bounds: 14:30 <= t < 21:00 UTC on 2024-01-05).
    lo = pd.Timestamp("2024-01-05 14:30", tz="UTC").value
    hi = pd.Timestamp("2024-01-05 21:00", tz="UTC").value
    with gzip.open(target, "rt", newline="") as fh:
        rows = [(i, r) for i, r in enumerate(csv.DictReader(fh), start=1)
                if r["ticker"] == "I:SPX" and lo <= int(r["window_start"]) < hi]
    assert len(out) == len(rows) == 390
    assert out["source_row"].tolist() == [i for i, _ in rows]
    for column in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(out[column].to_numpy(), [float(r[column]) for _, r in rows])
    np.testing.assert_array_equal(out["ts"].astype("int64").to_numpy(),
                                  [int(r["window_start"]) for _, r in rows])
    assert set(out["symbol"]) == {"I:SPX"} and out["volume"].isna().all()


def test_massive_other_ticker_from_config(tmp_path):
    vf.write_massive_minute_aggs(tmp_path / "bars")
    cfg = LabConfig(ingestion=IngestionConfig(index_ticker="I:NDX"))
    out = read_day("bars", vf.DAY, tmp_path / "bars", cfg).frame
    assert set(out["symbol"]) == {"I:NDX"} and (out["close"] == 16001.0).all()


def test_massive_file_in_chains_is_refused_for_lack_of_open_interest(tmp_path):
    vf.write_massive_minute_aggs(tmp_path / "chains")
    with pytest.raises(LandingFileError) as err:
        read_day("chains", vf.DAY, tmp_path / "chains", CFG)
    assert err.value.rule == "no_open_interest"
    assert "Massive" in str(err.value) and "no open interest" in str(err.value)


def test_massive_truncated_gzip_is_an_error_naming_the_file(tmp_path):
    target = vf.write_massive_minute_aggs(tmp_path / "bars")
    target.write_bytes(target.read_bytes()[: len(target.read_bytes()) // 2])
    with pytest.raises(LandingFileError) as err:
        read_day("bars", vf.DAY, tmp_path / "bars", CFG)
    assert str(target) in str(err.value)


# -------------------------------------------------------------------- OptionMetrics

def test_ivydb_maps_the_row_dated_d_to_day_d(tmp_path):
    """Two dates in one export: the row dated D carries D-1's close (IvyDB's one-day lag),
    known before D's open, so day D gets it. Taking the previous date's row (reading the
    OI as the day's own close) would give PREV's numbers, one day off."""
    vf.write_ivydb(tmp_path / "chains")
    read = read_day("chains", vf.DAY, tmp_path / "chains", CFG)
    out = read.frame
    assert read.adapter == "optionmetrics"
    want = {(k, cp): float(vf.ivy_oi(vf.DAY, k, cp)) for k in vf.STRIKES for cp in ("C", "P")}
    shifted = {(k, cp): float(vf.ivy_oi(vf.PREV, k, cp)) for k in vf.STRIKES for cp in ("C", "P")}
    assert _oi(out) == want and want != shifted
    np.testing.assert_array_equal(np.sort(out["strike"].unique()), vf.STRIKES)  # x1000 undone
    assert set(out["root"]) == {"SPXW"} and set(out["underlying"]) == {"SPX"}
    assert "11 rows of other dates ignored" in " ".join(read.notes)
    # source_row: rows of DAY follow the 11 rows of PREV in the file.
    assert out["source_row"].min() == 12


def test_ivydb_days_before_the_lag_are_refused(tmp_path):
    day = dt.date(2000, 11, 24)
    vf.write_ivydb(tmp_path / "chains", dates=(day,), exdate=day)
    with pytest.raises(LandingFileError) as err:
        read_day("chains", day, tmp_path / "chains", CFG)
    assert err.value.rule == "oi_timing"


def test_ivydb_bad_date_names_the_row(tmp_path):
    path = vf.write_ivydb(tmp_path / "chains")
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("2024-01-04", "04JAN2024", 1)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LandingFileError) as err:
        read_day("chains", vf.DAY, tmp_path / "chains", CFG)
    assert (err.value.rule, err.value.row) == ("type", 2)
