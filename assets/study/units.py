"""One study unit = one synthetic world through the in-memory pipeline, one JSON file.

The runner is a plain function over a list of units, so any scheduler (a process pool
here, a sweep over machines later) can run them: each unit is independent, determined by
(scenario, strength, seed, span, config), and writes `<out>/units/<unit id>.json`
atomically; a unit whose file exists is skipped, so an interrupted study resumes.
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
    scenario: str  # null | steer | pin | calendar_placebo_* (CALENDAR_PLACEBO_SCENARIOS)
    strength: float  # multiple of the generator's default strength (0 for null)
    seed: int
    start: str
    end: str

    @property
    def unit_id(self) -> str:
        return f"{self.scenario}_{self.strength:g}_{self.seed}_{self.start}_{self.end}"


def study_units(n_null: int, strengths: Sequence[float], ladder_seeds: int, start: str,
                end: str, first_seed: int = 1000) -> list[StudyUnit]:
    """N null worlds, then for steer and pin each strength × `ladder_seeds` worlds. Seeds
    are disjoint from the ones the test suite uses by starting at `first_seed`."""
    units = [StudyUnit("null", 0.0, first_seed + i, start, end) for i in range(n_null)]
    for scenario in ("steer", "pin"):
        for s in strengths:
            units += [StudyUnit(scenario, float(s), first_seed + 10_000 + i, start, end)
                      for i in range(ladder_seeds)]
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


def unit_result(package: dict[str, Any], unit: StudyUnit) -> dict[str, Any]:
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
            "claims": claims}


def run_unit(unit: StudyUnit, cfg: LabConfig, out_dir: str | Path) -> Path:
    """Run one world and write its result (skipped when the file already exists)."""
    import warnings

    from assets.engine.run import run_in_memory
    from assets.synthetic_market.generator import DEFAULT_STRENGTH
    from assets.synthetic_market.in_memory_days import synthetic_market

    path = Path(out_dir) / "units" / f"{unit.unit_id}.json"
    if path.exists():
        return path
    base, effect = CALENDAR_PLACEBO_SCENARIOS.get(unit.scenario, (unit.scenario, False))
    placebo = unit.scenario in CALENDAR_PLACEBO_SCENARIOS
    if placebo:
        cfg = cfg.model_copy(update={"validation": cfg.validation.model_copy(
            update={"calendar_placebo": True})})
    strength = None if base == "null" else unit.strength * DEFAULT_STRENGTH[base]
    from threadpoolctl import threadpool_limits

    # one BLAS thread per world: the worlds run in parallel processes, and the pipeline's
    # many small matrix updates are slower multi-threaded
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        market = synthetic_market(unit.start, unit.end, base, seed=unit.seed,
                                  strength=strength, placebo_days=placebo,
                                  placebo_effect=effect)
        package = run_in_memory(market, cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(unit_result(package, unit), fh, sort_keys=True)
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
