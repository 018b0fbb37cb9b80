"""The synthetic market: the lab's embedded default data source, with a known truth.

Why it exists: the lab must say REJECTED on a market without steering and find steering where
it is planted. This module generates such markets, one expiration day at a time, in the
canonical landing contract (docs/data-contract.md), fully determined by its arguments.

The model, in words (S = index level, tau = minutes left to the day's real close):

* Days. Every exchange session in [start, end] is simulated, as the index trades every
  day; files are yielded for the expiration sessions of
  `assets.common.calendar.expiration_sessions(start, end, rule, exchange)` only, unless
  `placebo_days` (the calendar placebo): then for every session, a non-expiration
  session's chain holding the *next* expiration's contracts, built from the previous
  session's close like the others. Its steering is off unless `placebo_effect`, which
  plants the same force there (the OI of the next expiration, the minutes to the day's
  close): "steering on every session", the world where the effect is not expiration's.
  Bars run from the open to the real close (13:00 ET on early closes).
* Volatility. Close-to-close volatility is `annual_vol`; a fraction
  `OVERNIGHT_VARIANCE_SHARE` (20 %) of each day's variance is spent overnight, the rest
  intraday. A daily level v_d multiplies it: log v_d is an AR(1) (phi = 0.9 per session,
  stationary sd 0.25), shifted so that E[v_d^2] = 1. Within the day, the per-minute sd
  follows a U shape (high at the open, low at midday, rising into the close), normalised
  so that a regular 390-minute session spends exactly the intraday budget.
* Overnight. open_d = close_{d-1} * exp(g), g ~ N(0, 0.2 sigma_day^2 v_d^2), d-1 the
  previous session (an expiration day or not).
* Path. Ten sub-steps per minute: S_{k+1} = S_k * exp(e_k) + c_k * F(S_k), with
  e_k ~ N(0, (sigma_minute * U(t) * v_d)^2 / 10) and, for the steering scenarios,
  c_k = sign * strength * u(tau_k) / 10 (points per sub-step), where
  u(tau) = (1 - tau / 120)^2 for tau < 120 minutes and 0 before, and
  F(S) = sum_j (OI_j / 10,000) * phi((S - K_j) / 5), phi(x) = x exp((1 - x^2) / 2).
  phi peaks at 1 five points from a strike and fades within ~15 points, so only nearby
  strikes act, and a uniform lattice of OI cancels out: the force comes from OI
  *concentration*. sign = +1 for `steer` (pushed away from high-OI strikes), -1 for `pin`
  (pulled toward them), 0 for `null`. The force uses only what is known at sub-step k:
  the current price, the day's OI (published before the open) and the minutes left.
  `strength` is therefore the push, in index points per minute, at the close, five points
  from a strike holding 10,000 contracts. Default: 1.0 for `steer` and `pin` (about a third
  of the per-minute noise sd at the close, ~3 points), 0 for `null`. Up to ~10 one
  sub-step's push stays below the 5-point kernel width; far beyond it `pin` overshoots.
* Bars. Bar i spans sub-steps 10i..10(i+1); open = first point, close = last, high/low =
  extremes of the 11 points; prices rounded to 0.01. Volume: U-shaped, lognormal noise.
* Chain. Built before the open from the previous *session's* close (a vendor's reference
  price: with Mon/Wed/Fri expirations, Wednesday's chain sees Tuesday's close, not
  Monday's). Strikes every 5 points within at least +/-7 % of that close; total OI per
  strike = (2000 exp(-d^2 / 2 (1.2 %)^2) + 600 exp(-d^2 / 2 (4 %)^2) + 60) * boost * day
  scale, d the relative distance to the previous close, boost = 1 + 1 [25 | K] + 1.5 [50 | K]
  + 2.5 [100 | K], day scale lognormal (sd 0.3); calls take 12 % of it far below the money
  rising to 88 % far above; each contract's OI gets its own mean-one lognormal noise (sd
  0.45). Volume, implied volatility (a smile around 1.1 x the expected intraday vol) and
  bid/ask (Black-Scholes, SPX ticks) come from the same pre-open information only.
* Several underlyings (`generate_markets`, `underlyings.py`): an underlying tied to a
  parent (SPY on SPX) takes the parent's log increments plus a mean-reverting tracking
  error, opens at the parent's open times its ratio, and builds its own chain from its own
  previous close on its own grid; its force is SPX's at its scale k (push x k, reach x k,
  reference OI / k). Each draws from `SeedSequence([seed, day ordinal, crc32(name)])`;
  SPX keeps the streams below, so SPX alone is what it always was.
* Randomness. One `np.random.SeedSequence([seed, day ordinal])` per session, split into a
  path stream and a chain stream; the draws never depend on the scenario or on which
  sessions expire (a `null` world's Monday is the same under "mwf" and "daily"), and the
  `null`, `steer`
  and `pin` worlds of one seed share every noise draw (the chain's by strike offset from
  the money) and differ by the planted force only, and by its consequences on later days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from assets.common import calendar
from assets.synthetic_market.option_chain import (
    CHAIN_COLUMNS,
    IV_PREMIUM,
    build_chain,
    total_oi_by_strike,
)
from assets.synthetic_market.price_paths import (
    OVERNIGHT_VARIANCE_SHARE,
    REGULAR_SESSION_MINUTES,
    STEERING_REFERENCE_OI,
    STEERING_WIDTH_POINTS,
    SUBSTEPS_PER_MINUTE,
    TRADING_DAYS_PER_YEAR,
    SteeringForce,
    bars_from_path,
    intraday_vol_profile,
    per_minute_sigma,
    simulate_path,
    urgency,
)
from assets.synthetic_market.underlyings import (
    BUILT_IN,
    SyntheticUnderlying,
    oi_scale,
    points_scale,
    resolve_underlyings,
)

Scenario = Literal["null", "steer", "pin"]
SCENARIOS: tuple[str, ...] = ("null", "steer", "pin")
SCENARIO_SIGN: dict[str, float] = {"null": 0.0, "steer": 1.0, "pin": -1.0}
DEFAULT_STRENGTH: dict[str, float] = {"null": 0.0, "steer": 1.0, "pin": 1.0}
BAR_COLUMNS: tuple[str, ...] = ("symbol", "ts", "open", "high", "low", "close", "volume")

VOL_PERSISTENCE = 0.9  # AR(1) coefficient of log daily volatility, per session
VOL_OF_VOL = 0.25  # stationary sd of log daily volatility
BAR_VOLUME = 2_000.0  # mean volume of an average minute
SYMBOL = "SPX"
# A tied underlying (SPY on SPX) tracks its parent's path up to a small error: its open is
# the parent's times the ratio with a 2 bp daily error, and its log price carries a
# mean-reverting error (sd 1 bp, half-life 5 minutes) on top of the parent's increments.
TRACKING_OPEN_SD = 2e-4
TRACKING_SD = 1e-4
TRACKING_HALF_LIFE_MINUTES = 5.0


@dataclass(frozen=True)
class SyntheticDay:
    day: dt.date
    chains: pd.DataFrame  # canonical chain contract, columns in contract order
    bars: pd.DataFrame  # canonical bars contract; ts tz-aware UTC bar starts


def resolve_strength(scenario: str, strength: float | None) -> float:
    """The scenario's force scale: the default when None; always 0 for `null`."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of {SCENARIOS}")
    if scenario == "null":
        return 0.0
    value = DEFAULT_STRENGTH[scenario] if strength is None else float(strength)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"strength must be a finite number >= 0, got {strength!r}")
    return value


def _day_streams(seed: int, day: dt.date) -> tuple[np.random.Generator, np.random.Generator]:
    path_seq, chain_seq = np.random.SeedSequence([seed, day.toordinal()]).spawn(2)
    return np.random.default_rng(path_seq), np.random.default_rng(chain_seq)


def generate_market(start, end, scenario: Scenario = "null", seed: int = 0,
                    strength: float | None = None, rule: calendar.ExpirationRule = "spxw",
                    exchange: str = calendar.DEFAULT_EXCHANGE, spot0: float = 5000.0,
                    annual_vol: float = 0.15, placebo_days: bool = False,
                    placebo_effect: bool = False) -> Iterator[SyntheticDay]:
    """Yield one `SyntheticDay` per expiration session in [start, end] (see module docs).

    `spot0` is the close before the first day. Everything is determined by the arguments.
    Arguments are validated at the call, not at the first `next()`.
    """
    force_scale = resolve_strength(scenario, strength) * SCENARIO_SIGN[scenario]
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not (spot0 > 0 and annual_vol > 0):
        raise ValueError("spot0 and annual_vol must be positive")
    if rule not in calendar.EXPIRATION_RULES:
        raise ValueError(f"unknown expiration rule {rule!r}; "
                         f"expected one of {calendar.EXPIRATION_RULES}")
    if placebo_effect and not placebo_days:
        raise ValueError("placebo_effect plants steering on placebo days: set placebo_days too")
    return _generate(start, end, force_scale, int(seed), rule, exchange, float(spot0),
                     float(annual_vol), bool(placebo_days), bool(placebo_effect))


def _chain_expiration(day: dt.date, expiring: set, placebo_days: bool, rule, exchange
                      ) -> tuple[dt.date | None, int]:
    """(the expiration of the day's chain, sessions to it): the day's own, a placebo day's
    next one, or None (no chain)."""
    if day in expiring:
        return day, 1
    if not placebo_days:
        return None, 0
    target = calendar.next_expiration_day(day, rule, exchange)
    years = range(day.year, target.year + 1)
    between = [d for y in years for d in calendar.year_session_days(y, exchange)
               if day <= d <= target]
    return target, len(between)


def _generate(start, end, force_scale: float, seed: int, rule: calendar.ExpirationRule,
              exchange: str, spot0: float, annual_vol: float, placebo_days: bool = False,
              placebo_effect: bool = False) -> Iterator[SyntheticDay]:
    spx = dataclasses.replace(BUILT_IN["SPX"], level=spot0, annual_vol=annual_vol)
    for world in _generate_world(start, end, [spx], {"SPX": force_scale}, seed, rule, exchange,
                                 placebo_days, placebo_effect):
        yield world["SPX"]


def generate_markets(start, end, underlyings: Sequence[str], forces: Mapping[str, float],
                     seed: int = 0, rule: calendar.ExpirationRule = "spxw",
                     exchange: str = calendar.DEFAULT_EXCHANGE, placebo_days: bool = False,
                     placebo_effect: bool = False) -> Iterator[dict[str, SyntheticDay]]:
    """One `{underlying: SyntheticDay}` per expiration session in [start, end].

    `forces`: the signed force scale per underlying in SPX points (+strength for steer,
    -strength for pin; absent or 0: none), applied at the underlying's `points_scale`
    (`assets.synthetic_market.underlyings`). SPX alone gives exactly `generate_market`'s
    days; a parent that is not named is simulated (its children need its path) but not
    yielded. Every underlying but SPX draws from its own streams, so adding one never
    changes another's days. `placebo_days`/`placebo_effect` as in `generate_market`.
    """
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if rule not in calendar.EXPIRATION_RULES:
        raise ValueError(f"unknown expiration rule {rule!r}; "
                         f"expected one of {calendar.EXPIRATION_RULES}")
    order = resolve_underlyings(underlyings)
    bad = sorted(set(forces) - {u.name for u in order})
    if bad:
        raise ValueError(f"a force is planted on {bad}, which are not among {list(underlyings)}")
    if placebo_effect and not placebo_days:
        raise ValueError("placebo_effect plants steering on placebo days: set placebo_days too")
    named = {str(n).strip().upper() for n in underlyings}
    return (({k: v for k, v in w.items() if k in named})
            for w in _generate_world(start, end, order, dict(forces), int(seed), rule, exchange,
                                     bool(placebo_days), bool(placebo_effect)))


@dataclass
class _State:
    prev_close: float
    log_v_prev: float | None = None


@dataclass
class _Path:
    sub_path: np.ndarray  # the sub-step path, open first
    v: float
    v_forecast: float


def _streams(seed: int, day: dt.date, u: SyntheticUnderlying
             ) -> tuple[np.random.Generator, np.random.Generator]:
    if u.name == SYMBOL:  # SPX keeps the streams it always had
        return _day_streams(seed, day)
    path_seq, chain_seq = np.random.SeedSequence([seed, day.toordinal(), u.code]).spawn(2)
    return np.random.default_rng(path_seq), np.random.default_rng(chain_seq)


def _generate_world(start, end, order: list[SyntheticUnderlying], forces: dict[str, float],
                    seed: int, rule: calendar.ExpirationRule, exchange: str,
                    placebo_days: bool = False, placebo_effect: bool = False
                    ) -> Iterator[dict[str, SyntheticDay]]:
    expiring = {s.day for s in calendar.expiration_sessions(start, end, rule, exchange)}
    states: dict[str, _State] = {}
    for u in order:
        states[u.name] = _State(u.level if u.parent is None
                                else states[u.parent].prev_close * u.ratio)
    for sess in calendar.sessions(start, end, exchange):
        paths: dict[str, _Path] = {}
        world: dict[str, SyntheticDay] = {}
        expiration, n_sessions = _chain_expiration(sess.day, expiring, placebo_days, rule,
                                                   exchange)
        for u in order:
            day = _simulate_day(sess, u, states[u.name], paths, forces.get(u.name, 0.0), seed,
                                expiration, n_sessions, placebo_effect)
            if day is not None:
                world[u.name] = day
        if world:
            yield world


def _simulate_day(sess, u: SyntheticUnderlying, state: _State, paths: dict[str, _Path],
                  force_scale: float, seed: int, expiration: dt.date | None, n_sessions: int,
                  placebo_effect: bool = False) -> SyntheticDay | None:
    """One session of one underlying: its path (kept in `paths` for its children), and on
    an expiration session (or a placebo day: `expiration` later than the session, `n_sessions`
    to it) its chain and bars."""
    rng_path, rng_chain = _streams(seed, sess.day, u)
    minutes, n_sub = sess.minutes, SUBSTEPS_PER_MINUTE
    prev_close = state.prev_close
    if u.parent is None:
        # Volatility state: AR(1) in log, one step per session; the first session draws
        # from the stationary law. Pre-open IV uses the conditional RMS forecast of v,
        # never v itself (which only the day reveals).
        z_vol, z_gap = rng_path.standard_normal(2)
        phi = 0.0 if state.log_v_prev is None else VOL_PERSISTENCE
        log_v = phi * (state.log_v_prev or 0.0) + math.sqrt(1.0 - phi**2) * VOL_OF_VOL * z_vol
        v = math.exp(log_v - VOL_OF_VOL**2)
        v_forecast = math.exp(phi * (state.log_v_prev or 0.0) - (phi * VOL_OF_VOL) ** 2)
        state.log_v_prev = log_v
        annual_vol = u.annual_vol
    else:
        parent = paths[u.parent]
        v, v_forecast = parent.v, parent.v_forecast
        annual_vol = None
    k = points_scale(u)
    chain = None
    if expiration is not None:
        vol = annual_vol if annual_vol is not None else _root_vol(u)
        expected_intraday_annual = vol * math.sqrt(1.0 - OVERNIGHT_VARIANCE_SHARE)
        extra = ({} if u.name == SYMBOL else
                 {"strike_grid": u.strike_grid, "round_boosts": u.round_strikes,
                  "oi_scale": oi_scale(u)})
        chain = build_chain(sess.day, prev_close,
                            iv_atm=IV_PREMIUM * expected_intraday_annual * v_forecast,
                            session_minutes=minutes + REGULAR_SESSION_MINUTES
                            * (n_sessions - 1), rng=rng_chain,
                            year_minutes=TRADING_DAYS_PER_YEAR * REGULAR_SESSION_MINUTES,
                            underlying=u.name, root=u.root,
                            expiration=expiration if expiration != sess.day else None,
                            **extra)

    if u.parent is None:
        sigma_day = annual_vol / math.sqrt(TRADING_DAYS_PER_YEAR)
        open_price = prev_close * math.exp(sigma_day * v * math.sqrt(OVERNIGHT_VARIANCE_SHARE)
                                           * z_gap)
        minute_sd = per_minute_sigma(annual_vol) * v * intraday_vol_profile(minutes)
        sub_sd = np.repeat(minute_sd / math.sqrt(n_sub), n_sub)
        log_inc = sub_sd * rng_path.standard_normal(minutes * n_sub)
    else:
        parent_path = paths[u.parent].sub_path
        open_price = (parent_path[0] * u.ratio
                      * math.exp(TRACKING_OPEN_SD * rng_path.standard_normal()))
        log_inc = np.diff(np.log(parent_path)) + _tracking_increments(rng_path, minutes * n_sub)

    # The planted force acts on expiring OI only: none on a session without a chain, nor
    # on a placebo day unless `placebo_effect`.
    force = None
    push = np.zeros(minutes * n_sub)
    steered = chain is not None and (expiration == sess.day or placebo_effect)
    if force_scale != 0.0 and steered:
        strikes, total_oi = total_oi_by_strike(chain)
        reference = STEERING_REFERENCE_OI if u.name == SYMBOL else \
            STEERING_REFERENCE_OI * oi_scale(u)
        width = STEERING_WIDTH_POINTS if u.name == SYMBOL else STEERING_WIDTH_POINTS * k
        force = SteeringForce(strikes, total_oi / reference, width)
        tau = minutes - np.arange(minutes * n_sub) / n_sub
        scale = force_scale if u.name == SYMBOL else force_scale * k
        push = scale * urgency(tau) / n_sub
    grid = {} if u.name == SYMBOL else {"grid_step": 0.1 * k}
    path = simulate_path(open_price, log_inc, push, force, **grid)
    paths[u.name] = _Path(path, v, v_forecast)
    bar_open, bar_high, bar_low, bar_close = (np.round(a, 2)
                                              for a in bars_from_path(path, n_sub))
    state.prev_close = float(bar_close[-1])
    if chain is None:
        return None

    profile = intraday_vol_profile(minutes)
    z_volume = rng_path.standard_normal(minutes)
    volume = np.rint(BAR_VOLUME * profile**2 * np.exp(0.5 * z_volume - 0.125)).astype(np.int64)
    bars = pd.DataFrame({
        "symbol": u.name,
        "ts": sess.bar_starts(),
        "open": bar_open, "high": bar_high, "low": bar_low, "close": bar_close,
        "volume": volume,
    }).loc[:, list(BAR_COLUMNS)]
    return SyntheticDay(sess.day, chain, bars)


def _root_vol(u: SyntheticUnderlying) -> float:
    while u.parent is not None:
        u = BUILT_IN[u.parent]
    return u.annual_vol


def _tracking_increments(rng: np.random.Generator, n: int) -> np.ndarray:
    """Increments of a mean-reverting log tracking error (AR(1) per sub-step, stationary
    sd `TRACKING_SD`, half-life `TRACKING_HALF_LIFE_MINUTES`), starting at 0."""
    rho = 0.5 ** (1.0 / (TRACKING_HALF_LIFE_MINUTES * SUBSTEPS_PER_MINUTE))
    x = lfilter([1.0], [1.0, -rho], TRACKING_SD * math.sqrt(1.0 - rho * rho)
                * rng.standard_normal(n))
    return np.diff(x, prepend=0.0)


__all__ = [
    "BAR_COLUMNS", "CHAIN_COLUMNS", "DEFAULT_STRENGTH", "SCENARIOS", "SyntheticDay",
    "generate_market", "generate_markets", "resolve_strength",
]
