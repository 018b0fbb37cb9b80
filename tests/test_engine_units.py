"""The engine's fast paths against naive references, and the per-day independence of units.

- `pressure_batch` is `pressure_grid` on each placebo OI profile, bit for bit;
- `select_alert_cells_batch` is the per-grid loop `select_alert_cells`, grid by grid;
- a day's placebo share is R plain runs of the real pipeline (grid -> alerts -> simulator)
  on the placebo days;
- a unit does not depend on which other days are computed with it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from assets.common.config import LabConfig
from assets.engine.placebo import placebo_oi, placebo_share, placebo_shifts
from assets.engine.procedure import day_stream
from assets.engine.run import procedure_for
from assets.engine.unit import compute_units
from assets.pressure.alerts import (
    alert_columns,
    alerts_frame,
    select_alert_cells,
    select_alert_cells_batch,
    thresholds_by_code,
)
from assets.pressure.kernel import pressure_batch, pressure_grid
from assets.pressure.urgency import classify, classify_grid
from assets.synthetic_market.in_memory_days import synthetic_market
from assets.trading.simulator import build_bar_tape, simulate_trades

R = 12


@pytest.fixture(scope="module")
def market():
    return synthetic_market("2024-01-01", "2024-02-29", "steer", seed=3, strength=3.0)


def _cfg(model="specification", **validation):
    cfg = LabConfig()
    return cfg.model_copy(update={
        "pressure": cfg.pressure.model_copy(update={"calibration_days": 10,
                                                    "probability_model": model}),
        "validation": cfg.validation.model_copy(update={"oi_placebo_replications": R,
                                                        "null_replications": 64,
                                                        **validation})})


def _profiles(day, n, seed):
    rng = np.random.default_rng(seed)
    total = day.call_oi + day.put_oi
    return np.stack([rng.permutation(total) * rng.uniform(0.5, 2.0) for _ in range(n)])


@pytest.mark.parametrize("model", ["specification", "itm_normal"])
def test_pressure_batch_is_pressure_grid_on_each_profile(market, model):
    cfg = _cfg(model).pressure
    day = market[sorted(market)[12]]
    profiles = _profiles(day, 4, 1)
    rows = np.arange(200, day.n_bars)
    _, batch = pressure_batch(day, cfg, profiles, rows=rows)
    for r, oi in enumerate(profiles):
        ref = pressure_grid(dataclasses.replace(day, call_oi=oi, put_oi=np.zeros_like(oi)), cfg)
        np.testing.assert_array_equal(batch[r], ref.pressure[rows])


def test_batched_alert_selection_is_the_per_grid_loop(market):
    cfg = _cfg()
    proc = procedure_for(market, cfg)
    day = market[sorted(market)[15]]
    profiles = _profiles(day, 6, 2)
    grid, batch = pressure_batch(day, cfg.pressure, profiles)
    codes = classify(grid.minutes[None, :, None], profiles[:, None, :], grid.distance[None],
                     cfg.pressure.urgency_rules)
    by_code = thresholds_by_code(proc.thresholds, cfg.pressure)
    minutes = np.arange(day.n_bars, dtype=float)
    rep, t, k = select_alert_cells_batch(batch, codes, by_code[codes], minutes, 10.0)
    assert rep.size > 0
    for r in range(len(profiles)):
        rows, cols = select_alert_cells(batch[r], codes[r], by_code[codes[r]], minutes, 10.0)
        np.testing.assert_array_equal(t[rep == r], rows)
        np.testing.assert_array_equal(k[rep == r], cols)


def _naive_placebo(day, cfg, thresholds, seed_stream):
    """R plain runs: the placebo day through pressure_grid, alert_columns and the
    simulator (sizes kept positive, so the one-position rule alone decides)."""
    options = [(mirror, sign * shift) for mirror in (False, True)
               for shift in placebo_shifts(cfg) for sign in (-1, 1)]
    picks = seed_stream.integers(len(options), size=R)
    trading = cfg.trading.model_copy(update={"size_rounding": "fractional",
                                             "accuracy_prior_weight": 1.0})
    sums, counts = np.zeros(R), np.zeros(R, dtype=int)
    for r, pick in enumerate(picks):
        mirror, shift = options[int(pick)]
        placebo = dataclasses.replace(
            day, call_oi=placebo_oi(day.call_oi, day.strikes, day.open[0], mirror, shift),
            put_oi=placebo_oi(day.put_oi, day.strikes, day.open[0], mirror, shift))
        grid = pressure_grid(placebo, cfg.pressure)
        alerts = alerts_frame([alert_columns(placebo, grid, thresholds, cfg.pressure, False)])
        trades = simulate_trades(alerts, build_bar_tape([placebo]), trading,
                                 cfg.pressure.urgency_rules)
        sums[r], counts[r] = trades["pnl_points"].sum(), len(trades)
    return sums, counts


def test_placebo_share_is_the_plain_pipeline_on_each_placebo_day(market):
    cfg = _cfg()
    proc = procedure_for(market, cfg)
    checked = 0
    for d in sorted(market)[10:30]:
        day = market[d]
        got = placebo_share(day, cfg, proc.thresholds, day_stream(5, "oi_placebo", d))
        want = _naive_placebo(day, cfg, proc.thresholds, day_stream(5, "oi_placebo", d))
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_allclose(got[0], want[0], rtol=0, atol=1e-9)
        checked += int(want[1].sum())
    assert checked > 20  # the days did trade


def test_a_unit_does_not_depend_on_the_other_days(market):
    cfg = _cfg()
    proc = procedure_for(market, cfg)
    days = [market[d] for d in sorted(market)]
    everything = compute_units(days, proc)
    alone = compute_units([days[20], days[33]], proc)
    for d in (days[20].quote_date, days[33].quote_date):
        for name in ("alerts", "outcomes", "candidates", "summaries"):
            a = getattr(everything, name)
            b = getattr(alone, name)
            pd.testing.assert_frame_equal(a[a["quote_date"] == d].reset_index(drop=True),
                                          b[b["quote_date"] == d].reset_index(drop=True))
        x, y = everything.shares[d], alone.shares[d]
        np.testing.assert_array_equal(x.null.sums, y.null.sums)
        np.testing.assert_array_equal(x.direction, y.direction)
        np.testing.assert_array_equal(x.placebo_sums, y.placebo_sums)
    assert not alone.shares[days[20].quote_date].null.sums.sum() == 0


def test_calibration_classifies_like_the_grid(market):
    cfg = _cfg()
    day = market[sorted(market)[0]]
    grid = pressure_grid(day, cfg.pressure)
    total = (day.call_oi + day.put_oi)[None, :]
    batch = classify(grid.minutes[None, :, None], total[:, None, :], grid.distance[None],
                     cfg.pressure.urgency_rules)
    np.testing.assert_array_equal(batch[0], classify_grid(grid, cfg.pressure.urgency_rules))


def test_days_where_sizing_dropped_a_trade_are_drawn_again_on_the_final_trades(market):
    """Sizes that round to zero drop some trades (and can free the position for a later
    alert): those days' shares must be the ones drawn on the trades actually taken."""
    from assets.engine.aggregate import InMemoryShares
    from assets.engine.run import run_engine
    from assets.engine.unit import day_shares

    base = _cfg()
    cfg = base.model_copy(update={"trading": base.trading.model_copy(
        update={"base_size": 0.25})})
    agg = run_engine(market, cfg)
    assert agg.redrawn_days, "the config should make sizing drop some trades"
    tape = agg.tape
    fresh = {}
    for pos, d in enumerate(tape.dates):
        if d in set(agg.scored_days):
            mine = agg.trades[[q == d for q in agg.trades["quote_date"]]]
            fresh[d] = day_shares(market[d], pos, tape, mine, agg.procedure)
    want = InMemoryShares(fresh, agg.procedure).null(agg.scored_days)
    n = len(agg.trades[~agg.trades["is_calibration"]])
    np.testing.assert_allclose(agg.null.null_means, want.sums.sum(axis=1) / n, atol=1e-9)


def test_a_scored_day_without_any_signal_is_a_unit_with_no_trades(market):
    # A night whose one day gives no candidate at all (no OI: no pressure above the
    # thresholds): its unit has zero candidates and its shares see zero trades.
    cfg = _cfg()
    proc = procedure_for(market, cfg)
    day = market[sorted(market)[-1]]
    quiet = dataclasses.replace(day, call_oi=np.zeros_like(day.call_oi),
                                put_oi=np.zeros_like(day.put_oi))
    units = compute_units([quiet], proc)
    assert len(units.candidates) == 0
    assert set(units.shares) == {day.quote_date}
