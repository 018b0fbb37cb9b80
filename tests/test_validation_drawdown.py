"""Drawdowns on tiny curves worked out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from assets.validation.statistics import drawdown as DD


def _trades(usd, pts=None, days=None):
    n = len(usd)
    days = days or [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(n)]
    return pd.DataFrame({"pnl_dollars": usd, "pnl_points": pts if pts is not None else
                         [u / 50 for u in usd], "quote_date": days,
                         "exit_index": np.arange(n)})


def test_starting_equity_is_a_peak():
    # equity 1000 -> 900 -> 950 -> 750 -> 1050 -> 1000
    got = DD.drawdown_statistics(_trades([-100.0, 50.0, -200.0, 300.0, -50.0]), 1000.0)
    assert got["max_drawdown_dollars"] == pytest.approx(250.0)
    assert got["max_drawdown_fraction"] == pytest.approx(0.25)
    assert got["max_drawdown_points"] == pytest.approx(5.0)
    assert got["max_drawdown_recovered"] is True
    assert got["max_drawdown_duration_trades"] == 4  # start (peak) .. 4th trade (recovery)
    assert got["max_drawdown_peak_date"] == "2024-01-01"
    assert got["max_drawdown_trough_date"] == "2024-01-03"
    assert got["ending_equity"] == pytest.approx(1000.0)


def test_fraction_is_of_the_running_peak():
    # 1000 -> 2000 -> 1500: 500 below a 2000 peak is 25 %, not 50 % of the start
    got = DD.drawdown_statistics(_trades([1000.0, -500.0]), 1000.0)
    assert got["max_drawdown_dollars"] == pytest.approx(500.0)
    assert got["max_drawdown_fraction"] == pytest.approx(0.25)
    assert got["max_drawdown_recovered"] is False


def test_an_account_wiped_out_is_said_so():
    # equity 1000 -> 400 -> -100 (exhausted at the 2nd trade) -> 200 -> -50
    got = DD.drawdown_statistics(_trades([-600.0, -500.0, 300.0, -250.0]), 1000.0)
    assert got["equity_exhausted"] is True
    assert got["minimum_equity"] == -100.0
    assert got["equity_exhausted_date"] == "2024-01-02"  # the 2nd trade's day
    assert got["max_drawdown_fraction"] == pytest.approx(1.1)  # 1100 below the 1000 peak
    alive = DD.drawdown_statistics(_trades([-600.0, 300.0]), 1000.0)
    assert alive["equity_exhausted"] is False and alive["equity_exhausted_date"] is None
    assert alive["minimum_equity"] == 400.0


def test_no_drawdown_on_a_rising_curve():
    got = DD.drawdown_statistics(_trades([10.0, 20.0, 5.0]), 1000.0)
    assert got["max_drawdown_dollars"] == 0.0 and got["max_drawdown_fraction"] == 0.0
    assert got["max_drawdown_duration_trades"] == 0


def test_exit_order_not_row_order():
    t = _trades([-100.0, 300.0, -250.0])
    t["exit_index"] = [2, 0, 1]  # realized order: +300, -250, -100
    got = DD.drawdown_statistics(t, 1000.0)
    # 1000 -> 1300 -> 1050 -> 950: 350 below 1300
    assert got["max_drawdown_dollars"] == pytest.approx(350.0)
    assert got["max_drawdown_fraction"] == pytest.approx(350.0 / 1300.0)


def test_matches_plain_numpy_on_random_curves():
    rng = np.random.default_rng(5)
    for _ in range(20):
        usd = rng.normal(0, 100, 60)
        eq = 5000 + np.concatenate([[0], np.cumsum(usd)])
        worst = max(eq[i] - eq[j] for i in range(eq.size) for j in range(i, eq.size))
        got = DD.drawdown_statistics(_trades(list(usd)), 5000.0)
        assert got["max_drawdown_dollars"] == pytest.approx(max(worst, 0.0))


def test_daily_curve_has_every_day():
    t = _trades([100.0, -50.0], days=[dt.date(2024, 1, 2), dt.date(2024, 1, 4)])
    days = [dt.date(2024, 1, d) for d in (2, 3, 4, 5)]
    fig = DD.daily_equity_curve(t, days, 1000.0)
    assert fig["dates"] == [d.isoformat() for d in days]
    assert fig["equity"] == [1100.0, 1100.0, 1050.0, 1050.0]
    assert fig["drawdown_fraction"] == pytest.approx([0.0, 0.0, 50 / 1100, 50 / 1100])
