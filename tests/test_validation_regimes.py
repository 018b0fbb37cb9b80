"""The edge per regime: date-clustered inference against a hand-computed sandwich, causal
IV terciles, the dealer file (absent: sign unknown), and the package's block."""

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assets.ingestion.dealer_positioning import DealerFileError, read_dealer_positioning
from assets.validation.statistics.atm_iv import atm_implied_vol
from assets.validation.statistics.metrics import out_of_sample
from assets.validation.statistics.regimes import (
    DEALER,
    ERA,
    IV,
    RegimeInputs,
    iv_tercile_labels,
    regime_test,
    regimes_section,
    trade_edges,
)

DAYS = [dt.date(2022, 4, 1) + dt.timedelta(days=3 * i) for i in range(60)]  # spans 2022-05-11


def _edges(seed=3, shift=0.0):
    rng = np.random.default_rng(seed)
    rows = []
    for i, d in enumerate(DAYS[:18]):
        day_effect = rng.normal(0, 0.7)  # trades of a day share its path
        for _ in range(1 + i % 4):
            rows.append((d, day_effect + rng.normal(0, 1) + shift * (i % 3)))
    return pd.DataFrame(rows, columns=["quote_date", "edge_points"])


def _sandwich(y, x, groups):
    """CR1 cluster-robust covariance by hand: (X'X)^-1 (sum_g X_g'u_g u_g'X_g) (X'X)^-1,
    times G/(G-1) (N-1)/(N-K)."""
    n, k = x.shape
    xtx_inv = np.linalg.inv(x.T @ x)
    b = xtx_inv @ x.T @ y
    u = y - x @ b
    meat = np.zeros((k, k))
    ids = np.unique(groups)
    for g in ids:
        s = x[groups == g].T @ u[groups == g]
        meat += np.outer(s, s)
    big_g = ids.size
    c = big_g / (big_g - 1) * (n - 1) / (n - k)
    return b, c * xtx_inv @ meat @ xtx_inv, big_g


def test_regime_means_intervals_and_wald_p_match_a_hand_computed_clustered_oracle():
    edges = _edges(shift=0.8)
    labels = {d: ("a", "b", "c")[i % 3] for i, d in enumerate(DAYS)}
    out = regime_test(edges, labels, ("a", "b", "c"), min_trades=5)
    assert out["status"] == "TESTED"
    lab = edges["quote_date"].map(labels)
    x = np.column_stack([(lab == r).to_numpy(float) for r in "abc"])
    y = edges["edge_points"].to_numpy(float)
    groups = pd.factorize(edges["quote_date"])[0]
    b, v, big_g = _sandwich(y, x, groups)
    t = stats.t.ppf(0.975, big_g - 1)  # G - 1 degrees of freedom, not N - K
    for k, row in enumerate(out["regimes"]):
        assert row["mean_edge_points"] == pytest.approx(y[lab == "abc"[k]].mean())
        assert row["mean_edge_points"] == pytest.approx(b[k])
        se = np.sqrt(v[k, k])
        assert row["standard_error"] == pytest.approx(se)
        assert row["confidence_interval"] == pytest.approx([b[k] - t * se, b[k] + t * se])
        assert row["n_days"] == 6 and row["in_test"]
    r = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]])
    rb = r @ b
    f = float(rb @ np.linalg.solve(r @ v @ r.T, rb) / 2)
    assert out["f_statistic"] == pytest.approx(f)
    assert out["p_value"] == pytest.approx(stats.f.sf(f, 2, big_g - 1))
    assert out["df"] == [2, big_g - 1] and out["n_clusters"] == big_g == 18


def test_a_regime_below_the_minimum_is_reported_but_left_out_and_one_regime_is_not_a_test():
    edges = _edges()
    labels = {d: "a" if i < 16 else "b" for i, d in enumerate(DAYS)}
    out = regime_test(edges, labels, ("a", "b"), min_trades=10)
    assert out["status"] == "NOT_TESTED" and "fewer than two regimes" in out["reason"]
    assert [r["regime"] for r in out["regimes"]] == ["a", "b"]
    assert out["regimes"][1]["n_trades"] == 3 and not out["regimes"][1]["in_test"]


def test_iv_tercile_cut_points_use_only_earlier_days():
    rng = np.random.default_rng(11)
    iv = {d: float(v) for d, v in zip(DAYS, rng.uniform(0.08, 0.4, len(DAYS)), strict=True)}
    labels, cuts = iv_tercile_labels(iv, DAYS, min_history=10)
    assert min(labels) == DAYS[10]  # the first day with ten earlier IVs
    d = DAYS[25]
    assert cuts[d] == pytest.approx(np.quantile([iv[x] for x in DAYS[:25]], [1 / 3, 2 / 3]))
    # truncation: the later days changed wildly (or gone) move no earlier label
    later = {x: (5.0 if x > d else v) for x, v in iv.items()}
    cut = {x: v for x, v in iv.items() if x <= d}
    for other in (later, cut):
        lab2, cuts2 = iv_tercile_labels(other, DAYS, min_history=10)
        assert {x: lab2[x] for x in lab2 if x <= d} == {x: labels[x] for x in labels if x <= d}
        assert cuts2[d] == cuts[d]


def test_without_a_dealer_file_the_sign_is_unknown_and_the_split_is_not_tested():
    section = regimes_section(_edges(), DAYS[:18], None, None, 5, 10)
    dealer = section["splits"][DEALER]
    assert dealer["status"] == "NOT_TESTED" and dealer["dealer_sign"] == "unknown"
    assert "sign is unknown" in dealer["reason"]
    assert section["splits"][IV]["status"] == "NOT_TESTED"
    # April-May 2022 spans the break
    era = section["splits"][ERA]
    assert era["status"] == "TESTED" and [r["regime"] for r in era["regimes"]] == [
        "before_2022_05_11", "from_2022_05_11"]


def test_the_dealer_file_is_summed_per_day_and_bad_rows_are_named(tmp_path):
    good = tmp_path / "dealer_positioning.csv"
    good.write_text("date,strike,dealer_net\n2022-04-01,4500,-3\n2022-04-01,4550,5\n"
                    "2022-04-02,,-1.5\n")
    assert read_dealer_positioning(good) == {dt.date(2022, 4, 1): 2.0,
                                             dt.date(2022, 4, 2): -1.5}
    bad = tmp_path / "bad.csv"
    bad.write_text("date,dealer_net\n2022-04-01,1\n2022-04-02,lots\n")
    with pytest.raises(DealerFileError, match=r"bad.csv; row=2; rule=dealer_net_number"):
        read_dealer_positioning(bad)
    (tmp_path / "nocol.csv").write_text("date,gamma\n2022-04-01,1\n")
    with pytest.raises(DealerFileError, match="rule=dealer_columns"):
        read_dealer_positioning(tmp_path / "nocol.csv")


def test_atm_iv_is_the_strike_nearest_the_chains_price_or_the_first_open():
    chains = pd.DataFrame({
        "quote_date": [dt.date(2024, 1, 2)] * 4 + [dt.date(2024, 1, 3)] * 2,
        "strike": [4700.0, 4700.0, 4705.0, 4705.0, 4800.0, 4805.0],
        "implied_volatility": [0.10, 0.12, 0.20, 0.22, 0.3, 0.4],
        "underlying_price": [4701.0] * 4 + [None, None]})
    out = atm_implied_vol(chains, {dt.date(2024, 1, 3): 4804.0})
    assert out == {dt.date(2024, 1, 2): pytest.approx(0.11), dt.date(2024, 1, 3): 0.4}


def test_the_package_carries_the_regimes_and_the_report_shows_their_table():
    from assets.common.config import LabConfig
    from assets.engine.run import calibration_record, risk_report, run_engine
    from assets.report.sections import render_report
    from assets.synthetic_market.generator import generate_market
    from assets.synthetic_market.in_memory_days import market_days
    from assets.validation.package.evaluate import evaluate
    from assets.validation.package.schema import validate_package

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        world = list(generate_market("2024-01-01", "2024-06-30", scenario="steer", seed=5,
                                     strength=3.0))
        market = market_days(world)
        chains = pd.concat([d.chains[d.chains["expiration"] == d.chains["quote_date"]]
                            for d in world])
        iv = atm_implied_vol(chains)
        scored = sorted(market)[30:]
        dealer = {d: (1.0 if i % 2 else -1.0) for i, d in enumerate(scored)}
        cfg = LabConfig()
        agg = run_engine(market, cfg)
        package, _ = evaluate(agg, cfg, risk_report(agg),
                              {"calibration_split": calibration_record(agg)},
                              validation_timestamp="2024-07-01T00:00:00Z",
                              regime_inputs=RegimeInputs(iv=iv, dealer=dealer,
                                                         iv_source="synthetic chains"))
    validate_package(package)
    # the per-trade expectation is the matched null's: its mean over the trades is the mean
    # of the engine's Monte Carlo null (B draws), within the draws' error
    edges = trade_edges(agg.trades, agg.tape, cfg.pressure.urgency_rules, cfg.trading,
                        agg.procedure.entry_minutes)
    oos = out_of_sample(agg.trades)
    expected = oos["pnl_points"].to_numpy(float) - edges["edge_points"].to_numpy(float)
    draws = agg.null.null_means
    assert np.isfinite(expected).all() and len(expected) == len(oos) > 50
    assert abs(expected.mean() - draws.mean()) < 4 * draws.std(ddof=1) / np.sqrt(draws.size)
    splits = package["regimes"]["splits"]
    assert splits[IV]["status"] == "TESTED"
    assert sum(r["n_trades"] for r in splits[IV]["regimes"]) + splits[IV]["unlabelled_trades"] \
        == package["regimes"]["n_trades"]
    assert splits[DEALER]["dealer_sign"] == "supplied" and splits[DEALER]["status"] == "TESTED"
    rows = {c["name"]: c for c in package["claims_family"]["claims"]}
    for name in (IV, DEALER, ERA):
        assert rows[f"regime_{name}"]["role"] == "exploratory"
        assert splits[name]["claimed"] == rows[f"regime_{name}"]["claimed"]
    assert rows[f"regime_{ERA}"]["status"] == "NOT_TESTED"
    html = render_report(package)
    assert 'id="regimes"' in html and "high_iv" in html and "dealers_short" in html


def test_the_validation_step_reads_the_iv_from_raw_chains_and_refuses_a_bad_dealer_file(
        tmp_path):
    from types import SimpleNamespace

    import duckdb
    from dagster import Failure

    from assets.validation.assets import _regime_inputs

    day, later = dt.date(2024, 1, 3), dt.date(2024, 1, 5)
    chains = pd.DataFrame({"quote_date": [day] * 5 + [later] * 2,
                           "expiration": [day] * 4 + [later] * 3,
                           "strike": [4700.0, 4700.0, 4705.0, 4705.0, 4700.0, 4700.0, 4700.0],
                           "implied_volatility": [0.10, 0.12, 0.2, 0.2, 0.9, 0.5, 0.5],
                           "underlying_price": [None] * 7})
    conn = duckdb.connect()
    conn.register("c", chains)
    conn.execute("create schema raw; create table raw.chains as select * from c")
    tape = SimpleNamespace(dates=[day, later], open=np.array([4701.0, 4699.0]),
                           day_start=np.array([0, 1]), day_len=np.array([1, 1]))
    inputs = _regime_inputs(conn, SimpleNamespace(tape=tape), tmp_path)
    # the later day is labelled with the first day's ATM IV (0.10 and 0.12 at 4700), the
    # figure known before its open; the first day has none
    assert inputs.iv == {later: pytest.approx(0.11)} and inputs.dealer is None
    (tmp_path / "dealer_positioning.csv").write_text("date,dealer_net\n03/01/2024,1\n")
    with pytest.raises(Failure, match=r"dealer_positioning.csv; row=1; rule=dealer_date"):
        _regime_inputs(conn, SimpleNamespace(tape=tape), tmp_path)


def test_a_days_iv_label_is_the_figure_known_before_its_open():
    """A vendor's IV is the delivery day's afternoon snapshot: changing a day's own chain
    IV must not change that day's label, only the next day's."""
    from assets.validation.statistics.atm_iv import known_before_open

    days = [dt.date(2024, 1, d) for d in (3, 5, 8, 10)]
    iv = dict(zip(days, [0.10, 0.20, 0.30, 0.40], strict=True))
    assert known_before_open(iv) == {days[1]: 0.10, days[2]: 0.20, days[3]: 0.30}
    changed = {**iv, days[2]: 9.0}
    labels = known_before_open(changed)
    assert labels[days[2]] == 0.20 and labels[days[3]] == 9.0
