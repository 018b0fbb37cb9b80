"""The calendar placebo (`validation.calendar_placebo`): non-expiration sessions accepted,
scored to their own close under the expiration days' procedure, and the
`expiration_specific` claim's date-clustered test.

Oracles: the exchange calendar by hand (2021-01-05 is a Tuesday before SPXW listed
Tuesdays; 2019-12-24 a Tuesday early close at 13:00 ET), statsmodels' formula interface and
a hand-computed cluster sandwich for the test.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from assets.common import calendar
from assets.common.config import LabConfig
from assets.dagster_common.partitions import build_expiration_partitions
from assets.engine.calendar_placebo import split_market
from assets.ingestion.contract import normalize_chains
from assets.ingestion.gx_validation import validate_chains
from assets.ingestion.landing_report import inspect_landing
from assets.synthetic_market.generator import generate_market
from assets.synthetic_market.in_memory_days import market_day
from assets.synthetic_market.landing_files import write_landing
from assets.validation.statistics.calendar_placebo import (
    clustered_difference,
    expiration_specific_test,
)
from orchestration.cli import plan_days
from tests.support import ingestion_fixtures as fx

ON = LabConfig.model_validate({"validation": {"calendar_placebo": True}})
OFF = LabConfig()
TUESDAY, WEDNESDAY = dt.date(2021, 1, 5), dt.date(2021, 1, 6)


def _chain(day: dt.date, expiration: dt.date) -> pd.DataFrame:
    raw = fx.chain_frame(day).assign(expiration=expiration.isoformat())
    return normalize_chains(raw, source_file=f"landing/chains/{day}.csv", day=day)


def _dates_rule(frame, cfg, day):
    return validate_chains(frame, cfg, [day], rules=["chains_dates_match_day"]).result(
        "chains_dates_match_day")


# ------------------------------------------------------------------ calendar and partitions

def test_placebo_days_and_their_expiration():
    assert calendar.placebo_days(dt.date(2021, 1, 4), dt.date(2021, 1, 10)) == [
        TUESDAY, dt.date(2021, 1, 7)]
    assert calendar.next_expiration_day(TUESDAY) == WEDNESDAY
    assert calendar.next_expiration_day(dt.date(2021, 1, 7)) == dt.date(2021, 1, 8)
    assert calendar.scored_expiration(WEDNESDAY) == WEDNESDAY
    # from 2022-05-11 every session expires under spxw: no placebo day is left
    assert calendar.placebo_days(dt.date(2023, 1, 2), dt.date(2023, 1, 31)) == []


def test_partitions_hold_placebo_sessions_only_with_the_flag():
    end = dt.date(2021, 1, 15)
    off = build_expiration_partitions(
        OFF.model_copy(update={"calendar": OFF.calendar.model_copy(
            update={"partitions_start": "2021-01-04"})}), end=end).get_partition_keys()
    on_cfg = ON.model_copy(update={"calendar": ON.calendar.model_copy(
        update={"partitions_start": "2021-01-04"})})
    on = build_expiration_partitions(on_cfg, end=end).get_partition_keys()
    assert "2021-01-05" not in off and "2021-01-06" in off
    assert "2021-01-05" in on and "2021-01-07" in on
    assert "2021-01-09" not in on  # a Saturday stays out
    assert set(on) - set(off) == {"2021-01-05", "2021-01-07", "2021-01-12", "2021-01-14"}


# ---------------------------------------------------------------------------- ingestion

def test_placebo_chain_of_the_next_expiration_passes_with_the_flag_only():
    frame = _chain(TUESDAY, WEDNESDAY)
    assert _dates_rule(frame, ON, TUESDAY).passed
    refused = _dates_rule(frame, OFF, TUESDAY)
    assert not refused.passed and "no contract expiring on the day" in refused.detail


def test_expiration_day_with_only_later_contracts_is_refused_even_with_the_flag():
    frame = _chain(WEDNESDAY, dt.date(2021, 1, 8))
    r = _dates_rule(frame, ON, WEDNESDAY)
    assert not r.passed and "no contract expiring on the day" in r.detail


def test_placebo_chain_with_contracts_expiring_that_day_is_refused():
    frame = pd.concat([_chain(TUESDAY, WEDNESDAY), _chain(TUESDAY, TUESDAY)],
                      ignore_index=True)
    r = _dates_rule(frame, ON, TUESDAY)
    assert not r.passed and "contracts expiring on a calendar placebo day" in r.detail


def test_placebo_chain_of_a_later_expiration_than_the_next_is_refused():
    r = _dates_rule(_chain(TUESDAY, dt.date(2021, 1, 8)), ON, TUESDAY)
    assert not r.passed and "no contract expiring on the day" in r.detail
    # the offending day row names the expiration it must hold
    assert r.first_rows[0].values["scored_expiration"] == "2021-01-06"


@pytest.fixture(scope="module")
def placebo_landing(tmp_path_factory):
    landing = tmp_path_factory.mktemp("landing")
    write_landing(landing, generate_market("2021-01-04", "2021-01-08", "null", seed=3,
                                           placebo_days=True))
    return landing


def test_landing_zone_accepts_placebo_files_with_the_flag_and_refuses_them_without(
        placebo_landing):
    for cfg, accepted in ((ON, True), (OFF, False)):
        cfg = cfg.model_copy(update={"calendar": cfg.calendar.model_copy(
            update={"partitions_start": "2021-01-04"})})
        keys = build_expiration_partitions(cfg, end=dt.date(2021, 1, 31)).get_partition_keys()
        run, problems = plan_days(placebo_landing, None, None, keys,
                                  calendar_placebo=cfg.validation.calendar_placebo)
        report = inspect_landing(placebo_landing, cfg, workers=1)
        if accepted:
            assert problems == [] and run[:5] == [f"2021-01-0{d}" for d in range(4, 9)]
            assert report.error_count == 0 and report.extra_days == []
            tuesday = next(d for d in report.days if d.day == TUESDAY)
            assert tuesday.chains.expiring == tuesday.chains.rows > 0  # all of Wednesday's
        else:
            assert any("2021-01-05 is not an expiration session" in p for p in problems)
            assert TUESDAY in report.extra_days


# ------------------------------------------------------------------ engine: the sample

def test_placebo_day_is_scored_to_its_own_session_close():
    days = {d.day: d for d in generate_market("2019-12-23", "2019-12-24", "null", seed=5,
                                              placebo_days=True)}
    eve = days[dt.date(2019, 12, 24)]  # a Tuesday, closing at 13:00 ET
    assert set(eve.chains["expiration"]) == {dt.date(2019, 12, 25) + dt.timedelta(days=2)}
    md = market_day(eve)
    assert md.n_bars == 210  # 09:30-13:00 ET
    assert md.minutes_to_expiry[0] == 209.0 and md.minutes_to_expiry[-1] == 0.0
    assert md.strikes.size > 0 and md.total_oi.sum() > 0
    market = {d: market_day(x) for d, x in days.items()}
    exp, plc = split_market(market, ON)
    assert list(exp) == [dt.date(2019, 12, 23)] and list(plc) == [dt.date(2019, 12, 24)]
    assert split_market(market, OFF) == (market, {})


# ------------------------------------------------------------ the date-clustered test

def _hand_case():
    rng = np.random.default_rng(11)
    rows = []
    for g in range(14):
        is_exp = g % 2 == 0
        shock = rng.normal(0.0, 2.0)  # a date's shared move: trades of one day correlate
        for _ in range(int(rng.integers(2, 7))):
            rows.append({"quote_date": dt.date(2021, 1, 4) + dt.timedelta(days=g),
                         "is_exp": float(is_exp),
                         "edge_points": 1.2 * is_exp + shock + rng.normal(0.0, 1.0)})
    return pd.DataFrame(rows)


def test_clustered_difference_matches_statsmodels_formula_and_a_hand_sandwich():
    frame = _hand_case()
    got = clustered_difference(frame["edge_points"].to_numpy(), frame["is_exp"].to_numpy(),
                               frame["quote_date"].to_numpy())
    groups = pd.factorize(frame["quote_date"])[0]
    oracle = smf.ols("edge_points ~ is_exp", data=frame).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    assert got["difference_points"] == pytest.approx(oracle.params["is_exp"], rel=1e-10)
    assert got["standard_error"] == pytest.approx(oracle.bse["is_exp"], rel=1e-10)
    # by hand: (X'X)^-1 (sum_g X_g' u_g u_g' X_g) (X'X)^-1 x G/(G-1) x (N-1)/(N-K)
    x = np.column_stack([np.ones(len(frame)), frame["is_exp"].to_numpy()])
    y = frame["edge_points"].to_numpy()
    beta = np.linalg.solve(x.T @ x, x.T @ y)
    u = y - x @ beta
    meat = sum(np.outer(x[groups == g].T @ u[groups == g], x[groups == g].T @ u[groups == g])
               for g in np.unique(groups))
    bread = np.linalg.inv(x.T @ x)
    n_g, n = np.unique(groups).size, len(y)
    cov = bread @ meat @ bread * n_g / (n_g - 1) * (n - 1) / (n - 2)
    se = float(np.sqrt(cov[1, 1]))
    assert got["standard_error"] == pytest.approx(se, rel=1e-10)
    # G - 1 = 13 degrees of freedom, not n - 2
    assert got["clusters"] == 14 and got["df"] == 13
    t = beta[1] / se
    assert got["p_value"] == pytest.approx(stats.t.sf(t, 13), rel=1e-10)
    assert got["p_value"] > stats.t.sf(t, n - 2)  # the n - 2 df would be anti-conservative


def test_test_block_needs_both_samples_and_names_why_not():
    frame = _hand_case().assign(pnl_points=0.0, null_expected_points=0.0)
    exp, plc = frame[frame["is_exp"] == 1.0], frame[frame["is_exp"] == 0.0]
    full = expiration_specific_test(exp, plc, 0.05)
    assert full["tested"] and full["df"] == 13 and 0 < full["p_value"] < 1
    assert full["expiration_days"]["n_days"] == 7
    few = expiration_specific_test(exp, plc.iloc[:3], 0.05)
    assert few["p_value"] is None and "too few placebo days trades" in few["reason"]
    off = expiration_specific_test(None, None, 0.05, reason="flag off")
    assert off["p_value"] is None and off["reason"] == "flag off"


# ------------------------------------------------------------------ the synthetic market

def _days(scenario, **kw):
    return {d.day: d for d in generate_market("2021-01-04", "2021-01-15", scenario, seed=9,
                                              strength=None if scenario == "null" else 8.0,
                                              **kw)}


def test_synthetic_placebo_days_hold_the_next_expiration_and_no_steering_by_default():
    plain, null = _days("steer"), _days("null", placebo_days=True)
    steer, steer_all = _days("steer", placebo_days=True), _days("steer", placebo_days=True,
                                                                 placebo_effect=True)
    assert set(steer) - set(plain) == {TUESDAY, dt.date(2021, 1, 7), dt.date(2021, 1, 12),
                                       dt.date(2021, 1, 14)}
    for d in plain:  # writing placebo days changes no expiration day
        pd.testing.assert_frame_equal(plain[d].bars, steer[d].bars)
        pd.testing.assert_frame_equal(plain[d].chains, steer[d].chains)
    tue = steer[TUESDAY]
    assert set(tue.chains["expiration"]) == {WEDNESDAY}
    assert set(tue.chains["quote_date"]) == {TUESDAY}
    # built from the previous session's close, like every chain
    assert tue.chains["underlying_price"].iloc[0] == pytest.approx(
        steer[dt.date(2021, 1, 4)].bars["close"].iloc[-1])

    def log_path(day):  # the day's path relative to its open: the noise plus any push
        return np.log(day.bars["close"].to_numpy() / day.bars["open"].iloc[0])

    # no push on a placebo day by default: its path is the null world's draw
    np.testing.assert_allclose(log_path(steer[TUESDAY]), log_path(null[TUESDAY]), atol=1e-5)
    assert np.abs(log_path(steer_all[TUESDAY]) - log_path(null[TUESDAY])).max() > 1e-3
    with pytest.raises(ValueError, match="placebo_days"):
        generate_market("2021-01-04", "2021-01-08", "steer", placebo_effect=True)


def test_an_expiration_moved_off_a_holiday_is_never_a_placebo_day():
    """Good Friday 2021-04-02: SPY's and a stock's Friday expirations moved to Thursday
    2021-04-01 (hand-listed), so that session is an expiration day, not a placebo."""
    from assets.common import calendar
    from assets.common.config import LabConfig
    from assets.ingestion.placebo_days import is_placebo_day, scored_expiration

    thursday = dt.date(2021, 4, 1)
    assert calendar.is_expiration_session(thursday, "spy")
    assert thursday not in calendar.placebo_days("2021-03-29", "2021-04-09", "spy")
    assert calendar.next_expiration_day("2021-03-31", "stock") == thursday
    cfg = LabConfig.model_validate({"calendar": {"expiration_rule": "spy"},
                                    "validation": {"calendar_placebo": True}})
    assert not is_placebo_day(thursday, cfg) and scored_expiration(thursday, cfg) == thursday
    assert is_placebo_day(dt.date(2021, 3, 30), cfg)  # a Tuesday before SPY listed Tuesdays
