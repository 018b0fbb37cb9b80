"""Sizing arithmetic and the no-lookahead recent-accuracy window."""

from __future__ import annotations

import pytest

from assets.trading.sizing import RecentAccuracy, position_size, round_size


@pytest.mark.parametrize("raw,expected", [
    (0.3, 0.3), (0.29999, 0.2), (0.09, 0.0), (1.5 * 0.2, 0.3), (4.0, 4.0), (1.2345, 1.2),
    (0.7 * 3, 2.1), (-0.5, 0.0),
])
def test_mes_rounding_floors_to_tenths(raw, expected):
    assert round_size(raw, "mes") == expected


def test_fractional_keeps_size():
    assert round_size(0.0437, "fractional") == 0.0437


def test_unknown_rounding_raises():
    with pytest.raises(ValueError):
        round_size(1.0, "lots")  # type: ignore[arg-type]


def test_specification_formula_and_cap():
    # 1.5 x 0.8 x 0.6 x 2.0 = 1.44 -> 1.4 MES-rounded
    assert position_size(0.8, 0.6, 2.0, 1.5, 4.0, "mes") == 1.4
    assert position_size(0.8, 0.6, 2.0, 1.5, 4.0, "fractional") == pytest.approx(1.44)
    # capped: 1.5 x 1 x 1 x 2 = 3.0 > cap 2.5
    assert position_size(1.0, 1.0, 2.0, 1.5, 2.5, "mes") == 2.5
    # 1.5 x 0.1 x 0.5 x 1 = 0.075 -> no MES contract
    assert position_size(0.1, 0.5, 1.0, 1.5, 4.0, "mes") == 0.0


def test_recent_accuracy_counts_only_trades_closed_before_entry():
    acc = RecentAccuracy(window=20, prior=0.5)
    assert acc.at(0) == 0.5
    acc.register(exit_idx=100, win=False)  # opened first, closes late
    acc.register(exit_idx=30, win=True)  # opened second, closes early
    assert acc.at(30) == 0.5  # exit bar 30 is not before an entry at bar 30
    assert acc.at(31) == 1.0  # only the early-closing win
    assert acc.at(100) == 1.0
    assert acc.at(101) == 0.5  # both closed now


def test_recent_accuracy_window_keeps_last_closed():
    acc = RecentAccuracy(window=3, prior=0.5)
    for i, w in enumerate([True, True, True, False, False]):
        acc.register(exit_idx=i, win=w)
    assert acc.at(10) == pytest.approx(1 / 3)  # last three closed: T, F, F


def test_recent_accuracy_rejects_time_travel():
    acc = RecentAccuracy(window=3, prior=0.5)
    acc.at(10)
    with pytest.raises(ValueError):
        acc.at(9)


def test_prior_weight_shrinks_towards_prior():
    acc = RecentAccuracy(window=20, prior=0.5, prior_weight=2.0)
    acc.register(exit_idx=1, win=False)
    assert acc.at(5) == pytest.approx((0 + 2 * 0.5) / (1 + 2))
    plain = RecentAccuracy(window=20, prior=0.5)
    plain.register(exit_idx=1, win=False)
    assert plain.at(5) == 0.0  # the specification's formula: one loss -> accuracy 0


def test_settled_closes_everything_in_exit_order_and_restarts_the_clock():
    acc = RecentAccuracy(window=3, prior=0.5, prior_weight=1.0)
    acc.at(40)
    acc.register(exit_idx=90, win=False)  # registered first, closes last
    acc.register(exit_idx=60, win=True)
    acc.register(exit_idx=60, win=True)  # same exit bar: opening order
    acc.register(exit_idx=75, win=True)
    day2 = acc.settled()
    again = day2.settled()
    # A later day's bar 0 sees all four closed, by exit then opening order: the window
    # keeps the last three (T at 60, T at 75, F at 90).
    expected = (2 + 1.0 * 0.5) / (3 + 1.0)
    assert day2.at(0) == pytest.approx(expected)
    assert acc.at(10_000) == day2.at(5)  # what the tracker itself says once all have closed
    assert again.at(0) == day2.at(7)  # a copy, queried from bar 0 on its own
