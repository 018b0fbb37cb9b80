"""Variant evaluation: grouping changes nothing (each variant equals the engine's in-memory
`run`), units are computed once per pressure section, and the SPA benchmark is the exact
mean of the package's matched null (a naive loop and the engine's Monte Carlo as
references)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from assets.common.config import LabConfig
from assets.engine.procedure import entry_minutes_under
from assets.engine.run import procedure_for, run_engine, run_in_memory
from assets.engine.unit import compute_units
from assets.experiments import evaluate as E
from assets.experiments.benchmark import RandomEntryBenchmark
from assets.experiments.grid import expand_grid
from assets.synthetic_market.in_memory_days import synthetic_market
from assets.trading.exits import first_exits
from assets.trading.simulator import build_bar_tape, hold_bars
from assets.validation.statistics.metrics import out_of_sample


@pytest.fixture(scope="module")
def market():
    return synthetic_market("2024-01-01", "2024-04-30", "null", seed=21)


@pytest.fixture(scope="module")
def base():
    return LabConfig().model_copy(update={
        "pressure": LabConfig().pressure.model_copy(update={"calibration_days": 15}),
        "validation": LabConfig().validation.model_copy(update={
            "null_replications": 50, "bootstrap_replications": 50})})


GRID = {"pressure.probability_model": ["specification", "itm_normal"],
        "pressure.threshold_percentile": [70, 90],
        "trading.target_points.PIN_RISK_MANAGEMENT": [6, 10]}


def test_each_variant_equals_the_in_memory_run(market, base, monkeypatch):
    variants = expand_grid(base, GRID)
    calls = []
    original = E.compute_units

    def counting(days, proc, *args, **kwargs):
        calls.append(proc.cfg.pressure)
        return original(days, proc, *args, **kwargs)

    monkeypatch.setattr(E, "compute_units", counting)
    results = E.evaluate_variants(market, variants)
    # one set of units per pressure section (2 models x 2 percentiles), not per variant
    assert len(calls) == 4 == len({c.model_dump_json() for c in calls})
    monkeypatch.undo()
    for v, r in zip(variants[::3], results[::3], strict=True):  # a spread of both models
        package = run_in_memory(market, v.config)
        perf = package["performance_metrics"]
        assert r.n_trades == perf["total_sample_size"]
        assert r.win_rate == pytest.approx(perf["win_rate"])
        assert r.mean_pnl_points == pytest.approx(perf["mean_pnl_points"])
        assert r.sharpe_ratio == pytest.approx(perf["sharpe_ratio"])
        assert len(r.daily_pnl) == len(market) - base.pressure.calibration_days


def _naive_matched_dollars(trade, tape, rule, tc, table):
    """One trade's expected dollars under the matched null, bar by bar: the bars of its
    class window on its day whose next bar enters before the hard exit, weighted by the
    calibration's frequency of the entry's minutes-to-expiry (uniform when none is
    available), both directions with equal odds."""
    day = tape.day_position(trade["quote_date"])
    start, length = int(tape.day_start[day]), int(tape.day_len[day])
    last = start + length - 1 - tc.exit_before_close_minutes
    bars, weights = [], []
    for b in range(start, start + length):
        m = tape.minutes_to_expiry[b]
        inside = m <= rule.max_minutes if rule.max_inclusive else m < rule.max_minutes
        if m >= rule.min_minutes and inside and b + 1 < last:
            bars.append(b)
            weights.append(table.get(float(tape.minutes_to_expiry[b + 1]), 0.0))
    weights = np.array(weights) if sum(weights) > 0 else np.ones(len(bars))
    values = []
    for bar in bars:
        both = []
        for direction in (1, -1):
            _, price, _ = first_exits(tape.open, tape.high, tape.low, tape.close,
                                      np.array([bar + 1]), np.array([direction]),
                                      np.array([trade["stop_points"]]),
                                      np.array([trade["target_points"]]),
                                      hold_bars(np.array([trade["max_hold_minutes"]])),
                                      np.array([last]))
            both.append(direction * (price[0] - tape.open[bar + 1]) - 2 * tc.slippage_points)
        values.append(np.mean(both))
    points = float(np.dot(weights, values) / weights.sum())
    commission = trade["size"] * tc.point_value * trade["pnl_points"] - trade["pnl_dollars"]
    return points, trade["size"] * tc.point_value * points - commission


ASYMMETRIC = {"pressure.threshold_percentile": [60], "trading.stop_points.ASSIGNMENT_PANIC": [6],
              "trading.stop_points.PIN_RISK_MANAGEMENT": [4]}


def test_benchmark_is_the_exact_mean_of_the_matched_null(market, base):
    # with a stop unlike the target, where a random trade enters changes what it earns on
    # average (with stop = target both sides average -2 x slippage wherever they enter)
    cfg = expand_grid(base, ASYMMETRIC)[0].config
    tape = build_bar_tape(market)
    agg = run_engine(market, cfg)
    tc, rules = cfg.trading, {r.name: r for r in cfg.pressure.urgency_rules}
    entry_minutes = agg.procedure.entry_minutes
    tables = {u: dict(pairs) for u, pairs in entry_minutes.items()}
    daily = RandomEntryBenchmark(tape).daily_dollars(agg.trades, cfg.pressure.urgency_rules,
                                                     tc, entry_minutes)
    oos = out_of_sample(agg.trades)
    naive = [_naive_matched_dollars(t, tape, rules[t["urgency"]], tc,
                                    tables.get(t["urgency"], {}))
             for _, t in oos.iterrows()]
    by_day = (pd.Series([d for _, d in naive], index=list(oos["quote_date"]))
              .groupby(level=0).sum())
    assert len(by_day) > 10
    np.testing.assert_allclose(daily.reindex(by_day.index).to_numpy(), by_day.to_numpy(),
                               rtol=1e-9, atol=1e-9)
    # the package's matched null (the engine's Monte Carlo) agrees within its error
    null = agg.null
    se = np.std(null.null_means, ddof=1) / math.sqrt(null.null_means.size)
    assert abs(null.null_means.mean() - np.mean([p for p, _ in naive])) < 5 * se + 1e-9


def test_a_variant_s_benchmark_uses_its_own_calibration(market, base):
    """Another trading section calibrates other entry minutes: the sweep takes the ones
    `run` would calibrate for that variant."""
    variant = expand_grid(base, {"trading.max_hold_minutes.PIN_RISK_MANAGEMENT": [10]})[0]
    proc = procedure_for(market, base)
    units = compute_units([market[d] for d in sorted(market)], proc, monte_carlo=False)
    got = entry_minutes_under(units.alerts, build_bar_tape(market), proc,
                              variant.config.trading)
    want = procedure_for(market, variant.config).entry_minutes
    assert got == want and got != proc.entry_minutes
