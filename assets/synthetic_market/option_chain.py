"""The expiring option chain of one synthetic day, as known before the open.

Everything here is built from the previous close (and the previous day's volatility state)
only: open interest is published before the open, so the chain can carry no information about
the day it describes. Volumes, implied volatilities and quotes are drawn from the same pre-open
information, so no column of the chain leaks the day's path either.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.stats import norm

CHAIN_COLUMNS: tuple[str, ...] = (
    "quote_date", "underlying", "root", "expiration", "strike", "option_type",
    "open_interest", "volume", "bid", "ask", "implied_volatility", "underlying_price",
)

STRIKE_GRID = 5.0
HALF_WIDTH_FRACTION = 0.07  # strikes listed at least +/-7 % around the previous close
MIN_STRIKES_PER_SIDE = 10
# Noise is drawn for a fixed number of strike offsets around the money, so that two worlds
# with the same seed share the OI noise of each offset even if their closes differ.
NOISE_STRIKES_PER_SIDE = 1024

# Total OI profile around the previous close S (relative distance d = (K - S) / S):
# a narrow at-the-money core, wider wings and a floor; round strikes get multiplied.
CORE_OI, CORE_WIDTH = 2000.0, 0.012
WING_OI, WING_WIDTH = 600.0, 0.04
FLOOR_OI = 60.0
ROUND_BOOSTS: tuple[tuple[float, float], ...] = ((25.0, 1.0), (50.0, 1.5), (100.0, 2.5))
CALL_SHARE_LOW, CALL_SHARE_HIGH = 0.12, 0.88  # call share of OI far below / far above S
CALL_SHARE_SCALE = 0.006  # relative distance over which the call share switches
OI_NOISE_SD = 0.45  # lognormal, per contract
DAY_SCALE_SD = 0.3  # lognormal, one per day: some days carry more OI than others
IV_PREMIUM = 1.1  # implied over expected realized volatility
SKEW_SLOPE, SKEW_CURVE = -0.10, 0.03  # smile in standardized moneyness


def _boost(strikes: np.ndarray,
           round_boosts: tuple[tuple[float, float], ...] = ROUND_BOOSTS) -> np.ndarray:
    out = np.ones_like(strikes)
    for multiple, extra in round_boosts:
        out += extra * (np.abs(np.remainder(strikes, multiple)) < 1e-9)
    return out


def _lognormal(z: np.ndarray, sd: float) -> np.ndarray:
    # mean-one lognormal factor
    return np.exp(sd * z - 0.5 * sd * sd)


def _tick_floor(x: np.ndarray) -> np.ndarray:
    tick = np.where(x < 3.0, 0.05, 0.10)
    return np.floor(x / tick + 1e-9) * tick


def _tick_ceil(x: np.ndarray) -> np.ndarray:
    tick = np.where(x < 3.0, 0.05, 0.10)
    return np.ceil(x / tick - 1e-9) * tick


def build_chain(day: dt.date, prev_close: float, iv_atm: float, session_minutes: int,
                rng: np.random.Generator, *, underlying: str = "SPX", root: str = "SPXW",
                year_minutes: float = 252 * 390,
                expiration: dt.date | None = None, strike_grid: float = STRIKE_GRID,
                round_boosts: tuple[tuple[float, float], ...] = ROUND_BOOSTS,
                oi_scale: float = 1.0) -> pd.DataFrame:
    """The 0DTE chain of `day` in the canonical contract (columns `CHAIN_COLUMNS`).

    `prev_close` is the last close before the open, `iv_atm` the pre-open at-the-money
    implied volatility (annualized). `rng` is this day's chain stream; the number and order
    of draws do not depend on the price level (below ~1,000 x 1,024 strikes). `expiration`:
    a later expiration's contracts instead (a calendar placebo day's chain); `session_minutes`
    is then the trading minutes to that expiration, the options' tenor. Another underlying
    than SPX passes its `strike_grid`, its round strikes and its `oi_scale` (contracts per
    SPX contract of equal notional: the OI profile is SPX's times it).
    """
    atm = round(prev_close / strike_grid) * strike_grid
    per_side = max(int(np.ceil(HALF_WIDTH_FRACTION * prev_close / strike_grid)),
                   MIN_STRIKES_PER_SIDE)
    noise_side = max(NOISE_STRIKES_PER_SIDE, per_side)
    z = rng.standard_normal((4, 2 * noise_side + 1))  # call OI, put OI, call vol, put vol
    day_scale = _lognormal(rng.standard_normal(), DAY_SCALE_SD)

    offsets = np.arange(-per_side, per_side + 1)
    strikes = atm + strike_grid * offsets
    keep = strikes > 0
    offsets, strikes = offsets[keep], strikes[keep]
    z = z[:, offsets + noise_side]

    d = (strikes - prev_close) / prev_close
    total = (CORE_OI * np.exp(-0.5 * (d / CORE_WIDTH) ** 2)
             + WING_OI * np.exp(-0.5 * (d / WING_WIDTH) ** 2) + FLOOR_OI)
    total = total * _boost(strikes, round_boosts) * day_scale
    if oi_scale != 1.0:
        total = total * oi_scale
    call_share = CALL_SHARE_LOW + ((CALL_SHARE_HIGH - CALL_SHARE_LOW)
                                   / (1.0 + np.exp(-d / CALL_SHARE_SCALE)))
    call_oi = np.rint(total * call_share * _lognormal(z[0], OI_NOISE_SD)).astype(np.int64)
    put_oi = np.rint(total * (1.0 - call_share) * _lognormal(z[1], OI_NOISE_SD)).astype(np.int64)

    # Day volume: a multiple of OI, largest at the money (0DTE trading is mostly near it).
    activity = 0.2 + 1.5 * np.exp(-0.5 * (d / 0.004) ** 2)
    call_vol = np.rint(call_oi * activity * _lognormal(z[2], 0.6)).astype(np.int64)
    put_vol = np.rint(put_oi * activity * _lognormal(z[3], 0.6)).astype(np.int64)

    # Smile in standardized moneyness x = ln(K/S) / (iv_atm sqrt(T)), then Black-Scholes.
    t_years = session_minutes / year_minutes
    sd_atm = iv_atm * np.sqrt(t_years)
    x = np.log(strikes / prev_close) / sd_atm
    iv = iv_atm * np.clip(1.0 + SKEW_SLOPE * x + SKEW_CURVE * x * x, 0.5, 5.0)
    sd = iv * np.sqrt(t_years)
    d1 = (np.log(prev_close / strikes) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    call_px = prev_close * norm.cdf(d1) - strikes * norm.cdf(d2)
    put_px = strikes * norm.cdf(-d2) - prev_close * norm.cdf(-d1)

    n = strikes.shape[0]
    prices = np.concatenate([np.maximum(call_px, 0.0), np.maximum(put_px, 0.0)])
    half_spread = 0.05 + 0.01 * prices
    bid = np.round(np.maximum(_tick_floor(prices - half_spread), 0.0), 2)
    ask = np.round(np.maximum(_tick_ceil(prices + half_spread), 0.05), 2)

    frame = pd.DataFrame({
        "quote_date": [day] * (2 * n),
        "underlying": underlying,
        "root": root,
        "expiration": [expiration or day] * (2 * n),
        "strike": np.concatenate([strikes, strikes]).astype(float),
        "option_type": np.repeat(np.array(["C", "P"]), n),
        "open_interest": np.concatenate([call_oi, put_oi]),
        "volume": np.concatenate([call_vol, put_vol]),
        "bid": bid,
        "ask": ask,
        "implied_volatility": np.round(np.concatenate([iv, iv]), 4),
        "underlying_price": round(float(prev_close), 2),
    })
    return frame.loc[:, list(CHAIN_COLUMNS)]


def total_oi_by_strike(chain: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Ascending strikes of the front expiration's rows (0DTE; a placebo day's next
    expiration) and their call + put OI."""
    zero_dte = chain[chain["expiration"] == chain["expiration"].min()]
    total = zero_dte.groupby("strike")["open_interest"].sum().sort_index()
    return total.index.to_numpy(dtype=float), total.to_numpy(dtype=float)
