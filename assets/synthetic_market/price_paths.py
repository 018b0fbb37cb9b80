"""Intraday price paths of the synthetic market: U-shaped noise plus an optional steering force.

A day's path is simulated on a sub-minute grid (`SUBSTEPS_PER_MINUTE` steps per minute) so
that 1-minute OHLC bars come out of one continuous path and are consistent by construction.
The noise is geometric (log increments), the steering force is additive (index points per
minute). The force acts only late in the session (see `urgency`), so the early part of a day
is a plain cumulative product and only the last `STEERING_HORIZON_MINUTES` need a sequential
loop; that keeps a year of days at a few seconds on one core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SUBSTEPS_PER_MINUTE = 10
REGULAR_SESSION_MINUTES = 390
TRADING_DAYS_PER_YEAR = 252
# Share of the close-to-close variance that happens overnight (close -> next open).
OVERNIGHT_VARIANCE_SHARE = 0.2
# The steering force starts this many minutes before the close and ramps up quadratically.
STEERING_HORIZON_MINUTES = 120.0
# Half-width (points) of the region around a strike where its OI pushes or pulls the price.
STEERING_WIDTH_POINTS = 5.0
# Total OI (calls + puts) of a strike whose force at full urgency is `strength` points/min.
STEERING_REFERENCE_OI = 10_000.0


def _raw_profile(minutes_since_open: np.ndarray, minutes_to_close: np.ndarray) -> np.ndarray:
    # High at the open, low at midday, rising into the close: the usual intraday U.
    return 0.75 + 1.0 * np.exp(-minutes_since_open / 30.0) + 0.45 * np.exp(-minutes_to_close / 45.0)


def _regular_rms() -> float:
    t = np.arange(REGULAR_SESSION_MINUTES) + 0.5
    raw = _raw_profile(t, REGULAR_SESSION_MINUTES - t)
    return float(np.sqrt(np.mean(raw**2)))


_REGULAR_RMS = _regular_rms()


def intraday_vol_profile(minutes: int) -> np.ndarray:
    """Per-minute volatility multiplier of a session of `minutes` minutes.

    Normalised so that a regular 390-minute session has mean squared multiplier 1: a regular
    day's intraday variance is exactly the budget, an early close gets proportionally less.
    """
    t = np.arange(minutes) + 0.5
    return _raw_profile(t, minutes - t) / _REGULAR_RMS


def urgency(minutes_to_close: np.ndarray, horizon: float = STEERING_HORIZON_MINUTES) -> np.ndarray:
    """Steering intensity in [0, 1]: 0 until `horizon` minutes before the close, then
    (1 - tau/horizon)^2, reaching 1 at the close. Zero early in the day by design: the
    hypothesis is about the approach of expiration, not about the whole session."""
    tau = np.asarray(minutes_to_close, dtype=float)
    return np.clip(1.0 - tau / horizon, 0.0, 1.0) ** 2


@dataclass(frozen=True)
class SteeringForce:
    """Repulsion (sign +1) from strikes, proportional to their open interest.

    force(S) = sum_j w_j * phi((S - K_j) / h), phi(x) = x * exp((1 - x^2) / 2),
    w_j = total OI of strike j / `STEERING_REFERENCE_OI`. phi peaks at 1 when |S - K_j| = h
    and vanishes far away, so only nearby strikes act. A lattice of equal OI cancels out
    (phi is odd and h equals the strike spacing); what moves the price is OI *concentration*.
    """

    strikes: np.ndarray
    weights: np.ndarray
    width: float = STEERING_WIDTH_POINTS

    def __call__(self, price: np.ndarray) -> np.ndarray:
        price = np.asarray(price, dtype=float)
        x = (price[..., None] - self.strikes) / self.width
        return (self.weights * x * np.exp(0.5 * (1.0 - x * x))).sum(axis=-1)

    def table(self, lo: float, hi: float, step: float = 0.1) -> tuple[float, float, np.ndarray]:
        """The force on a regular price grid covering [lo, hi]: (origin, step, values).

        When the strikes sit on a regular lattice (always, for the synthetic chain) the grid
        is one small matrix product: grid point `origin + (i*m + r)*step` sees the strike at
        lattice offset q through phi((r*step - q*spacing)/h), a table shared by all i.
        """
        strikes = np.sort(self.strikes)
        order = np.argsort(self.strikes)
        spacing = float(np.min(np.diff(strikes))) if strikes.size > 1 else 0.0
        per = int(round(spacing / step)) if spacing > 0 else 0
        on_lattice = per > 0 and np.allclose((strikes - strikes[0]) / spacing,
                                             np.rint((strikes - strikes[0]) / spacing), atol=1e-9)
        if not on_lattice:
            grid = np.arange(lo, hi + step, step)
            return lo, step, self(grid)
        step = spacing / per
        reach = int(np.ceil(8.0 * self.width / spacing))
        origin = strikes[0] + spacing * np.floor((lo - strikes[0]) / spacing)
        cells = int(np.ceil((hi - origin) / spacing)) + 1
        index = np.rint((strikes - origin) / spacing).astype(int) + reach
        dense = np.zeros(cells + 2 * reach + 1)
        inside = (index >= 0) & (index < dense.size)
        np.add.at(dense, index[inside], self.weights[order][inside])
        q = np.arange(-reach, reach + 1)
        x = (np.arange(per)[None, :] * step - q[:, None] * spacing) / self.width
        phi = x * np.exp(0.5 * (1.0 - x * x))  # (2*reach+1, per)
        windows = np.lib.stride_tricks.sliding_window_view(dense, 2 * reach + 1)[:cells]
        return float(origin), step, (windows @ phi).ravel()


def simulate_path(p0: float, log_increments: np.ndarray, push_per_step: np.ndarray,
                  force: SteeringForce | None, grid_step: float = 0.1) -> np.ndarray:
    """Price at every sub-step boundary, shape (N + 1,), starting at p0.

    P[k+1] = P[k] * exp(e_k) + c_k * force(P[k]). The push uses only what is known at sub-step
    k: the current price, the day's OI (inside `force`) and the minutes left (inside c_k).
    Where c_k == 0 the path is a plain cumulative product (vectorised); the sequential part
    reads the force from a fine grid (linear interpolation) and falls back to the exact
    formula if the price ever leaves the grid.
    """
    log_increments = np.asarray(log_increments, dtype=float)
    growth = np.exp(log_increments)
    push = np.asarray(push_per_step, dtype=float)
    n = growth.shape[0]
    path = np.empty(n + 1)
    path[0] = p0
    active = np.flatnonzero(push != 0.0) if force is not None else np.empty(0, dtype=int)
    k0 = int(active[0]) if active.size else n
    if k0 > 0:
        path[1:k0 + 1] = p0 * np.cumprod(growth[:k0])
    if k0 == n:
        return path

    s = float(path[k0])
    spread = s * float(np.sqrt(np.sum(log_increments[k0:] ** 2)))
    reach = 6.0 * spread + 6.0 * force.width
    lo, step, values = force.table(s - reach, s + reach, grid_step)
    table = values.tolist()
    last = len(table) - 2
    inv = 1.0 / step
    g = growth[k0:].tolist()
    c = push[k0:].tolist()
    out = [0.0] * len(g)
    for i, (gk, ck) in enumerate(zip(g, c, strict=False)):
        pos = (s - lo) * inv
        j = int(pos) if pos >= 0.0 else -1
        if 0 <= j <= last:
            f = table[j] + (pos - j) * (table[j + 1] - table[j])
        else:
            f = float(force(np.array([s]))[0])
        s = s * gk + ck * f
        out[i] = s
    path[k0 + 1:] = out
    return path


def bars_from_path(path: np.ndarray, substeps: int = SUBSTEPS_PER_MINUTE) -> tuple[np.ndarray, ...]:
    """1-minute OHLC from a sub-step path of length minutes*substeps + 1.

    Bar i covers path points i*substeps .. (i+1)*substeps (both ends), so the high and low
    include the open and the close and consecutive bars share their boundary price.
    """
    minutes = (path.shape[0] - 1) // substeps
    if minutes * substeps + 1 != path.shape[0]:
        raise ValueError("path length must be minutes * substeps + 1")
    body = path[:-1].reshape(minutes, substeps)
    ends = path[substeps::substeps]
    open_ = body[:, 0]
    high = np.maximum(body.max(axis=1), ends)
    low = np.minimum(body.min(axis=1), ends)
    return open_, high, low, ends


def per_minute_sigma(annual_vol: float) -> float:
    """Log-return sd of one average regular-session minute."""
    intraday = annual_vol * math.sqrt(1.0 - OVERNIGHT_VARIANCE_SHARE)
    return intraday / math.sqrt(TRADING_DAYS_PER_YEAR * REGULAR_SESSION_MINUTES)
