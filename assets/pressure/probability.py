"""Pluggable "assignment probability" models for the pressure kernel.

The specification calls it an assignment probability; SPXW is cash-settled, so what a model can
honestly estimate is the chance that the settlement ends at or through a strike (pin / ITM
risk). Two models share one in-place interface (``fill`` writes a (T, K) grid):

- ``specification`` (default): the specification's piecewise-linear function, verbatim. It *is* the
  hypothesis under test, so it is never "improved" here.
- ``itm_normal``: a driftless lognormal N(d2) probability with an intraday volatility
  estimated only from bars before t.

Every model records its name and parameters through ``describe()`` so the evidence package
can say exactly which one produced a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.special import ndtr

from assets.common.config import PressureConfig

MINUTES_PER_YEAR = 252.0 * 390.0  # trading minutes; annualizes 1-minute variances

# The specification's zones: (upper bound on minutes, exclusive; base probability; distance scale).
SPECIFICATION_ZONES: tuple[tuple[float, float, float], ...] = (
    (15.0, 0.8, 10.0),  # crisis zone: minutes < 15
    (45.0, 0.5, 20.0),  # warning zone: 15 <= minutes < 45
    (np.inf, 0.2, 30.0),  # early warning: minutes >= 45
)
SPECIFICATION_FLOOR = 0.1


@dataclass(eq=False, slots=True)
class FloorBand:
    """A floored model's statement that every probability equals its ``floor`` except,
    possibly, the band cells. The arrays are (n, T): column t lists bar t's band cells,
    ``cols`` their strike indices, ``flat`` their row-major indices in the (T, K) grid
    and ``values`` their probabilities. Lets the kernel build the pressure as one outer
    product plus a small correction instead of a full extra pass."""

    cols: np.ndarray
    flat: np.ndarray
    values: np.ndarray


class ProbabilityModel(Protocol):
    name: str
    floor: float | None  # a constant most cells sit at (then fill returns a FloorBand)

    def describe(self) -> dict: ...

    def fill(self, close: np.ndarray, strikes: np.ndarray, distance: np.ndarray,
             minutes: np.ndarray, out: np.ndarray) -> FloorBand | None:
        """Write the (T, K) probabilities into ``out`` (C-contiguous).

        ``close`` (T,) are the bar closes (row t may only use closes at or before t),
        ``distance`` the (T, K) |close - strike| grid already computed by the kernel.
        Returns a ``FloorBand`` when the model has a ``floor``, else None.
        """
        ...


_ZONE_UPPER = np.array([u for u, _, _ in SPECIFICATION_ZONES[:-1]])
_ZONE_BASE = np.array([b for _, b, _ in SPECIFICATION_ZONES])
_ZONE_SCALE = np.array([s for _, _, s in SPECIFICATION_ZONES])
# Distance beyond which a zone's probability is at the floor: (base - floor) * scale,
# widened by a relative 1e-9 so rounding can only add candidates, never drop one.
_ZONE_REACH = (_ZONE_BASE - SPECIFICATION_FLOOR) * _ZONE_SCALE * (1.0 + 1e-9) + 1e-9
_MAX_REACH = float(_ZONE_REACH.max())


def specification_zone(minutes: np.ndarray) -> np.ndarray:
    """Zone index per minute: 0 crisis (< 15), 1 warning (15 <= m < 45), 2 early (>= 45)."""
    return _ZONE_UPPER.searchsorted(np.asarray(minutes, dtype=np.float64), side="right")


@dataclass(frozen=True)
class SpecificationProbability:
    """max(0.1, base - distance / scale) with the specification's three time zones.

    Only a narrow band of strikes around the price is above the 0.1 floor (distance
    below 7, 8 and 3 points in the three zones), so the grid is filled with the floor and
    the exact specification expression is evaluated on that band alone, found per minute with a
    binary search on the (ascending) strikes. Each band cell is computed with the specification's
    own operations (distance / scale, base - decay, max), so values are bit-identical to
    the scalar code; unsorted strikes fall back to the full broadcast.
    """

    name: str = "specification"
    floor: float = SPECIFICATION_FLOOR
    # The zones' distance scales are SPX points: x k on another underlying (x 1.0 is exact,
    # so SPX's values stay bit-identical).
    points_scale: float = 1.0

    def describe(self) -> dict:
        k = self.points_scale
        return {"name": self.name,
                "params": {"zones": [{"minutes_below": (None if np.isinf(u) else u),
                                      "base": b, "distance_scale": s * k}
                                     for u, b, s in SPECIFICATION_ZONES],
                           "floor": SPECIFICATION_FLOOR}}

    def fill(self, close, strikes, distance, minutes, out):
        zone = specification_zone(minutes)
        k = self.points_scale
        base, scale = _ZONE_BASE[zone], _ZONE_SCALE[zone] * k
        n_bars, n_strikes = out.shape
        if n_bars == 0 or n_strikes == 0:
            return FloorBand(*(np.empty((0, n_bars), dtype=d) for d in (np.intp, np.intp, float)))
        gap = float((strikes[1:] - strikes[:-1]).min()) if n_strikes > 1 else np.inf
        if not gap > 0.0:  # unsorted or repeated strikes: no binary search; every cell
            np.divide(distance, scale[:, None], out=out)  # is in the "band"
            np.subtract(base[:, None], out, out=out)
            np.maximum(out, SPECIFICATION_FLOOR, out=out)
            cols = np.broadcast_to(np.arange(n_strikes)[:, None], (n_strikes, n_bars))
            flat = cols + np.arange(0, n_bars * n_strikes, n_strikes)
            return FloorBand(cols, flat, out.ravel()[flat])
        out.fill(SPECIFICATION_FLOOR)
        # Above the floor only where distance < reach; every candidate in the window gets
        # the exact specification expression, so no above-floor cell is missed and no floor cell
        # is altered. No more than 2 * reach / gap + 1 strikes (gap: the smallest strike
        # spacing) fit in [close - reach, close + reach], so a window of n_max strikes from
        # the first candidate covers every zone's band.
        reach = _ZONE_REACH[zone] * k
        n_max = int(min(2.0 * _MAX_REACH * k / gap + 2.0, n_strikes))
        lo = strikes.searchsorted(close - reach)
        # A window of n_max strikes from each minute's first candidate, shifted left at
        # the top of the chain so it stays inside it (it still covers the candidates);
        # laid out (n_max, T) so per-minute coefficients broadcast along contiguous rows.
        # Window cells beyond the candidates are real strikes, for which the exact
        # expression is just as correct, so no masking is needed.
        np.minimum(lo, n_strikes - n_max, out=lo)
        cols = np.arange(n_max)[:, None] + lo
        flat = cols + np.arange(0, n_bars * n_strikes, n_strikes)
        band = distance.ravel()[flat]
        np.divide(band, scale, out=band)
        np.subtract(base, band, out=band)
        np.maximum(band, SPECIFICATION_FLOOR, out=band)
        out.ravel()[flat] = band
        return FloorBand(cols, flat, band)


def ewma_minute_volatility(close: np.ndarray, halflife_minutes: float,
                           floor_annual: float) -> np.ndarray:
    """Per-minute volatility known at each bar t, from the 1-minute log returns of bars
    strictly before t.

    sigma_t^2 = EWMA (pandas ``adjust=True``, i.e. weights normalised over the returns
    available so far, zero-mean RiskMetrics form) of r_i^2 for r_i = ln(c_i / c_{i-1}),
    i <= t - 1. Bars 0 and 1 have no such return and get the floor. The estimate is
    floored at ``floor_annual`` (annualised with 252 x 390 minutes) so a flat opening
    stretch cannot make every strike look unreachable.
    """
    close = np.asarray(close, dtype=np.float64)
    floor_minute = floor_annual / np.sqrt(MINUTES_PER_YEAR)
    sigma = np.full(close.shape, floor_minute)
    if close.shape[0] < 3:
        return sigma
    r2 = np.diff(np.log(close)) ** 2  # r2[j] is the return ending at bar j + 1
    var = pd.Series(r2).ewm(halflife=halflife_minutes, adjust=True).mean().to_numpy()
    # var[j] uses returns ending at bars <= j + 1, so it is known before bar j + 2.
    sigma[2:] = np.sqrt(var[:-1])
    np.maximum(sigma, floor_minute, out=sigma)
    return sigma


@dataclass(frozen=True)
class ItmNormalProbability:
    """Probability that the settlement ends at or through the strike: the driftless
    lognormal N(d2) probability that the option which is out of the money now finishes
    in the money.

    With x = ln(S_t / K) and s = sigma_t * sqrt(minutes_t) (sigma per minute, see
    ``ewma_minute_volatility``; zero rates, which is exact enough intraday):
      K >= S_t (the call is OTM):  P(S_T >= K) = N(d2)  = Phi((x - s^2/2) / s)
      K <  S_t (the put is OTM):   P(S_T <= K) = N(-d2) = Phi((-x + s^2/2) / s)
    i.e. Phi(-|x|/s - q s/2) with q = +1 at or above the price, -1 below. It is ~1/2 at
    the money, falls with distance, and (away from the money) rises with time left and
    volatility. At s = 0 (the session's last bar) it is the limit: 1 when the close sits
    exactly on the strike, else 0. Unlike the specification's function it has no floor, so far
    strikes carry ~no pressure.
    """

    vol_halflife_minutes: float
    vol_floor_annual: float
    name: str = "itm_normal"
    floor: None = None

    def describe(self) -> dict:
        return {"name": self.name,
                "params": {"vol_halflife_minutes": self.vol_halflife_minutes,
                           "vol_floor_annual": self.vol_floor_annual,
                           "minutes_per_year": MINUTES_PER_YEAR,
                           "volatility": "EWMA of squared 1-minute log returns of bars "
                                         "before t (pandas adjust=True), floored"}}

    def fill(self, close, strikes, distance, minutes, out):
        close = np.asarray(close, dtype=np.float64)
        sigma = ewma_minute_volatility(close, self.vol_halflife_minutes,
                                       self.vol_floor_annual)
        s = sigma * np.sqrt(np.clip(minutes, 0.0, None))
        log_strikes = np.log(strikes)
        x = np.subtract.outer(np.log(close), log_strikes)  # ln(S/K), (T, K)
        q = np.where(x <= 0.0, 1.0, -1.0)  # +1: strike at/above the price (call side)
        live = s > 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            z = -np.abs(x) / s[:, None] - q * (0.5 * s)[:, None]
        ndtr(z, out=out)
        if not live.all():
            dead = ~live
            out[dead] = (x[dead] == 0.0).astype(np.float64)
        return None


PROBABILITY_MODELS: tuple[str, ...] = ("specification", "itm_normal")


def probability_model(cfg: PressureConfig) -> ProbabilityModel:
    """The model named by ``cfg.probability_model``."""
    name = cfg.probability_model
    if name == "specification":
        return SpecificationProbability(points_scale=float(cfg.specification_points_scale))
    if name == "itm_normal":
        return ItmNormalProbability(vol_halflife_minutes=float(cfg.vol_halflife_minutes),
                                    vol_floor_annual=float(cfg.vol_floor_annual))
    raise ValueError(f"unknown probability model {name!r}; expected one of "
                     f"{PROBABILITY_MODELS}")
