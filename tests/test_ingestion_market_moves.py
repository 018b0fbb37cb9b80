"""Crash days are market moves, not wrong instruments: they pass ingestion; wrong files fail.

The days are shaped on SPX in March 2020 (daily open, high, low, close and the previous
close, rounded to the cent as commonly quoted), bridged to 390 one-minute bars through the
open, the extremes and the close. Each traded entirely below its previous close, by more
than the 2 % the earlier rule allowed: exactly the days `inspect` refused. A constructed
limit-down day (open 7 % down, 15 minutes flat at the limit, then lower) joins them. The
same landing zone then gets one wrong file at a time: SPY-priced bars (a tenth), NDX bars
(another index), an ES contract without a basis, ES prices labelled SPX against a Cboe
chain stamped at 15:45 ET. Each must fail and name its files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assets.common.config import LabConfig
from assets.ingestion import plausibility
from assets.ingestion.adapters import read_days
from assets.ingestion.errors import LandingFileError
from assets.ingestion.gx_validation import validate_bars, validate_chains
from assets.ingestion.landing_report import inspect_landing
from assets.ingestion.underlying import align_to_underlying
from tests.support import ingestion_fixtures as fx
from tests.support import vendor_fixtures as vf

CFG = LabConfig()
# day: (previous close, open, high, low, close)
MARCH_2020 = {
    dt.date(2020, 3, 9): (2972.37, 2863.89, 2863.89, 2734.43, 2746.56),
    dt.date(2020, 3, 16): (2711.02, 2508.59, 2562.98, 2380.94, 2386.13),
    dt.date(2020, 3, 18): (2529.19, 2436.50, 2453.57, 2280.52, 2398.10),
}
LIMIT_DOWN = dt.date(2020, 3, 20)  # constructed on the previous close 2409.39
LIMIT_DOWN_REF = 2409.39
CRASH = dt.date(2020, 3, 16)


def _bars(day: dt.date, knots: list[tuple[int, float]], scale: float = 1.0,
          shift: float = 0.0) -> list[tuple]:
    """(bar start UTC, o, h, l, c) through the (minute, price) knots, linearly between."""
    minutes, prices = zip(*knots, strict=True)
    path = np.round(np.interp(np.arange(391), minutes, prices) * scale + shift, 2)
    t0 = pd.Timestamp(f"{day} 09:30", tz="America/New_York").tz_convert("UTC")
    return [(t0 + pd.Timedelta(minutes=i), path[i], max(path[i], path[i + 1]),
             min(path[i], path[i + 1]), path[i + 1]) for i in range(390)]


def _knots(day: dt.date) -> list[tuple[int, float]]:
    if day == LIMIT_DOWN:
        limit = round(LIMIT_DOWN_REF * 0.93, 2)
        return [(0, limit), (15, limit), (200, LIMIT_DOWN_REF * 0.88), (390, LIMIT_DOWN_REF * 0.9)]
    _, o, h, lo, c = MARCH_2020[day]
    return [(0, o), (130, h), (260, lo), (390, c)] if o != h else [(0, o), (260, lo), (390, c)]


def _reference(day: dt.date) -> float:
    return LIMIT_DOWN_REF if day == LIMIT_DOWN else MARCH_2020[day][0]


def _strikes(ref: float) -> list[float]:
    """The 5-point grid within 5 % of the reference: the 2020-03-16 open lies below it."""
    return [float(k) for k in np.arange(np.ceil(ref * 0.95 / 5) * 5, ref * 1.05, 5.0)]


DAYS = [*MARCH_2020, LIMIT_DOWN]


def _landing(root: Path, with_price: bool) -> Path:
    landing = root / "landing"
    for day in DAYS:
        ref = _reference(day)
        vf.write_canonical_bars(landing / "bars", day, _bars(day, _knots(day)), "SPX")
        vf.write_canonical_chain(landing / "chains", day, ref if with_price else None,
                                 _strikes(ref))
    return landing


def test_the_days_are_moves_the_old_rule_refused():
    """By hand: every day's range lies wholly below its previous close, 3 to 7.5 % away
    at the nearest point, beyond the former 2 % limit but far inside a factor 1.5."""
    for prev, o, h, lo, c in MARCH_2020.values():
        assert max(o, h, lo, c) < prev and 0.02 < (prev - h) / prev < 0.06
    prev, o = MARCH_2020[CRASH][:2]
    assert (prev - o) / prev == pytest.approx(0.0747, abs=1e-4)  # "7.5 % below"


@pytest.mark.parametrize("with_price", [True, False])
def test_crash_days_pass_inspect_and_the_bars_check(tmp_path, with_price):
    landing = _landing(tmp_path, with_price)
    report = inspect_landing(landing, CFG)
    assert report.error_count == 0, [d.errors for d in report.days]
    assert [d.day for d in report.days] == DAYS
    # The staged path: the GX rules on every day at once, then bars against chains.
    bars = pd.concat([r.frame for r in read_days("bars", DAYS, landing / "bars", CFG)],
                     ignore_index=True)
    chains = pd.concat([r.frame for r in read_days("chains", DAYS, landing / "chains", CFG)],
                       ignore_index=True)
    assert validate_bars(bars, CFG, DAYS).passed and validate_chains(chains, CFG, DAYS).passed
    checks = plausibility.check_days(bars, chains, DAYS, CFG)
    assert [c.day for c in checks] == DAYS and all(c.passed for c in checks)
    crash = checks[DAYS.index(CRASH)]
    if with_price:  # by hand: 2711.02 / 2562.98, the previous close over the day's high
        assert crash.gap == pytest.approx(2711.02 / 2562.98)
    else:  # the open 2508.59 below the lowest listed strike 2580
        assert crash.gap == pytest.approx(2580.0 / 2508.59)


def _one_wrong_file(landing: Path, kind: str) -> None:
    day, knots = CRASH, _knots(CRASH)
    bars = landing / "bars"
    (bars / f"{day}.csv").unlink()
    if kind == "spy":  # the ETF: a tenth of the index
        vf.write_canonical_bars(bars, day, _bars(day, knots, scale=0.1), "SPY")
    elif kind == "spy_labelled_spx":
        vf.write_canonical_bars(bars, day, _bars(day, knots, scale=0.1), "SPX")
    elif kind == "ndx":  # another index (NDX stood near 2.9x SPX that month)
        vf.write_canonical_bars(bars, day, _bars(day, knots, scale=2.9), "NDX")
    elif kind == "es":
        vf.write_canonical_bars(bars, day, _bars(day, knots, shift=-6.0), "ESM0")
    elif kind == "es_labelled_spx":  # a basis of -6 points, seen at the Cboe stamp
        vf.write_canonical_bars(bars, day, _bars(day, knots, shift=-6.0), "SPX")
        (landing / "chains" / f"{day}.csv").unlink()
        cboe = fx.cboe_frame(day)
        spx_at_1545 = _bars(day, knots)[375][1]  # bar 375 starts at 15:45 ET
        cboe["active_underlying_price_1545"] = spx_at_1545
        fx.write_csv(cboe, landing / "chains" / f"UnderlyingOptionsEODCalcs_{day}.csv")


@pytest.mark.parametrize("kind", ["spy", "spy_labelled_spx", "ndx", "es_labelled_spx"])
def test_wrong_instruments_still_fail_naming_both_files(tmp_path, kind):
    landing = _landing(tmp_path, with_price=True)
    _one_wrong_file(landing, kind)
    report = inspect_landing(landing, CFG)
    failing = {d.day: d.errors for d in report.days if d.errors}
    assert list(failing) == [CRASH], failing
    (error,) = failing[CRASH]
    chain_name = ("UnderlyingOptionsEODCalcs_2020-03-16.csv" if kind == "es_labelled_spx"
                  else "chains/2020-03-16.csv")
    assert error.startswith("bars_match_chain") and "cannot be the underlying" in error
    assert "bars/2020-03-16.csv" in error and chain_name in error
    # The Dagster check reads the same files through the same rule: the same verdict.
    bars = read_days("bars", [CRASH], landing / "bars", CFG)
    chains = read_days("chains", [CRASH], landing / "chains", CFG)
    (check,) = plausibility.check_days(bars[0].frame, chains[0].frame, [CRASH], CFG)
    result = plausibility.rule_result([check])
    assert not result.passed and "bars/2020-03-16.csv" in result.detail
    assert chain_name in result.detail


def test_futures_without_a_basis_are_refused_naming_file_and_contract(tmp_path):
    landing = _landing(tmp_path, with_price=True)
    _one_wrong_file(landing, "es")
    report = inspect_landing(landing, CFG)
    (day,) = [d for d in report.days if d.errors]
    assert day.day == CRASH and day.chains.files == ["2020-03-16.csv"]
    (error,) = day.errors
    assert "futures_bars" in error and "bars/2020-03-16.csv" in error and "ESM0" in error
    (read,) = read_days("bars", [CRASH], landing / "bars", CFG)
    with pytest.raises(LandingFileError, match="basis_method") as err:
        align_to_underlying([read], CFG, landing / "bars", landing)
    assert err.value.rule == "futures_bars"
