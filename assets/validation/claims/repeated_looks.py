"""Repeated looks: a nightly verdict on a growing sample is a sequential test.

Choice: a pre-registered evaluation horizon (`ValidationConfig.evaluation_horizon_days`),
not alpha spending or an always-valid test. Why: the verdict is a conjunction of a
permutation p-value with win-rate and Sharpe bars; alpha spending needs the joint law of
the p-values across looks (an information-fraction model the permutation null does not
give), and an always-valid (e-value) version would replace the specification's p-value with a
different, less powerful statistic. A horizon keeps the specification's test exact: the verdict is
made once, on the first H scored expiration days; before H is reached it is
INSUFFICIENT_DATA; after it, it is recomputed on those same H days, so later nights cannot
change it. With no horizon configured, the sample at hand is the single planned look (a
batch run on a fixed data set); the package then shows how many looks the warehouse has
recorded, and warns when there were more than one.

Every look (date of the last scored day, scored days, trades, p, verdict) is recorded in
the warehouse (`validation.looks`); re-running the same sample is not a new look.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd

LOOK_COLUMNS: tuple[str, ...] = ("look_date", "n_scored_days", "n_trades", "p_value",
                                 "verdict", "recorded_at")


def horizon_days(oos_days: Sequence[dt.date], horizon: int | None) -> list[dt.date]:
    """The scored days the verdict is made on: the first `horizon` ones (all when None)."""
    ordered = sorted(oos_days)
    return ordered if horizon is None else ordered[:horizon]


def horizon_reached(oos_days: Sequence[dt.date], horizon: int | None) -> bool:
    return horizon is None or len(oos_days) >= horizon


def add_look(looks: pd.DataFrame | None, look: dict[str, Any]) -> pd.DataFrame:
    """The looks table with `look` appended, unless a look at the same sample (same last
    scored day and number of scored days) is already recorded."""
    frame = (pd.DataFrame(columns=list(LOOK_COLUMNS)) if looks is None or looks.empty
             else looks.loc[:, list(LOOK_COLUMNS)])
    same = ((frame["look_date"].astype(str) == str(look["look_date"]))
            & (frame["n_scored_days"].astype(int) == int(look["n_scored_days"])))
    if bool(same.any()):
        return frame.reset_index(drop=True)
    row = pd.DataFrame([look], columns=list(LOOK_COLUMNS))
    return row if frame.empty else pd.concat([frame, row], ignore_index=True)


def looks_section(looks: pd.DataFrame | None, horizon: int | None, n_scored_days: int,
                  current_look_date: str | None) -> dict[str, Any]:
    """The package's `repeated_looks` block: the earlier looks at *other* samples, counted
    with this one. A look at the very same sample (a re-run) is this look, so re-running
    the same data gives the same package; `add_current_look` appends this look's row."""
    frame = looks if looks is not None else pd.DataFrame(columns=list(LOOK_COLUMNS))
    if len(frame):
        same = ((frame["look_date"].astype(str) == str(current_look_date))
                & (frame["n_scored_days"].astype(int) == n_scored_days))
        frame = frame.loc[~same]
    n_looks = int(len(frame)) + 1
    out = {
        "method": ("pre-registered evaluation horizon: the verdict is made once, on the first "
                   "evaluation_horizon_days scored expiration days; INSUFFICIENT_DATA before"),
        "evaluation_horizon_days": horizon,
        "scored_days_available": int(n_scored_days),
        "horizon_reached": horizon is None or n_scored_days >= horizon,
        "n_looks": n_looks,
        # when a look was recorded is the warehouse's business: the package lists what was
        # looked at, so the same samples give the same package
        "looks": [{k: (None if pd.isna(v) else v) for k, v in r.items() if k != "recorded_at"}
                  for r in frame.to_dict(orient="records")],
    }
    if horizon is None:
        out["note"] = ("no horizon configured: this sample is the single planned look"
                       + (f"; WARNING: {n_looks} looks at a growing sample are recorded and "
                          "the verdict is not corrected for them — set "
                          "validation.evaluation_horizon_days" if n_looks > 1 else ""))
    return out


def add_current_look(section: dict[str, Any], look_date: str | None, n_scored_days: int,
                     n_trades: int, p_value: float | None, verdict: str) -> dict[str, Any]:
    """`section` with this look appended to its list (the last entry)."""
    section["looks"].append({"look_date": look_date, "n_scored_days": int(n_scored_days),
                             "n_trades": int(n_trades), "p_value": p_value,
                             "verdict": verdict})
    return section
