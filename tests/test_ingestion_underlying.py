"""Bars must be the options' underlying: instruments, futures refused or basis-adjusted,
and the bars-vs-chain plausibility rule. Expected numbers come from the fixtures' own
values and hand arithmetic, never from the code under test."""

from __future__ import annotations

import datetime as dt

import databento_dbn as dbn
import numpy as np
import pandas as pd
import pytest

from assets.common.config import IngestionConfig, LabConfig
from assets.ingestion import plausibility
from assets.ingestion.adapters import read_day
from assets.ingestion.errors import LandingFileError
from assets.ingestion.instruments import classify
from assets.ingestion.underlying import align_to_underlying
from tests.support import ingestion_fixtures as fx
from tests.support import vendor_fixtures as vf

CFG = LabConfig()
BASIS_CFG = LabConfig(ingestion=IngestionConfig(basis_method="previous_close"))


@pytest.mark.parametrize("symbol,kind,month", [
    ("ESH4", "future", "2024-03"), ("MESZ3", "future", "2023-12"), ("ESM25", "future", "2025-06"),
    ("ES.FUT", "future", None), ("SPX", "index", None), ("I:SPX", "index", None),
    ("^SPX", "index", None), ("SPY", "etf", None), ("SPXW", "unknown", None)])
def test_classify_symbols(symbol, kind, month):
    inst = classify(symbol, fx.DAY)
    assert (inst.kind, inst.contract_month) == (kind, month)


def test_databento_dataset_marks_a_future_whatever_the_symbol():
    assert classify("42", fx.DAY, dataset="GLBX.MDP3").kind == "future"


def _es_dbn(directory, day):
    recs, expected = fx.dbn_bar_records(day)
    fx.write_dbn(directory / f"glbx-mdp3-{day:%Y%m%d}.ohlcv-1m.dbn.zst",
                 fx.dbn_metadata(dbn.Schema.OHLCV_1M, "GLBX.MDP3", day=day, symbols=["ES.FUT"],
                                 mappings=[*fx.mappings_for("ESH4", 42, day),
                                           *fx.mappings_for("ESM4", 43, day)]),
                 recs, zstd=True)
    return expected


def test_databento_es_bars_are_refused_naming_file_and_basis(tmp_path):
    bars = tmp_path / "landing" / "bars"
    _es_dbn(bars, fx.DAY)
    read = read_day("bars", fx.DAY, bars, CFG)
    assert read.instrument.kind == "future" and read.instrument.contract_month == "2024-03"
    with pytest.raises(LandingFileError) as err:
        align_to_underlying([read], CFG, bars, tmp_path / "landing")
    msg = str(err.value)
    assert err.value.rule == "futures_bars"
    assert "glbx-mdp3-20240105.ohlcv-1m.dbn.zst" in msg and "ESH4" in msg
    assert "basis" in msg and "basis_method" in msg


def test_es_bars_with_previous_close_basis_match_an_independent_computation(tmp_path):
    landing = tmp_path / "landing"
    bars = landing / "bars"
    prev = fx.DAY - dt.timedelta(days=1)  # 2024-01-04, the previous session
    expected_prev = _es_dbn(bars, prev)
    expected = _es_dbn(bars, fx.DAY)
    index_close = 4662.25
    vf.write_index_closes(landing, {prev: index_close})
    # By hand: the basis is ESH4's last close of the previous session minus the index close.
    basis = float(expected_prev["close"].iloc[-1]) - index_close
    read = read_day("bars", fx.DAY, bars, BASIS_CFG)
    (adjusted,), (source,) = align_to_underlying([read], BASIS_CFG, bars, landing)
    assert source.basis_method == "previous_close" and source.symbol == "ESH4"
    assert source.basis_points == pytest.approx(basis, abs=1e-9)
    for column in ("open", "high", "low", "close"):
        np.testing.assert_allclose(adjusted.frame[column], expected[column] - basis, atol=1e-9)
    # Distances to the strikes: from the adjusted bars vs from the raw fixture minus the basis.
    strikes = np.arange(4600.0, 4800.0, 5.0)
    got = np.abs(adjusted.frame["close"].to_numpy()[:, None] - strikes[None, :])
    want = np.abs((expected["close"].to_numpy() - basis)[:, None] - strikes[None, :])
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_basis_without_the_previous_session_or_its_close_names_what_is_missing(tmp_path):
    landing = tmp_path / "landing"
    _es_dbn(landing / "bars", fx.DAY)
    read = read_day("bars", fx.DAY, landing / "bars", BASIS_CFG)
    with pytest.raises(LandingFileError) as err:
        align_to_underlying([read], BASIS_CFG, landing / "bars", landing)
    assert err.value.rule == "missing_file" and "index_closes.csv" in str(err.value)
    vf.write_index_closes(landing, {dt.date(2024, 1, 4): 4700.0})
    with pytest.raises(LandingFileError) as err:
        align_to_underlying([read], BASIS_CFG, landing / "bars", landing)
    assert err.value.rule == "basis_reference" and "2024-01-04" in str(err.value)


# ---------------------------------------------------------------------- plausibility

def _frames(tmp_path, bar_symbol, offset, scale, underlying_price):
    path = vf.index_path()
    scaled = [(t, o * scale, h * scale, lo * scale, c * scale) for t, o, h, lo, c in path]
    vf.write_canonical_bars(tmp_path / "bars", fx.DAY, scaled, bar_symbol, offset)
    vf.write_canonical_chain(tmp_path / "chains", fx.DAY, underlying_price)
    bars = read_day("bars", fx.DAY, tmp_path / "bars", CFG).frame
    chains = read_day("chains", fx.DAY, tmp_path / "chains", CFG).frame
    return bars, chains


@pytest.mark.parametrize("underlying_price", [4700.5, None])
def test_spy_bars_against_an_spx_chain_fail_naming_both_files(tmp_path, underlying_price):
    bars, chains = _frames(tmp_path, "SPY", 0.0, 0.1, underlying_price)
    check = plausibility.check_day(bars, chains, fx.DAY, CFG)
    assert not check.passed
    result = plausibility.rule_result([check])
    assert not result.passed and result.severity == "error" and result.unexpected_count == 1
    assert "bars/2024-01-05.csv" in result.detail and "chains/2024-01-05.csv" in result.detail
    assert "not the chain's underlying SPX by name" in result.detail


@pytest.mark.parametrize("underlying_price", [4700.5, None])
def test_the_index_itself_passes(tmp_path, underlying_price):
    bars, chains = _frames(tmp_path, "SPX", 0.0, 1.0, underlying_price)
    check = plausibility.check_day(bars, chains, fx.DAY, CFG)
    assert check.passed and not check.name_warning


def _hand_frames(reference: float | None, first: float = 10.0):
    """Bars of two minutes spanning [9, 13] (first open `first`), a chain with strikes 10
    and 15 and an unstamped underlying_price `reference` (None: no price)."""
    bars = pd.DataFrame({"symbol": "SPX", "open": [first, 11.0], "high": [12.0, 13.0],
                         "low": [9.0, 10.0], "close": [11.0, 12.0], "source_row": [1, 2],
                         "source_file": "b.csv", "partition_date": pd.Timestamp(fx.DAY)})
    chains = pd.DataFrame({"expiration": pd.Timestamp(fx.DAY), "strike": [10.0, 15.0],
                           "underlying_price": [reference, reference], "underlying": "SPX",
                           "source_file": "c.csv", "partition_date": pd.Timestamp(fx.DAY)})
    return bars, chains


@pytest.mark.parametrize("reference,factor,passed", [
    (12.5, 1.0, True),  # inside the session range [9, 13]
    (14.0, 14.0 / 13.0, True),  # 7.7 % above the high: the old 2 % rule refused it
    (19.5, 1.5, True), (6.0, 1.5, True),  # exactly the limit, above and below
    (19.6, 19.6 / 13.0, False), (5.9, 9.0 / 5.9, False),
    (130.0, 10.0, False), (0.9, 10.0, False)])  # SPX against SPY-like bars, and back
def test_the_reference_is_compared_to_the_session_range_as_a_factor(reference, factor, passed):
    bars, chains = _hand_frames(reference)
    check = plausibility.check_day(bars, chains, fx.DAY, CFG)
    assert check.reference_kind == "underlying_price" and check.unit == "factor"
    assert check.gap == pytest.approx(factor) and check.limit == 1.5
    assert check.passed is passed


@pytest.mark.parametrize("first,factor,passed", [
    (10.0, 1.0, True), (22.5, 1.5, True), (23.0, 23.0 / 15.0, False), (1.0, 10.0, False)])
def test_without_a_price_the_first_bar_is_compared_to_the_strike_range(first, factor, passed):
    bars, chains = _hand_frames(None, first)
    check = plausibility.check_day(bars, chains, fx.DAY, CFG)
    assert check.reference_kind == "strike_range" and check.strike_range == (10.0, 15.0)
    assert check.gap == pytest.approx(factor) and check.passed is passed


def _stock_day(level: float, direction: float) -> pd.DataFrame:
    """Three bars trading from 1 % to 3 % beyond `level`, in `direction` (+1 up, -1 down)."""
    away = level * (1 + direction * np.array([0.01, 0.02, 0.03]))
    return pd.DataFrame({"symbol": "SPX", "open": away, "close": away, "high": away + 0.01,
                         "low": away - 0.01, "source_row": [1, 2, 3], "source_file": "b.csv",
                         "partition_date": pd.Timestamp(fx.DAY)})


@pytest.mark.parametrize("move,passed", [
    (-0.3, True), (-0.2, True), (0.2, True), (0.45, True),  # earnings gaps
    (1.0, False), (-0.5, False), (-0.9, False)])  # x2, 1/2, 1/10 of the stock: not it
def test_a_single_stock_gap_on_earnings_passes_and_a_multiple_does_not(move, passed):
    """A stock 100 at yesterday's close (the chain's underlying_price) opens `move` away
    and trades further away all day: its own underlying as long as it stays within the
    factor 1.5, which no move above fails and no price a factor 2 or more off passes."""
    _, chains = _hand_frames(100.0)
    bars = _stock_day(100.0 * (1 + move), np.sign(move))
    assert plausibility.check_day(bars, chains, fx.DAY, CFG).passed is passed


def test_an_older_config_key_reads_as_the_ratio():
    old = LabConfig.model_validate({"ingestion": {"underlying_max_gap_fraction": 0.02}})
    assert old.ingestion.underlying_max_ratio == pytest.approx(1.02)
    bars, chains = _hand_frames(14.0)  # 7.7 % above the range: refused at the old bound
    assert not plausibility.check_day(bars, chains, fx.DAY, old).passed
    with pytest.raises(ValueError, match="not both"):
        LabConfig.model_validate({"ingestion": {"underlying_max_gap_fraction": 0.02,
                                                "underlying_max_ratio": 1.5}})


def test_basis_uses_the_same_contract_on_a_roll_day(tmp_path):
    """On the previous session ESM4 trades more (the roll); the basis still takes ESH4's
    close there: the fixture's thin month closes every hourly bar at 4750.0."""
    landing = tmp_path / "landing"
    bars = landing / "bars"
    prev = dt.date(2024, 1, 4)
    recs, _ = fx.dbn_bar_records(prev, front_id=43, back_id=42)  # 43 = ESM4 is the heavy one
    fx.write_dbn(bars / f"glbx-mdp3-{prev:%Y%m%d}.ohlcv-1m.dbn.zst",
                 fx.dbn_metadata(dbn.Schema.OHLCV_1M, "GLBX.MDP3", day=prev, symbols=["ES.FUT"],
                                 mappings=[*fx.mappings_for("ESH4", 42, prev),
                                           *fx.mappings_for("ESM4", 43, prev)]),
                 recs, zstd=True)
    _es_dbn(bars, fx.DAY)
    vf.write_index_closes(landing, {prev: 4662.25})
    read = read_day("bars", fx.DAY, bars, BASIS_CFG)
    _, (source,) = align_to_underlying([read], BASIS_CFG, bars, landing)
    assert source.symbol == "ESH4"
    assert source.basis_points == pytest.approx(4750.0 - 4662.25)


def _cboe_and_bars(tmp_path, offset_from_index):
    """A Cboe chain (underlying 4700.4 at 15:45 ET) and bars whose 15:45 open is the index's
    4700.4 plus `offset_from_index` (hand-placed: bar 375 starts at 15:45)."""
    fx.write_csv(fx.cboe_frame(), tmp_path / "chains" / "UnderlyingOptionsEODCalcs_2024-01-05.csv")
    path = vf.index_path()
    shift = 4700.4 - path[375][1] + offset_from_index
    vf.write_canonical_bars(tmp_path / "bars", fx.DAY, path, "SPX", shift)
    chains = read_day("chains", fx.DAY, tmp_path / "chains", CFG).frame
    bars = read_day("bars", fx.DAY, tmp_path / "bars", CFG).frame
    return bars, chains


def test_a_stamped_underlying_price_is_compared_at_its_minute(tmp_path):
    bars, chains = _cboe_and_bars(tmp_path, 0.0)
    assert plausibility.snapshot_time(chains) == dt.time(15, 45)
    (check,) = plausibility.check_days(bars, chains, [fx.DAY], CFG)
    assert check.reference_kind == "underlying_price_at_15:45" and check.passed
    assert check.gap == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("offset", [12.0, 150.0])
def test_an_index_labelled_file_off_by_a_basis_fails_against_a_cboe_chain(tmp_path, offset):
    """ES-like prices labelled SPX, `offset` points above the index at 15:45: caught at the
    stamped minute. Without the stamp even 150 points (3.2 %) is the size of a market move
    (SPX opened 7.5 % below its previous close on 2020-03-16), which the unstamped rule
    must let pass: a basis is a same-minute fact, never a day-old one."""
    bars, chains = _cboe_and_bars(tmp_path, offset)
    (check,) = plausibility.check_days(bars, chains, [fx.DAY], CFG)
    assert not check.passed and check.gap == pytest.approx(offset)
    assert check.limit == pytest.approx(0.001 * 4700.4) and check.unit == "points"
    unstamped = plausibility.check_day(bars, chains, fx.DAY, CFG, snapshot=None)
    low = float(bars["low"].min())  # by hand: the factor from 4700.4 up to the day's low
    assert unstamped.passed and unstamped.gap == pytest.approx(max(low / 4700.4, 1.0))
    assert "UnderlyingOptionsEODCalcs_2024-01-05.csv" in plausibility.rule_result([check]).detail
