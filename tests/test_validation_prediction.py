"""Prediction-accuracy summary against scipy/numpy oracles, on the pressure stage's own
outcome table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assets.common.config import LabConfig
from assets.validation.statistics import prediction as P
from tests.support.validation_fixtures import outcomes_for, random_walk_days

CFG = LabConfig()


def test_direction_accuracy_against_scipy():
    d = np.array([1, 1, -1, -1, 1, -1, 1, 1, -1, 1] * 5)
    real = np.array([1, -1, -1, 0, 1, -1, 1, -1, 1, 1] * 5)
    got = P.direction_accuracy(d, real)
    correct = int((d == real).sum())
    assert got["correct"] == correct and got["n"] == 50
    ci = stats.binomtest(correct, 50).proportion_ci(method="wilson")
    assert got["wilson_ci"] == pytest.approx([ci.low, ci.high])
    p_up, p_down = (d > 0).mean(), (d < 0).mean()
    base = p_up * (real > 0).mean() + p_down * (real < 0).mean()  # flat moves never hit
    assert got["base_rate"] == pytest.approx(base)
    assert got["p_value"] == pytest.approx(
        stats.binomtest(correct, 50, base, alternative="greater").pvalue)


def test_given_base_rate_is_used():
    d = np.ones(20, int)
    got = P.direction_accuracy(d, np.ones(20), base_rate=0.5)
    assert got["accuracy"] == 1.0 and got["base_rate"] == 0.5
    assert got["p_value"] == pytest.approx(0.5 ** 20)


def test_r_squared_is_the_simple_regression_r_squared():
    rng = np.random.default_rng(1)
    p = 10 ** rng.uniform(-1, 3, 80)
    y = 0.5 * np.log10(p) + rng.normal(0, 1, 80)
    got = P.pressure_regression(p, y)
    assert got["r_squared"] == pytest.approx(np.corrcoef(np.log10(p), y)[0, 1] ** 2)
    assert got["slope"] == pytest.approx(np.polyfit(np.log10(p), y, 1)[0])
    assert got["slope_p_value"] == pytest.approx(stats.linregress(np.log10(p), y).pvalue)


def test_summary_on_real_outcome_table():
    days = random_walk_days(25, 31)
    o = outcomes_for(days, 300, 32, CFG, n_calibration=40)
    got = P.prediction_accuracy(o)
    scored = o[~o["is_calibration"] & o["urgency"].isin(P.CLASSES)]
    assert got["sample_size"] == len(scored) == 260
    hits = (scored["actual_direction"] == scored["steering_direction"]).mean()
    assert got["overall_direction_accuracy"] == pytest.approx(hits)
    assert got["overall_direction_accuracy"] == pytest.approx(scored["direction_correct"].mean())
    assert got["average_magnitude_error"] == pytest.approx(scored["magnitude_error"].mean())
    assert got["average_timing_error_minutes"] == pytest.approx(scored["timing_error"].mean())
    for c in P.CLASSES:
        sc = scored[scored["urgency"] == c]
        pc = got["per_class"][c]
        assert pc["sample_size"] == len(sc)
        assert pc["mean_abs_magnitude_error"] == pytest.approx(sc["magnitude_error"].mean())
        assert pc["mean_realized_duration_minutes"] == pytest.approx(
            sc["minutes_to_extreme"].mean())
    # random directions on a random walk: no evidence of skill
    assert got["overall"]["direction"]["p_value_conservative"] > 0.001
    fig = P.pressure_vs_move_figure(o)
    assert len(fig["log10_pressure"]) == len(fig["realized_move"]) == len(fig["urgency"]) == 260
    assert fig["realized_move"] == pytest.approx(scored["actual_move"].tolist())


def test_day_clustered_test_is_reported_and_conservative_is_the_larger():
    days = random_walk_days(20, 41)
    o = outcomes_for(days, 200, 42, CFG)
    d = P.prediction_accuracy(o)["overall"]["direction"]
    assert d["p_value_day_clustered"] is not None
    assert d["p_value_conservative"] == max(d["p_value"], d["p_value_day_clustered"])


def test_missing_columns_are_reported():
    with pytest.raises(KeyError, match="actual_direction"):
        P.prediction_accuracy(pd.DataFrame({"urgency": [], "steering_direction": [],
                                            "actual_move": [], "pressure": [],
                                            "is_calibration": []}))


def test_small_classes_get_their_count_only():
    days = random_walk_days(25, 31)
    o = outcomes_for(days, 300, 32, CFG, n_calibration=40)
    got = P.prediction_accuracy(o, min_class_size=10_000)
    for c in P.CLASSES:
        block = got["per_class"][c]
        assert block["tested"] is False and set(block) == {"sample_size", "tested", "note"}
    assert got["overall"]["direction"]["accuracy"] is not None
