"""Variant evaluation: grouping changes nothing (each variant equals the engine's in-memory
`run`), units are computed once per pressure section, and the SPA benchmark is the exact
mean of the random-entry null (a naive loop and the null's own Monte Carlo as references)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assets.common.config import LabConfig
from assets.engine.run import run_engine, run_in_memory
from assets.experiments import evaluate as E
from assets.experiments.benchmark import RandomEntryBenchmark
from assets.experiments.grid import expand_grid
from assets.synthetic_market.in_memory_days import synthetic_market
from assets.trading.exits import first_exits
from assets.trading.simulator import build_bar_tape
from assets.validation.statistics.metrics import out_of_sample
from assets.validation.statistics.null_model import random_entry_null, random_entry_plan


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


def _naive_expected_points(plan, tape, i, slippage):
    s, c = int(plan["offset"][i]), int(plan["count"][i])
    values = []
    for bar in plan["cand"][s:s + c]:
        for direction in (1, -1):
            _, price, _ = first_exits(tape.open, tape.high, tape.low, tape.close,
                                      np.array([bar + 1]), np.array([direction]),
                                      plan["stop"][i:i + 1], plan["target"][i:i + 1],
                                      plan["hold"][i:i + 1], plan["last"][i:i + 1])
            values.append(direction * (price[0] - tape.open[bar + 1]) - 2 * slippage)
    return float(np.mean(values))


def test_benchmark_is_the_exact_mean_of_the_random_entry_null(market, base):
    variant = expand_grid(base, {"pressure.threshold_percentile": [60]})[0]
    tape = build_bar_tape(market)
    trades = run_engine(market, variant.config).trades
    tc, rules = variant.config.trading, variant.config.pressure.urgency_rules
    bench = RandomEntryBenchmark(tape)
    daily = bench.daily_dollars(trades, rules, tc)
    plan = random_entry_plan(trades, tape, rules, tc)
    naive = np.array([_naive_expected_points(plan, tape, i, tc.slippage_points)
                      for i in range(plan["offset"].size)])
    dollars = plan["size"] * tc.point_value * naive - plan["commission"]
    oos = out_of_sample(trades).loc[plan["keep"]]
    expected = (np.bincount(np.unique(oos["quote_date"], return_inverse=True)[1],
                            weights=dollars))
    np.testing.assert_allclose(daily.to_numpy()[daily.to_numpy() != 0],
                               expected[expected != 0], rtol=1e-9)
    # the null's Monte Carlo mean of mean points per trade agrees within its error
    null = random_entry_null(trades, tape, rules, tc, B=4000, seed=3, entries="uniform")
    se = np.std(null.null_means, ddof=1) / math.sqrt(4000)
    assert abs(null.null_means.mean() - naive.mean()) < 5 * se + 1e-9
