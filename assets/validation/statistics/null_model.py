"""The exact null: "no better than random trades", by Monte Carlo.

Each replication keeps everything about the observed out-of-sample trades except the
information the hypothesis claims to have: the same number of trades, on the same days,
in the same urgency class, with the same stop / target / time stop, size and costs. Only
the entry bar and the direction (±1 with equal odds) are random.

Entry bars (`entries`):
- "matched" (the package's null): drawn from the strategy's own distribution of entry
  minutes-to-expiry in that class (pooled over the out-of-sample trades), restricted to
  the bars the class's window allows on that day. Pressure grows as 1/minutes², so alerts
  cluster near the close; a null that ignored this would hold its trades longer, have a
  wider distribution and lose power. A day on which none of the class's observed entry
  minutes is available falls back to uniform over its window (counted).
- "uniform": uniform over the class's window on that day (the older, wider null).

Every replication is re-priced on the same bars by the same exit engine as the simulator
(`assets.trading.exits.first_exits`), with slippage on both sides.

Statistic: mean `pnl_points` per trade. p = (1 + #{null ≥ observed}) / (B + 1).
A stop and a target of different sizes, slippage and commissions move a random trade's
win rate away from 50 %, so the observed wins are tested against the null's win rate.

Randomness: replications come in fixed blocks, each block with its own child of
`np.random.SeedSequence(seed)`, so the result does not depend on the memory chunking.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from assets.common.config import TradingConfig, UrgencyRule
from assets.trading.exits import REASON_NAMES, first_exits
from assets.trading.simulator import BarTape, as_tape, hold_bars
from assets.validation.package.json_values import finite_or_none
from assets.validation.statistics.metrics import out_of_sample

REPS_PER_BLOCK = 64  # replications sharing one child generator (fixes the random stream)
DEFAULT_CHUNK_TRADES = 1_000_000  # simulated trades per call to the exit engine


# The bar container is the simulator's: the same concatenation, hence the same global
# indices, the same hard-exit bars and the same hold-length rule.
BarArrays = BarTape


def window_alert_bars(bars: BarTape, day: int, rule: UrgencyRule,
                      exit_before_close_minutes: int) -> np.ndarray:
    """Global indices of the bars in the class's time window on one day whose next bar
    (the entry) is before the day's hard-exit bar, as the simulator requires."""
    s = int(bars.day_start[day])
    e = s + int(bars.day_len[day])
    m = bars.minutes_to_expiry[s:e]
    upper = m <= rule.max_minutes if rule.max_inclusive else m < rule.max_minutes
    idx = np.arange(s, e)
    last = e - 1 - int(exit_before_close_minutes)
    return idx[(m >= rule.min_minutes) & upper & (idx + 1 < last)]


@dataclass
class NullResult:
    """Outcome of the random-entry null; `to_dict()` is what the evidence package stores."""

    B: int
    seed: int
    n_trades: int
    n_excluded: int
    observed_mean_pnl_points: float
    null_means: np.ndarray
    p_value: float
    observed_wins: int
    null_win_rate: float
    binomial_p_value: float
    null_exit_reasons: dict[str, float]
    per_class: dict[str, dict[str, Any]] = field(default_factory=dict)
    entries: str = "matched"
    uniform_fallback_trades: int = 0

    def histogram(self, bins: int = 50) -> dict[str, Any]:
        finite = self.null_means[np.isfinite(self.null_means)]
        if finite.size == 0:
            return {"observed": finite_or_none(self.observed_mean_pnl_points),
                    "bin_edges": [], "counts": []}
        lo = min(finite.min(), self.observed_mean_pnl_points)
        hi = max(finite.max(), self.observed_mean_pnl_points)
        counts, edges = np.histogram(finite, bins=bins, range=(lo, hi) if hi > lo else None)
        return {"observed": finite_or_none(self.observed_mean_pnl_points),
                "bin_edges": [float(x) for x in edges], "counts": [int(c) for c in counts]}

    def to_dict(self) -> dict[str, Any]:
        q = (np.percentile(self.null_means, [2.5, 50, 97.5]) if self.null_means.size
             else [math.nan] * 3)
        n = self.n_trades
        return {
            "description": ("random-entry null: same number of trades on the same days, "
                            + ("entry minutes-to-expiry drawn from the strategy's own per-class "
                               "distribution inside the class's window"
                               if self.entries == "matched" else
                               "entries uniform in the same urgency window")
                            + ", random direction, same stop/target/time stop, size and "
                            "costs, re-priced on the same bars; statistic = mean "
                            "pnl_points per trade"),
            "entries": self.entries,
            "uniform_fallback_trades": self.uniform_fallback_trades,
            "replications": self.B, "seed": self.seed,
            "n_trades": n, "n_excluded": self.n_excluded,
            "statistic": "mean pnl_points per trade",
            "observed": finite_or_none(self.observed_mean_pnl_points),
            "p_value": finite_or_none(self.p_value),
            "p_value_formula": "(1 + #{null >= observed}) / (B + 1)",
            "null_mean_pnl_points": (finite_or_none(np.mean(self.null_means))
                                     if self.null_means.size else None),
            "null_std_pnl_points": (finite_or_none(np.std(self.null_means, ddof=1))
                                    if self.null_means.size > 1 else None),
            "null_quantiles_pnl_points": {"q025": finite_or_none(q[0]),
                                          "q500": finite_or_none(q[1]),
                                          "q975": finite_or_none(q[2])},
            "observed_wins": self.observed_wins,
            "observed_win_rate": finite_or_none(self.observed_wins / n) if n else None,
            "null_win_rate": finite_or_none(self.null_win_rate),
            "binomial_test": {"alternative": "greater", "p0": finite_or_none(self.null_win_rate),
                              "p0_source": "null model win rate (not 0.5)",
                              "p_value": finite_or_none(self.binomial_p_value)},
            "null_exit_reasons": {k: finite_or_none(v) for k, v in self.null_exit_reasons.items()},
            "per_class": self.per_class,
        }




def _per_trade_plan(oos: pd.DataFrame, bars: BarTape, rules: Sequence[UrgencyRule],
                    tc: TradingConfig) -> dict[str, np.ndarray]:
    """For each observed trade: its candidate alert bars (as offset/count into one flat
    array), hard-exit bar, stop, target, hold in bars, size, commission."""
    by_name = {r.name: r for r in rules}
    hard_exit = bars.hard_exit_index(tc.exit_before_close_minutes)
    cache: dict[tuple[int, str], np.ndarray] = {}
    flat: list[np.ndarray] = []
    offset, count, last, keep = [], [], [], []
    pos = 0
    for qd, urg in zip(oos["quote_date"], oos["urgency"], strict=True):
        day = bars.day_position(pd.Timestamp(qd).date())
        rule = by_name.get(str(urg))
        if day < 0 or rule is None:
            keep.append(False)
            continue
        key = (day, rule.name)
        if key not in cache:
            cache[key] = window_alert_bars(bars, day, rule, tc.exit_before_close_minutes)
        cand = cache[key]
        if cand.size == 0:
            keep.append(False)
            continue
        keep.append(True)
        flat.append(cand)
        offset.append(pos)
        count.append(cand.size)
        pos += cand.size
        last.append(int(hard_exit[day]))
    keep_arr = np.array(keep, dtype=bool)
    kept = oos.loc[keep_arr]
    urg = kept["urgency"].astype(str).to_numpy()

    def per_class(col: str, table: dict[str, float]) -> np.ndarray:
        if col in kept.columns:
            return np.asarray(kept[col], dtype=float)
        return np.array([table[u] for u in urg], dtype=float)

    entry_minutes = (bars.minutes_to_expiry[np.asarray(kept["entry_index"], dtype=np.int64)]
                     if "entry_index" in kept.columns else None)
    size = (np.asarray(kept["size"], dtype=float) if "size" in kept.columns
            else np.ones(len(kept)))
    pts = np.asarray(kept["pnl_points"], dtype=float)
    usd = np.asarray(kept["pnl_dollars"], dtype=float)
    # Commission exactly as the simulator charged it: dollars it did not get from points.
    commission = size * tc.point_value * pts - usd
    hold_minutes = per_class("max_hold_minutes", tc.max_hold_minutes)
    return {
        "keep": keep_arr,
        "cand": np.concatenate(flat) if flat else np.empty(0, np.int64),
        "offset": np.array(offset, dtype=np.int64),
        "count": np.array(count, dtype=np.int64),
        "last": np.array(last, dtype=np.int64),
        "stop": per_class("stop_points", tc.stop_points),
        "target": per_class("target_points", tc.target_points),
        "hold": hold_bars(hold_minutes),
        "size": size,
        "commission": commission,
        "urgency": urg,
        "pnl_points": pts,
        "wins": usd > 0,
        "entry_minutes": entry_minutes,
    }


def matched_weights(plan: dict[str, np.ndarray], bars: BarTape) -> tuple[np.ndarray, int]:
    """Per candidate alert bar, the probability of drawing it: the class's empirical
    frequency of the entry bar's minutes-to-expiry, normalised within each trade's
    candidate set. Returns (flat weights, number of trades that fell back to uniform)."""
    cand_minutes = bars.minutes_to_expiry[plan["cand"] + 1]
    weights = np.empty(plan["cand"].size)
    fallback = 0
    pmf: dict[str, dict[float, float]] = {}
    for u in np.unique(plan["urgency"]):
        vals, counts = np.unique(plan["entry_minutes"][plan["urgency"] == u], return_counts=True)
        pmf[str(u)] = dict(zip(vals.tolist(), (counts / counts.sum()).tolist(), strict=True))
    for o, c, u in zip(plan["offset"], plan["count"], plan["urgency"], strict=True):
        table = pmf[str(u)]
        w = np.array([table.get(m, 0.0) for m in cand_minutes[o:o + c].tolist()])
        if w.sum() <= 0:
            w = np.ones(c)
            fallback += 1
        weights[o:o + c] = w / w.sum()
    return weights, fallback


def _draw(plan: dict[str, np.ndarray], cum: np.ndarray | None, rng: np.random.Generator,
          reps: int) -> np.ndarray:
    """(reps, n) flat candidate positions: uniform per trade, or by the matched weights
    (`cum`: per-trade cumulative weights shifted by the trade's position, so one
    searchsorted serves every trade)."""
    n = plan["count"].size
    if cum is None:
        pick = rng.integers(0, plan["count"][None, :], size=(reps, n))
        return plan["offset"][None, :] + pick
    u = rng.random((reps, n)) + np.arange(n)[None, :]
    pos = np.searchsorted(cum, u, side="right")
    lo = plan["offset"][None, :]
    return np.clip(pos, lo, lo + plan["count"][None, :] - 1)


def random_entry_null(trades: pd.DataFrame, bars, rules: Sequence[UrgencyRule],
                      trading_cfg: TradingConfig, B: int, seed: int,
                      chunk_trades: int = DEFAULT_CHUNK_TRADES, entries: str = "matched",
                      min_class_trades: int = 10) -> NullResult:
    """Run the random-entry null on the out-of-sample trades.

    `trades` needs `quote_date`, `urgency`, `pnl_points`, `pnl_dollars`, `is_calibration`
    and, when present, uses each trade's `stop_points`, `target_points`,
    `max_hold_minutes` and `size` (else the per-class values of `trading_cfg`, size 1).
    Trades whose day is not in `bars` or whose class window is empty on that day are
    excluded from both sides and counted in `n_excluded`. `bars` is the simulator's
    `BarTape` (or MarketDays, turned into one). `entries="matched"` needs `entry_index`
    (global bar index of the entry on that tape). Per-class blocks only for classes with
    at least `min_class_trades` trades (fewer are listed with their count only).
    """
    if B < 1:
        raise ValueError("B must be at least 1")
    if entries not in ("matched", "uniform"):
        raise ValueError(f"entries must be 'matched' or 'uniform', got {entries!r}")
    bars = as_tape(bars)
    oos = out_of_sample(trades)
    plan = _per_trade_plan(oos, bars, rules, trading_cfg)
    n = int(plan["keep"].sum())
    n_excluded = int(len(oos) - n)
    observed = float(plan["pnl_points"].mean()) if n else math.nan
    obs_wins = int(plan["wins"].sum())
    if n == 0:
        return NullResult(B, seed, 0, n_excluded, observed, np.empty(0), math.nan, 0,
                          math.nan, math.nan, {}, {}, entries)
    cum, fallback = None, 0
    if entries == "matched":
        if plan["entry_minutes"] is None:
            raise ValueError("the matched null needs the trades' entry_index")
        weights, fallback = matched_weights(plan, bars)
        seg = np.repeat(np.arange(plan["count"].size), plan["count"])
        total = np.cumsum(weights)
        before = np.concatenate([[0.0], total[:-1]])[plan["offset"]]
        cum = seg + (total - np.repeat(before, plan["count"]))

    classes = sorted(set(plan["urgency"]))
    cls_idx = np.array([classes.index(u) for u in plan["urgency"]])
    null_means = np.empty(B)
    class_sums = np.zeros((B, len(classes)))
    null_win_count = 0
    class_win_count = np.zeros(len(classes))
    reason_count = np.zeros(len(REASON_NAMES))

    n_blocks = -(-B // REPS_PER_BLOCK)
    children = np.random.SeedSequence(seed).spawn(n_blocks)
    blocks_per_chunk = max(1, chunk_trades // (REPS_PER_BLOCK * n))
    slip = trading_cfg.slippage_points
    pv = trading_cfg.point_value
    for c0 in range(0, n_blocks, blocks_per_chunk):
        entry_bars, dirs = [], []
        for b in range(c0, min(n_blocks, c0 + blocks_per_chunk)):
            reps = min(REPS_PER_BLOCK, B - b * REPS_PER_BLOCK)
            rng = np.random.default_rng(children[b])
            entry_bars.append(plan["cand"][_draw(plan, cum, rng, reps)] + 1)
            dirs.append(rng.integers(0, 2, size=(reps, n)) * 2 - 1)
        entry = np.concatenate(entry_bars)
        direction = np.concatenate(dirs)
        r = entry.shape[0]
        tile = lambda a: np.broadcast_to(a, (r, n)).ravel()  # noqa: E731, B023 (used in this iteration)
        ex_idx, ex_price, reason = first_exits(
            bars.open, bars.high, bars.low, bars.close, entry.ravel(), direction.ravel(),
            tile(plan["stop"]), tile(plan["target"]), tile(plan["hold"]), tile(plan["last"]))
        pnl = (direction * (ex_price.reshape(r, n) - bars.open[entry]) - 2.0 * slip)
        usd = plan["size"] * pv * pnl - plan["commission"]
        win = usd > 0
        start = c0 * REPS_PER_BLOCK
        null_means[start:start + r] = pnl.mean(axis=1)
        for k in range(len(classes)):
            mask = cls_idx == k
            class_sums[start:start + r, k] = pnl[:, mask].sum(axis=1)
            class_win_count[k] += win[:, mask].sum()
        null_win_count += int(win.sum())
        reason_count += np.bincount(reason, minlength=len(REASON_NAMES))

    p_value = (1 + int((null_means >= observed).sum())) / (B + 1)
    null_wr = null_win_count / (B * n)
    binom_p = (stats.binomtest(obs_wins, n, null_wr, alternative="greater").pvalue
               if 0.0 < null_wr < 1.0 else math.nan)
    per_class: dict[str, dict[str, Any]] = {}
    for k, name in enumerate(classes):
        mask = cls_idx == k
        nk = int(mask.sum())
        if nk < min_class_trades:
            per_class[name] = {"n_trades": nk, "tested": False,
                               "note": f"fewer than {min_class_trades} trades: not tested"}
            continue
        obs_k = float(plan["pnl_points"][mask].mean())
        null_k = class_sums[:, k] / nk
        wr_k = class_win_count[k] / (B * nk)
        wins_k = int(plan["wins"][mask].sum())
        per_class[name] = {
            "n_trades": nk, "tested": True, "observed_mean_pnl_points": finite_or_none(obs_k),
            "null_mean_pnl_points": finite_or_none(null_k.mean()),
            "p_value": finite_or_none((1 + int((null_k >= obs_k).sum())) / (B + 1)),
            "observed_win_rate": finite_or_none(wins_k / nk), "null_win_rate": finite_or_none(wr_k),
            "binomial_p_value": finite_or_none(stats.binomtest(wins_k, nk, wr_k,
                                                   alternative="greater").pvalue)
            if 0 < wr_k < 1 else None,
        }
    total = reason_count.sum()
    reasons = {name: float(reason_count[i] / total) for i, name in enumerate(REASON_NAMES)}
    return NullResult(B, seed, n, n_excluded, observed, null_means, p_value, obs_wins,
                      null_wr, float(binom_p), reasons, per_class, entries, fallback)


def random_entry_plan(trades: pd.DataFrame, bars, rules: Sequence[UrgencyRule],
                      trading_cfg: TradingConfig) -> dict[str, np.ndarray]:
    """The per-trade plan the null re-prices (candidate entry bars, exits, size, costs) for
    the out-of-sample trades: public so that a benchmark built from the same random entries
    (the sweep's SPA benchmark) uses exactly the null's rules."""
    return _per_trade_plan(out_of_sample(trades), as_tape(bars), rules, trading_cfg)
