"""Exchange sessions and expiration days.

Sessions, holidays and early closes come from pandas-market-calendars, never from a
hard-coded 16:00: minutes-to-expiry must be measured to the real close (13:00 ET on early
close days). The expiration-day rule is configuration because SPXW's listing history
changed: Mon/Wed/Fri PM expirations, then every trading day once Tue/Thu were both listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
import pandas_market_calendars as mcal

from assets.common.expiration_calendars import HISTORIES, expirations_on_sessions

ExpirationRule = Literal["daily", "mwf", "spxw", "xsp", "spy", "qqq", "iwm", "ndx", "rut",
                         "stock"]
# daily/mwf/spxw: weekday tests; the others are listing histories with holiday moves
# (assets/common/expiration_calendars.py, with their exchange sources).
EXPIRATION_RULES: tuple[str, ...] = ("daily", "mwf", "spxw", *HISTORIES)
# The exchange's time zone: sessions, partitions, schedules and trade days are all read here.
EXCHANGE_TZ = "America/New_York"
# Thursday SPXW PM expirations were listed from this day on; Tuesday ones shortly before.
SPXW_DAILY_FROM = dt.date(2022, 5, 11)
DEFAULT_EXCHANGE = "XNYS"


@dataclass(frozen=True)
class Session:
    day: dt.date
    open: pd.Timestamp  # tz-aware UTC
    close: pd.Timestamp  # tz-aware UTC, the real close (early closes honoured)

    @property
    def minutes(self) -> int:
        return int((self.close - self.open) / pd.Timedelta(minutes=1))

    @property
    def is_early_close(self) -> bool:
        return self.close.tz_convert(EXCHANGE_TZ).time() < dt.time(16, 0)

    def bar_starts(self) -> pd.DatetimeIndex:
        """Start times of the session's 1-minute bars, open inclusive, close exclusive."""
        return pd.date_range(self.open, self.close, freq="1min", inclusive="left")


@lru_cache(maxsize=8)
def _calendar(exchange: str):
    return mcal.get_calendar(exchange)


@lru_cache(maxsize=64)
def _schedule(start: dt.date, end: dt.date, exchange: str) -> pd.DataFrame:
    return _calendar(exchange).schedule(start_date=start, end_date=end)


def _as_date(value: str | dt.date | pd.Timestamp) -> dt.date:
    return pd.Timestamp(value).date()


def sessions(start, end, exchange: str = DEFAULT_EXCHANGE) -> list[Session]:
    """Every trading session between start and end, both inclusive."""
    return list(_sessions(_as_date(start), _as_date(end), exchange))


@lru_cache(maxsize=64)
def _sessions(start: dt.date, end: dt.date, exchange: str) -> tuple[Session, ...]:
    # a decade's sessions are asked for several times a night (partitions, the bar tape,
    # the Sharpe's year length): built once per range and process
    sched = _schedule(start, end, exchange)
    return tuple(
        Session(ts.date(), row.market_open, row.market_close)
        for ts, row in zip(sched.index, sched.itertuples(index=False), strict=False)
    )


def session(day, exchange: str = DEFAULT_EXCHANGE) -> Session | None:
    """The session of one day, or None when the exchange is closed."""
    found = sessions(day, day, exchange)
    return found[0] if found else None


def is_expiration_day(day: dt.date, rule: ExpirationRule = "spxw") -> bool:
    """Whether a trading day carries a PM expiration under the rule (weekday test only;
    callers combine it with the session calendar)."""
    if rule not in EXPIRATION_RULES:
        raise ValueError(f"unknown expiration rule {rule!r}; expected one of {EXPIRATION_RULES}")
    if rule == "daily":
        return True
    if rule in HISTORIES:
        return HISTORIES[rule].listed(day)
    mwf = day.weekday() in (0, 2, 4)
    if rule == "mwf":
        return mwf
    return mwf or day >= SPXW_DAILY_FROM


def is_expiration_session(day, rule: ExpirationRule = "spxw",
                          exchange: str = DEFAULT_EXCHANGE) -> bool:
    """Whether a session carries an expiration under the rule, holiday moves applied: an
    expiration moved off a holiday (Good Friday's to Thursday, a Monday's to Tuesday) is an
    expiration session, never a calendar placebo day."""
    day = _as_date(day)
    if rule not in HISTORIES:
        return is_expiration_day(day, rule)
    return day in _year_expirations(day.year, rule, exchange)


@lru_cache(maxsize=64)
def _year_expirations(year: int, rule: ExpirationRule, exchange: str) -> frozenset:
    return frozenset(expiration_days(dt.date(year, 1, 1), dt.date(year, 12, 31), rule,
                                     exchange))


def expiration_sessions(start, end, rule: ExpirationRule = "spxw",
                        exchange: str = DEFAULT_EXCHANGE) -> list[Session]:
    if rule in HISTORIES:  # holiday moves need the sessions around the range
        lo, hi = _as_date(start), _as_date(end)
        around = sessions(lo - dt.timedelta(days=10), hi + dt.timedelta(days=10), exchange)
        keep = set(expirations_on_sessions(HISTORIES[rule], [s.day for s in around], lo, hi))
        return [s for s in around if s.day in keep]
    return [s for s in sessions(start, end, exchange) if is_expiration_day(s.day, rule)]


def expiration_days(start, end, rule: ExpirationRule = "spxw",
                    exchange: str = DEFAULT_EXCHANGE) -> list[dt.date]:
    return [s.day for s in expiration_sessions(start, end, rule, exchange)]


def non_expiration_days(start, end, rule: ExpirationRule = "spxw",
                        exchange: str = DEFAULT_EXCHANGE) -> list[dt.date]:
    """Calendar days in [start, end] that are not expiration sessions: weekends, holidays
    and (for `mwf`/early `spxw`) the Tue/Thu sessions. Used as partition exclusions."""
    keep = set(expiration_days(start, end, rule, exchange))
    all_days = pd.date_range(_as_date(start), _as_date(end), freq="D")
    return [d.date() for d in all_days if d.date() not in keep]


def placebo_days(start, end, rule: ExpirationRule = "spxw",
                 exchange: str = DEFAULT_EXCHANGE) -> list[dt.date]:
    """Sessions in [start, end] that are not expiration days under the rule: the calendar
    placebo's days (`validation.calendar_placebo`)."""
    keep = set(expiration_days(start, end, rule, exchange))
    return [s.day for s in sessions(start, end, exchange) if s.day not in keep]


def next_expiration_day(day, rule: ExpirationRule = "spxw",
                        exchange: str = DEFAULT_EXCHANGE) -> dt.date:
    """The first expiration session strictly after `day`: whose contracts a placebo day's
    chain holds (a day is never more than a few sessions from the next expiration)."""
    day = _as_date(day)
    for year in (day.year, day.year + 1):
        days = year_session_days(year, exchange)
        later = days[np.searchsorted(np.array(days, dtype="datetime64[D]"),
                                     np.datetime64(day, "D"), side="right"):]
        found = next((d for d in later if is_expiration_session(d, rule, exchange)), None)
        if found is not None:
            return found
    raise ValueError(f"no expiration session after {day} (rule {rule}, {exchange})")


@lru_cache(maxsize=32)
def year_session_days(year: int, exchange: str) -> tuple[dt.date, ...]:
    """A calendar year's session days, once per process (placebo days ask per day)."""
    return tuple(s.day for s in sessions(dt.date(year, 1, 1), dt.date(year, 12, 31), exchange))


def scored_expiration(day, rule: ExpirationRule = "spxw",
                      exchange: str = DEFAULT_EXCHANGE) -> dt.date:
    """The expiration whose contracts a session is scored on: its own on an expiration
    day, the next one on a placebo day."""
    day = _as_date(day)
    return (day if is_expiration_session(day, rule, exchange)
            else next_expiration_day(day, rule, exchange))


def partition_exclusions(start, end, rule: ExpirationRule = "spxw",
                         exchange: str = DEFAULT_EXCHANGE,
                         calendar_placebo: bool = False) -> list[dt.date]:
    """Calendar days that are not partitions: every non-expiration day, or, with the
    calendar placebo, only the days without a session (weekends, holidays)."""
    if not calendar_placebo:
        return non_expiration_days(start, end, rule, exchange)
    keep = {s.day for s in sessions(start, end, exchange)}
    all_days = pd.date_range(_as_date(start), _as_date(end), freq="D")
    return [d.date() for d in all_days if d.date() not in keep]


def minutes_to_close(bar_starts: pd.DatetimeIndex | np.ndarray, close: pd.Timestamp,
                     bar_minutes: float = 1.0) -> np.ndarray:
    """Minutes from the *end* of each bar to the session close.

    Convention: a bar stamped t covers [t, t+1min) and its close price is known at t+1min,
    so the decision made on that bar sees `close - (t + 1min)` minutes left. The last bar
    of a session therefore has 0 minutes left.
    """
    starts = pd.DatetimeIndex(bar_starts)
    if starts.tz is None:
        starts = starts.tz_localize("UTC")
    delta = (close - starts) / pd.Timedelta(minutes=1)
    return np.asarray(delta, dtype=float) - bar_minutes


def expiration_days_per_year(days, exchange: str = DEFAULT_EXCHANGE) -> float:
    """How many of a series' expiration days a year holds, measured on the sample:
    252 x (expiration days) / (exchange sessions from the first to the last of them).
    252 when every session expires (or with fewer than two days); ~151 on Mon/Wed/Fri.
    The annualization factor of an expiration-day P&L series is its square root."""
    ds = sorted({_as_date(d) for d in days})
    if len(ds) < 2:
        return 252.0
    n_sessions = len(sessions(ds[0], ds[-1], exchange))
    return 252.0 * len(ds) / max(n_sessions, len(ds))
