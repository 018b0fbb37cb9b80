"""In a per-underlying landing zone, every file must be of its folder's underlying.

`landing/SPX/` holds SPX chains and SPX (or ES/MES, moved by a basis) bars only; an SPY
file there is refused naming both the file's underlying and the folder's, before any
price-level rule runs (those then apply per underlying as before: SPY bars in
`landing/SPY/` pass, SPX bars there fail). The file's underlying is the chain's
`underlying` column, the bars' `symbol` (vendor prefixes removed; a future by its root).
The flat single-underlying layout keeps its old rules only.
"""

from __future__ import annotations

from assets.common.config import LabConfig
from assets.common.instruments import BUILT_IN
from assets.common.scaling import scoped_underlying
from assets.ingestion.contract import LandingRead
from assets.ingestion.errors import LandingFileError
from assets.ingestion.instruments import bare, future_root

RULE = "folder_underlying"


def _allowed(underlying: str) -> tuple[set[str], set[str]]:
    inst = BUILT_IN.get(underlying)
    symbols = {underlying, *(inst.bar_symbols if inst else ())}
    return symbols, set(inst.futures_roots if inst else ())


def check(read: LandingRead, cfg: LabConfig) -> None:
    """Raise when a scoped read is not of its folder's underlying (no-op unscoped)."""
    folder = scoped_underlying(cfg)
    if folder is None or read.frame.empty:
        return
    column = "underlying" if read.kind == "chains" else "symbol"
    if column not in read.frame.columns:
        return
    values = read.frame[column].dropna().astype(str)
    symbols, roots = _allowed(folder)
    for value in values.unique():
        name = bare(value)
        if name in symbols or (read.kind == "bars" and future_root(name) in roots):
            continue
        row = values.index[values.to_numpy() == value][0]
        source_row = (int(read.frame.at[row, "source_row"])
                      if "source_row" in read.frame.columns else None)
        file = (str(read.frame.at[row, "source_file"]) if "source_file" in read.frame.columns
                else read.files[0])
        what = "chain's underlying" if read.kind == "chains" else "bars' symbol"
        raise LandingFileError(
            file, source_row, RULE,
            f"the {what} is {value} but the file is in landing/{folder}/, the folder of "
            f"underlying {folder}: move it to landing/{name}/ (each underlying has its own "
            "folder)")
