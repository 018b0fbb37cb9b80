"""The trade simulator: hand-built cases and trade-for-trade agreement with the plain
bar-by-bar reference loop in tests/support/trading_fixtures.py."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from assets.common.config import SPECIFICATION_URGENCY_RULES, TradingConfig
from assets.trading.simulator import TRADE_COLUMNS, build_bar_tape, simulate_trades
from tests.support.trading_fixtures import (
    make_day,
    random_alerts,
    random_days,
    reference_simulate,
    trade_sized_config,
)

RULES = SPECIFICATION_URGENCY_RULES

MULT = {r.name: r.size_multiplier for r in RULES}
DAY = dt.date(2024, 3, 1)


def flat_rows(n=60, price=4000.0):
    o = np.full(n, price)
    return o.copy(), o + 0.5, o - 0.5, o.copy()


def alert(bar, urgency="PIN_RISK_MANAGEMENT", direction=1, confidence=1.0, day=DAY,
          pressure=1.0, strike=4000.0, calibration=False, days=None):
    ts = pd.Timestamp(day).tz_localize("UTC") + pd.Timedelta(hours=14, minutes=30 + bar)
    return {"alert_id": f"{day:%Y%m%d}-{bar:03d}-{strike:g}", "quote_date": day, "ts": ts,
            "bar_index": bar, "strike": strike, "pressure": pressure, "urgency": urgency,
            "steering_direction": direction, "expected_move": 15.0, "expected_duration": 32.5,
            "confidence": confidence, "is_calibration": calibration}


def run(alerts, days, **cfg_kwargs):
    cfg = TradingConfig(**cfg_kwargs)
    return simulate_trades(pd.DataFrame(alerts), days, cfg, RULES)


def test_costs_entry_at_next_open_by_hand():
    o, h, lo, c = flat_rows()
    o[11], h[11], lo[11], c[11] = 4001.0, 4001.4, 4000.6, 4001.0  # the entry bar
    h[20] = 4012.0  # long target 4001 + 10 touched here
    days = {DAY: make_day(DAY, o, h, lo, c)}
    tr = run([alert(10)], days)
    assert list(tr.columns) == list(TRADE_COLUMNS)
    t = tr.iloc[0]
    assert t.entry_index == 11 and t.entry_price == 4001.0  # open of the bar after the alert
    assert t.entry_ts == pd.Timestamp("2024-03-01 14:41", tz="UTC")
    assert t.exit_reason == "TARGET" and t.exit_index == 20 and t.exit_price == 4011.0
    assert t.stop_price == 3991.0 and t.target_price == 4011.0
    assert t.hold_minutes == 10
    # size: 1.5 x confidence 1 x prior 0.5 x multiplier 1 = 0.75 -> 0.7 (MES steps)
    assert t["size"] == 0.7 and t.recent_accuracy == 0.5
    assert t.pnl_points == pytest.approx(10.0 - 2 * 0.25)
    assert t.pnl_dollars == pytest.approx(0.7 * 50 * 9.5 - 2 * 2.25 * 0.7)  # 329.35
    assert bool(t.win) and t.experiment_id == "EXP-" + t.alert_id


def test_short_costs_and_stop():
    o, h, lo, c = flat_rows()
    h[15] = 4016.0  # short ASSIGNMENT_PANIC: stop 15 above 4000
    days = {DAY: make_day(DAY, o, h, lo, c)}
    tr = run([alert(12, urgency="ASSIGNMENT_PANIC", direction=-1, confidence=0.6)], days,
             slippage_points=0.5, commission_per_contract=1.0)
    t = tr.iloc[0]
    assert t.exit_reason == "STOP" and t.exit_price == 4015.0
    # 1.5 x 0.6 x 0.5 x 2 = 0.9
    assert t["size"] == 0.9
    assert t.pnl_points == pytest.approx(-15.0 - 1.0)
    assert t.pnl_dollars == pytest.approx(0.9 * 50 * -16.0 - 2 * 1.0 * 0.9)
    assert not t.win


def test_no_signal_and_too_late_alerts_do_not_trade():
    days = {DAY: make_day(DAY, *flat_rows(60))}
    # hard exit bar = 60 - 1 - 1 = 58: an alert at 57 would enter at 58 -> skipped
    alerts = [alert(5, urgency="NO_SIGNAL"), alert(57), alert(56, strike=4005.0)]
    tr = run(alerts, days)
    assert list(tr.alert_id) == [f"{DAY:%Y%m%d}-056-4005"]
    assert tr.iloc[0].exit_reason == "CLOSE" and tr.iloc[0].exit_index == 58
    assert tr.attrs["skipped"]["too_late"] == 1


def drift_rows(n=120, step=0.05):
    close = 4000.0 + step * np.arange(n)  # slow rise: longs win at their time stop
    o = np.r_[4000.0, close[:-1]]
    return o, np.maximum(o, close) + 0.05, np.minimum(o, close) - 0.05, close


def test_no_overlap_unless_allowed():
    days = {DAY: make_day(DAY, *drift_rows())}
    alerts = [alert(10), alert(20, strike=4005.0), alert(56, strike=4010.0)]
    # first trade holds bars 11..55 (45-minute time stop); the one at 20 is skipped,
    # the one at 56 enters at 57, after the first has left at the close of 55
    tr = run(alerts, days)
    assert list(tr.entry_index) == [11, 57]
    assert tr.attrs["skipped"]["overlap"] == 1
    assert tr.iloc[0].exit_index == 55 and tr.iloc[0].exit_reason == "TIME"
    tr2 = run(alerts, days, allow_overlap=True)
    assert list(tr2.entry_index) == [11, 21, 57]


def test_same_bar_alerts_take_highest_pressure():
    days = {DAY: make_day(DAY, *flat_rows(120))}
    alerts = [alert(10, pressure=5.0), alert(10, pressure=9.0, strike=4005.0, direction=-1)]
    tr = run(alerts, days)
    assert list(tr.alert_id) == [f"{DAY:%Y%m%d}-010-4005"]


def test_sizing_only_sees_trades_closed_before_entry():
    """A (long, opened first) closes late with a loss; B (short) closes early with a win.
    C enters while A is still open: its accuracy must be B's alone (1.0), not 0.5."""
    n = 120
    close = 4000.0 - 0.1 * np.arange(n)  # slow decline: no stop or target is touched
    o = np.r_[4000.0, close[:-1]]
    h, lo = np.maximum(o, close) + 0.05, np.minimum(o, close) - 0.05
    days = {DAY: make_day(DAY, o, h, lo, close)}
    alerts = [
        alert(10, direction=+1),  # A: PIN long, bars 11..55, loses ~4.5 points
        alert(20, urgency="ASSIGNMENT_PANIC", direction=-1, strike=4005.0),  # B: 21..28, wins
        alert(39, urgency="ASSIGNMENT_PANIC", direction=-1, strike=4010.0),  # C: 40..47
        alert(60, urgency="ASSIGNMENT_PANIC", direction=-1, strike=4015.0),  # D: after A
    ]
    tr = run(alerts, days, allow_overlap=True).set_index("entry_index")
    assert not tr.loc[11, "win"] and tr.loc[11, "exit_index"] == 55
    assert tr.loc[21, "win"] and tr.loc[21, "exit_index"] == 28
    assert tr.loc[40, "recent_accuracy"] == 1.0  # B only; A still open
    assert tr.loc[61, "recent_accuracy"] == pytest.approx(2 / 3)  # A, B, C closed


def test_mes_zero_size_is_skipped_fractional_keeps_it():
    days = {DAY: make_day(DAY, *flat_rows(120))}
    # 1.5 x 0.1 x 0.5 x 1 = 0.075 contracts: below one MES
    tr = run([alert(10, confidence=0.1)], days)
    assert tr.empty and tr.attrs["skipped"]["zero_size"] == 1
    tr = run([alert(10, confidence=0.1)], days, size_rounding="fractional")
    assert tr.iloc[0]["size"] == pytest.approx(0.075)


def test_alert_ts_must_match_its_bar():
    days = {DAY: make_day(DAY, *flat_rows(60))}
    a = alert(10)
    a["ts"] = a["ts"] + pd.Timedelta(minutes=1)
    with pytest.raises(ValueError):
        run([a], days)


def test_alert_on_missing_day_is_counted():
    days = {DAY: make_day(DAY, *flat_rows(60))}
    tr = run([alert(10, day=dt.date(2024, 3, 4))], days)
    assert tr.empty and tr.attrs["skipped"]["no_bars"] == 1


COMPARED = ["alert_id", "entry_index", "exit_index", "exit_reason", "size", "win"]
CLOSE_ENOUGH = ["entry_price", "exit_price", "pnl_points", "pnl_dollars", "recent_accuracy"]


@pytest.mark.parametrize("seed,overrides", [
    (0, {}),
    (1, {"allow_overlap": True, "accuracy_prior_weight": 2.0}),
    (2, {"size_rounding": "fractional", "accuracy_window": 5, "accuracy_prior_weight": 1.0}),
    (3, {"exit_before_close_minutes": 5, "slippage_points": 0.0, "prior_accuracy": 0.8,
         "accuracy_prior_weight": 3.0}),
    (4, {"stop_points": {"ASSIGNMENT_PANIC": 2.0, "PIN_RISK_MANAGEMENT": 3.0},
         "target_points": {"ASSIGNMENT_PANIC": 2.5, "PIN_RISK_MANAGEMENT": 4.0},
         "allow_overlap": True, "prior_accuracy": 0.9, "accuracy_prior_weight": 2.0}),
    (5, {"accuracy_source": "signals"}),
    (6, {"accuracy_source": "signals", "allow_overlap": True, "accuracy_window": 7}),
])
def test_agrees_with_reference_loop_trade_for_trade(seed, overrides):
    """Seed 0 is the specification's plain accuracy over taken trades; 1-4 shrink it towards the
    prior; 5-6 size by the accuracy of every signal (the default)."""
    rng = np.random.default_rng(seed)
    days = random_days(rng, 20, n_bars=390)
    alerts = random_alerts(rng, days, per_day=10, calibration_days=3)
    cfg = trade_sized_config(**overrides)
    ours = simulate_trades(alerts, days, cfg, RULES)
    ref = reference_simulate(alerts, days, cfg, MULT)
    assert len(ours) == len(ref) > 20
    assert ours["exit_reason"].nunique() >= 3
    for col in COMPARED:
        np.testing.assert_array_equal(ours[col].to_numpy(), ref[col].to_numpy(), err_msg=col)
    for col in CLOSE_ENOUGH:
        np.testing.assert_allclose(ours[col].to_numpy(float), ref[col].to_numpy(float),
                                   rtol=0, atol=1e-9, err_msg=col)
    # never enters on the alert's own bar
    ats = alerts.set_index("alert_id").loc[ours["alert_id"], "ts"].to_numpy()
    assert (ours["entry_ts"].to_numpy() > ats).all()
    assert ours["is_calibration"].any() and not ours["is_calibration"].all()


def test_truncating_the_future_changes_nothing_before_it():
    rng = np.random.default_rng(7)
    days = random_days(rng, 5, n_bars=390)
    alerts = random_alerts(rng, days, per_day=12)
    cfg = TradingConfig(allow_overlap=True)
    full = simulate_trades(alerts, days, cfg, RULES)
    last_day = max(days)
    t = 200
    cut = dict(days)
    cut[last_day] = days[last_day].truncated(t)
    keep = (alerts["quote_date"] != last_day) | (alerts["bar_index"] <= t)
    part = simulate_trades(alerts[keep], cut, cfg, RULES)
    tape = build_bar_tape(cut)
    new_hard_exit = tape.hard_exit_index(cfg.exit_before_close_minutes)[-1]
    settled = full[full["exit_index"] < new_hard_exit]
    got = part.set_index("alert_id").loc[settled["alert_id"]]
    for col in ["entry_index", "exit_index", "exit_reason", "size", "pnl_dollars"]:
        np.testing.assert_array_equal(got[col].to_numpy(), settled[col].to_numpy(), err_msg=col)
    assert (settled["quote_date"] == last_day).any()
