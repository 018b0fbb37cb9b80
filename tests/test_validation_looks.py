"""Repeated looks: each look recorded once, the count shown, the horizon honoured."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from assets.validation.claims import repeated_looks as RL


def _look(day: str, n: int, verdict: str = "REJECTED") -> dict:  # a warehouse row
    return {"look_date": day, "n_scored_days": n, "n_trades": 3 * n, "p_value": 0.3,
            "verdict": verdict, "recorded_at": "2025-01-01T00:00:00Z"}


def test_a_rerun_on_the_same_sample_is_not_a_new_look():
    looks = RL.add_look(None, _look("2024-03-01", 40))
    looks = RL.add_look(looks, _look("2024-03-01", 40))
    assert len(looks) == 1
    looks = RL.add_look(looks, _look("2024-03-04", 41))
    assert list(looks["n_scored_days"]) == [40, 41]


def test_the_section_counts_the_current_look_once():
    looks = RL.add_look(RL.add_look(None, _look("2024-03-01", 40)), _look("2024-03-04", 41))
    sec = RL.looks_section(looks, None, 41, "2024-03-04")
    assert sec["n_looks"] == 2 and "WARNING" in sec["note"]
    assert [lk["n_scored_days"] for lk in sec["looks"]] == [40]  # earlier looks only
    RL.add_current_look(sec, "2024-03-04", 41, 123, 0.2, "REJECTED")
    assert sec["looks"][-1] == {"look_date": "2024-03-04", "n_scored_days": 41,
                                "n_trades": 123, "p_value": 0.2, "verdict": "REJECTED"}
    assert "recorded_at" not in sec["looks"][0]
    sec = RL.looks_section(looks, None, 42, "2024-03-05")
    assert sec["n_looks"] == 3
    first = RL.looks_section(None, None, 10, "2024-01-10")
    assert first["n_looks"] == 1 and "WARNING" not in first["note"]


def test_a_rerun_of_the_same_sample_gives_the_same_section():
    first = RL.looks_section(None, None, 41, "2024-03-04")
    rerun = RL.looks_section(RL.add_look(None, _look("2024-03-04", 41)), None, 41, "2024-03-04")
    assert first == rerun


def test_horizon_days_are_the_first_n_scored_days():
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(10)][::-1]
    assert RL.horizon_days(days, 3) == sorted(days)[:3]
    assert RL.horizon_days(days, None) == sorted(days)
    assert not RL.horizon_reached(days, 11) and RL.horizon_reached(days, 10)
    sec = RL.looks_section(pd.DataFrame(columns=list(RL.LOOK_COLUMNS)), 20, 10, "2024-01-10")
    assert sec["horizon_reached"] is False and sec["evaluation_horizon_days"] == 20
