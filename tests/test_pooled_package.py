"""The pooled package: the edge over random entries in bp, clustered by date, pooled over
underlyings, and the settlement contrast, checked against a trade-level statsmodels fit
and a hand-computed CR1 sandwich; NOT_TESTED with one settlement type; no positive claim
on null pairs beyond the family's alpha; the per-day file against its package."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from assets.common.config import LabConfig
from assets.common.home_split import home_split_block
from assets.report.pooled_page import render_pooled_report
from assets.validation.package.daily_edge import (
    DAILY_EDGE_FILE,
    DailyEdgeError,
    daily_edge_csv,
    read_daily_edge,
)
from assets.validation.package.pooled import (
    PooledInputError,
    build_pooled_package,
    read_underlying,
    write_pooled_package,
)

CFG = LabConfig()
SETTLEMENT = {"SPX": "cash", "XSP": "cash", "SPY": "physical", "QQQ": "physical"}
OPEN = {"SPX": 5000.0, "XSP": 500.0, "SPY": 500.0, "QQQ": 430.0}


def _trades(rng, dates, name, edge_bp=0.0):
    """Trade-level rows: points and the null's expected points of each trade, with a
    common shock per date (the two underlyings share a market) and per-trade noise."""
    rows = []
    for d, shock in dates.items():
        for _ in range(int(rng.integers(0, 5))):
            null = rng.normal(-0.5, 0.2) * OPEN[name] / 5000
            pnl = null + (edge_bp + shock + rng.normal(0, 20.0)) * OPEN[name] / 1e4
            rows.append((d, pnl, null))
    return pd.DataFrame(rows, columns=["date", "pnl_points", "null_points"])


def _daily(trades, name, dates):
    g = trades.groupby("date").agg(n_trades=("pnl_points", "size"),
                                   pnl_points=("pnl_points", "sum"),
                                   null_mean_points=("null_points", "sum"))
    g = g.reindex(list(dates), fill_value=0)
    g["n_trades"] = g["n_trades"].astype(int)
    g["open"] = OPEN[name]
    return g.reset_index().rename(columns={"index": "date"})


def _package(name, n, p_edge=0.5, p_opp=0.5, claimed=(), home=("SPX", "SPY")):
    """A package of a home of `home`'s underlyings (its family at that home's split)."""
    split = home_split_block(CFG.validation.alpha, home)
    return {"experimental_validity": "REJECTED",
            "instrument": {"underlying": name, "kind": "index", "settlement": SETTLEMENT[name],
                           "exercise": "european", "multiplier": 100,
                           "strike_grid": 5, "points_scale": OPEN[name] / 5000,
                           "oi_scale": 5000 / OPEN[name], "scaling_rule": "open ratio"},
            "performance_metrics": {"total_sample_size": n},
            "hypothesis_results": {"edge_vs_random": "NOT SUPPORTED - test"},
            "claims_family": {"claims": [
                {"name": "edge_vs_random", "p_value": p_edge, "claimed": "edge" in claimed,
                 "test": "matched null", "statement": "beats random"},
                {"name": "opposite_direction", "p_value": p_opp, "claimed": False,
                 "test": "toward", "statement": "pins"}],
                "selection": {"n_variants": 1},
                **({"home_split": split} if split else {})}}


def _write(root: Path, name, trades, dates, **kw):
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    daily = _daily(trades, name, dates)
    (folder / DAILY_EDGE_FILE).write_text(daily_edge_csv(
        daily.assign(date=[str(d) for d in daily["date"]])))
    (folder / "evidence_package.json").write_text(
        json.dumps(_package(name, int(daily["n_trades"].sum()), **kw)))


def _dates(rng, n=25):
    days = pd.bdate_range("2024-01-02", periods=n).date
    return {d.isoformat(): rng.normal(0, 15.0) for d in days}


def _null_pair(root: Path, seed: int) -> dict:
    """The pooled package of a small SPX + SPY pair without an edge."""
    rng = np.random.default_rng(seed)
    dates = _dates(rng, 8)
    for name in ("SPX", "SPY"):
        _write(root, name, _trades(rng, dates, name), dates)
    return build_pooled_package([read_underlying(root, n) for n in ("SPX", "SPY")], CFG)


def _cr1(y, x, groups):
    """Hand-computed CR1 sandwich: G/(G-1) (N-1)/(N-K) (X'X)^-1 sum_g X_g'e_g e_g'X_g (X'X)^-1."""
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    e = y - x @ beta
    meat = np.zeros((x.shape[1], x.shape[1]))
    for g in np.unique(groups):
        s = x[groups == g].T @ e[groups == g]
        meat += np.outer(s, s)
    n, k, gn = len(y), x.shape[1], len(np.unique(groups))
    v = gn / (gn - 1) * (n - 1) / (n - k) * xtx_inv @ meat @ xtx_inv
    return beta, np.sqrt(np.diag(v)), gn


def test_contrast_and_pooled_edge_match_a_trade_level_clustered_fit(tmp_path):
    rng = np.random.default_rng(20)
    dates = _dates(rng)
    spx = _trades(rng, dates, "SPX", 0.0)
    spy = _trades(rng, dates, "SPY", 12.0)
    _write(tmp_path, "SPX", spx, dates)
    _write(tmp_path, "SPY", spy, dates)
    pkg = write_pooled_package(tmp_path, ["SPX", "SPY"], CFG)

    # the oracle sees every trade (with its own noise), the package only the daily sums
    y = np.concatenate([1e4 * (t["pnl_points"] - t["null_points"]).to_numpy() / OPEN[u]
                        for u, t in (("SPX", spx), ("SPY", spy))])
    phys = np.concatenate([np.zeros(len(spx)), np.ones(len(spy))])
    groups = pd.factorize(pd.Series(np.concatenate([spx["date"], spy["date"]])))[0]
    x = np.column_stack([np.ones(y.size), phys])
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    beta, se, g = _cr1(y, x, groups)
    np.testing.assert_allclose(fit.bse, se, rtol=1e-10)  # the two oracles agree

    c = pkg["settlement_contrast"]
    assert c["df"] == g - 1 and c["n_dates"] == g and c["n_trades"] == y.size
    assert c["estimate_bp"] == pytest.approx(beta[1], rel=1e-9)
    assert c["se_bp"] == pytest.approx(se[1], rel=1e-9)
    assert c["p_value"] == pytest.approx(stats.t.sf(beta[1] / se[1], g - 1), rel=1e-9)
    half = stats.t.ppf(0.975, g - 1) * se[1]
    assert c["ci_bp"] == pytest.approx([beta[1] - half, beta[1] + half], rel=1e-9)
    # G - 1 degrees of freedom, not n - 1: the normal or t(n-1) p would be smaller
    assert c["p_value"] > stats.t.sf(beta[1] / se[1], y.size - 2)

    b0, se0, g0 = _cr1(y, np.ones((y.size, 1)), groups)
    e = pkg["pooled_edge"]
    assert e["estimate_bp"] == pytest.approx(b0[0], rel=1e-9)
    assert e["se_bp"] == pytest.approx(se0[0], rel=1e-9)
    assert e["p_value"] == pytest.approx(stats.t.sf(b0[0] / se0[0], g0 - 1), rel=1e-9)

    rows = {r["underlying"]: r for r in pkg["underlyings"]}
    assert rows["SPY"]["n_trades"] == len(spy)
    ys = y[phys == 1]
    bs, ses, _ = _cr1(ys, np.ones((ys.size, 1)), groups[phys == 1])
    assert rows["SPY"]["edge_bp"] == pytest.approx(bs[0], rel=1e-9)
    assert rows["SPY"]["edge_bp_se"] == pytest.approx(ses[0], rel=1e-9)
    # the family: contrast and pooled edge confirmatory at alpha/2 each
    fam = {r["name"]: r for r in pkg["claims_family"]["claims"]}
    assert fam["settlement_contrast"]["role"] == "confirmatory"
    assert fam["settlement_contrast"]["initial_weight"] == pytest.approx(0.5)
    assert fam["edge_vs_random:SPY"]["role"] == "exploratory"
    assert pkg["hypothesis_results"]["settlement_contrast"].startswith("SUPPORTED")
    page = (tmp_path / "report.html").read_text()
    assert "SPY" in page and "settlement_contrast" in page and "<script" not in page


def test_one_settlement_type_leaves_the_contrast_not_tested(tmp_path):
    rng = np.random.default_rng(3)
    dates = _dates(rng)
    for name in ("SPX", "XSP"):
        _write(tmp_path, name, _trades(rng, dates, name), dates)
    pkg = write_pooled_package(tmp_path, ["SPX", "XSP"], CFG)
    line = pkg["hypothesis_results"]["settlement_contrast"]
    assert line.startswith("NOT_TESTED") and "cash" in line and "both settlement" in line
    fam = {r["name"]: r for r in pkg["claims_family"]["claims"]}
    assert fam["settlement_contrast"]["status"] == "NOT_TESTED"
    # out of the graph: the pooled edge gets the whole confirmatory weight
    assert fam["edge_vs_random"]["initial_weight"] == pytest.approx(1.0)
    assert pkg["pooled_edge"]["tested"]


def test_null_pairs_make_no_positive_claim_beyond_alpha(tmp_path):
    """300 hand-built null pairs (SPX cash, SPY physical, no edge anywhere, per-underlying
    p-values uniform): the pooled family claims something in at most alpha of them."""
    rng = np.random.default_rng(11)
    worlds, any_claim = 300, 0
    for w in range(worlds):
        root = tmp_path / f"w{w}"
        dates = _dates(rng, 20)
        for name in ("SPX", "SPY"):
            _write(root, name, _trades(rng, dates, name), dates,
                   p_edge=float(rng.uniform()), p_opp=float(rng.uniform()))
        inputs = [read_underlying(root, n) for n in ("SPX", "SPY")]
        any_claim += build_pooled_package(inputs, CFG)["claims_family"]["any_claim"]
    # Clopper-Pearson: the rate's lower 95% bound stays below alpha
    lo = stats.beta.ppf(0.025, any_claim, worlds - any_claim + 1) if any_claim else 0.0
    assert lo < CFG.validation.alpha, any_claim
    assert any_claim / worlds < 0.1


def test_one_null_pair_claims_nothing(tmp_path):
    rng = np.random.default_rng(5)
    dates = _dates(rng)
    for name in ("SPX", "SPY"):
        _write(tmp_path, name, _trades(rng, dates, name), dates, p_edge=0.4, p_opp=0.7)
    pkg = write_pooled_package(tmp_path, ["SPX", "SPY"], CFG)
    assert not pkg["claims_family"]["any_claim"]
    assert not any(v.startswith("SUPPORTED") for v in
                   [pkg["hypothesis_results"]["edge_vs_random"],
                    pkg["hypothesis_results"]["settlement_contrast"],
                    *pkg["hypothesis_results"]["by_underlying"].values()])


def test_bad_inputs_name_the_file_and_the_rule(tmp_path):
    rng = np.random.default_rng(1)
    dates = _dates(rng, 5)
    _write(tmp_path, "SPX", _trades(rng, dates, "SPX"), dates)
    with pytest.raises(PooledInputError, match=r"SPY/evidence_package.json: missing"):
        write_pooled_package(tmp_path, ["SPX", "SPY"], CFG)
    pkg = json.loads((tmp_path / "SPX" / "evidence_package.json").read_text())
    pkg["instrument"]["underlying"] = "SPY"
    (tmp_path / "SPX" / "evidence_package.json").write_text(json.dumps(pkg))
    with pytest.raises(PooledInputError, match="'SPY', but the folder is 'SPX'"):
        read_underlying(tmp_path, "SPX")
    pkg["instrument"]["underlying"] = "SPX"
    pkg["performance_metrics"]["total_sample_size"] += 1
    (tmp_path / "SPX" / "evidence_package.json").write_text(json.dumps(pkg))
    with pytest.raises(PooledInputError, match="same run"):
        read_underlying(tmp_path, "SPX")
    bad = tmp_path / "bad.csv"
    bad.write_text("date,n_trades,pnl_points,null_mean_points,open\n"
                   "2024-01-02,1,1.0,0.5,5000\n2024-01-03,2,1.0,0.5,-1\n")
    with pytest.raises(DailyEdgeError, match=r"bad.csv, line 3: open -1.* not a price > 0"):
        read_daily_edge(bad)


def test_the_schema_refuses_a_broken_pooled_package(tmp_path):
    from jsonschema import ValidationError

    from assets.validation.package.schema import validate_pooled_package

    pkg = _null_pair(tmp_path, 8)
    validate_pooled_package(pkg)
    broken = json.loads(json.dumps(pkg))
    broken["hypothesis_results"]["settlement_contrast"] = "PROBABLY - it looks larger"
    with pytest.raises(ValidationError):
        validate_pooled_package(broken)
    broken = json.loads(json.dumps(pkg))
    broken["underlyings"][0]["settlement"] = "futures"
    with pytest.raises(ValidationError):
        validate_pooled_package(broken)


def test_pool_command_pools_every_underlying_folder(lab_home, capsys):
    from orchestration.cli import main

    evidence = lab_home / "evidence"
    rng = np.random.default_rng(4)
    dates = _dates(rng, 10)
    for name in ("SPX", "SPY"):
        _write(evidence, name, _trades(rng, dates, name, 8.0 if name == "SPY" else 0.0),
               dates)
    assert main(["pool"]) == 0
    out = capsys.readouterr().out
    assert "POOLED over SPX, SPY" in out and "settlement_contrast:" in out
    pooled = json.loads((evidence / "evidence_package.json").read_text())
    assert [r["underlying"] for r in pooled["underlyings"]] == ["SPX", "SPY"]
    assert (evidence / "report.html").is_file()
    assert main(["pool", "--underlyings", "SPX,QQQ"]) == 2
    assert "QQQ/evidence_package.json: missing" in capsys.readouterr().err


def test_the_family_names_its_own_procedure(tmp_path):
    pkg = _null_pair(tmp_path, 2)
    assert "settlement_contrast" in pkg["claims_family"]["procedure"]
    assert "opposite_direction start" not in pkg["claims_family"]["procedure"]


def test_the_pool_tests_at_the_home_s_split_alpha(tmp_path):
    """Two underlyings: the pooled family at 0.05 / 3, as its inputs' families are; the
    report says so. A package tested at another split is refused, naming it."""
    pkg = _null_pair(tmp_path, 3)
    fam = pkg["claims_family"]
    assert fam["alpha"] == pytest.approx(0.05 / 3) == pkg["alpha"]
    assert fam["home_split"]["packages"] == ["SPX", "SPY", "pooled"]
    assert "tested at 0.05 / 3" in render_pooled_report(pkg)
    for row in fam["claims"]:
        if row["adjusted_p_value"] is not None:
            assert row["claimed"] is (row["adjusted_p_value"] < 0.05 / 3)
    # the intervals stay at 95 %: half-width t(0.975, G - 1) x SE
    e = pkg["pooled_edge"]
    half = stats.t.ppf(0.975, e["df"]) * e["se_bp"]
    assert e["ci_bp"][1] - e["estimate_bp"] == pytest.approx(half, rel=1e-9)
    rng = np.random.default_rng(6)
    dates = _dates(rng, 6)
    _write(tmp_path / "mixed", "SPX", _trades(rng, dates, "SPX"), dates)
    _write(tmp_path / "mixed", "SPY", _trades(rng, dates, "SPY"), dates, home=("SPY",))
    with pytest.raises(PooledInputError, match=r"SPY/evidence_package.json: its family splits "
                                               r"the home's alpha over 1 package"):
        write_pooled_package(tmp_path / "mixed", ["SPX", "SPY"], CFG)


def test_a_contrast_between_the_split_and_the_whole_alpha_is_no_longer_claimed(tmp_path):
    """The contrast's family-adjusted p lands in [0.05 / 3, 0.05): claimed at the whole
    alpha, not at the home's split."""
    from assets.common.config import ValidationConfig
    from assets.validation.claims.claims_family import evaluate_family
    from assets.validation.package.pooled import pooled_claims

    for seed in range(200):
        root = tmp_path / f"s{seed}"
        rng = np.random.default_rng(seed)
        dates = _dates(rng, 20)
        for name, edge in (("SPX", 0.0), ("SPY", 6.0)):
            _write(root, name, _trades(rng, dates, name, edge), dates)
        pkg = write_pooled_package(root, ["SPX", "SPY"], CFG)
        adj = {r["name"]: r for r in pkg["claims_family"]["claims"]}["settlement_contrast"]
        if adj["adjusted_p_value"] is not None and 0.05 / 3 <= adj["adjusted_p_value"] < 0.05:
            break
    else:
        pytest.fail("no seed put the contrast between the two levels")
    assert not adj["claimed"]
    assert pkg["hypothesis_results"]["settlement_contrast"].startswith("NOT SUPPORTED")
    inputs = [read_underlying(root, n) for n in ("SPX", "SPY")]
    whole = evaluate_family(pooled_claims(inputs, pkg["pooled_edge"], pkg["settlement_contrast"],
                                          1), ValidationConfig().alpha)
    assert {r["name"]: r for r in whole["claims"]}["settlement_contrast"]["claimed"]
