"""The instrument registry, its listing histories, the scaling rule and the underlying scope,
against hand-listed exchange dates and hand-computed scales."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from assets.common import calendar
from assets.common.config import load_config
from assets.common.instruments import BUILT_IN, RegistryError, from_config
from assets.common.scaling import choose_scale, instrument_block, oi_scale
from assets.common.settings import LabPaths
from assets.common.underlying_scope import home_underlyings
from assets.ingestion import folder_underlying
from assets.ingestion.contract import LandingRead
from assets.ingestion.errors import LandingFileError

D = dt.date


def test_built_ins_cover_the_issue_and_settlement_splits_them():
    assert set(BUILT_IN) == {"SPX", "XSP", "NDX", "RUT", "SPY", "QQQ", "IWM"}
    cash = {u for u, i in BUILT_IN.items() if i.settlement == "cash"}
    assert cash == {"SPX", "XSP", "NDX", "RUT"}
    assert all(BUILT_IN[u].exercise == "american" for u in ("SPY", "QQQ", "IWM"))
    assert BUILT_IN["SPX"].traded.contract == "ES" and BUILT_IN["NDX"].traded.contract == "NQ"
    assert BUILT_IN["SPY"].traded.contract == "shares"


def test_spy_lists_tuesday_and_thursday_from_november_2022():
    # Week of 2022-11-07: Mon/Wed/Fri only; week of 2022-11-14: every day from Tue 15th.
    assert calendar.expiration_days("2022-11-07", "2022-11-11", "spy") == [
        D(2022, 11, 7), D(2022, 11, 9), D(2022, 11, 11)]
    assert calendar.expiration_days("2022-11-14", "2022-11-18", "spy") == [
        D(2022, 11, 14), D(2022, 11, 15), D(2022, 11, 16), D(2022, 11, 17), D(2022, 11, 18)]
    # Before its Monday weeklies (Feb 2018): Wednesday and Friday only.
    assert calendar.expiration_days("2017-06-05", "2017-06-09", "spy") == [
        D(2017, 6, 7), D(2017, 6, 9)]


def test_qqq_mon_wed_from_2021_and_daily_with_spy():
    assert calendar.expiration_days("2021-04-05", "2021-04-09", "qqq") == [D(2021, 4, 9)]
    assert calendar.expiration_days("2021-05-03", "2021-05-07", "qqq") == [
        D(2021, 5, 3), D(2021, 5, 5), D(2021, 5, 7)]
    assert len(calendar.expiration_days("2022-11-14", "2022-11-18", "qqq")) == 5


def test_stock_monthly_moves_to_thursday_on_good_friday():
    # 2025-04-18 (third Friday of April) is Good Friday: the monthly expires Thursday 17th.
    days = calendar.expiration_days("2025-04-07", "2025-04-25", "stock")
    assert days == [D(2025, 4, 11), D(2025, 4, 17), D(2025, 4, 25)]
    # 2024-03-29 Good Friday: the weekly moves to Thursday 28th.
    assert calendar.expiration_days("2024-03-25", "2024-03-29", "stock") == [D(2024, 3, 28)]


def test_monday_holiday_moves_to_tuesday():
    # XSP (SPXW's history): Mon 2023-09-04 is Labor Day, its weekly expires Tue 5th.
    assert D(2023, 9, 5) in calendar.expiration_days("2023-09-04", "2023-09-08", "xsp")
    # Before 2022 Tuesdays are not listed, so a Tuesday in that week is the moved Monday.
    assert calendar.expiration_days("2021-09-06", "2021-09-10", "xsp") == [
        D(2021, 9, 7), D(2021, 9, 8), D(2021, 9, 10)]


def test_a_stock_is_one_short_config_entry():
    aapl = from_config("AAPL", {"kind": "stock"})
    assert (aapl.settlement, aapl.exercise, aapl.strike_grid) == ("physical", "american", 1.0)
    assert aapl.expiration_rule == "stock" and aapl.traded.contract == "shares"
    with pytest.raises(RegistryError, match="AAPL"):
        from_config("AAPL", {})


def test_scaling_hand_computed():
    spy = BUILT_IN["SPY"]
    s = choose_scale(spy, measured=0.1012, measured_detail="measured")
    assert s.points == 0.1012
    assert s.oi == pytest.approx(1 / 0.1012)  # 100-share contracts: OI / k
    assert oi_scale(0.1, 10.0) == pytest.approx(100.0)  # a 10x multiplier needs 10x less
    assert choose_scale(BUILT_IN["SPX"], override=7.0).points == 1.0
    assert choose_scale(spy).points == 0.1  # nominal, no SPX in the home
    with pytest.raises(ValueError, match="points_scale"):
        choose_scale(from_config("AAPL", {"kind": "stock"}))


def test_scoped_config_scales_every_threshold(lab_home, monkeypatch):
    (lab_home / "config.json").write_text(json.dumps({
        "trading": {"stop_points": {"ASSIGNMENT_PANIC": 20.0, "PIN_RISK_MANAGEMENT": 10.0}},
        "instruments": {"AAPL": {"kind": "stock", "points_scale": 0.04}}}))
    flat = load_config()
    assert flat.ingestion.underlying == "SPX" and flat.scaling.points_scale == 1.0
    assert instrument_block(flat)["settlement"] == "cash"
    monkeypatch.setenv("PRESSURE_LAB_UNDERLYING", "SPY")
    spy = load_config()
    panic, pin = spy.pressure.urgency_rules
    assert panic.max_distance == pytest.approx(0.8) and pin.max_distance == pytest.approx(2.0)
    assert panic.min_total_oi == pytest.approx(15_000) and pin.min_total_oi == pytest.approx(20_000)
    assert panic.move_magnitude == pytest.approx((1.5, 3.5))
    assert spy.trading.stop_points["ASSIGNMENT_PANIC"] == pytest.approx(2.0)  # the user's 20
    assert spy.ingestion.strike_grid_points == 1.0 and spy.calendar.expiration_rule == "spy"
    block = instrument_block(spy)
    assert (block["underlying"], block["kind"], block["settlement"]) == ("SPY", "etf", "physical")
    monkeypatch.setenv("PRESSURE_LAB_UNDERLYING", "AAPL")
    aapl = load_config()
    assert aapl.pressure.urgency_rules[0].max_distance == pytest.approx(8 * 0.04)
    assert instrument_block(aapl)["kind"] == "stock"


def test_scope_moves_every_path(tmp_path):
    flat, spy = LabPaths(tmp_path), LabPaths(tmp_path, "SPY")
    assert flat.landing_bars == tmp_path / "landing" / "bars"
    assert spy.landing_bars == tmp_path / "landing" / "SPY" / "bars"
    assert spy.evidence == tmp_path / "evidence" / "SPY"
    assert spy.duckdb == tmp_path / "underlyings" / "SPY" / "warehouse.duckdb"
    assert spy.dagster_home != flat.dagster_home


def test_home_underlyings_lists_folders_and_refuses_unknown(tmp_path):
    for u in ("SPY", "SPX"):
        (tmp_path / "landing" / u / "chains").mkdir(parents=True)
    assert home_underlyings(tmp_path / "landing") == ["SPX", "SPY"]
    (tmp_path / "landing" / "chains").mkdir()  # an empty flat folder beside them is not one
    assert home_underlyings(tmp_path / "landing") == ["SPX", "SPY"]
    (tmp_path / "landing" / "chains" / "2024-01-03.csv").write_text("x")
    with pytest.raises(RegistryError, match="flat layout"):  # but files in both layouts are
        home_underlyings(tmp_path / "landing")
    (tmp_path / "landing" / "chains" / "2024-01-03.csv").unlink()
    (tmp_path / "landing" / "ZZZZ" / "bars").mkdir(parents=True)
    with pytest.raises(RegistryError, match="ZZZZ"):
        home_underlyings(tmp_path / "landing")
    assert home_underlyings(tmp_path / "landing", {"ZZZZ": {"kind": "stock"}})[-1] == "ZZZZ"


def _read(kind, column, value):
    frame = pd.DataFrame({column: [value, value], "source_file": ["/l/SPX/x.csv"] * 2,
                          "source_row": [1, 2]})
    return LandingRead(kind, D(2024, 1, 3), "canonical", ["/l/SPX/x.csv"], frame, 2)


def test_a_file_of_another_underlying_in_a_folder_fails_naming_both(lab_home, monkeypatch):
    monkeypatch.setenv("PRESSURE_LAB_UNDERLYING", "SPX")
    cfg = load_config()
    with pytest.raises(LandingFileError, match=r"SPY.*landing/SPX/.*underlying SPX"):
        folder_underlying.check(_read("chains", "underlying", "SPY"), cfg)
    with pytest.raises(LandingFileError, match=r"SPY.*landing/SPX/"):
        folder_underlying.check(_read("bars", "symbol", "SPY"), cfg)
    folder_underlying.check(_read("bars", "symbol", "I:SPX"), cfg)
    folder_underlying.check(_read("bars", "symbol", "ESH4"), cfg)  # the futures rule's job
    monkeypatch.setenv("PRESSURE_LAB_UNDERLYING", "SPY")
    spy = load_config()
    folder_underlying.check(_read("bars", "symbol", "SPY"), spy)
    with pytest.raises(LandingFileError, match=r"SPX.*landing/SPY/"):
        folder_underlying.check(_read("bars", "symbol", "SPX"), spy)
    monkeypatch.delenv("PRESSURE_LAB_UNDERLYING")
    folder_underlying.check(_read("bars", "symbol", "SPY"), load_config())  # flat: old rules


def test_the_specification_probability_scales_its_distances():
    import numpy as np

    from assets.pressure.probability import SpecificationProbability

    # Hand: 8 minutes left (crisis zone, base 0.8, scale 10 SPX points): a strike 3 points
    # away has max(0.1, 0.8 - 3/10) = 0.5; on SPY (k = 0.1) the same 0.5 is 0.3 points away.
    strikes = np.array([100.0, 101.0, 102.0])
    close = np.array([101.3])
    distance = np.abs(close[:, None] - strikes[None, :])
    out = np.empty((1, 3))
    SpecificationProbability(points_scale=0.1).fill(close, strikes, distance,
                                                    np.array([8.0]), out)
    assert out[0] == pytest.approx([max(0.1, 0.8 - 1.3 / 1.0), 0.8 - 0.3 / 1.0,
                                    max(0.1, 0.8 - 0.7 / 1.0)])


def test_placebo_shifts_on_spy_avoid_its_round_strikes(lab_home, monkeypatch):
    from assets.engine.placebo import placebo_shifts

    monkeypatch.setenv("PRESSURE_LAB_UNDERLYING", "SPY")
    # Reach 20 x 0.1 = 2 points on a $1 grid: shifts 4..8 strikes, without the multiples
    # of SPX's 25/50/100-point round strikes at a tenth (2.5, 5, 10): 5 is dropped.
    assert placebo_shifts(load_config()) == (4, 6, 7, 8)
