"""JSON has no NaN or infinity: every statistic leaves the stage as a finite float or None."""

from __future__ import annotations

import math
from typing import Any


def finite_or_none(x: Any) -> float | None:
    """A finite float, or None for a missing or undefined value."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None
