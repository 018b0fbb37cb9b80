"""Distinct urgency patterns: the size of its test with unequal spreads, and its numbers
against scipy on day means built here from a naive same-minute volatility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assets.common.config import LabConfig, ValidationConfig
from assets.validation.statistics import secondary as SEC
from tests.support.validation_fixtures import outcomes_for, random_walk_days

CFG = LabConfig()
RULES = CFG.pressure.urgency_rules
PANIC, PIN = "ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT"


def _day_means(n: int, cls: str, move_z: np.ndarray, rng) -> pd.DataFrame:
    """Day means of a class whose range tests all pass by far: only the comparison
    between the classes is near its null."""
    return pd.DataFrame({"urgency": cls, "quote_date": np.arange(n), "move_z": move_z,
                         **{m: rng.normal(50.0, 1.0, n) for m in
                            ("move_above_low", "move_below_high", "duration_above_low")}})


def test_size_holds_with_unequal_spreads_and_sizes():
    from assets.validation.statistics.urgency_patterns import pattern_tests

    rng = np.random.default_rng(5)
    p, p_mann_whitney = [], []
    for _ in range(1000):
        a, b = rng.normal(4.0, 3.0, 120), rng.normal(4.0, 10.0, 20)  # equal means
        got = pattern_tests(pd.concat([_day_means(120, PANIC, a, rng),
                                       _day_means(20, PIN, b, rng)]))
        p.append(got["p_value"])
        p_mann_whitney.append(stats.mannwhitneyu(a, b).pvalue)
    assert np.mean(np.asarray(p) < 0.05) < 0.07  # about alpha (sd of the estimate 0.007)
    # the rank test that used to be here rejects ~15 % of these worlds
    assert np.mean(np.asarray(p_mann_whitney) < 0.05) > 0.12


def test_planted_patterns_are_claimed_and_a_class_below_its_range_is_not():
    from assets.validation.statistics.urgency_patterns import pattern_tests

    rng = np.random.default_rng(6)
    fast, slow = rng.normal(8.0, 1.0, 30), rng.normal(2.0, 1.0, 30)
    good = pattern_tests(pd.concat([_day_means(30, PANIC, fast, rng),
                                    _day_means(30, PIN, slow, rng)]))
    assert good["p_value"] < 1e-6
    short = _day_means(30, PIN, slow, rng).assign(move_above_low=rng.normal(-1.0, 1.0, 30))
    bad = pattern_tests(pd.concat([_day_means(30, PANIC, fast, rng), short]))
    assert bad["components"][f"{PIN}_move_above_low"] > 0.5 and bad["p_value"] > 0.5


def _naive_scale(outcomes: pd.DataFrame, days) -> np.ndarray:
    """RMS of close[t+h] - close[t] at the row's minute and horizon over every earlier day
    (NaN with fewer than 20), written out as a plain loop."""
    order = {d.quote_date: i for i, d in enumerate(days)}
    out = []
    for _, r in outcomes.iterrows():
        past = []
        for d in days[:order[r["quote_date"]]]:
            t = int(np.flatnonzero(d.minutes_to_expiry == r["minutes_to_expiry"])[0])
            h = int(r["horizon_minutes"])
            if t + h < d.n_bars:
                past.append((d.close[t + h] - d.close[t]) ** 2)
        out.append(np.sqrt(np.mean(past)) if len(past) >= 20 else np.nan)
    return np.asarray(out)


@pytest.fixture(scope="module")
def world():
    days = random_walk_days(34, 41)
    return days, outcomes_for(days, 700, 42, CFG)


def test_against_scipy_on_day_means(world):
    days, outcomes = world
    got = SEC.secondary_hypotheses(outcomes, None, ValidationConfig(), RULES,
                                   days=days)["distinct_urgency_patterns"]
    scale = _naive_scale(outcomes, days)
    rule = {r.name: r for r in RULES}
    o = outcomes.assign(scale=scale).loc[np.isfinite(scale)]
    per_day: dict[str, dict[str, list[float]]] = {PANIC: {}, PIN: {}}
    for (cls, _), g in o.groupby(["urgency", "quote_date"]):
        lo, hi = rule[cls].move_magnitude
        move, s = g["actual_magnitude"].abs(), g["scale"]
        for key, x in (("z", move / s), ("above", (move - lo) / s), ("below", (hi - move) / s),
                       ("dur", g["minutes_to_extreme"] - rule[cls].move_duration[0])):
            per_day[cls].setdefault(key, []).append(float(np.mean(x)))
    assert got["n"] == [len(per_day[PANIC]["z"]), len(per_day[PIN]["z"])]
    assert min(got["n"]) >= 10 and got["n_alerts"] == len(o)
    welch = stats.ttest_ind(per_day[PANIC]["z"], per_day[PIN]["z"], equal_var=False)
    assert got["welch_p_value"] == pytest.approx(welch.pvalue, rel=1e-9)
    expected = [welch.pvalue]
    for cls in (PANIC, PIN):
        for key, name in (("above", "move_above_low"), ("below", "move_below_high"),
                          ("dur", "duration_above_low")):
            p = stats.ttest_1samp(per_day[cls][key], 0.0, alternative="greater").pvalue
            assert got["components"][f"{cls}_{name}"] == pytest.approx(p, rel=1e-9)
            expected.append(p)
    assert got["p_value"] == pytest.approx(max(expected), rel=1e-9)
    # a random walk moves ~1 point in 8 minutes: far below ASSIGNMENT_PANIC's 15-35 range
    assert got["per_class"][PANIC]["mean_move_points"] < 15 and got["p_value"] > 0.5
    assert "Welch" in got["test"] and "expected" in got["test"]
