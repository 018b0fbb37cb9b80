"""The synthetic market with several underlyings: SPX alone lands byte for byte as before
(hashes taken from the generator before it learnt other underlyings), SPY tracks SPX at a
tenth on its own $1 grid with about ten times the contracts, the layout is one folder per
underlying, and steering lands only where it is planted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assets.synthetic_market.generator import generate_market, generate_markets
from assets.synthetic_market.landing_source import write_synthetic_landing
from assets.synthetic_market.price_paths import STEERING_HORIZON_MINUTES
from assets.synthetic_market.underlyings import steering_targets
from orchestration.cli import main

START, END = "2024-01-02", "2024-01-12"
# sha256 over "relpath:sha256\n" of every landing file (manifest included), sorted, as
# written by `pressure-lab synth` at commit 080615d (before several underlyings existed)
BEFORE = {("null", None, 7): "292fb1d1e9c3f36605044000eb99fb17a471c9f916611a6097c03551177cf4ac",
          ("steer", 2.0, 3): "31e361dfc81bd7a86813b81246e26602812645125536164970107cda0ed582c4"}


def tree_hash(root: Path) -> str:
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    lines = "".join(f"{p.relative_to(root).as_posix()}:{hashlib.sha256(p.read_bytes()).hexdigest()}"
                    "\n" for p in files)
    return hashlib.sha256(lines.encode()).hexdigest()


@pytest.mark.parametrize("scenario,strength,seed", list(BEFORE))
def test_spx_alone_lands_exactly_as_before(tmp_path, scenario, strength, seed):
    write_synthetic_landing(tmp_path / "landing", scenario=scenario, start=START, end=END,
                            seed=seed, strength=strength)
    assert tree_hash(tmp_path / "landing") == BEFORE[(scenario, strength, seed)]
    # named explicitly, or steered by name, it is the same world
    other = tmp_path / "named"
    write_synthetic_landing(other, scenario="null", start=START, end=END, seed=seed,
                            strength=strength, underlyings=["SPX"],
                            steer=None if scenario == "null" else "SPX")
    assert tree_hash(other) == BEFORE[(scenario, strength, seed)]


@pytest.fixture(scope="module")
def world():
    null = list(generate_markets(START, END, ["SPX", "SPY"], {}, seed=7))
    steered = list(generate_markets(START, END, ["SPX", "SPY"], {"SPY": 3.0}, seed=7))
    return null, steered


def test_spy_tracks_spx_at_a_tenth_on_its_own_grid_and_oi(world):
    null, _ = world
    alone = list(generate_market(START, END, seed=7))
    ratios, oi_ratio = [], []
    for w, spx_alone in zip(null, alone, strict=True):
        spx, spy = w["SPX"], w["SPY"]
        pd.testing.assert_frame_equal(spx.bars, spx_alone.bars)  # SPY changes nothing of SPX
        pd.testing.assert_frame_equal(spx.chains, spx_alone.chains)
        assert (spy.bars["symbol"] == "SPY").all() and (spy.chains["underlying"] == "SPY").all()
        assert (spy.bars["ts"] == spx.bars["ts"]).all()
        ratios.append(spy.bars["close"].to_numpy() / spx.bars["close"].to_numpy())
        k = np.unique(spy.chains["strike"])
        assert np.all(np.diff(k) == 1.0) and np.all(k == np.round(k))
        assert np.all(np.diff(np.unique(spx.chains["strike"])) == 5.0)
        # OI per strike near the money: about ten SPX contracts of equal notional
        s_spx = spx.chains.groupby("strike")["open_interest"].sum()
        s_spy = spy.chains.groupby("strike")["open_interest"].sum()
        atm = spx.chains["underlying_price"].iloc[0]
        near = lambda s, lvl: s[(s.index > 0.99 * lvl) & (s.index < 1.01 * lvl)].mean()  # noqa: E731
        oi_ratio.append(near(s_spy, atm / 10) / near(s_spx, atm))
    r = np.concatenate(ratios)
    assert abs(r.mean() - 0.1) < 2e-4 and r.std() < 3e-4 * 0.1 * 10  # within a few bp
    assert 5.0 < np.median(oi_ratio) < 20.0


def test_steering_on_spy_moves_spy_only_and_only_late(world):
    null, steered = world
    moved = 0.0
    # the first chain is built before any steering; later ones see a steered close
    pd.testing.assert_frame_equal(null[0]["SPY"].chains, steered[0]["SPY"].chains)
    for a, b in zip(null, steered, strict=True):
        pd.testing.assert_frame_equal(a["SPX"].bars, b["SPX"].bars)
        pd.testing.assert_frame_equal(a["SPX"].chains, b["SPX"].chains)
        bars_a, bars_b = a["SPY"].bars, b["SPY"].bars
        n = len(bars_a)
        early = n - int(STEERING_HORIZON_MINUTES)
        pd.testing.assert_frame_equal(bars_a.iloc[:early], bars_b.iloc[:early])
        moved += float(np.abs(bars_a["close"].to_numpy() - bars_b["close"].to_numpy()).max())
    assert moved > 0.0


def test_steer_targets_by_name_or_settlement():
    names = ["SPX", "SPY", "XSP", "QQQ", "NDX"]
    assert steering_targets("physical", names) == ["SPY", "QQQ"]
    assert steering_targets("cash", names) == ["SPX", "XSP", "NDX"]
    assert steering_targets("SPY,physical", names) == ["SPY", "QQQ"]
    with pytest.raises(ValueError, match="IWM"):
        steering_targets("IWM", names)


def test_synth_cli_writes_one_folder_per_underlying(lab_home, capsys):
    assert main(["synth", "--underlyings", "SPX,SPY", "--steer", "physical", "--strength",
                 "2", "--start", START, "--end", "2024-01-04"]) == 0
    landing = lab_home / "landing"
    for u in ("SPX", "SPY"):
        for kind in ("chains", "bars"):
            files = sorted(p.name for p in (landing / u / kind).iterdir())
            assert files == ["2024-01-02.csv", "2024-01-03.csv", "2024-01-04.csv"]
        head = pd.read_csv(landing / u / "bars" / "2024-01-03.csv", nrows=2)
        assert (head["symbol"] == u).all()
        chains = pd.read_csv(landing / u / "chains" / "2024-01-03.csv", nrows=2)
        assert (chains["underlying"] == u).all()
    assert not [p for kind in ("chains", "bars") for p in (landing / kind).glob("*")]
    spy = json.loads((landing / "SPY" / "_source.json").read_text())
    spx = json.loads((landing / "SPX" / "_source.json").read_text())
    assert spy["scenario"] == "steer" and spx["scenario"] == "null"
    assert spy["generations"][0]["points_scale"] == pytest.approx(0.1)
    top = json.loads((landing / "_source.json").read_text())
    assert top["generations"][0]["underlyings"] == ["SPX", "SPY"]
    assert main(["synth", "--underlyings", "SPX,SPY", "--steer", "QQQ"]) == 2
    assert "selects none" in capsys.readouterr().err


def test_the_variant_registry_keys_each_underlying_and_world_apart(tmp_path):
    from assets.experiments.registry import landing_dataset_id

    ids = {}
    for strength in (2.0, 3.0):
        landing = tmp_path / f"s{strength}"
        write_synthetic_landing(landing, scenario="null", start=START, end="2024-01-03",
                                seed=7, strength=strength, underlyings=["SPX", "SPY"],
                                steer="SPY")
        for u in ("SPX", "SPY"):
            ids[(strength, u, "top")] = landing_dataset_id(landing, u)
            ids[(strength, u, "own")] = landing_dataset_id(landing / u, u)
    # SPX's files are the same in both worlds (SPY's steering never moves SPX): one dataset
    assert ids[(2.0, "SPX", "own")] == ids[(3.0, "SPX", "own")]
    others = [v for key, v in ids.items() if key[1:] != ("SPX", "own")]
    assert len(set(others)) == len(others)  # every other (world, underlying) its own dataset
    assert ids[(2.0, "SPY", "own")].endswith("| SPY") and "steer" in ids[(2.0, "SPY", "own")]
