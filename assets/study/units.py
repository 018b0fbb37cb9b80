"""One study unit = one synthetic world through the in-memory pipeline, one JSON file.

The runner is a plain function over a list of units, so any scheduler (a process pool
here, a sweep over machines later) can run them: each unit is independent, determined by
(scenario, strength, seed, span, config), and writes `<out>/units/<unit id>.json`
atomically; a unit whose file exists is skipped, so an interrupted study resumes.

The worlds are of the config's underlying (`study_underlying`): SPX's for the
specification's config, SPY's (a tenth of the level, $1 strikes, ten times the OI) for
SPY's derived config, so a study measures the procedure a package of that underlying runs.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assets.common.config import LabConfig


@dataclass(frozen=True)
class StudyUnit:
    scenario: str  # null | steer | pin | select (the best of a sweep on a null world) |
    # calendar_placebo_* (CALENDAR_PLACEBO_SCENARIOS)
    strength: float  # multiple of the generator's default strength (0 for null)
    seed: int
    start: str
    end: str

    @property
    def unit_id(self) -> str:
        return f"{self.scenario}_{self.strength:g}_{self.seed}_{self.start}_{self.end}"


def study_units(n_null: int, strengths: Sequence[float], ladder_seeds: int, start: str,
                end: str, first_seed: int = 1000, n_select: int = 0) -> list[StudyUnit]:
    """N null worlds, `n_select` selection worlds (null worlds of their own seeds), then for
    steer and pin each strength × `ladder_seeds` worlds. Seeds are disjoint from the ones
    the test suite uses by starting at `first_seed`."""
    units = [StudyUnit("null", 0.0, first_seed + i, start, end) for i in range(n_null)]
    units += [StudyUnit("select", 0.0, first_seed + 20_000 + i, start, end)
              for i in range(n_select)]
    for scenario in ("steer", "pin"):
        for s in strengths:
            units += rung_units(scenario, s, ladder_seeds, start, end, first_seed)
    return units


# The calendar placebo's worlds (non-expiration sessions written and scored, under
# `validation.calendar_placebo`): steering on expiration days only (the claim's power),
# on every session and none at all (its false-positive rates).
CALENDAR_PLACEBO_SCENARIOS = {"calendar_placebo_expiration_only": ("steer", False),
                              "calendar_placebo_every_session": ("steer", True),
                              "calendar_placebo_null": ("null", False)}


def calendar_placebo_units(worlds: int, strength: float, start: str, end: str,
                           first_seed: int = 30_000) -> list[StudyUnit]:
    """`worlds` seeded worlds per calendar placebo scenario (the same seeds in each)."""
    return [StudyUnit(name, 0.0 if base == "null" else float(strength), first_seed + i,
                      start, end)
            for name, (base, _) in CALENDAR_PLACEBO_SCENARIOS.items() for i in range(worlds)]


def rung_units(scenario: str, strength: float, ladder_seeds: int, start: str, end: str,
               first_seed: int = 1000) -> list[StudyUnit]:
    """One rung of a ladder: `ladder_seeds` worlds at one strength (the same seeds on every
    rung, so the rungs differ by the strength alone)."""
    return [StudyUnit(scenario, float(strength), first_seed + 10_000 + i, start, end)
            for i in range(ladder_seeds)]


def verdict_criteria(package: dict[str, Any], cfg: LabConfig) -> dict[str, bool]:
    """Which of VALIDATED's conditions the package meets (the reach's binding criterion)."""
    crit = package["success_criteria"]
    sharpe = package["performance_metrics"]["sharpe_ratio"]
    gate = package["claims_family"]["selection"]["deflated_sharpe_gate"]
    n = package["performance_metrics"]["total_sample_size"] or 0
    return {"n_trades": n >= cfg.validation.min_trades,  # the verdict's n, not the table's
            "win_rate": bool(crit["win_rate"]["met"]),
            "sharpe": sharpe is not None and sharpe >= cfg.validation.sharpe_threshold,
            "p_value": bool(crit["p_value"]["met"]),
            "deflated_sharpe": bool(gate["met"])}


def unit_result(package: dict[str, Any], unit: StudyUnit,
                cfg: LabConfig | None = None) -> dict[str, Any]:
    """What the fan-in needs from one package."""
    null = package["null_model"]
    mean, sd = null.get("null_mean_pnl_points"), null.get("null_std_pnl_points")
    obs = null.get("observed")
    z = ((obs - mean) / sd if None not in (obs, mean, sd) and sd and sd > 0 else None)
    claims = {c["name"]: {"p_value": c["p_value"], "adjusted_p_value": c["adjusted_p_value"],
                          "claimed": c["claimed"], "role": c["role"]}
              for c in package["claims_family"]["claims"]}
    return {**asdict(unit), "unit_id": unit.unit_id,
            "verdict": package["experimental_validity"],
            "any_claim": package["claims_family"]["any_claim"],
            "n_trades": package["performance_metrics"]["total_sample_size"],
            "primary_p_value": package["statistical_measures"]["p_value"],
            "z": z if z is None or math.isfinite(z) else None,
            "sharpe": package["performance_metrics"]["sharpe_ratio"],
            "win_rate": package["performance_metrics"].get("win_rate"),
            "verdict_criteria": verdict_criteria(package, cfg or LabConfig()),
            "claims": claims}


def world_days(start: str, end: str, scenario: str, seed: int, strength: float | None,
               placebo_days: bool = False, placebo_effect: bool = False,
               underlying: str = "SPX", rule: str = "spxw") -> list:
    """The world's SyntheticDays of `underlying`. SPX: the generator's own SPX world.
    Another underlying: the synthetic market's, with its instrument's level, strike grid
    and OI (SPY a tenth of SPX on SPX's path, $1 strikes), the force planted on it alone
    at its points scale, on `rule` (its own expiration calendar)."""
    from assets.synthetic_market.generator import (
        SCENARIO_SIGN,
        generate_market,
        generate_markets,
        resolve_strength,
    )

    if underlying == "SPX":
        return list(generate_market(start, end, scenario=scenario, seed=seed,
                                    strength=strength, placebo_days=placebo_days,
                                    placebo_effect=placebo_effect))
    force = resolve_strength(scenario, strength) * SCENARIO_SIGN[scenario]
    worlds = generate_markets(start, end, [underlying], {underlying: force} if force else {},
                              seed=seed, rule=rule, placebo_days=placebo_days,
                              placebo_effect=placebo_effect)
    return [w[underlying] for w in worlds if underlying in w]


def synthetic_world(start: str, end: str, scenario: str, seed: int, strength: float | None,
                    placebo_days: bool = False, placebo_effect: bool = False,
                    underlying: str = "SPX", rule: str = "spxw"):
    """The world's MarketDays and its chains' pre-open ATM IV (the IV-tercile regime)."""
    import pandas as pd

    from assets.synthetic_market.in_memory_days import market_days
    from assets.validation.statistics.atm_iv import atm_implied_vol, known_before_open
    from assets.validation.statistics.regimes import RegimeInputs

    days = world_days(start, end, scenario, seed, strength, placebo_days, placebo_effect,
                      underlying, rule)
    chains = pd.concat([d.chains[d.chains["expiration"] == d.chains["quote_date"]]
                        for d in days])
    return market_days(days), RegimeInputs(iv=known_before_open(atm_implied_vol(chains)),
                                           iv_source="the synthetic chains")


def world_facts(market, underlying: str) -> dict[str, Any]:
    """What a world of another underlying than SPX was, as simulated: its level (the median
    first open) and the step of its strikes, so the unit shows it was that underlying's."""
    import numpy as np

    days = list(market.values())
    steps = np.concatenate([np.diff(d.strikes) for d in days])
    return {"underlying": underlying,
            "median_first_open": float(np.median([d.open[0] for d in days])),
            "strike_step": float(np.min(steps)) if steps.size else None}


def study_underlying(cfg: LabConfig) -> str:
    """Whose worlds a study simulates: the underlying of a scoped (derived) config, else
    SPX (the specification's units)."""
    from assets.common.scaling import scoped_underlying

    return scoped_underlying(cfg) or "SPX"


def run_unit(unit: StudyUnit, cfg: LabConfig, out_dir: str | Path) -> Path:
    """Run one world and write its result (skipped when the file already exists)."""
    import warnings

    from assets.engine.run import run_in_memory
    from assets.synthetic_market.generator import DEFAULT_STRENGTH

    path = Path(out_dir) / "units" / f"{unit.unit_id}.json"
    if path.exists():
        return path
    base, effect = CALENDAR_PLACEBO_SCENARIOS.get(unit.scenario, (unit.scenario, False))
    placebo = unit.scenario in CALENDAR_PLACEBO_SCENARIOS
    if placebo:
        cfg = cfg.model_copy(update={"validation": cfg.validation.model_copy(
            update={"calendar_placebo": True})})
    world = "null" if base == "select" else base
    strength = None if world == "null" else unit.strength * DEFAULT_STRENGTH[world]
    from threadpoolctl import threadpool_limits

    # one BLAS thread per world: the worlds run in parallel processes, and the pipeline's
    # many small matrix updates are slower multi-threaded
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        market, regimes = synthetic_world(unit.start, unit.end, world, unit.seed, strength,
                                          placebo_days=placebo, placebo_effect=effect,
                                          underlying=study_underlying(cfg),
                                          rule=cfg.calendar.expiration_rule)
        sweep = None
        if unit.scenario == "select":
            from assets.study.selection import best_of_sweep

            best, trials, sweep = best_of_sweep(market, cfg)
            package = run_in_memory(market, best, variant_trials=trials,
                                    regime_inputs=regimes)
        else:
            package = run_in_memory(market, cfg, regime_inputs=regimes)
    underlying = study_underlying(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump({**unit_result(package, unit, cfg),
                   **({"sweep": sweep} if sweep else {}),
                   **({"world": world_facts(market, underlying)}
                      if underlying != "SPX" else {})}, fh, sort_keys=True)
    os.replace(tmp, path)
    return path


def _run(args: tuple[StudyUnit, str, str]) -> str:
    unit, cfg_json, out_dir = args
    return str(run_unit(unit, LabConfig.model_validate_json(cfg_json), out_dir))


def run_units(units: Iterable[StudyUnit], cfg: LabConfig, out_dir: str | Path,
              jobs: int = 1) -> list[Path]:
    """Run every unit (in `jobs` processes) and return the result files in unit order."""
    units = list(units)
    work = [(u, cfg.model_dump_json(), str(out_dir)) for u in units]
    if jobs <= 1:
        return [Path(_run(w)) for w in work]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return [Path(p) for p in pool.map(_run, work)]


def load_results(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    return [json.loads(Path(p).read_text()) for p in paths]
