"""Per-underlying landing zones for tests, made from a flat synthetic SPX landing zone.

`spx_to_folder` moves `landing/chains|bars` to `landing/SPX/`; `spy_from_spx` writes a
tenth-scale copy as SPY (prices / 10, only the whole-dollar strikes of the tenth, OI x 10:
the same notional, the same path), with `underlying`/`symbol`/`root` columns naming SPY.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd


def spx_to_folder(landing: Path) -> Path:
    target = landing / "SPX"
    target.mkdir(parents=True, exist_ok=True)
    for kind in ("chains", "bars"):
        shutil.move(str(landing / kind), str(target / kind))
    return target


def spy_from_spx(spx: Path, out: Path, factor: float = 0.1) -> Path:
    for kind in ("chains", "bars"):
        (out / kind).mkdir(parents=True, exist_ok=True)
    for f in sorted((spx / "chains").glob("*.csv")):
        c = pd.read_csv(f)
        c["strike"] = (c["strike"] * factor).round(6)
        c = c[(c["strike"] % 1.0).abs() < 1e-9].copy()
        for col in ("bid", "ask", "underlying_price"):
            c[col] = (c[col] * factor).round(4)
        c["open_interest"] = (c["open_interest"] * round(1 / factor)).astype(int)
        c["underlying"], c["root"] = "SPY", "SPY"
        c.to_csv(out / "chains" / f.name, index=False)
    for f in sorted((spx / "bars").glob("*.csv")):
        b = pd.read_csv(f)
        for col in ("open", "high", "low", "close"):
            b[col] = (b[col] * factor).round(4)
        b["symbol"] = "SPY"
        b.to_csv(out / "bars" / f.name, index=False)
    return out
