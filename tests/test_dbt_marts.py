"""The marts against hand-computed values, after one real `dbt build` on a tiny fixture.

Days (all SPXW expirations; 2024-11-28 is Thanksgiving, so 11-27 precedes 11-29):
- 2024-11-26 (regular): strikes listed on one side only (5980 calls only, 5990 puts only);
  close 5987.5 exactly between two strikes; the panic window starts exactly on a strike.
- 2024-11-27 (regular): the three-strike day: OI 400 / 1000 / 600 -> shares .2/.5/.3,
  HHI .38; a non-0DTE row that must be ignored.
- 2024-11-29 (early close, 13:00 ET, 210 bars): a zero-OI strike and a far-away max-OI
  strike outside the 20-point search radius of the window moves.
Bar closes are interpolated between anchors at known bar indices, so the prices 60/30/15
minutes before the close are the anchors themselves.
Three more days (2024-12-02..04) are random (seeded): random walks and random OI with
one-sided and zero-OI strikes, checked against a pandas re-statement of the definitions.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.support.dbt_fixtures import chain_frame, query, run_dbt, session_bars, write_raw

D1, D2, D3 = dt.date(2024, 11, 26), dt.date(2024, 11, 27), dt.date(2024, 11, 29)
# Regular day: bar i starts at 09:30 + i min; "60 minutes before the 16:00 close" is the
# close of bar 329 (14:59-15:00), 30 -> bar 359, 15 -> bar 374, close -> bar 389.
# Early close (13:00): 60 -> bar 149, 30 -> bar 179, 15 -> bar 194, close -> bar 209.
BARS = {
    D1: session_bars(D1, 5986.0, {0: 5986.0, 329: 5984.0, 359: 5982.0, 374: 5990.0, -1: 5987.5}),
    D2: session_bars(D2, 5992.0, {0: 5992.0, 329: 5997.0, 359: 6001.0, 374: 5996.0, -1: 5995.4}),
    D3: session_bars(D3, 6001.0, {0: 6001.0, 149: 6003.0, 179: 6006.0, 194: 6002.0, -1: 6000.75}),
}
CHAINS = pd.concat([
    chain_frame(D1, [(5980, "C", 50), (5985, "C", 100), (5985, "P", 100), (5990, "P", 300)]),
    chain_frame(D2, [(5990, "C", 100), (5990, "P", 300), (5995, "C", 500), (5995, "P", 500),
                     (6000, "C", 400), (6000, "P", 200)]),
    chain_frame(D2, [(5995, "C", 9999), (6100, "P", 7777)], expiration=D3),  # not 0DTE
    chain_frame(D3, [(6000, "C", 1000), (6000, "P", 1000), (6005, "C", 10), (6005, "P", 0),
                     (6010, "C", 0), (6010, "P", 0), (6050, "C", 5000), (6050, "P", 0)]),
])
RANDOM_DAYS = [dt.date(2024, 12, 2), dt.date(2024, 12, 3), dt.date(2024, 12, 4)]


def _random_day(day: dt.date, rng: np.random.Generator):
    start = float(rng.uniform(5990, 6010))
    bars = session_bars(day, start, {0: start, -1: start})
    close = start + np.cumsum(rng.normal(0, 1.5, len(bars.ts)))
    open_ = np.concatenate([[start], close[:-1]])
    bars = type(bars)(day, bars.ts, open_, np.maximum(open_, close) + 0.1,
                      np.minimum(open_, close) - 0.1, close)
    rows = []
    for strike in 5 * np.arange(1180, 1220):  # 5900 .. 6095
        for side in ("C", "P"):
            if rng.random() < 0.15:
                continue  # this side is not listed
            oi = 0 if rng.random() < 0.1 else int(rng.integers(0, 4)) * 250  # ties on purpose
            rows.append((float(strike), side, oi))
    return bars, chain_frame(day, rows)


_rng = np.random.default_rng(20241202)
RANDOM = {d: _random_day(d, _rng) for d in RANDOM_DAYS}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("dbt_marts")
    db = work / "warehouse.duckdb"
    write_raw(db, pd.concat([CHAINS, *(c for _, c in RANDOM.values())]),
              pd.concat([b.frame() for b in [*BARS.values(), *(b for b, _ in RANDOM.values())]]))
    result = run_dbt(["build"], db, work)
    assert result.returncode == 0, result.stdout[-4000:]
    return db


def _rows(db: Path, table: str) -> pd.DataFrame:
    frame = query(db, f"select * from {table} order by all")
    frame["quote_date"] = pd.to_datetime(frame["quote_date"]).dt.date
    return frame


def test_oi_concentration_three_strike_day(warehouse):
    oc = _rows(warehouse, "marts.oi_concentration")
    day = oc[oc.quote_date == D2].set_index("strike")
    assert list(day.index) == [5990.0, 5995.0, 6000.0]  # the 11-29 expiry rows are ignored
    assert day.call_oi.tolist() == [100, 500, 400]
    assert day.put_oi.tolist() == [300, 500, 200]
    assert day.total_oi.tolist() == [400, 1000, 600]
    np.testing.assert_allclose(day.oi_share, [0.2, 0.5, 0.3], atol=1e-12)
    assert day.oi_rank.tolist() == [3, 1, 2]
    # open of the first bar 5992.0; previous close (11-26) 5987.5
    np.testing.assert_allclose(day.distance_from_open, [-2.0, 3.0, 8.0])
    np.testing.assert_allclose(day.distance_from_prev_close, [2.5, 7.5, 12.5])
    assert day.is_round_25.tolist() == [False, False, True]
    assert day.is_round_100.tolist() == [False, False, True]


def test_one_sided_strikes_and_first_day(warehouse):
    oc = _rows(warehouse, "marts.oi_concentration")
    day = oc[oc.quote_date == D1].set_index("strike")
    assert day.loc[5980.0, ["call_oi", "put_oi", "total_oi"]].tolist() == [50, 0, 50]
    assert day.loc[5990.0, ["call_oi", "put_oi", "total_oi"]].tolist() == [0, 300, 300]
    assert day.has_call.tolist() == [True, True, False]
    assert day.has_put.tolist() == [False, True, True]
    np.testing.assert_allclose(day.oi_share, np.array([50, 200, 300]) / 550, atol=1e-12)
    assert day.distance_from_prev_close.isna().all()  # no earlier day in raw


def test_zero_oi_strike_and_shares_on_the_early_close_day(warehouse):
    oc = _rows(warehouse, "marts.oi_concentration")
    day = oc[oc.quote_date == D3].set_index("strike")
    np.testing.assert_allclose(day.oi_share, np.array([2000, 10, 0, 5000]) / 7010, atol=1e-12)
    assert day.oi_rank.tolist() == [2, 3, 4, 1]
    # previous trading day is 11-27 (Thanksgiving closed), close 5995.4
    np.testing.assert_allclose(day.distance_from_prev_close,
                               np.array([6000, 6005, 6010, 6050]) - 5995.4)
    assert day.is_round_50.tolist() == [True, False, False, True]
    assert day.is_round_100.tolist() == [True, False, False, False]
    for d, group in oc.groupby("quote_date"):
        assert abs(group.oi_share.sum() - 1.0) < 1e-12, d


def test_oi_concentration_daily(warehouse):
    daily = _rows(warehouse, "marts.oi_concentration_daily").set_index("quote_date")
    assert list(daily.index) == [D1, D2, D3, *RANDOM_DAYS]
    d2 = daily.loc[D2]
    assert d2.total_0dte_oi == 2000 and d2.n_strikes == 3
    assert d2.oi_hhi == pytest.approx(0.2**2 + 0.5**2 + 0.3**2, abs=1e-12)  # 0.38
    assert (d2.top1_share, d2.top3_share, d2.top5_share) == pytest.approx((0.5, 1.0, 1.0))
    assert d2.max_oi_strike == 5995.0
    assert d2.oi_weighted_center == pytest.approx((5990 * 400 + 5995 * 1000 + 6000 * 600) / 2000)
    assert d2.strike_spacing == 5.0
    d3 = daily.loc[D3]
    shares = np.array([2000, 10, 0, 5000]) / 7010
    assert d3.oi_hhi == pytest.approx(float(np.sum(shares**2)), abs=1e-12)
    assert d3.top1_share == pytest.approx(5000 / 7010)
    assert d3.top3_share == pytest.approx(1.0)
    assert d3.max_oi_strike == 6050.0
    assert d3.strike_spacing == 5.0  # gaps 5, 5, 40: the mode is 5
    shares = np.array([50, 200, 300]) / 550
    assert daily.loc[D1].oi_hhi == pytest.approx(float(np.sum(shares ** 2)))


def test_daily_outcomes_sessions_and_early_close(warehouse):
    out = _rows(warehouse, "marts.daily_outcomes").set_index("quote_date")
    assert list(out.index) == [D1, D2, D3, *RANDOM_DAYS]
    for day, bars in BARS.items():
        row = out.loc[day]
        assert row.n_bars == len(bars.ts)
        assert row.open == bars.open[0] and row.close == bars.close[-1]
        assert row.high == pytest.approx(bars.high.max())
        assert row.low == pytest.approx(bars.low.min())
        assert pd.Timestamp(row.session_open_ts) == bars.ts[0]
        assert pd.Timestamp(row.session_close_ts) == bars.ts[-1] + pd.Timedelta(minutes=1)
    assert out.loc[D3].n_bars == 210 and bool(out.loc[D3].is_early_close)
    assert pd.Timestamp(out.loc[D3].session_close_ts) == pd.Timestamp("2024-11-29 18:00", tz="UTC")
    assert not out.loc[D1].is_early_close and not out.loc[D2].is_early_close
    assert pd.Timestamp(out.loc[D2].session_close_ts) == pd.Timestamp("2024-11-27 21:00", tz="UTC")
    assert out.loc[D3].prev_close == pytest.approx(5995.4)
    assert pd.isna(out.loc[D1].prev_close)


def test_daily_outcomes_pinning(warehouse):
    out = _rows(warehouse, "marts.daily_outcomes").set_index("quote_date")
    d2 = out.loc[D2]  # close 5995.4 -> 5995 at 0.4; also the max-OI strike
    assert d2.nearest_strike == 5995.0 and d2.dist_nearest_strike == pytest.approx(0.4)
    assert d2.max_oi_strike == 5995.0 and d2.dist_max_oi_strike == pytest.approx(0.4)
    assert (d2.pinned_within_0_5, d2.pinned_within_1_0, d2.pinned_within_2_5) == (True, True, True)
    baselines = (d2.pin_baseline_0_5, d2.pin_baseline_1_0, d2.pin_baseline_2_5)
    assert baselines == pytest.approx((0.2, 0.4, 1.0))
    d1 = out.loc[D1]  # close 5987.5: a tie between 5985 and 5990 goes to the lower strike
    assert d1.nearest_strike == 5985.0 and d1.dist_nearest_strike == 2.5
    pinned = (d1.pinned_within_0_5, d1.pinned_within_1_0, d1.pinned_within_2_5)
    assert pinned == (False, False, True)
    assert d1.max_oi_strike == 5990.0 and d1.close_minus_max_oi_strike == -2.5
    d3 = out.loc[D3]  # close 6000.75
    assert d3.nearest_strike == 6000.0 and d3.dist_nearest_strike == pytest.approx(0.75)
    assert (d3.pinned_within_0_5, d3.pinned_within_1_0, d3.pinned_within_2_5) == (False, True, True)
    assert d3.dist_max_oi_strike == pytest.approx(49.25)


def test_daily_outcomes_late_moves_and_window_moves(warehouse):
    out = _rows(warehouse, "marts.daily_outcomes").set_index("quote_date")
    d2 = out.loc[D2]
    prices = (d2.price_60_left, d2.price_30_left, d2.price_15_left)
    assert prices == pytest.approx((5997.0, 6001.0, 5996.0))
    assert (d2.move_last_60, d2.move_last_30, d2.move_last_15) == pytest.approx((-1.6, -5.6, -0.6))
    # PIN window 5997 -> 6001 above 5995 (highest OI within 20): +4 away
    assert d2.pin_window_strike == 5995.0 and d2.pin_window_strike_oi == 1000
    assert d2.pin_window_move_away == pytest.approx(4.0)
    # PANIC window 5996 -> 5995.4, above 5995: -0.6 (toward)
    assert d2.panic_window_strike == 5995.0 and d2.panic_window_move_away == pytest.approx(-0.6)
    d1 = out.loc[D1]
    # PIN window 5984 -> 5982 below 5990 (OI 300): moving down is away, +2
    assert d1.pin_window_strike == 5990.0 and d1.pin_window_move_away == pytest.approx(2.0)
    # PANIC window starts exactly on 5990: no side, no signed move
    assert d1.panic_window_strike == 5990.0 and pd.isna(d1.panic_window_move_away)
    d3 = out.loc[D3]  # early close: anchors at bars 149/179/194/209
    moves = (d3.move_last_60, d3.move_last_30, d3.move_last_15)
    assert moves == pytest.approx((-2.25, -5.25, -1.25))
    # 6050 has the most OI but lies 47 points away; 6010 has none: 6000 is used
    assert d3.pin_window_strike == 6000.0 and d3.pin_window_move_away == pytest.approx(3.0)
    assert d3.panic_window_strike == 6000.0 and d3.panic_window_move_away == pytest.approx(-1.25)


def test_marts_live_in_schema_marts_as_tables(warehouse):
    tables = query(warehouse, "select table_schema, table_name, table_type "
                              "from information_schema.tables order by all")
    marts = tables[tables.table_schema == "marts"]
    assert set(marts.table_name) == {"oi_concentration", "oi_concentration_daily", "daily_outcomes"}
    assert set(marts.table_type) == {"BASE TABLE"}


def _oracle_day(day: dt.date, prev_close: float) -> tuple[pd.DataFrame, dict]:
    """The marts' definitions re-stated in pandas for one random day."""
    bars, chain = RANDOM[day]
    oi = chain.pivot_table(index="strike", columns="option_type", values="open_interest",
                           aggfunc="sum").reindex(columns=["C", "P"]).fillna(0)
    strikes = pd.DataFrame({"strike": oi.index.to_numpy(float), "call_oi": oi["C"].to_numpy(),
                            "put_oi": oi["P"].to_numpy()})
    strikes["total_oi"] = strikes.call_oi + strikes.put_oi
    total = strikes.total_oi.sum()
    strikes["oi_share"] = strikes.total_oi / total
    day_open = bars.open[0]
    order = sorted(range(len(strikes)), key=lambda i: (-strikes.total_oi[i],
                                                       abs(strikes.strike[i] - day_open),
                                                       strikes.strike[i]))
    strikes["oi_rank"] = 0
    strikes.loc[order, "oi_rank"] = np.arange(1, len(strikes) + 1)
    strikes["distance_from_prev_close"] = strikes.strike - prev_close
    ranked = strikes.sort_values("oi_rank")
    close = bars.close
    p60, p30, p15 = close[-61], close[-31], close[-16]

    def window(start: float, end: float):
        near = strikes[(abs(strikes.strike - start) <= 20) & (strikes.total_oi > 0)]
        best = min(near.itertuples(), key=lambda r: (-r.total_oi, abs(r.strike - start), r.strike))
        move = None if start == best.strike else np.sign(start - best.strike) * (end - start)
        return best.strike, move

    nearest = min(strikes.strike, key=lambda k: (abs(close[-1] - k), k))
    gaps = np.diff(np.sort(strikes.strike.to_numpy()))
    values, counts = np.unique(gaps, return_counts=True)
    spacing = values[np.argmax(counts)]  # first (smallest) among the most frequent
    daily = {
        "total_0dte_oi": total, "oi_hhi": float(np.sum(strikes.oi_share ** 2)),
        "top1_share": ranked.oi_share.iloc[:1].sum(), "top3_share": ranked.oi_share.iloc[:3].sum(),
        "top5_share": ranked.oi_share.iloc[:5].sum(), "max_oi_strike": ranked.strike.iloc[0],
        "oi_weighted_center": float(np.sum(strikes.strike * strikes.total_oi) / total),
        "n_strikes": len(strikes), "strike_spacing": spacing,
        "nearest_strike": nearest, "dist_nearest_strike": abs(close[-1] - nearest),
        "move_last_60": close[-1] - p60, "move_last_30": close[-1] - p30,
        "move_last_15": close[-1] - p15,
        "pin_window": window(p60, p30), "panic_window": window(p15, close[-1]),
        "last_close": close[-1],
    }
    return strikes, daily


def test_random_days_match_a_pandas_restatement(warehouse):
    oc = _rows(warehouse, "marts.oi_concentration")
    daily = _rows(warehouse, "marts.oi_concentration_daily").set_index("quote_date")
    out = _rows(warehouse, "marts.daily_outcomes").set_index("quote_date")
    prev_close = BARS[D3].close[-1]
    for day in RANDOM_DAYS:
        strikes, expect = _oracle_day(day, prev_close)
        prev_close = expect["last_close"]
        got = oc[oc.quote_date == day].reset_index(drop=True)
        np.testing.assert_array_equal(got.strike, strikes.strike)
        for col in ("call_oi", "put_oi", "total_oi", "oi_rank"):
            np.testing.assert_array_equal(got[col], strikes[col], err_msg=f"{day} {col}")
        np.testing.assert_allclose(got.oi_share, strikes.oi_share, atol=1e-12)
        np.testing.assert_allclose(got.distance_from_prev_close, strikes.distance_from_prev_close,
                                   atol=1e-9)
        d = daily.loc[day]
        for col in ("total_0dte_oi", "oi_hhi", "top1_share", "top3_share", "top5_share",
                    "max_oi_strike", "oi_weighted_center", "n_strikes", "strike_spacing"):
            assert d[col] == pytest.approx(expect[col], abs=1e-9), (day, col)
        o = out.loc[day]
        for col in ("nearest_strike", "dist_nearest_strike", "move_last_60", "move_last_30",
                    "move_last_15"):
            assert o[col] == pytest.approx(expect[col], abs=1e-9), (day, col)
        for prefix in ("pin_window", "panic_window"):
            strike, move = expect[prefix]
            assert o[f"{prefix}_strike"] == strike, (day, prefix)
            if move is None:
                assert pd.isna(o[f"{prefix}_move_away"])
            else:
                assert o[f"{prefix}_move_away"] == pytest.approx(move, abs=1e-9), (day, prefix)


def test_every_built_column_is_described_in_its_models_yml(warehouse):
    manifest = json.loads((warehouse.parent / "target" / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) == 7
    for node in models:
        built = query(warehouse, "select column_name from information_schema.columns "
                                 f"where table_schema = '{node['schema']}' "
                                 f"and table_name = '{node['alias']}'").column_name.tolist()
        described = {name for name, col in node["columns"].items() if col["description"].strip()}
        assert built and set(built) <= described, (node["name"], set(built) - described)
        assert described <= set(built), (node["name"], described - set(built))


def test_the_build_ran_and_passed_the_daily_outcomes_unit_tests(warehouse):
    results = json.loads((warehouse.parent / "target" / "run_results.json").read_text())
    unit = {r["unique_id"].rsplit(".", 1)[-1]: r["status"] for r in results["results"]
            if r["unique_id"].startswith("unit_test.")}
    assert unit == {"daily_outcomes_high_oi_tie_goes_to_the_nearer_strike": "pass",
                    "daily_outcomes_ties_at_equal_distance_go_to_the_lower_strike": "pass",
                    "daily_outcomes_windows_search_around_their_own_start_price": "pass"}
