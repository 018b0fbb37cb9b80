"""Expiration-day listing histories of the registry's underlyings, with their sources.

Each history says from which day on each weekday carries a PM expiration. Listed weeklies
that fall on an exchange holiday move: a Monday one to the next session, any other to the
session before (Cboe's Monday-Weeklys and Weeklys rules; MIAX circular 2016-35 for SPY's
Wednesday). Single stocks list Friday weeklies and the third-Friday monthly, which moves to
Thursday when Friday is a holiday (Good Friday). The lab reads the PM-settled 0DTE series;
the AM-settled third-Friday index monthlies (root SPX, NDX, RUT) are a different root and
are dropped by `ingestion.roots` when the PM root has rows that day.

Sources (first expirations on or after these days):

- SPXW: Fridays since 2005 (Cboe Weeklys); Wednesdays from 2016-03-02 (Cboe blog
  2016-02-22, "SPX Wednesday Weeklys"); Mondays from 2016-08-22 (Cboe blog 2016-08-11);
  Tuesdays from 2022-04-19 and Thursdays from 2022-05-12 (Cboe press release, Traders
  Magazine 2022: "Tuesday expirations beginning Monday, April 18, and Thursday expirations
  beginning Wednesday, May 11"). The lab's `spxw` rule (assets/common/calendar.py) keeps its
  historical reading: Mon/Wed/Fri, every session from 2022-05-11.
- XSP: Cboe listed Tue/Thu XSP with SPX's added Tue/Thu expirations (Cboe press release,
  "Cboe expands SPX and XSP options suite to offer expirations every day"); read here as
  SPXW's history.
- SPY: Fridays; Wednesdays from 2016-09-14 (MIAX listing alert 2016-09-06, RC 2016-35);
  Mondays from 2018-02-26 (Cboe, "SPY Monday-expiring Weeklys beginning February 16, 2018",
  the first Monday after the listing that is not a holiday); Tuesdays and Thursdays from
  2022-11-15 (Nasdaq ISE SR-ISE-2022-20, 87 FR 58399, 2022-09-26; Cboe EDGX's matching
  filing, 87 FR 70880, 2022-11-21).
- QQQ: Fridays; Mondays and Wednesdays from 2021-05-03 (Nasdaq ISE SR-ISE-2021-07,
  86 FR 22754, effective on filing 2021-04-21; first week after it); Tuesdays and
  Thursdays with SPY's from 2022-11-15 (SR-ISE-2022-20).
- IWM: Fridays; every weekday from 2024-04-29 (Cboe BZX short-term-series amendment,
  89 FR 30404, 2024-04-23, following Nasdaq ISE's approved filing). APPROXIMATE: the
  first listed expiry is not stated in the notice; override `expiration_rule` if your
  data starts elsewhere.
- NDX (NDXP PM weeklies) and RUT (RUTW): Mon/Wed/Fri read as SPXW's pre-2022 pattern,
  every weekday from 2024-01-02 (Nasdaq PHLX and Cboe daily listings). APPROXIMATE, same
  caveat.

A history is data: a registry entry names one by key (`Instrument.expiration_rule`), and
`calendar.expiration_days` applies it with the holiday moves on the exchange's sessions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MON, TUE, WED, THU, FRI = range(5)


@dataclass(frozen=True)
class Listing:
    """From `since` on, the weekday carries an expiration."""

    weekday: int
    since: dt.date


@dataclass(frozen=True)
class ListingHistory:
    name: str
    listings: tuple[Listing, ...]
    holiday_moves: bool = True  # a listed day that is a holiday moves (see the module doc)
    note: str = ""

    def listed(self, day: dt.date) -> bool:
        """Whether the calendar day is a listed expiration weekday (holidays not applied)."""
        return any(x.weekday == day.weekday() and day >= x.since for x in self.listings)


def _every(weekdays, since: dt.date) -> tuple[Listing, ...]:
    return tuple(Listing(w, since) for w in weekdays)


_EARLY = dt.date(2005, 10, 28)  # Cboe's first Weeklys
_SPX_LIKE = (_every((FRI,), _EARLY) + (Listing(WED, dt.date(2016, 3, 2)),
                                       Listing(MON, dt.date(2016, 8, 22)),
                                       Listing(TUE, dt.date(2022, 4, 19)),
                                       Listing(THU, dt.date(2022, 5, 12))))
_DAILY_ETF_2022 = dt.date(2022, 11, 15)

HISTORIES: dict[str, ListingHistory] = {h.name: h for h in (
    ListingHistory("xsp", _SPX_LIKE, note="SPXW's listing history (Cboe lists XSP with SPX)"),
    ListingHistory("spy", _every((FRI,), _EARLY) + (
        Listing(WED, dt.date(2016, 9, 14)), Listing(MON, dt.date(2018, 2, 26)),
        Listing(TUE, _DAILY_ETF_2022), Listing(THU, _DAILY_ETF_2022))),
    ListingHistory("qqq", _every((FRI,), _EARLY) + _every((MON, WED), dt.date(2021, 5, 3))
                   + _every((TUE, THU), _DAILY_ETF_2022)),
    ListingHistory("iwm", _every((FRI,), _EARLY) + _every((MON, TUE, WED, THU),
                                                          dt.date(2024, 4, 29)),
                   note="approximate start of the daily listings"),
    ListingHistory("ndx", _every((FRI,), _EARLY) + _every((MON, WED), dt.date(2016, 8, 22))
                   + _every((TUE, THU), dt.date(2024, 1, 2)),
                   note="approximate start of the daily listings"),
    ListingHistory("rut", _every((FRI,), _EARLY) + _every((MON, WED), dt.date(2016, 8, 22))
                   + _every((TUE, THU), dt.date(2024, 1, 2)),
                   note="approximate start of the daily listings"),
    # Friday weeklies and the third-Friday monthly (a Friday too): Thursday on a holiday.
    ListingHistory("stock", _every((FRI,), _EARLY),
                   note="Friday weeklies and third-Friday monthlies"),
)}


def expirations_on_sessions(history: ListingHistory, session_days: list[dt.date],
                            start: dt.date, end: dt.date) -> list[dt.date]:
    """The history's expiration days among the sessions in [start, end], holiday moves
    applied (a Monday listed on a holiday to the next session, others to the previous)."""
    days = sorted(session_days)
    open_days = set(days)
    found = {d for d in days if history.listed(d)}
    if history.holiday_moves and days:
        probe = start - dt.timedelta(days=7)
        while probe <= end + dt.timedelta(days=7):
            if probe.weekday() < 5 and probe not in open_days and history.listed(probe) \
                    and days[0] <= probe <= days[-1]:
                if probe.weekday() == MON:
                    moved = next((d for d in days if d > probe), None)
                else:
                    moved = next((d for d in reversed(days) if d < probe), None)
                if moved is not None:
                    found.add(moved)
            probe += dt.timedelta(days=1)
    return sorted(d for d in found if start <= d <= end)
