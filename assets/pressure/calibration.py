"""The calibration window and the out-of-sample days: one rule, used by every stage.

The first N expiration days set the alert thresholds and are never scored; every later day
is out of sample. The pressure stage (thresholds, `is_calibration`), the trading stage (the
risk report's days), the validation stage (its statistics) and the reproducibility record
all split the same way through `split_calibration_days`, so they cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

Day = TypeVar("Day")


def split_calibration_days(days: Iterable[Day], calibration_days: int, *,
                           key: Callable[[Day], Any] | None = None) -> tuple[list[Day], list[Day]]:
    """(calibration, scored): the first `calibration_days` days in day order, then the rest.

    `days` are dates, or anything ordered by `key` (e.g. MarketDays by `quote_date`).
    """
    ordered = sorted(days, key=key)
    return ordered[:calibration_days], ordered[calibration_days:]


@dataclass(frozen=True)
class Calibration:
    days: tuple[dt.date, ...]  # the calibration window, never scored
    scored_days: tuple[dt.date, ...]
    thresholds: dict[str, float]

    def as_record(self) -> dict[str, Any]:
        return {
            "calibration_days": len(self.days),
            "first_day": self.days[0].isoformat() if self.days else None,
            "last_day": self.days[-1].isoformat() if self.days else None,
            "first_scored_day": self.scored_days[0].isoformat() if self.scored_days else None,
            "scored_days": len(self.scored_days),
            "thresholds": dict(self.thresholds),
        }
