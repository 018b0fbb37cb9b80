"""The specification's pressure score on a whole day at once: minutes x strikes, one broadcast.

For every bar t and strike k of the expiring chain (the specification's per-strike loop, without
the loop):

    total_oi[k]       = call_oi[k] + put_oi[k]            (OI known before the open)
    distance[t, k]    = |close[t] - strike[k]|
    minutes[t]        = day.minutes_to_expiry[t]           (from the *end* of bar t to the
                                                             real close; see
                                                             assets.common.calendar.minutes_to_close)
    probability[t, k] = model(distance, minutes, closes up to t)   (specification piecewise default)
    pressure[t, k]    = total_oi[k] * probability[t, k] / max(1, minutes[t]^2)

Row t depends only on bar t's close, its minutes left, the opening OI and (itm_normal)
closes before t, so the grid is causal by construction: truncating the day after t leaves
rows 0..t unchanged, bit for bit (tested).

Exactness: distance and probability are bit-identical to the specification's scalar code; the
pressure is computed as (p / max(1, m^2)) x OI, within a few ulps (relative ~1e-16) of
the specification's (OI x p) / max(1, m^2).

Speed (benchmarks/bench_pressure.py): the work is three float64 (T, K) outputs, so the
kernel is bound by writing them, not by arithmetic. Both outer products (close - strike
and OI / m^2) are BLAS rank-1 updates (``rank_one_update``), exact by construction; the
specification's probability is 0.1 everywhere but a band of a few strikes around the price, so it
is a fill plus an exact evaluation on that band (``SpecificationProbability.fill``), and the
pressure needs a correction on the same band only. No Python loop runs over minutes or strikes;
nothing of size (T, K) is allocated besides the outputs, and ``GridWorkspace`` lets a
day-by-day caller reuse even those.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from scipy.linalg.blas import dger as _dger

from assets.common.config import PressureConfig
from assets.common.market_day import MarketDay
from assets.pressure.probability import ProbabilityModel, probability_model


@dataclass(eq=False, slots=True)
class PressureGrid:
    """One day's pressure surface (read-only by convention; not frozen because a frozen
    dataclass's __init__ alone costs a few percent of the kernel). Arrays are (T, K) =
    (bars, strikes) unless noted."""

    quote_date: dt.date
    strikes: np.ndarray  # (K,)
    close: np.ndarray  # (T,)
    minutes: np.ndarray  # (T,) minutes to expiry after each bar
    total_oi: np.ndarray  # (K,)
    distance: np.ndarray
    probability: np.ndarray
    pressure: np.ndarray
    model: ProbabilityModel | None = None  # model.describe() names it and its params

    @property
    def shape(self) -> tuple[int, int]:
        return self.pressure.shape  # type: ignore[return-value]

    def row_max_index(self) -> np.ndarray:
        """(T,) strike index of each minute's largest pressure (first on ties)."""
        if self.pressure.shape[1] == 0:
            return np.zeros(self.pressure.shape[0], dtype=np.intp)
        return np.argmax(self.pressure, axis=1)


def pressure_divisor(minutes: np.ndarray) -> np.ndarray:
    """The specification's max(1, minutes^2): time decay that never divides by less than one."""
    minutes = np.asarray(minutes, dtype=np.float64)
    return np.maximum(minutes * minutes, 1.0)


def rank_one_update(out: np.ndarray, row_values: np.ndarray, col_values: np.ndarray) -> None:
    """out[t, k] += row_values[t] * col_values[k], in place, through BLAS ``dger``.

    ``out`` must be C-contiguous: its transpose is then the Fortran-ordered (K, T) matrix
    dger updates without a copy. Each cell gets one product added to its value, and in
    both uses below one of the two steps is exact (a product by 1, or an addition to 0),
    so each cell is a single correctly rounded operation, bit for bit. Measured on a
    (390, 250) grid, initialising rows + dger writes the block ~1.5x faster than a gemm
    and ~2x faster than numpy's broadcast operators (which re-enter their inner loop once
    per row).
    """
    result = _dger(1.0, col_values, row_values, a=out.T, overwrite_a=True)
    if not np.may_share_memory(result, out):  # never expected; keep the result anyway
        np.copyto(out, result.T)


def absolute_difference(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out[t, k] = |a[t] - b[k]|, bit for bit: rows of -b, + a[t] x 1, then abs."""
    np.copyto(out, -b)
    rank_one_update(out, a, np.ones(b.shape[0]))
    return np.abs(out, out=out)


def outer_product(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out[t, k] = a[t] * b[k], bit for bit: zeros, then + a[t] x b[k]."""
    out.fill(0.0)
    rank_one_update(out, a, b)
    return out


class GridWorkspace:
    """Reusable memory for ``pressure_grid`` when days are processed one at a time.

    Three fresh (T, K) arrays cost ~600 page faults a day, which on a VM can take longer
    than the arithmetic. A workspace keeps one flat buffer (grown when a larger day comes
    along) and hands out views of it, so a stream of days touches the same warm pages.
    The price: a grid built in a workspace is overwritten by the next call with the same
    workspace, so keep only what you copy out of it (alerts, stored cells and calibration
    pools all copy).
    """

    def __init__(self) -> None:
        self._buffer = np.empty(0)
        self._shape: tuple[int, int] | None = None
        self._views: tuple[np.ndarray, ...] = ()

    def arrays(self, n_bars: int, n_strikes: int) -> tuple[np.ndarray, ...]:
        """Three C-contiguous (T, K) views: distance, probability, pressure."""
        if self._shape != (n_bars, n_strikes):
            size = n_bars * n_strikes
            if self._buffer.shape[0] < 3 * size:
                self._buffer = np.empty(3 * size + size // 4)
            self._views = tuple(self._buffer[i * size:(i + 1) * size]
                                .reshape(n_bars, n_strikes) for i in range(3))
            self._shape = (n_bars, n_strikes)
        return self._views


def pressure_grid(day: MarketDay, cfg: PressureConfig,
                  model: ProbabilityModel | None = None,
                  workspace: GridWorkspace | None = None) -> PressureGrid:
    """The (T, K) distance, probability and pressure of one expiration day.

    ``model`` overrides ``cfg.probability_model`` (used by tests and benchmarks);
    ``workspace`` makes the grid's arrays views into reusable memory (see GridWorkspace).
    """
    model = model if model is not None else probability_model(cfg)
    close = np.ascontiguousarray(day.close, dtype=np.float64)
    strikes = np.ascontiguousarray(day.strikes, dtype=np.float64)
    minutes = np.ascontiguousarray(day.minutes_to_expiry, dtype=np.float64)
    total_oi = np.add(day.call_oi, day.put_oi, dtype=np.float64)
    n_bars, n_strikes = close.shape[0], strikes.shape[0]

    if workspace is None:
        distance, probability, pressure = (np.empty((n_bars, n_strikes)) for _ in range(3))
    else:
        distance, probability, pressure = workspace.arrays(n_bars, n_strikes)
    if n_bars and n_strikes:
        # A model with a floor (the specification's 0.1) reports the few cells above it; then
        # pressure = (floor x 1/max(1, m^2)) x OI everywhere, corrected on those cells
        # with the same association, (p x 1/max(1, m^2)) x OI. A band cell at the floor thus
        # gets the very bits it would have got outside the band, so values never depend
        # on how wide the band window happened to be (that width depends on the whole
        # day and would otherwise leak later bars into earlier rows' last bits).
        floor = model.floor
        inverse_divisor = 1.0 / pressure_divisor(minutes)
        row_scale = inverse_divisor if floor is None else floor * inverse_divisor
        absolute_difference(close, strikes, distance)
        outer_product(row_scale, total_oi, pressure)
        band = model.fill(close, strikes, distance, minutes, probability)
        if band is None:
            np.multiply(pressure, probability, out=pressure)
        else:
            scaled = band.values * inverse_divisor  # (n, T): bar t's cells in column t
            pressure.ravel()[band.flat] = scaled * total_oi[band.cols]

    return PressureGrid(quote_date=day.quote_date, strikes=strikes, close=close,
                        minutes=minutes, total_oi=total_oi, distance=distance,
                        probability=probability, pressure=pressure,
                        model=model)


def pressure_batch(day: MarketDay, cfg: PressureConfig, total_oi: np.ndarray,
                   rows: np.ndarray | None = None,
                   model: ProbabilityModel | None = None) -> tuple[PressureGrid, np.ndarray]:
    """The day's grid (with its own OI) and the (R, len(rows), K) pressure of R other OI
    profiles on the same strikes, at bars `rows` (default: all), for the OI placebo.

    Distance and probability depend on prices alone, so they are built once; each profile
    only changes the OI factor. The arithmetic is `pressure_grid`'s, cell for cell (the
    same products in the same order), so profile r equals `pressure_grid` on the day with
    OI `total_oi[r]` at those rows, bit for bit (tested).
    """
    model = model if model is not None else probability_model(cfg)
    grid = pressure_grid(day, cfg, model=model)
    oi = np.asarray(total_oi, dtype=np.float64)
    n_bars, n_strikes = grid.distance.shape
    rows = np.arange(n_bars) if rows is None else np.asarray(rows, dtype=np.int64)
    out = np.empty((oi.shape[0], rows.size, n_strikes))
    if not (rows.size and n_strikes and oi.shape[0]):
        return grid, out
    floor = model.floor
    inverse_divisor = 1.0 / pressure_divisor(grid.minutes)
    row_scale = inverse_divisor if floor is None else floor * inverse_divisor
    np.multiply(row_scale[rows][None, :, None], oi[:, None, :], out=out)
    if floor is None:
        np.multiply(out, grid.probability[rows][None], out=out)
        return grid, out
    band = model.fill(grid.close, grid.strikes, grid.distance, grid.minutes,
                      np.empty((n_bars, n_strikes)))
    if band is not None and band.flat.size:
        scaled = (band.values * inverse_divisor).ravel()
        flat, cols = band.flat.ravel(), band.cols.ravel()
        where = np.full(n_bars, -1, dtype=np.int64)
        where[rows] = np.arange(rows.size)
        row_of = where[flat // n_strikes]
        inside = row_of >= 0
        target = row_of[inside] * n_strikes + flat[inside] % n_strikes
        out.reshape(oi.shape[0], -1)[:, target] = scaled[inside][None, :] * oi[:, cols[inside]]
    return grid, out
