"""Risk counterfactuals on hand-built days whose answers are known in advance."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from assets.common.config import SPECIFICATION_URGENCY_RULES
from assets.trading.risk import daily_sharpe, equity_path, risk_management_report
from assets.trading.simulator import simulate_trades
from tests.support.trading_fixtures import make_day, random_alerts, random_days, trade_sized_config

D1, D2, D3, D4 = (dt.date(2024, 3, d) for d in (4, 5, 6, 7))


def flat(n=200, price=4000.0):
    o = np.full(n, price)
    return o.copy(), o + 0.5, o - 0.5, o.copy()


def alert(day, bar, direction=1, calibration=False):
    ts = pd.Timestamp(day).tz_localize("UTC") + pd.Timedelta(hours=14, minutes=30 + bar)
    return {"alert_id": f"{day:%Y%m%d}-{bar:03d}-4000", "quote_date": day, "ts": ts,
            "bar_index": bar, "pressure": 1.0, "urgency": "PIN_RISK_MANAGEMENT",
            "steering_direction": direction, "expected_move": 15.0,
            "expected_duration": 32.5, "confidence": 1.0, "is_calibration": calibration}


@pytest.fixture()
def scenario():
    # D1: long stopped at 3990 in bar 15, then the price reaches 4010 (target) at bar 30
    o, h, lo, c = flat()
    lo[15] = 3989.0
    h[30] = 4012.0
    day1 = make_day(D1, o, h, lo, c)
    # D2: flat through the 45-minute time stop (bars 11..55), target reached at bar 80
    o, h, lo, c = flat()
    h[80] = 4011.0
    day2 = make_day(D2, o, h, lo, c)
    # D3: flat all day: without the time stop the trade rides to the hard exit
    day3 = make_day(D3, *flat())
    # D4: no alert (a zero-P&L day in the daily Sharpe)
    day4 = make_day(D4, *flat())
    days = {d.quote_date: d for d in (day1, day2, day3, day4)}
    alerts = pd.DataFrame([alert(D1, 10), alert(D2, 10), alert(D3, 10)])
    cfg = trade_sized_config(accuracy_prior_weight=2.0)
    trades = simulate_trades(alerts, days, cfg, SPECIFICATION_URGENCY_RULES)
    return trades, alerts, days, cfg


def test_scenario_is_what_it_claims(scenario):
    trades = scenario[0]
    assert list(trades["exit_reason"]) == ["STOP", "TIME", "TIME"]


def test_stop_loss_counterfactual(scenario):
    trades, alerts, days, cfg = scenario
    r = risk_management_report(trades, alerts, days, cfg)["stop_loss_validation"]
    assert r["n_stopped"] == 1 and r["stop_hit_rate"] == pytest.approx(1 / 3)
    assert r["average_loss_when_hit"] == pytest.approx(-10.5)
    assert r["false_stop_rate"] == 1.0  # without the stop it would have made +9.5
    assert r["prevented_large_losses"] == 0.0
    assert r["profit_given_up_points"] == pytest.approx(20.0)
    assert r["loss_prevented_points"] == 0.0
    assert r["net_value_points"] == pytest.approx(-20.0)
    size1 = trades["size"].iloc[0]
    assert r["net_value_dollars"] == pytest.approx(-20.0 * 50 * size1)


def test_time_stop_counterfactual(scenario):
    trades, alerts, days, cfg = scenario
    r = risk_management_report(trades, alerts, days, cfg)["time_stop_validation"]
    assert r["n_time_exits"] == 2
    # D2: time stop -0.5 vs target +9.5 without it; D3: -0.5 either way (hard exit, flat)
    assert r["missed_profit_points"] == pytest.approx(10.0)
    assert r["missed_profit_rate"] == 0.5
    assert r["expiration_risk_prevention"] == 0.5  # D3 would have ridden to the close
    assert r["held_to_close_fraction_with_time_stop"] == 0.0
    assert r["held_to_close_fraction_without_time_stop"] == pytest.approx(1 / 3)
    # holds: 5 (bars 11..15), 45, 45; without time stop D2 runs 11..80 and D3 11..198
    assert r["average_hold_minutes"] == pytest.approx((5 + 45 + 45) / 3)
    assert r["average_hold_minutes_without_time_stop"] == pytest.approx((5 + 70 + 188) / 3)
    # minutes to close after the exit bar (200 bars, the last has 0): 199 - exit bar
    assert r["average_minutes_to_close_at_exit"] == pytest.approx(
        ((199 - 15) + (199 - 55) * 2) / 3)


def test_position_sizing_against_numpy(scenario):
    trades, alerts, days, cfg = scenario
    r = risk_management_report(trades, alerts, days, cfg)["position_sizing_validation"]
    pts = trades["pnl_points"].to_numpy()
    for name, pnl in (("adaptive", trades["pnl_dollars"].to_numpy()),
                      ("fixed", 1.5 * 50 * pts - 2 * 2.25 * 1.5)):
        equity = np.r_[25_000.0, 25_000.0 + np.cumsum(pnl)]
        peak = np.maximum.accumulate(equity)
        assert r[name]["max_drawdown_fraction"] == pytest.approx(((peak - equity) / peak).max())
        assert r[name]["total_return"] == pytest.approx(pnl.sum() / 25_000.0)
        daily = np.r_[pnl, 0.0]  # one trade a day on D1..D3, nothing on D4
        expected = daily.mean() / daily.std(ddof=1) * math.sqrt(252)
        assert r[name]["sharpe_daily_annualized"] == pytest.approx(expected)
    assert r["drawdown_control_effectiveness"] == r["adaptive"]["max_drawdown_fraction"]
    assert r["fixed"]["max_drawdown_fraction"] > r["adaptive"]["max_drawdown_fraction"] > 0


def test_report_is_strict_json_with_a_flat_table(scenario):
    trades, alerts, days, cfg = scenario
    rep = risk_management_report(trades, alerts, days, cfg)
    text = json.dumps(rep, allow_nan=False)
    assert json.loads(text)["sample"]["n_trades"] == 3
    metrics = {(row["section"], row["metric"]) for row in rep["table"]}
    assert ("stop_loss_validation", "false_stop_rate") in metrics
    assert ("position_sizing_validation", "fixed.max_drawdown_fraction") in metrics


def test_calibration_trades_and_days_are_left_out(scenario):
    _, alerts, days, cfg = scenario
    alerts = alerts.copy()
    alerts.loc[alerts["quote_date"] == D1, "is_calibration"] = True
    trades = simulate_trades(alerts, days, cfg, SPECIFICATION_URGENCY_RULES)
    rep = risk_management_report(trades, alerts, days, cfg)
    assert rep["sample"]["n_trades"] == 2 and rep["sample"]["n_days"] == 3
    assert rep["stop_loss_validation"]["n_stopped"] == 0
    assert rep["stop_loss_validation"]["false_stop_rate"] is None


def test_empty_trades_give_nones_not_errors(scenario):
    trades, alerts, days, cfg = scenario
    rep = risk_management_report(trades.iloc[0:0], alerts, days, cfg)
    json.dumps(rep, allow_nan=False)
    assert rep["position_sizing_validation"]["risk_adjusted_performance"] is None


def test_counterfactual_only_changes_stopped_trades_on_random_data():
    rng = np.random.default_rng(11)
    days = random_days(rng, 10)
    alerts = random_alerts(rng, days, per_day=8)
    cfg = trade_sized_config(accuracy_prior_weight=2.0)
    trades = simulate_trades(alerts, days, cfg, SPECIFICATION_URGENCY_RULES)
    r = risk_management_report(trades, alerts, days, cfg)["stop_loss_validation"]
    stopped = trades["exit_reason"] == "STOP"
    assert r["n_stopped"] == int(stopped.sum()) > 0
    # every unstopped trade is unchanged, so the net value is carried by the stopped ones
    assert r["net_value_points"] == pytest.approx(
        r["loss_prevented_points"] - r["profit_given_up_points"])


def test_helpers_edge_cases():
    assert equity_path(np.zeros(0), 100.0)["max_drawdown_fraction"] == 0.0
    assert daily_sharpe([D1], [5.0], [D1]) is None
    with pytest.raises(ValueError):
        daily_sharpe([D2], [5.0], [D1, D3])


def test_bars_from_other_days_are_refused(scenario):
    trades, alerts, days, cfg = scenario
    fewer = {d: v for d, v in days.items() if d != D1}
    with pytest.raises(ValueError):
        risk_management_report(trades, alerts, fewer, cfg)
