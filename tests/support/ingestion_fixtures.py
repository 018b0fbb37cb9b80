"""Small landing files for the ingestion tests, built here (not by the synthetic market).

Session times are written out by hand (ET, UTC offsets) so they serve as an oracle
independent of the calendar module: 2024-01-05 is a regular Friday session 09:30-16:00 EST
(14:30-21:00 UTC); 2023-11-24, the day after Thanksgiving, closes at 13:00 EST.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

DAY = dt.date(2024, 1, 5)
EARLY_DAY = dt.date(2023, 11, 24)
OPEN_UTC = pd.Timestamp("2024-01-05 14:30", tz="UTC")
STRIKES = np.arange(4650.0, 4755.0, 5.0)  # 21 strikes on the 5-point grid


def chain_frame(day: dt.date = DAY, strikes: np.ndarray = STRIKES, seed: int = 1) -> pd.DataFrame:
    """A canonical chain: every strike, C and P, expiring `day`, integral OI."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in strikes:
        for t in ("C", "P"):
            rows.append({"quote_date": day.isoformat(), "underlying": "SPX", "root": "SPXW",
                         "expiration": day.isoformat(), "strike": float(k), "option_type": t,
                         "open_interest": int(rng.integers(0, 5000)),
                         "volume": int(rng.integers(0, 900)), "bid": 1.1, "ask": 1.3,
                         "implied_volatility": 0.11, "underlying_price": 4701.25})
    return pd.DataFrame(rows)


def bar_frame(day: dt.date = DAY, minutes: int = 390, seed: int = 2,
              open_et: str = "09:30") -> pd.DataFrame:
    """Canonical 1-minute bars with ISO timestamps carrying their ET offset."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(f"{day.isoformat()} {open_et}", tz="America/New_York")
    ts = pd.date_range(start, periods=minutes, freq="1min")
    close = 4700.0 + np.cumsum(rng.normal(0.0, 0.8, minutes))
    open_ = np.r_[4700.0, close[:-1]]
    high = np.maximum(open_, close) + rng.uniform(0.0, 1.0, minutes)
    low = np.minimum(open_, close) - rng.uniform(0.0, 1.0, minutes)
    return pd.DataFrame({"symbol": "SPX", "ts": [t.isoformat() for t in ts], "open": open_,
                         "high": high, "low": low, "close": close,
                         "volume": rng.integers(10, 1000, minutes)})


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------------- Cboe

CBOE_COLUMNS = [
    "underlying_symbol", "quote_date", "root", "expiration", "strike", "option_type", "open",
    "high", "low", "close", "trade_volume", "bid_size_1545", "bid_1545", "ask_size_1545",
    "ask_1545", "underlying_bid_1545", "underlying_ask_1545", "implied_underlying_price_1545",
    "active_underlying_price_1545", "implied_volatility_1545", "delta_1545", "gamma_1545",
    "theta_1545", "vega_1545", "rho_1545", "bid_size_eod", "bid_eod", "ask_size_eod",
    "ask_eod", "underlying_bid_eod", "underlying_ask_eod", "vwap", "open_interest",
    "delivery_code"]


def cboe_frame(day: dt.date = DAY) -> pd.DataFrame:
    """A miniature full-market Cboe EOD file: SPXW expiring today (kept), SPXW next week,
    SPX AM monthly today (other root), and an equity (AAPL)."""
    rows = []
    nxt = (pd.Timestamp(day) + pd.Timedelta(days=7)).date()
    specs = [("^SPX", "SPXW", day, STRIKES), ("^SPX", "SPXW", nxt, STRIKES[:5]),
             ("^SPX", "SPX", day, STRIKES[:3]), ("AAPL", "AAPL", day, np.array([180.0, 185.0]))]
    oi = 100
    for und, root, exp, strikes in specs:
        for k in strikes:
            for t in ("C", "P"):
                oi += 7
                row = {c: 0 for c in CBOE_COLUMNS}
                row.update({"underlying_symbol": und, "quote_date": day.isoformat(),
                            "root": root, "expiration": exp.isoformat(), "strike": k,
                            "option_type": t, "trade_volume": 11, "bid_1545": 1.0,
                            "ask_1545": 1.2, "underlying_bid_1545": 4700.0,
                            "underlying_ask_1545": 4701.0,
                            "active_underlying_price_1545": 4700.4,
                            "implied_volatility_1545": 0.12, "open_interest": oi,
                            "delivery_code": ""})
                rows.append(row)
    return pd.DataFrame(rows, columns=CBOE_COLUMNS)


def write_cboe_zip(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(path.with_suffix(".csv").name, frame.to_csv(index=False))
    return path


# ------------------------------------------------------------------------ Databento

@dataclasses.dataclass
class _Interval:
    start_date: dt.date
    end_date: dt.date
    symbol: str


@dataclasses.dataclass
class _Mapping:
    raw_symbol: str
    intervals: list


def _ns(ts: pd.Timestamp) -> int:
    return int(ts.value)


def osi(root: str, exp: dt.date, cp: str, strike: float) -> str:
    return f"{root:<6}{exp:%y%m%d}{cp}{int(round(strike * 1000)):08d}"


def dbn_chain_records(day: dt.date = DAY, strikes: np.ndarray = STRIKES[:4]):
    """Definitions + OI statistics for SPXW expiring `day` (plus distractors).

    Returns (definitions, statistics, expected) where expected maps
    (strike, option_type) -> the pre-open OI the adapter must report.
    """
    import databento_dbn as dbn

    midnight = pd.Timestamp(day.isoformat(), tz="UTC")
    pre_open = _ns(pd.Timestamp(f"{day} 07:00", tz="America/New_York"))
    after_open = _ns(pd.Timestamp(f"{day} 11:00", tz="America/New_York"))
    expiry = _ns(pd.Timestamp(f"{day} 16:00", tz="America/New_York"))
    next_week = _ns(pd.Timestamp(f"{day} 16:00", tz="America/New_York") + pd.Timedelta(days=7))
    definitions, statistics, expected = [], [], {}
    iid = 1000

    def definition(root, exp_ns, cp, k, underlying="SPX"):
        nonlocal iid
        iid += 1
        exp_date = pd.Timestamp(exp_ns, tz="UTC").tz_convert("America/New_York").date()
        definitions.append(dbn.InstrumentDefMsg(
            publisher_id=1, instrument_id=iid, ts_event=_ns(midnight), ts_recv=_ns(midnight),
            min_price_increment=50_000_000, display_factor=1_000_000_000,
            raw_symbol=osi(root, exp_date, cp, k), asset=root, security_type="OOF",
            instrument_class=dbn.InstrumentClass.CALL if cp == "C" else dbn.InstrumentClass.PUT,
            security_update_action=dbn.SecurityUpdateAction.ADD, expiration=exp_ns,
            strike_price=int(round(k * 1e9)), underlying=underlying))
        return iid

    def oi(instrument, qty, when):
        statistics.append(dbn.StatMsg(
            publisher_id=1, instrument_id=instrument, ts_event=when, ts_recv=when,
            ts_ref=_ns(midnight - pd.Timedelta(days=1)), price=dbn.UNDEF_PRICE, quantity=qty,
            stat_type=dbn.StatType.OPEN_INTEREST, update_action=dbn.StatUpdateAction.NEW))

    for j, k in enumerate(strikes):
        for cp in ("C", "P"):
            i = definition("SPXW", expiry, cp, float(k))
            qty = 1000 + 10 * j + (cp == "P")
            oi(i, qty - 500, pre_open - 3_600_000_000_000)  # an older value, superseded
            oi(i, qty, pre_open)
            oi(i, qty + 999, after_open)  # after the open: must be ignored
            expected[(float(k), cp)] = qty
            # a volume statistic on the same instrument: not OI, must be ignored
            statistics.append(dbn.StatMsg(
                publisher_id=1, instrument_id=i, ts_event=pre_open, ts_recv=pre_open,
                ts_ref=_ns(midnight), price=dbn.UNDEF_PRICE, quantity=77,
                stat_type=dbn.StatType.CLEARED_VOLUME, update_action=dbn.StatUpdateAction.NEW))
    far = definition("SPXW", next_week, "C", float(strikes[0]))
    oi(far, 5, pre_open)
    no_oi = definition("SPXW", expiry, "C", float(strikes[-1]) + 100.0)  # dropped: no OI
    del no_oi
    return definitions, statistics, expected


def dbn_metadata(schema, dataset: str = "OPRA.PILLAR", day: dt.date = DAY,
                 symbols: list[str] | None = None, mappings: list | None = None):
    import databento_dbn as dbn

    start = _ns(pd.Timestamp(day.isoformat(), tz="UTC"))
    return dbn.Metadata(dataset=dataset, start=start, end=start + 86_400_000_000_000,
                        stype_in=dbn.SType.RAW_SYMBOL, stype_out=dbn.SType.INSTRUMENT_ID,
                        schema=schema, symbols=symbols or [], mappings=mappings or [])


def write_dbn(path: Path, metadata, records, zstd: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = bytes(metadata) + b"".join(bytes(r) for r in records)
    if zstd:
        import zstandard

        raw = zstandard.ZstdCompressor().compress(raw)
    path.write_bytes(raw)
    return path


def dbn_bar_records(day: dt.date = DAY, front_id: int = 42, back_id: int = 43):
    """ohlcv-1m for a whole Globex day (00:00-23:59 UTC) of a front month, plus a thin
    back month inside the session. Returns (records, expected front-month session frame)."""
    import databento_dbn as dbn

    start = pd.Timestamp(day.isoformat(), tz="UTC")
    # A regular session, written out by hand (not from the calendar module).
    session_open = pd.Timestamp(f"{day} 09:30", tz="America/New_York").tz_convert("UTC")
    session_close = pd.Timestamp(f"{day} 16:00", tz="America/New_York").tz_convert("UTC")
    rng = np.random.default_rng(3)
    recs, rows = [], []
    for minute in range(24 * 60):
        ts = start + pd.Timedelta(minutes=minute)
        o = 4700.0 + round(float(rng.normal(0, 2)) * 4) / 4
        c = o + 0.25
        h, lo = c + 0.5, o - 0.5
        recs.append(dbn.OHLCVMsg(rtype=dbn.RType.OHLCV_1M, publisher_id=1,
                                 instrument_id=front_id, ts_event=_ns(ts),
                                 open=int(o * 1e9), high=int(h * 1e9), low=int(lo * 1e9),
                                 close=int(c * 1e9), volume=100))
        if session_open <= ts < session_close:
            rows.append({"ts": ts, "open": o, "high": h, "low": lo, "close": c})
            if minute % 60 == 0:
                recs.append(dbn.OHLCVMsg(rtype=dbn.RType.OHLCV_1M, publisher_id=1,
                                         instrument_id=back_id, ts_event=_ns(ts),
                                         open=int(4750e9), high=int(4751e9), low=int(4749e9),
                                         close=int(4750e9), volume=1))
    return recs, pd.DataFrame(rows)


def mappings_for(symbol: str, instrument_id: int, day: dt.date = DAY) -> list:
    return [_Mapping(symbol, [_Interval(day, day + dt.timedelta(days=1), str(instrument_id))])]


def corrupt_bytes_latin1(frame: pd.DataFrame) -> bytes:
    text = frame.to_csv(index=False)
    lines = text.splitlines()
    lines[3] = lines[3].replace("SPX", "SPX\u00e9", 1)  # data row 3
    return ("\n".join(lines) + "\n").encode("latin-1")


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()
