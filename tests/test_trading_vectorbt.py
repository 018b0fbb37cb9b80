"""Independent oracle: vectorbt 0.28 prices the same entries with the same fixed stop and
target, and must find the same exits and dollar P&L.

Mapping our conventions onto vectorbt's:
- we enter at the OPEN of bar e and count bar e's range; vectorbt checks stops only from
  the bar after the entry bar. So vectorbt enters at the CLOSE of bar e-1, and the test
  data make open[e] == close[e-1] at every entry bar (gaps elsewhere are kept, so
  vectorbt's gap-at-open fills are exercised);
- stops as fractions of the entry price (sl_stop = stop_points / entry, same for tp);
  vectorbt checks the stop before the target on a bar, and fills a gap at the open;
- time stop / hard exit as a plain exit signal at the close of the last bar held;
- one trade per column (overlapping trades cannot interfere), size = contracts x point
  value units, commission as a fixed fee per order, no slippage (vectorbt's is a fraction).
vectorbt compiles with numba on first use (import + compile ~15 s here), hence `slow`.
"""

from __future__ import annotations

import numpy as np
import pytest

from assets.common.config import SPECIFICATION_URGENCY_RULES
from assets.trading.simulator import build_bar_tape, hold_bars, simulate_trades
from tests.support.trading_fixtures import random_alerts, random_days, trade_sized_config


@pytest.mark.slow
def test_exits_and_pnl_agree_with_vectorbt():
    vbt = pytest.importorskip("vectorbt")
    rng = np.random.default_rng(42)
    days = random_days(rng, 6, n_bars=390, vol=0.5, gap_prob=0.1)
    alerts = random_alerts(rng, days, per_day=10)
    for d, day in days.items():  # continuous prices into every possible entry bar
        for b in alerts.loc[alerts["quote_date"] == d, "bar_index"]:
            if b + 1 < day.n_bars:
                day.open[b + 1] = day.close[b]
                day.high[b + 1] = max(day.high[b + 1], day.open[b + 1])
                day.low[b + 1] = min(day.low[b + 1], day.open[b + 1])
    cfg = trade_sized_config(
        stop_points={"ASSIGNMENT_PANIC": 2.0, "PIN_RISK_MANAGEMENT": 3.0},
        target_points={"ASSIGNMENT_PANIC": 2.5, "PIN_RISK_MANAGEMENT": 4.0},
        slippage_points=0.0, allow_overlap=True, accuracy_prior_weight=2.0)
    trades = simulate_trades(alerts, days, cfg, SPECIFICATION_URGENCY_RULES)
    assert len(trades) >= 30
    assert {"STOP", "TARGET", "TIME"} <= set(trades["exit_reason"])

    tape = build_bar_tape(days)
    n_bars, n = tape.n_bars, len(trades)
    entry = trades["entry_index"].to_numpy()
    direction = trades["predicted_direction"].to_numpy()
    last = tape.hard_exit_index(cfg.exit_before_close_minutes)[tape.day_of(entry)]
    end = np.minimum(entry + hold_bars(trades["max_hold_minutes"].to_numpy()) - 1, last)
    cols = np.arange(n)
    signals = {k: np.zeros((n_bars, n), dtype=bool) for k in ("le", "lx", "se", "sx")}
    signals["le"][entry - 1, cols] = direction > 0
    signals["se"][entry - 1, cols] = direction < 0
    signals["lx"][end, cols] = direction > 0
    signals["sx"][end, cols] = direction < 0
    entry_price = tape.open[entry]
    assert np.array_equal(entry_price, tape.close[entry - 1])
    size = trades["size"].to_numpy()

    def wide(x):
        return np.broadcast_to(np.asarray(x, float)[:, None], (n_bars, n))

    pf = vbt.Portfolio.from_signals(
        wide(tape.close), entries=signals["le"], exits=signals["lx"],
        short_entries=signals["se"], short_exits=signals["sx"],
        open=wide(tape.open), high=wide(tape.high), low=wide(tape.low),
        sl_stop=(trades["stop_points"].to_numpy() / entry_price)[None, :],
        tp_stop=(trades["target_points"].to_numpy() / entry_price)[None, :],
        size=(size * cfg.point_value)[None, :],
        fixed_fees=(cfg.commission_per_contract * size)[None, :],
        init_cash=1e12, freq="1min")
    rec = pf.trades.records.sort_values("col")
    assert list(rec["col"]) == list(cols)
    np.testing.assert_allclose(rec["entry_price"], entry_price, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(rec["exit_idx"].to_numpy(), trades["exit_index"].to_numpy())
    np.testing.assert_allclose(rec["exit_price"], trades["exit_price"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(rec["pnl"], trades["pnl_dollars"], rtol=0, atol=1e-6)
    # vectorbt's exit kind, read from its fill: at its level/open before the end bar, or
    # the end bar's close for the time stop
    vbt_timed = np.isclose(rec["exit_price"].to_numpy(), tape.close[end], atol=1e-9) & (
        rec["exit_idx"].to_numpy() == end)
    ours_timed = trades["exit_reason"].isin(["TIME", "CLOSE"]).to_numpy()
    assert np.array_equal(vbt_timed, ours_timed)
