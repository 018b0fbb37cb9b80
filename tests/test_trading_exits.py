"""The exit engine on hand-built paths (one per exit reason and edge case) and against a
plain per-trade loop on random bars."""

from __future__ import annotations

import numpy as np
import pytest

from assets.trading.exits import CLOSE, STOP, TARGET, TIME, first_exits


def bars(rows):
    """rows of (open, high, low, close) -> four arrays."""
    a = np.asarray(rows, dtype=float)
    return a[:, 0], a[:, 1], a[:, 2], a[:, 3]


FLAT = [(100, 100.5, 99.5, 100)] * 10


def one(rows, entry, direction, stop, target, hold, last):
    o, h, lo, c = bars(rows)
    x, p, r = first_exits(o, h, lo, c, [entry], [direction], [stop], [target], [hold], [last])
    return int(x[0]), float(p[0]), int(r[0])


def test_stop_long_fills_at_level():
    rows = list(FLAT)
    rows[4] = (100, 100.2, 96.0, 97)  # low 96 <= stop 97
    assert one(rows, 1, +1, 3, 5, 20, 9) == (4, 97.0, STOP)


def test_target_short_fills_at_level():
    rows = list(FLAT)
    rows[3] = (100, 100.2, 94.0, 95)  # short from 100: target 95 touched by low 94
    assert one(rows, 1, -1, 3, 5, 20, 9) == (3, 95.0, TARGET)


def test_both_touched_on_one_bar_stop_wins():
    rows = list(FLAT)
    rows[5] = (100, 106, 96, 101)  # long: stop 97 and target 105 both inside the range
    assert one(rows, 1, +1, 3, 5, 20, 9) == (5, 97.0, STOP)
    # mirrored for a short: stop 103, target 95
    assert one(rows, 1, -1, 3, 5, 20, 9) == (5, 103.0, STOP)


def test_gap_through_stop_fills_at_open():
    rows = list(FLAT)
    rows[6] = (94, 95, 93, 94.5)  # opens 3 points below the long's stop at 97
    assert one(rows, 1, +1, 3, 5, 20, 9) == (6, 94.0, STOP)
    rows[6] = (106, 107, 105.5, 106)  # opens above the short's stop at 103
    assert one(rows, 1, -1, 3, 5, 20, 9) == (6, 106.0, STOP)


def test_gap_through_target_fills_at_open():
    rows = list(FLAT)
    rows[6] = (108, 109, 107, 108)  # long target 105, the bar opens at 108
    assert one(rows, 1, +1, 3, 5, 20, 9) == (6, 108.0, TARGET)


def test_entry_bar_range_counts():
    rows = list(FLAT)
    rows[2] = (100, 100.4, 96.5, 99)  # entry at the open of bar 2, stop 97 hit in bar 2
    assert one(rows, 2, +1, 3, 5, 20, 9) == (2, 97.0, STOP)


def test_time_stop_at_close_of_last_held_bar():
    rows = [(100, 100.5, 99.5, 100 + 0.01 * i) for i in range(10)]
    # entry bar 2, max_hold 3 -> bars 2, 3, 4; exit at the close of bar 4
    assert one(rows, 2, +1, 3, 5, 3, 9) == (4, 100.04, TIME)


def test_hard_exit_before_time_stop_is_close():
    rows = [(100, 100.5, 99.5, 100 + 0.01 * i) for i in range(10)]
    assert one(rows, 2, +1, 3, 5, 30, 7) == (7, 100.07, CLOSE)


def test_time_and_hard_exit_on_same_bar_reports_time():
    rows = [(100, 100.5, 99.5, 100 + 0.01 * i) for i in range(10)]
    assert one(rows, 2, +1, 3, 5, 6, 7) == (7, 100.07, TIME)


def test_touch_after_the_window_is_ignored():
    rows = list(FLAT)
    rows[8] = (100, 110, 90, 100)
    assert one(rows, 1, +1, 3, 5, 4, 9) == (4, 100.0, TIME)
    assert one(rows, 1, +1, 3, 5, 30, 7) == (7, 100.0, CLOSE)


def test_equality_counts_as_touch():
    rows = list(FLAT)
    rows[3] = (100, 105.0, 99.6, 104)  # high exactly at the long's target
    assert one(rows, 1, +1, 3, 5, 20, 9) == (3, 105.0, TARGET)


def test_infinite_stop_and_target_never_fire():
    rows = list(FLAT)
    rows[3] = (100, 1e6, 1e-6, 100)
    assert one(rows, 1, +1, np.inf, np.inf, 5, 9) == (5, 100.0, TIME)


@pytest.mark.parametrize("kwargs", [
    dict(direction=[0]), dict(max_hold=[0]), dict(last_idx=[0]), dict(stop_points=[np.nan]),
    dict(stop_points=[-1.0]), dict(entry_idx=[-1]), dict(last_idx=[10]),
])
def test_invalid_inputs_raise(kwargs):
    o, h, lo, c = bars(FLAT)
    args = dict(entry_idx=[2], direction=[1], stop_points=[3.0], target_points=[5.0],
                max_hold=[5], last_idx=[9])
    args.update(kwargs)
    with pytest.raises(ValueError):
        first_exits(o, h, lo, c, **args)


def test_empty_input():
    o, h, lo, c = bars(FLAT)
    x, p, r = first_exits(o, h, lo, c, [], [], [], [], [], [])
    assert x.shape == p.shape == r.shape == (0,)


def loop_exit(o, h, lo, c, e, d, sp, tp, hold, last):
    """Per-trade, per-bar reference written from the interface text."""
    entry = o[e]
    stop_lvl, tgt_lvl = entry - d * sp, entry + d * tp
    j = e
    while True:
        adverse = lo[j] <= stop_lvl if d > 0 else h[j] >= stop_lvl
        favour = h[j] >= tgt_lvl if d > 0 else lo[j] <= tgt_lvl
        if adverse:
            gap = o[j] <= stop_lvl if d > 0 else o[j] >= stop_lvl
            return j, (o[j] if gap else stop_lvl), STOP
        if favour:
            gap = o[j] >= tgt_lvl if d > 0 else o[j] <= tgt_lvl
            return j, (o[j] if gap else tgt_lvl), TARGET
        if j == e + hold - 1:
            return j, c[j], TIME
        if j == last:
            return j, c[j], CLOSE
        j += 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_per_bar_loop_on_random_bars(seed):
    rng = np.random.default_rng(seed)
    n_bars = 3000
    c = 100 + np.cumsum(rng.normal(0, 0.5, n_bars))
    o = np.r_[100.0, c[:-1]] + np.where(rng.random(n_bars) < 0.1, rng.normal(0, 1.5, n_bars), 0)
    h = np.maximum(o, c) + rng.exponential(0.3, n_bars)
    lo = np.minimum(o, c) - rng.exponential(0.3, n_bars)
    n = 2000
    e = rng.integers(0, n_bars - 1, n)
    last = np.minimum(e + rng.integers(0, 120, n), n_bars - 1)
    d = rng.choice([-1, 1], n)
    sp = rng.choice([0.0, 0.5, 2.0, 4.0, np.inf], n)
    tp = rng.choice([0.5, 2.0, 6.0, np.inf], n)
    hold = rng.integers(1, 80, n)
    # a tiny chunk budget exercises the chunking and the padding of short windows
    x, p, r = first_exits(o, h, lo, c, e, d, sp, tp, hold, last, chunk_elements=997)
    x2, p2, r2 = first_exits(o, h, lo, c, e, d, sp, tp, hold, last)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(p, p2)
    np.testing.assert_array_equal(r, r2)
    for k in range(n):
        ref = loop_exit(o, h, lo, c, e[k], d[k], sp[k], tp[k], hold[k], last[k])
        assert (x[k], p[k], r[k]) == ref, k
    assert set(np.unique(r)) == {STOP, TARGET, TIME, CLOSE}
