"""Sharpe figures: daily series, annualization, PSR/DSR/MinTRL by hand, arch bootstrap."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from arch.bootstrap import StationaryBootstrap
from scipy import stats

from assets.validation.statistics import sharpe as S

D = [dt.date(2024, 1, d) for d in (2, 3, 4, 5, 8, 9)]


def test_daily_pnl_counts_days_without_trades():
    trades = pd.DataFrame({"quote_date": [D[0], D[0], D[2], D[5]],
                           "pnl_dollars": [100.0, -30.0, 50.0, -20.0]})
    daily = S.daily_pnl(trades, D)
    assert list(daily.index) == D
    assert daily.tolist() == [70.0, 0.0, 50.0, 0.0, 0.0, -20.0]
    # a trade on a day the list misses is added, never dropped
    extra = S.daily_pnl(trades, D[1:])
    assert D[0] in extra.index and extra[D[0]] == 70.0


def test_annualized_daily_sharpe_by_hand():
    x = np.array([70.0, 0.0, 50.0, 0.0, 0.0, -20.0])
    assert S.annualized_sharpe(x) == pytest.approx(x.mean() / x.std(ddof=1) * math.sqrt(252))
    assert math.isnan(S.annualized_sharpe(np.zeros(5)))


def _symmetric_sample():
    # mean 0.2, deviations symmetric -> skewness exactly 0
    dev = np.array([-3.0, -1.0, -0.5, 0.5, 1.0, 3.0] * 10)
    return 0.2 + dev


def test_psr_matches_hand_formula_on_a_symmetric_sample():
    x = _symmetric_sample()
    n = x.size
    sr = x.mean() / x.std(ddof=1)
    dev = x - x.mean()
    kurt = (dev ** 4).mean() / ((dev ** 2).mean() ** 2)  # Pearson kurtosis, by hand
    expected = stats.norm.cdf(sr * math.sqrt(n - 1) / math.sqrt(1 + (kurt - 1) / 4 * sr ** 2))
    assert S.probabilistic_sharpe_ratio(x) == pytest.approx(expected, rel=1e-12)
    # at the benchmark equal to the estimate the probability is one half
    assert S.probabilistic_sharpe_ratio(x, sr) == pytest.approx(0.5)


def test_psr_penalizes_negative_skew():
    rng = np.random.default_rng(0)
    base = rng.normal(0.1, 1.0, 400)
    skewed = np.where(base < -1.5, base * 3, base)  # fatter left tail
    skewed = skewed - skewed.mean() + base.mean() * skewed.std() / base.std()
    assert S.sharpe(skewed) == pytest.approx(S.sharpe(base), rel=0.02)
    assert S.probabilistic_sharpe_ratio(skewed) < S.probabilistic_sharpe_ratio(base)


def test_dsr_one_trial_is_psr_and_more_trials_deflate():
    x = _symmetric_sample()
    dsr1, sr0 = S.deflated_sharpe_ratio(x, 1)
    assert sr0 == 0.0 and dsr1 == pytest.approx(S.probabilistic_sharpe_ratio(x, 0.0))
    dsr50, sr50 = S.deflated_sharpe_ratio(x, 50)
    assert sr50 > 0 and dsr50 < dsr1


def test_expected_max_sharpe_against_monte_carlo():
    rng = np.random.default_rng(1)
    mc = rng.standard_normal((20000, 100)).max(axis=1).mean()  # E[max of 100 N(0,1)]
    assert S.expected_max_sharpe(100, 1.0) == pytest.approx(mc, rel=0.05)


def test_min_track_record_length_reaches_the_confidence():
    x = _symmetric_sample()
    n_star = S.min_track_record_length(x, 0.0, 0.95)
    sr = S.sharpe(x)
    g3, g4 = stats.skew(x), stats.kurtosis(x, fisher=False)
    z = sr * math.sqrt(n_star - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr ** 2)
    assert stats.norm.cdf(z) == pytest.approx(0.95)
    assert math.isinf(S.min_track_record_length(-x, 0.0))


def test_stationary_bootstrap_against_arch():
    rng = np.random.default_rng(2)
    x = rng.normal(20, 100, 250)
    got = S.stationary_bootstrap_ci(x, reps=500, seed=11, block_size=5.0)
    draws = StationaryBootstrap(5.0, x, seed=11).apply(
        lambda s: np.array([s.mean() / s.std(ddof=1) * math.sqrt(252)]), reps=500).ravel()
    assert got["ci"] == pytest.approx(list(np.percentile(draws, [2.5, 97.5])))
    assert got["ci"][0] < S.annualized_sharpe(x) < got["ci"][1]
    auto = S.stationary_bootstrap_ci(x, reps=200, seed=11)
    assert auto["block_size"] >= 1.0


def test_sharpe_statistics_uses_all_days():
    trades = pd.DataFrame({"quote_date": [D[0], D[2]], "pnl_dollars": [100.0, 60.0]})
    got = S.sharpe_statistics(trades, D, n_variants=3, reps=100, seed=1)
    x = np.array([100.0, 0, 60.0, 0, 0, 0])
    assert got["n_days"] == 6 and got["n_days_traded"] == 2
    by_hand = x.mean() / x.std(ddof=1) * math.sqrt(252)
    assert got["annualized_daily_sharpe"] == pytest.approx(by_hand)
    assert got["per_trade_sharpe"] == pytest.approx(80.0 / np.std([100.0, 60.0], ddof=1))
    assert got["n_variants_tried"] == 3


def test_mwf_calendar_annualizes_by_expiration_days_per_year():
    """2019 Mon/Wed/Fri expirations: the Sharpe from a trade log, computed independently
    (pandas-market-calendars for the sessions, pandas for the daily sums), under the
    package's stated convention."""
    import pandas_market_calendars as mcal

    sched = mcal.get_calendar("XNYS").schedule("2019-01-01", "2019-12-31")
    sessions = [d.date() for d in sched.index]
    mwf = [d for d in sessions if d.weekday() in (0, 2, 4)]
    rng = np.random.default_rng(3)
    traded = rng.choice(len(mwf), 90, replace=False)
    log = pd.DataFrame({"quote_date": [mwf[i] for i in traded for _ in range(2)],
                        "pnl_dollars": rng.normal(30.0, 400.0, 180)})
    daily = log.groupby("quote_date")["pnl_dollars"].sum().reindex(mwf, fill_value=0.0)
    # the stated convention: 252 x expiration days / sessions from the first to the last
    spanned = [d for d in sessions if mwf[0] <= d <= mwf[-1]]
    per_year = 252 * len(mwf) / len(spanned)
    assert per_year == pytest.approx(len(mwf), rel=0.01)  # ~ the calendar year's count
    expected = daily.mean() / daily.std(ddof=1) * math.sqrt(per_year)
    got = S.sharpe_statistics(log, mwf, n_variants=1, reps=50, seed=1)
    assert 145 <= per_year <= 155
    assert got["periods_per_year"] == pytest.approx(per_year)
    assert got["annualization_factor"] == pytest.approx(math.sqrt(per_year))
    assert got["annualized_daily_sharpe"] == pytest.approx(expected)
    # x sqrt(252) would overstate it by ~1.29
    assert math.sqrt(252 / per_year) == pytest.approx(1.29, abs=0.01)
    assert got["min_track_record_length_years"] == pytest.approx(
        got["min_track_record_length_days"] / per_year)
    assert "sqrt(" in got["definition"] and "expiration days per year" in got["definition"]


def test_every_session_calendar_keeps_252():
    import pandas_market_calendars as mcal

    sched = mcal.get_calendar("XNYS").schedule("2023-01-01", "2023-12-31")
    days = [d.date() for d in sched.index]
    from assets.common.calendar import expiration_days_per_year

    assert expiration_days_per_year(days) == pytest.approx(252.0)
