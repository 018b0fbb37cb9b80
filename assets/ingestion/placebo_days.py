"""Which expiration a delivered chain is scored on: the calendar placebo's one rule.

On an expiration day the lab scores that day's own (0DTE) contracts. With
`validation.calendar_placebo`, a session that is not an expiration day under
`calendar.expiration_rule` is a placebo day: its chain holds the *next* expiration's
contracts, and the engine scores them as if they expired at the day's close (Ni, Pearson &
Poteshman's control: an effect caused by expiration must vanish where nothing expires).
Without the flag such a day is never a partition, so it never reaches these rules.
"""

from __future__ import annotations

import datetime as dt

from assets.common import calendar
from assets.common.config import LabConfig


def is_placebo_day(day: dt.date, cfg: LabConfig) -> bool:
    """A session scored as a placebo: the flag is on and nothing expires that day."""
    return (cfg.validation.calendar_placebo
            and not calendar.is_expiration_session(day, cfg.calendar.expiration_rule,
                                                   cfg.calendar.exchange))


def scored_expiration(day: dt.date, cfg: LabConfig) -> dt.date:
    """The expiration whose contracts the day's chain must hold: the day itself, or on a
    placebo day the next expiration session."""
    if not is_placebo_day(day, cfg):
        return day
    return calendar.next_expiration_day(day, cfg.calendar.expiration_rule, cfg.calendar.exchange)
