"""Databento DBN files (read with `databento.DBNStore`) → canonical chains and bars.

File names (landing zone):
- chains: `landing/chains/YYYY-MM-DD.dbn[.zst]` holding both `definition` and `statistics`
  records, or the pair `YYYY-MM-DD.definition.dbn[.zst]` + `YYYY-MM-DD.statistics.dbn[.zst]`;
  Databento's own batch names `<dataset>-YYYYMMDD.<schema>.dbn[.zst]` are accepted too.
  All of a day's DBN files are read together.
- bars: `landing/bars/YYYY-MM-DD.ohlcv-1m.dbn[.zst]` or `<dataset>-YYYYMMDD.ohlcv-1m.dbn[.zst]`.

Chains (OPRA): open interest is a `statistics` record with `stat_type` 9 (OPEN_INTEREST,
`quantity` = contracts) joined on `instrument_id` to the latest `definition` record
(`strike_price`, `expiration`, `instrument_class` C/P, `underlying`). Kept contracts:
`instrument_class` C or P, root (the OSI symbol's first six characters, else `asset`) in
`cfg.ingestion.roots` with the same first-root-wins rule as the Cboe adapter, and an
expiration falling on the file's day (New York date). No lookahead: only OI records
received (`ts_recv`) before that day's session open are used, the latest per instrument;
OI updates received after the open are ignored and contracts without a pre-open OI are
dropped, both counted in the notes. `volume`, `bid`, `ask`, `implied_volatility` and
`underlying_price` are left empty (OPRA statistics carry none of them for the day).
`source_row` is the 1-based position of the OI record among its file's statistics records.

Bars: `ohlcv-1m` records; `ts_event` is the bar's start (ns since the epoch, UTC). A
futures file covers the whole Globex day, so bars outside the exchange session
`[open, close)` are dropped (counted in the notes). When a file holds several instruments
(e.g. a parent symbol with every contract month), the one with the largest volume inside
the session is kept (the front month on any normal day). `symbol` comes from the file's
symbology mappings, else its only requested symbol, else the instrument id.
Prices everywhere are fixed-point integers scaled by 1e-9; `UNDEF_PRICE` becomes empty.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from assets.common import calendar
from assets.common.config import LabConfig
from assets.ingestion.adapters import Adapter
from assets.ingestion.contract import LandingRead, normalize_bars, normalize_chains
from assets.ingestion.errors import LandingFileError
from assets.ingestion.instruments import classify
from assets.ingestion.placebo_days import scored_expiration

STAT_OPEN_INTEREST = 9
STAT_ACTION_NEW = 1
_UNDEF_PRICE = np.iinfo(np.int64).max
_UNDEF_TS = np.iinfo(np.uint64).max
_PREFIX = r"(?:[A-Za-z0-9._]+(?:-[A-Za-z0-9._]+)*-)?"
_DAY = r"(?P<day>\d{4}-\d{2}-\d{2}|\d{8})"
_CHAIN_NAME = re.compile(_PREFIX + _DAY + r"(?:\.(?:definition|statistics))?\.dbn(?:\.zst)?")
_BAR_NAME = re.compile(_PREFIX + _DAY + r"\.ohlcv-1m\.dbn(?:\.zst)?")


def open_store(path: Path):
    """`DBNStore.from_file` with its failure modes mapped to `LandingFileError`."""
    import databento as db

    name = str(path)
    if path.stat().st_size == 0:
        raise LandingFileError(name, None, "empty", "the file is empty (0 bytes)")
    try:
        return db.DBNStore.from_file(path)
    except Exception as exc:  # BentoError, DBNError, ValueError: all mean "not DBN"
        raise LandingFileError(name, None, "dbn",
                               f"not a readable DBN file ({type(exc).__name__}: {exc})"
                               ) from None


def records(store, path: Path, schema: str) -> np.ndarray:
    """All records of one schema as a structured array; a truncated file raises."""
    name = str(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if store.schema is None or str(store.schema) == schema:
                array = store.to_ndarray(schema=schema)
            else:
                array = None
        except Exception as exc:
            raise LandingFileError(name, None, "dbn",
                                   f"cannot decode {schema} records ({type(exc).__name__}: "
                                   f"{exc})") from None
    for w in caught:
        if "truncated" in str(w.message).lower() or "incomplete" in str(w.message).lower():
            raise LandingFileError(name, None, "truncated",
                                   f"the DBN file is truncated: {w.message}")
    if array is None:
        return np.empty(0)
    return np.asarray(array).reshape(-1)


def _text(values: np.ndarray) -> np.ndarray:
    return np.array([v.decode("utf-8", "replace").strip("\x00 ") if isinstance(v, bytes)
                     else str(v).strip() for v in values], dtype=object)


def _prices(values: np.ndarray) -> np.ndarray:
    out = values.astype(np.float64) / 1e9  # division: exact for whole ticks, unlike * 1e-9
    out[values == _UNDEF_PRICE] = np.nan
    return out


def _session(day: dt.date, cfg: LabConfig, name: str) -> calendar.Session:
    sess = calendar.session(day, cfg.calendar.exchange)
    if sess is None:
        raise LandingFileError(name, None, "no_session",
                               f"{day} is not a {cfg.calendar.exchange} trading session")
    return sess


def _root(raw_symbol: str, asset: str) -> str:
    # OSI option symbol: 6-char space-padded root, YYMMDD, C/P, 8-digit strike x 1000.
    if len(raw_symbol) == 21 and raw_symbol[12] in "CP":
        return raw_symbol[:6].strip()
    return asset


def _read_chains(paths: list[Path], day: dt.date, cfg: LabConfig) -> LandingRead:
    open_ns = _session(day, cfg, str(paths[0])).open.value
    defs, stats = [], []
    for path in paths:
        store = open_store(path)
        d = records(store, path, "definition")
        s = records(store, path, "statistics")
        if store.schema is not None and str(store.schema) not in ("definition", "statistics"):
            raise LandingFileError(path, None, "dbn_schema",
                                   f"schema {store.schema} in a chains file; expected "
                                   "definition and/or statistics records")
        if d.size:
            defs.append(pd.DataFrame({
                "instrument_id": d["instrument_id"].astype(np.int64),
                "ts_recv": d["ts_recv"].astype(np.uint64),
                "raw_symbol": _text(d["raw_symbol"]), "asset": _text(d["asset"]),
                "underlying": _text(d["underlying"]),
                "instrument_class": _text(d["instrument_class"]),
                "strike": _prices(d["strike_price"].astype(np.int64)),
                "expiration_ns": d["expiration"].astype(np.uint64)}))
        if s.size:
            stats.append(pd.DataFrame({
                "instrument_id": s["instrument_id"].astype(np.int64),
                "ts_recv": s["ts_recv"].astype(np.uint64),
                "stat_type": s["stat_type"].astype(np.int64),
                "update_action": s["update_action"].astype(np.int64),
                "quantity": s["quantity"].astype(np.int64),
                "source_file": str(path),
                "source_row": np.arange(1, s.size + 1, dtype=np.int64)}))
    files = [str(p) for p in paths]
    if not defs:
        raise LandingFileError(paths[0], None, "dbn_definitions",
                               f"no definition records for {day} in {[p.name for p in paths]}")
    if not stats:
        raise LandingFileError(paths[0], None, "dbn_statistics",
                               f"no statistics records for {day} in {[p.name for p in paths]}")
    definitions = (pd.concat(defs, ignore_index=True).sort_values("ts_recv", kind="stable")
                   .drop_duplicates("instrument_id", keep="last"))
    statistics = pd.concat(stats, ignore_index=True)
    rows_in_files = len(definitions) + len(statistics)

    valid_exp = definitions["expiration_ns"] != _UNDEF_TS
    exp_dates = pd.Series(pd.NaT, index=definitions.index, dtype="datetime64[ns]")
    exp_dates[valid_exp] = (pd.to_datetime(definitions.loc[valid_exp, "expiration_ns"]
                                           .astype(np.int64), utc=True)
                            .dt.tz_convert(calendar.EXCHANGE_TZ).dt.tz_localize(None).dt.normalize())
    definitions["expiration"] = exp_dates
    definitions["root"] = [_root(r, a) for r, a in zip(definitions["raw_symbol"],
                                                       definitions["asset"], strict=False)]
    roots = list(cfg.ingestion.roots)
    options = definitions[definitions["instrument_class"].isin(["C", "P"])]
    expiring = options[options["expiration"] == pd.Timestamp(scored_expiration(day, cfg))]
    kept = expiring[expiring["root"].isin(roots)]
    notes = [f"{len(definitions)} instruments defined; {len(expiring)} options expire {day}; "
             f"{len(kept)} of roots {roots}"]
    if len(kept):
        chosen = next(r for r in roots if (kept["root"] == r).any())
        dropped = int((kept["root"] != chosen).sum())
        if dropped:
            notes.append(f"root {chosen} used; {dropped} expiring contracts of other roots "
                         "dropped (never mix AM/PM-settled series)")
        kept = kept[kept["root"] == chosen]

    oi = statistics[(statistics["stat_type"] == STAT_OPEN_INTEREST)
                    & (statistics["update_action"] == STAT_ACTION_NEW)]
    late = oi["ts_recv"].astype(np.int64) >= open_ns
    if late.any():
        notes.append(f"{int(late.sum())} open-interest records received after the "
                     f"{day} open ignored (no lookahead)")
    oi = (oi[~late].sort_values("ts_recv", kind="stable")
          .drop_duplicates("instrument_id", keep="last"))
    joined = kept.merge(oi, on="instrument_id", how="left", suffixes=("", "_stat"))
    no_oi = joined["quantity"].isna()
    if no_oi.any():
        notes.append(f"{int(no_oi.sum())} expiring contracts without a pre-open "
                     "open-interest record dropped")
    joined = joined[~no_oi]
    quantity = joined["quantity"].astype(np.float64)
    quantity[joined["quantity"] == np.iinfo(np.int64).max] = np.nan
    underlying = joined["underlying"].where(joined["underlying"] != "",
                                            cfg.ingestion.underlying)
    mapped = pd.DataFrame({
        "quote_date": pd.Timestamp(day), "underlying": underlying.to_numpy(),
        "root": joined["root"].to_numpy(), "expiration": joined["expiration"].to_numpy(),
        "strike": joined["strike"].to_numpy(),
        "option_type": joined["instrument_class"].to_numpy(),
        "open_interest": quantity.to_numpy(),
    })
    # Lineage: the OI record's file and position (definitions may sit in another file).
    source_files = joined["source_file"].to_numpy()
    out = normalize_chains(mapped, source_file=files[0], day=day,
                           source_row=joined["source_row"].to_numpy())
    out["source_file"] = source_files if len(out) else out["source_file"]
    return LandingRead("chains", day, "databento", files, out, rows_in_files, notes)


def _symbol_for(store, instrument_id: int, day: dt.date) -> str:
    for symbol, intervals in (store.mappings or {}).items():
        for iv in intervals:
            end = max(iv["end_date"], iv["start_date"] + dt.timedelta(1))
            if str(iv.get("symbol")) == str(instrument_id) and iv["start_date"] <= day < end:
                return symbol
    requested = list(store.symbols or [])
    return requested[0] if len(requested) == 1 else str(instrument_id)


def _read_bars(paths: list[Path], day: dt.date, cfg: LabConfig,
               symbol: str | None = None) -> LandingRead:
    """The session's bars of the most traded instrument, or of `symbol` when given (the
    basis of a futures day needs the same contract on the previous session, also on a roll
    day when another month already trades more)."""
    if len(paths) != 1:
        raise LandingFileError(paths[0], None, "ambiguous_source",
                               f"{len(paths)} ohlcv-1m files for {day}: {[p.name for p in paths]}")
    path = paths[0]
    store = open_store(path)
    if store.schema is not None and str(store.schema) != "ohlcv-1m":
        raise LandingFileError(path, None, "dbn_schema",
                               f"schema {store.schema} in a bars file; expected ohlcv-1m")
    rec = records(store, path, "ohlcv-1m")
    if rec.size == 0:
        raise LandingFileError(path, None, "no_rows", "the file has no ohlcv-1m records")
    sess = _session(day, cfg, str(path))
    frame = pd.DataFrame({
        "instrument_id": rec["instrument_id"].astype(np.int64),
        "ts": pd.to_datetime(rec["ts_event"].astype(np.int64), utc=True),
        "open": _prices(rec["open"].astype(np.int64)),
        "high": _prices(rec["high"].astype(np.int64)),
        "low": _prices(rec["low"].astype(np.int64)),
        "close": _prices(rec["close"].astype(np.int64)),
        "volume": rec["volume"].astype(np.float64),
        "source_row": np.arange(1, rec.size + 1, dtype=np.int64)})
    inside = (frame["ts"] >= sess.open) & (frame["ts"] < sess.close)
    notes = [f"{len(frame)} records; {int(inside.sum())} inside the session "
             f"[{sess.open:%H:%M}, {sess.close:%H:%M}) UTC"]
    frame = frame[inside]
    if symbol is not None:
        ids = [i for i in frame["instrument_id"].unique()
               if _symbol_for(store, int(i), day) == symbol]
        if not ids:
            raise LandingFileError(path, None, "basis_reference",
                                   f"no {symbol} bars inside the {day} session")
        frame = frame[frame["instrument_id"] == ids[0]]
    if frame["instrument_id"].nunique() > 1:
        volumes = frame.groupby("instrument_id")["volume"].sum().sort_values(ascending=False)
        notes.append(f"{len(volumes)} instruments; kept {volumes.index[0]} (largest session "
                     f"volume), dropped {list(volumes.index[1:])}")
        frame = frame[frame["instrument_id"] == volumes.index[0]]
    if len(frame) == 0:
        raise LandingFileError(path, None, "no_rows",
                               f"no ohlcv-1m record inside the {day} session")
    symbol = _symbol_for(store, int(frame["instrument_id"].iloc[0]), day)
    frame = frame.assign(symbol=symbol)
    out = normalize_bars(frame, source_file=str(path), day=day,
                         source_row=frame["source_row"].to_numpy())
    dataset = str(store.dataset or "")
    instrument = classify(symbol, day, dataset=dataset or None,
                          source=f"symbology of dataset {dataset or 'unknown'}")
    return LandingRead("bars", day, "databento", [str(path)], out, int(rec.size), notes,
                       instrument)


def read_bars_of(paths: list[Path], day: dt.date, cfg: LabConfig, symbol: str) -> LandingRead:
    """One contract's bars from a day's ohlcv-1m file (see `_read_bars`)."""
    return _read_bars(paths, day, cfg, symbol)


def _chain_examples(day: dt.date) -> list[str]:
    return [f"{day.isoformat()}.dbn.zst",
            f"{day.isoformat()}.definition.dbn.zst + {day.isoformat()}.statistics.dbn.zst"]


def _bar_examples(day: dt.date) -> list[str]:
    return [f"{day.isoformat()}.ohlcv-1m.dbn.zst"]


ADAPTERS = (
    Adapter("databento", "chains", (_CHAIN_NAME,),
            "YYYY-MM-DD[.definition|.statistics].dbn[.zst] | <dataset>-YYYYMMDD.<schema>.dbn[.zst]",
            _chain_examples, _read_chains, multi_file=True,
            oi_timing="latest OPRA OI statistic received before D's open -> day D"),
    Adapter("databento", "bars", (_BAR_NAME,),
            "YYYY-MM-DD.ohlcv-1m.dbn[.zst] | <dataset>-YYYYMMDD.ohlcv-1m.dbn[.zst]",
            _bar_examples, _read_bars),
)
