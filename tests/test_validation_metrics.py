"""Per-trade statistics against independent oracles (scipy, statsmodels, arch, by hand)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from arch.bootstrap import IIDBootstrap
from scipy import stats

from assets.validation.statistics import metrics


def _log(points, sizes=None, commission=2.25, point_value=50.0, calibration=None):
    pts = np.asarray(points, dtype=float)
    size = np.ones_like(pts) if sizes is None else np.asarray(sizes, dtype=float)
    usd = size * point_value * pts - 2 * commission * size
    return pd.DataFrame({"pnl_points": pts, "pnl_dollars": usd, "size": size,
                         "is_calibration": (np.zeros(pts.size, bool) if calibration is None
                                            else np.asarray(calibration, bool))})


# 12 trades: +0.05 points is a loss in dollars after commissions; one trade is exactly flat
# in dollars (0.09 points x $50 = $4.50 = commissions), which is not a win.
POINTS = [10.0, -10.0, 15.0, 0.05, 0.09, -3.0, 12.5, -15.0, 7.0, 10.0, -1.0, 2.0]


def test_win_is_strictly_positive_dollars():
    log = _log(POINTS)
    wins = metrics.wins_of(log)
    assert log["pnl_dollars"].iloc[4] == pytest.approx(0.0, abs=1e-9)
    assert not wins[3] and not wins[4]  # positive points, non-positive dollars
    assert int(wins.sum()) == 6


def test_calibration_trades_are_excluded():
    scored = _log(POINTS)
    noisy = pd.concat([_log([500.0, 400.0], calibration=[True, True]), scored],
                      ignore_index=True)
    a = metrics.trade_statistics(metrics.out_of_sample(noisy), 200, 1)
    b = metrics.trade_statistics(metrics.out_of_sample(scored), 200, 1)
    assert a["win_rate"] == b["win_rate"]
    assert a["pnl"]["mean_pnl_points"] == pytest.approx(np.mean(POINTS))


@pytest.mark.parametrize("wins,n", [(6, 12), (0, 20), (20, 20), (78, 100), (1, 3)])
def test_win_rate_intervals_match_scipy(wins, n):
    got = metrics.win_rate_stats(wins, n)
    res = stats.binomtest(wins, n)
    wil = res.proportion_ci(confidence_level=0.95, method="wilson")
    exact = res.proportion_ci(confidence_level=0.95, method="exact")
    assert got["win_rate"] == pytest.approx(wins / n)
    assert got["wilson_ci"] == pytest.approx([wil.low, wil.high], abs=1e-9)
    assert got["clopper_pearson_ci"] == pytest.approx([exact.low, exact.high], abs=1e-7)


def test_pnl_stats_by_hand():
    log = _log(POINTS)
    got = metrics.pnl_stats(log)
    usd = log["pnl_dollars"].to_numpy()
    win_pts = [p for p, u in zip(POINTS, usd, strict=True) if u > 0]
    loss_pts = [p for p, u in zip(POINTS, usd, strict=True) if u <= 0]
    assert got["average_win_points"] == pytest.approx(sum(win_pts) / len(win_pts))
    assert got["average_loss_points"] == pytest.approx(sum(loss_pts) / len(loss_pts))
    assert got["profit_factor"] == pytest.approx(usd[usd > 0].sum() / -usd[usd < 0].sum())
    # wins and losses partition the trades, so expectancy = mean
    assert got["expectancy_points"] == pytest.approx(np.mean(POINTS))
    assert got["expectancy_dollars"] == pytest.approx(usd.mean())


def test_profit_factor_undefined_without_losses():
    assert metrics.pnl_stats(_log([5.0, 6.0]))["profit_factor"] is None


def test_t_test_and_bootstrap_against_scipy_and_arch():
    x = np.asarray(POINTS)
    got = metrics.mean_pnl_test(x, reps=2000, seed=7)
    ref = stats.ttest_1samp(x, 0.0)
    assert got["t_statistic"] == pytest.approx(ref.statistic)
    assert got["p_value_two_sided"] == pytest.approx(ref.pvalue)
    greater = stats.ttest_1samp(x, 0, alternative="greater")
    assert got["p_value_greater"] == pytest.approx(greater.pvalue)
    ci = IIDBootstrap(x, seed=7).conf_int(np.mean, reps=2000, method="percentile").ravel()
    assert got["bootstrap_ci"] == pytest.approx(list(ci))
    # and an independent plain-numpy percentile bootstrap agrees to resampling noise
    rng = np.random.default_rng(123)
    means = x[rng.integers(0, x.size, (20000, x.size))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    assert got["bootstrap_ci"][0] == pytest.approx(lo, abs=0.4)
    assert got["bootstrap_ci"][1] == pytest.approx(hi, abs=0.4)
    assert got["bootstrap_ci"][0] < x.mean() < got["bootstrap_ci"][1]


def test_effect_sizes_by_hand():
    x = np.asarray(POINTS)
    assert metrics.cohens_d(x) == pytest.approx(x.mean() / x.std(ddof=1))
    h = 2 * math.asin(math.sqrt(0.7)) - 2 * math.asin(math.sqrt(0.4))
    assert metrics.cohens_h(0.7, 0.4) == pytest.approx(h)
    assert metrics.cohens_d(np.array([1.0, 1.0, 1.0])) is None


def test_trade_statistics_report_no_post_hoc_power():
    got = metrics.trade_statistics(_log(POINTS), 200, 3)
    assert "power" not in got and not hasattr(metrics, "power_analysis")
