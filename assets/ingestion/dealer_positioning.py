"""The optional dealer-positioning file: `landing/dealer_positioning.csv`.

Columns: `date` (YYYY-MM-DD), `dealer_net` (a signed number: > 0 dealers net long, < 0 net
short, in whatever unit the user's source gives, e.g. signed dealer gamma or the dealers'
net open interest from a Cboe Open-Close file), and optionally `strike`. The row dated D
must be known before D's open (e.g. built from D-1's Open-Close file). A day's position is
the sum of its rows; only its sign is used (the `dealer_positioning` regime). Without the
file the package says the sign is unknown.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd

FILE_NAME = "dealer_positioning.csv"
REQUIRED = ("date", "dealer_net")


class DealerFileError(ValueError):
    """A dealer-positioning file that breaks a rule (names the file, the row and the rule)."""


def read_dealer_positioning(path: str | Path) -> dict[dt.date, float]:
    """Day -> net dealer position (sum of its rows). Raises `DealerFileError`."""
    path = Path(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DealerFileError(f"file={path}; row=header; rule=dealer_columns: missing "
                              f"column(s) {', '.join(missing)} (need date, dealer_net[, strike])")
    out: dict[dt.date, float] = {}
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        try:
            day = dt.date.fromisoformat(str(row.date).strip())
        except ValueError:
            raise DealerFileError(f"file={path}; row={i}; rule=dealer_date: {row.date!r} is "
                                  "not a YYYY-MM-DD date") from None
        try:
            value = float(str(row.dealer_net).strip())
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise DealerFileError(f"file={path}; row={i}; rule=dealer_net_number: "
                                  f"{row.dealer_net!r} is not a finite number")
        out[day] = out.get(day, 0.0) + value
    return out


def dealer_file(landing: str | Path) -> Path | None:
    path = Path(landing) / FILE_NAME
    return path if path.exists() else None
