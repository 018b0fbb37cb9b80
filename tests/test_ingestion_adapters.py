"""The three adapters (canonical, Cboe EOD, Databento DBN) against fixtures built here."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from assets.common.config import IngestionConfig, LabConfig
from assets.ingestion.adapters import read_day, read_days, scan
from assets.ingestion.contract import STAGE_BAR_COLUMNS, STAGE_CHAIN_COLUMNS
from assets.ingestion.errors import (
    LandingFileError,
    MissingLandingFileError,
    UnrecognizedLandingFileError,
)
from tests.support import ingestion_fixtures as fx

CFG = LabConfig()


# ------------------------------------------------------------------------ canonical

def test_canonical_chain_csv_maps_every_row_with_lineage(tmp_path):
    src = fx.chain_frame()
    fx.write_csv(src, tmp_path / "chains" / "2024-01-05.csv")
    read = read_day("chains", fx.DAY, tmp_path / "chains", CFG)
    out = read.frame
    assert read.adapter == "canonical"
    assert list(out.columns) == list(STAGE_CHAIN_COLUMNS)
    assert len(out) == len(src) == 2 * len(fx.STRIKES)
    assert out["source_row"].tolist() == list(range(1, len(src) + 1))
    np.testing.assert_array_equal(out["open_interest"].to_numpy(), src["open_interest"].to_numpy())
    np.testing.assert_array_equal(out["strike"].to_numpy(), src["strike"].to_numpy())
    assert (out["quote_date"] == pd.Timestamp("2024-01-05")).all()
    assert (out["partition_date"] == pd.Timestamp("2024-01-05")).all()
    assert out["source_file"].str.endswith("chains/2024-01-05.csv").all()


def test_canonical_parquet_equals_csv(tmp_path):
    src = fx.chain_frame()
    fx.write_csv(src, tmp_path / "csv" / "2024-01-05.csv")
    (tmp_path / "pq").mkdir()
    (tmp_path / "pq" / "2024-01-05.parquet").write_bytes(fx.parquet_bytes(src))
    a = read_day("chains", fx.DAY, tmp_path / "csv", CFG).frame.drop(columns="source_file")
    b = read_day("chains", fx.DAY, tmp_path / "pq", CFG).frame.drop(columns="source_file")
    pd.testing.assert_frame_equal(a, b)


def test_canonical_bars_parse_offsets_to_utc(tmp_path):
    fx.write_csv(fx.bar_frame(), tmp_path / "bars" / "2024-01-05.csv")
    out = read_day("bars", fx.DAY, tmp_path / "bars", CFG).frame
    assert list(out.columns) == list(STAGE_BAR_COLUMNS)
    assert len(out) == 390
    # 09:30 EST is 14:30 UTC; 15:59 EST is 20:59 UTC (hand-computed).
    assert out["ts"].iloc[0] == pd.Timestamp("2024-01-05 14:30", tz="UTC")
    assert out["ts"].iloc[-1] == pd.Timestamp("2024-01-05 20:59", tz="UTC")
    assert str(out["ts"].dt.tz) == "UTC"


def test_canonical_optional_columns_may_be_absent(tmp_path):
    src = fx.chain_frame().drop(columns=["bid", "ask", "implied_volatility", "root"])
    fx.write_csv(src, tmp_path / "chains" / "2024-01-05.csv")
    read = read_day("chains", fx.DAY, tmp_path / "chains", CFG)
    assert read.frame["bid"].isna().all() and read.frame["root"].isna().all()
    assert any("absent" in n for n in read.notes)


# ----------------------------------------------------------------------------- Cboe

def _cboe_expectation(frame: pd.DataFrame) -> pd.DataFrame:
    keep = (frame["root"] == "SPXW") & (frame["expiration"] == "2024-01-05")
    return frame[keep]


@pytest.mark.parametrize("fmt", ["csv", "zip"])
def test_cboe_keeps_the_days_expiring_first_root(tmp_path, fmt):
    src = fx.cboe_frame()
    path = tmp_path / "chains" / f"UnderlyingOptionsEODCalcs_2024-01-05.{fmt}"
    if fmt == "csv":
        fx.write_csv(src, path)
    else:
        fx.write_cboe_zip(src, path)
    read = read_day("chains", fx.DAY, tmp_path / "chains", CFG)
    out = read.frame
    want = _cboe_expectation(src)
    assert read.adapter == "cboe"
    assert len(out) == len(want) == 2 * len(fx.STRIKES)
    assert set(out["root"]) == {"SPXW"}
    assert set(out["underlying"]) == {"SPX"}  # caret stripped
    # Lineage: source_row is the 1-based row of the vendor file (index + 1).
    assert out["source_row"].tolist() == (want.index + 1).tolist()
    # OI used as delivered: the EOD file dated D carries the OI known before D's open.
    np.testing.assert_array_equal(out["open_interest"].to_numpy(), want["open_interest"].to_numpy())
    np.testing.assert_array_equal(out["volume"].to_numpy(), want["trade_volume"].to_numpy())
    np.testing.assert_allclose(out["underlying_price"], 4700.4)
    assert any("SPX" in n and "dropped" in n for n in read.notes)
    if fmt == "zip":
        assert out["source_file"].iloc[0].endswith(".zip!UnderlyingOptionsEODCalcs_2024-01-05.csv")


def test_cboe_root_order_is_configurable(tmp_path):
    fx.write_csv(fx.cboe_frame(), tmp_path / "c" / "UnderlyingOptionsEODQuotes_2024-01-05.csv")
    cfg = LabConfig(ingestion=IngestionConfig(roots=("SPX", "SPXW")))
    out = read_day("chains", fx.DAY, tmp_path / "c", cfg).frame
    assert set(out["root"]) == {"SPX"} and len(out) == 6


def test_cboe_quotes_file_without_greeks_uses_underlying_mid(tmp_path):
    src = fx.cboe_frame().drop(columns=["implied_volatility_1545", "active_underlying_price_1545",
                                        "implied_underlying_price_1545", "delta_1545",
                                        "gamma_1545", "theta_1545", "vega_1545", "rho_1545"])
    fx.write_csv(src, tmp_path / "c" / "UnderlyingOptionsEODQuotes_2024-01-05.csv")
    out = read_day("chains", fx.DAY, tmp_path / "c", CFG).frame
    np.testing.assert_allclose(out["underlying_price"], (4700.0 + 4701.0) / 2)
    assert out["implied_volatility"].isna().all()


# ------------------------------------------------------------------------ Databento

@pytest.mark.parametrize("layout", ["mixed", "pair_zst", "batch_names"])
def test_databento_chains_join_pre_open_oi_to_definitions(tmp_path, layout):
    import databento_dbn as dbn

    defs, stats, expected = fx.dbn_chain_records()
    d = tmp_path / "chains"
    if layout == "mixed":
        fx.write_dbn(d / "2024-01-05.dbn", fx.dbn_metadata(None), [*defs, *stats])
    elif layout == "pair_zst":
        fx.write_dbn(d / "2024-01-05.definition.dbn.zst", fx.dbn_metadata(dbn.Schema.DEFINITION),
                     defs, zstd=True)
        fx.write_dbn(d / "2024-01-05.statistics.dbn.zst", fx.dbn_metadata(dbn.Schema.STATISTICS),
                     stats, zstd=True)
    else:
        fx.write_dbn(d / "opra-pillar-20240105.definition.dbn.zst",
                     fx.dbn_metadata(dbn.Schema.DEFINITION), defs, zstd=True)
        fx.write_dbn(d / "opra-pillar-20240105.statistics.dbn.zst",
                     fx.dbn_metadata(dbn.Schema.STATISTICS), stats, zstd=True)
    read = read_day("chains", fx.DAY, d, CFG)
    out = read.frame
    assert read.adapter == "databento"
    got = {(float(k), t): float(q) for k, t, q in
           zip(out["strike"], out["option_type"], out["open_interest"], strict=True)}
    assert got == {k: float(v) for k, v in expected.items()}
    assert set(out["expiration"]) == {pd.Timestamp("2024-01-05")}
    assert set(out["root"]) == {"SPXW"} and set(out["underlying"]) == {"SPX"}
    assert out["volume"].isna().all()
    notes = " ".join(read.notes)
    assert "after the 2024-01-05 open ignored" in notes
    assert "without a pre-open open-interest record dropped" in notes
    # source_row = position of the chosen OI record among the file's statistics records:
    # each contract writes 4 (older OI, pre-open OI, after-open OI, volume), so 4g + 2.
    strikes = sorted({k for k, _ in expected})
    want_rows = {(k, t): 4 * (2 * strikes.index(k) + (t == "P")) + 2 for k, t in expected}
    got_rows = {(float(k), t): int(r) for k, t, r in
                zip(out["strike"], out["option_type"], out["source_row"], strict=True)}
    assert got_rows == want_rows
    assert out["source_file"].str.contains("statistics" if layout != "mixed" else "dbn").all()


def test_databento_bars_keep_session_and_front_month(tmp_path):
    import databento_dbn as dbn

    recs, expected = fx.dbn_bar_records()
    path = tmp_path / "bars" / "2024-01-05.ohlcv-1m.dbn.zst"
    fx.write_dbn(path, fx.dbn_metadata(dbn.Schema.OHLCV_1M, "GLBX.MDP3",
                                       symbols=["ES.FUT"],
                                       mappings=[*fx.mappings_for("ESH4", 42),
                                                 *fx.mappings_for("ESM4", 43)]),
                 recs, zstd=True)
    read = read_day("bars", fx.DAY, tmp_path / "bars", CFG)
    out = read.frame
    assert len(out) == 390 == len(expected)
    assert set(out["symbol"]) == {"ESH4"}
    np.testing.assert_array_equal(out["ts"].to_numpy(), pd.DatetimeIndex(expected["ts"]).to_numpy())
    for c in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(out[c].to_numpy(), expected[c].to_numpy())
    assert any("kept 42" in n for n in read.notes)


# --------------------------------------------------------------- discovery and errors

def test_unrecognized_file_is_named(tmp_path):
    fx.write_csv(fx.chain_frame(), tmp_path / "chains" / "2024-01-05.csv")
    (tmp_path / "chains" / "chain_2024_01_08.txt").write_text("x")
    (tmp_path / "chains" / ".DS_Store").write_text("ignored")
    with pytest.raises(UnrecognizedLandingFileError) as err:
        scan(tmp_path / "chains", "chains")
    assert "chain_2024_01_08.txt" in str(err.value)
    assert err.value.rule == "unrecognized_file"


def test_missing_day_names_day_and_expected_path(tmp_path):
    fx.write_csv(fx.chain_frame(), tmp_path / "chains" / "2024-01-05.csv")
    day = dt.date(2024, 1, 8)
    with pytest.raises(MissingLandingFileError) as err:
        read_day("chains", day, tmp_path / "chains", CFG)
    msg = str(err.value)
    assert "2024-01-08" in msg and str(tmp_path / "chains" / "2024-01-08.csv") in msg
    with pytest.raises(MissingLandingFileError) as err:
        read_days("bars", [day, dt.date(2024, 1, 9)], tmp_path / "bars", CFG)
    assert "2024-01-08, 2024-01-09" in str(err.value)


def test_two_deliveries_for_one_day_are_ambiguous(tmp_path):
    fx.write_csv(fx.chain_frame(), tmp_path / "chains" / "2024-01-05.csv")
    fx.write_csv(fx.cboe_frame(), tmp_path / "chains" / "UnderlyingOptionsEODCalcs_2024-01-05.csv")
    with pytest.raises(LandingFileError) as err:
        scan(tmp_path / "chains", "chains")
    assert err.value.rule == "ambiguous_source"


def test_adapter_selection_by_name(tmp_path):
    fx.write_csv(fx.chain_frame(), tmp_path / "chains" / "2024-01-05.csv")
    with pytest.raises(UnrecognizedLandingFileError):
        scan(tmp_path / "chains", "chains", adapters=("cboe",))
    with pytest.raises(ValueError, match="unknown chains adapter"):
        scan(tmp_path / "chains", "chains", adapters=("nope",))
