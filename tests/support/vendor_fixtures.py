"""Small landing files in the layouts ThetaData, Massive and OptionMetrics (WRDS) publish.

Written with the standard library's csv/gzip modules from plain Python rows, so the tests
can compare the adapters' output with these rows (an independent reading). Layouts:
ThetaData's flat file and v3 history exports, Massive's us_indices minute aggregates,
IvyDB's Option_Price file as WRDS names its variables (see each adapter's docstring).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

DAY = dt.date(2024, 1, 5)  # Friday, regular session 14:30-21:00 UTC
PREV = dt.date(2024, 1, 4)  # the session before
STRIKES = [4690.0, 4695.0, 4700.0, 4705.0, 4710.0]


def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def index_path(day: dt.date = DAY, minutes: int = 390, start: float = 4700.0,
               seed: int = 5) -> list[tuple[pd.Timestamp, float, float, float, float]]:
    """(bar start UTC, open, high, low, close) on a quarter-point grid: exact in CSV."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(f"{day} 09:30", tz="America/New_York").tz_convert("UTC")
    out, price = [], start
    for i in range(minutes):
        o = price
        c = o + 0.25 * int(rng.integers(-4, 5))
        out.append((t0 + pd.Timedelta(minutes=i), o, max(o, c) + 0.5, min(o, c) - 0.5, c))
        price = c
    return out


# ------------------------------------------------------------------------ ThetaData

def theta_oi_ticks(day: dt.date = DAY) -> list[dict]:
    """OI ticks of SPXW expiring `day`: the 06:30 ET report, plus a later re-send (after the
    open, must be ignored), an SPX (AM root) contract and a next-week SPXW contract."""
    ticks = []
    for j, k in enumerate(STRIKES):
        for cp in ("C", "P"):
            oi = 1000 + 37 * j + (cp == "P") * 5
            ticks.append({"root": "SPXW", "exp": day, "strike": k, "right": cp,
                          "time": "06:30:04", "oi": oi, "expected": oi})
            ticks.append({"root": "SPXW", "exp": day, "strike": k, "right": cp,
                          "time": "11:02:00", "oi": oi + 999, "expected": None})
    ticks.append({"root": "SPX", "exp": day, "strike": 4700.0, "right": "C",
                  "time": "06:30:04", "oi": 5, "expected": None})
    ticks.append({"root": "SPXW", "exp": day + dt.timedelta(days=7), "strike": 4700.0,
                  "right": "C", "time": "06:30:04", "oi": 6, "expected": None})
    return ticks


def _ms(time_text: str) -> int:
    h, m, s = (int(x) for x in time_text.split(":"))
    return ((h * 60 + m) * 60 + s) * 1000


def write_theta_flat(directory: Path, day: dt.date = DAY, version: int = 2) -> Path:
    """`OPTION-OPEN_INTEREST-YYYYMMDD.csv`: v2 strikes in 1/10 cent, expiration YYYYMMDD."""
    rows = []
    for t in theta_oi_ticks(day):
        exp = f"{t['exp']:%Y%m%d}" if version == 2 else t["exp"].isoformat()
        strike = int(round(t["strike"] * 1000)) if version == 2 else f"{t['strike']:.3f}"
        rows.append([t["root"], exp, strike, t["right"], _ms(t["time"]), t["oi"], f"{day:%Y%m%d}"])
    return _write_csv(directory / f"OPTION-OPEN_INTEREST-{day:%Y%m%d}.csv",
                      ["root", "expiration", "strike", "right", "ms_of_day", "open_interest",
                       "date"], rows)


def write_theta_history(directory: Path, day: dt.date = DAY) -> Path:
    """A saved v3 `option/history/open_interest` CSV (right CALL/PUT, ET timestamps)."""
    rows = [[t["root"], t["exp"].isoformat(), f"{t['strike']:.3f}",
             "CALL" if t["right"] == "C" else "PUT", f"{day}T{t['time']}.000", t["oi"]]
            for t in theta_oi_ticks(day)]
    return _write_csv(directory / f"thetadata-open_interest-{day:%Y%m%d}.csv",
                      ["symbol", "expiration", "strike", "right", "timestamp", "open_interest"],
                      rows)


def write_theta_bars(directory: Path, day: dt.date = DAY, symbol: str = "SPX",
                     path: list | None = None, offset: float = 0.0) -> Path:
    """A saved v3 `index/history/ohlc` response at 1m, ET timestamps, plus the 16:00 bar."""
    path = path or index_path(day)
    rows = []
    for ts, o, h, lo, c in path:
        et = ts.tz_convert("America/New_York")
        rows.append([et.strftime("%Y-%m-%dT%H:%M:%S.000"), o + offset, h + offset, lo + offset,
                     c + offset, 0, 0, "0.00"])
    close = pd.Timestamp(f"{day} 16:00")
    rows.append([close.strftime("%Y-%m-%dT%H:%M:%S.000"), 1, 1, 1, 1, 0, 0, "0.00"])
    return _write_csv(directory / f"thetadata-{symbol}-ohlc-1m-{day:%Y%m%d}.csv",
                      ["timestamp", "open", "high", "low", "close", "volume", "count", "vwap"],
                      rows)


# -------------------------------------------------------------------------- Massive

def write_massive_minute_aggs(directory: Path, day: dt.date = DAY, path: list | None = None,
                              name: str | None = None) -> Path:
    """`YYYY-MM-DD.csv.gz` with I:SPX for the whole day (pre-market minutes included) and
    another index interleaved, as the flat file holds every index."""
    path = path or index_path(day)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ticker", "open", "close", "high", "low", "window_start"])
    pre = path[0][0] - pd.Timedelta(minutes=30)
    writer.writerow(["I:SPX", 4699.0, 4699.5, 4700.0, 4698.5, pre.value])
    for ts, o, h, lo, c in path:
        writer.writerow(["I:NDX", 16000.0, 16001.0, 16002.0, 15999.0, ts.value])
        writer.writerow(["I:SPX", o, c, h, lo, ts.value])
    target = directory / (name or f"{day.isoformat()}.csv.gz")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(out.getvalue().encode()))
    return target


# -------------------------------------------------------------------- OptionMetrics

IVY_COLUMNS = ["secid", "date", "symbol", "symbol_flag", "exdate", "last_date", "cp_flag",
               "strike_price", "best_bid", "best_offer", "volume", "open_interest",
               "impl_volatility", "delta", "gamma", "vega", "theta", "optionid", "cfadj",
               "am_settlement", "contract_size", "ss_flag", "forward_price",
               "expiry_indicator", "root", "suffix", "cusip", "ticker", "index_flag",
               "exchange_d", "class", "issue_type", "industry_group", "issuer",
               "div_convention", "exercise_style", "am_set_flag"]


def ivy_oi(date: dt.date, strike: float, cp: str) -> int:
    """The OI a fixture row dated `date` carries: distinct per date, so a one-day shift shows."""
    return int(date.day) * 1000 + int(strike) % 100 * 10 + (cp == "P")


def write_ivydb(directory: Path, dates: tuple[dt.date, ...] = (PREV, DAY),
                exdate: dt.date = DAY, name: str | None = None) -> Path:
    """A WRDS export of opprcd rows for SPXW expiring `exdate`, one row per contract and
    date (plus an SPX AM row), strikes x 1000, dates YYYY-MM-DD."""
    rows = []
    for date in dates:
        for k in STRIKES:
            for cp in ("C", "P"):
                row = dict.fromkeys(IVY_COLUMNS, "")
                row.update(secid=108105, date=date.isoformat(),
                           symbol=f"SPXW {exdate:%y%m%d}{cp}{int(k * 1000)}", symbol_flag=1,
                           exdate=exdate.isoformat(), cp_flag=cp, strike_price=int(k * 1000),
                           best_bid=1.1, best_offer=1.3, volume=17,
                           open_interest=ivy_oi(date, k, cp), impl_volatility=0.12,
                           am_settlement=0, contract_size=100, ticker="SPX",
                           expiry_indicator="d", exercise_style="E")
                rows.append([row[c] for c in IVY_COLUMNS])
        am = dict.fromkeys(IVY_COLUMNS, "")
        am.update(secid=108105, date=date.isoformat(), symbol=f"SPX {exdate:%y%m%d}C4700000",
                  symbol_flag=1, exdate=exdate.isoformat(), cp_flag="C", strike_price=4700000,
                  open_interest=3, am_settlement=1, ticker="SPX")
        rows.append([am[c] for c in IVY_COLUMNS])
    return _write_csv(directory / (name or f"opprcd_{exdate.isoformat()}.csv"), IVY_COLUMNS,
                      rows)


# -------------------------------------------------------------- futures and the index

def write_index_closes(landing: Path, closes: dict[dt.date, float]) -> Path:
    return _write_csv(landing / "index_closes.csv", ["date", "close"],
                      [[d.isoformat(), c] for d, c in sorted(closes.items())])


def write_canonical_bars(directory: Path, day: dt.date, path: list, symbol: str,
                         offset: float = 0.0) -> Path:
    rows = [[symbol, ts.tz_convert("America/New_York").isoformat(), o + offset, h + offset,
             lo + offset, c + offset, 10] for ts, o, h, lo, c in path]
    return _write_csv(directory / f"{day.isoformat()}.csv",
                      ["symbol", "ts", "open", "high", "low", "close", "volume"], rows)


def write_canonical_chain(directory: Path, day: dt.date, underlying_price: float | None,
                          strikes: list[float] | None = None) -> Path:
    strikes = strikes or [4650.0 + 5 * i for i in range(21)]
    rows = [[day.isoformat(), "SPX", "SPXW", day.isoformat(), k, cp, 100 + i, 1, 1.0, 1.2, 0.1,
             "" if underlying_price is None else underlying_price]
            for i, k in enumerate(strikes) for cp in ("C", "P")]
    return _write_csv(directory / f"{day.isoformat()}.csv",
                      ["quote_date", "underlying", "root", "expiration", "strike", "option_type",
                       "open_interest", "volume", "bid", "ask", "implied_volatility",
                       "underlying_price"], rows)
