"""The synthetic market as the landing zone's default source.

Generates into a staging folder first, then moves files in only when nothing already in
the landing zone would be lost: an identical file is left alone, a different file for the
same day (or the same day in another format) stops the write unless `force` is given.
A manifest (`landing/_source.json`) records every generation, so the evidence package can
name its data source, scenario and seed.

SPX alone (the default) lands flat in `landing/chains|bars/`, as it always has; several
underlyings (or any other) land in `landing/<U>/chains|bars/`, each folder with its own
manifest naming its scenario, and the top manifest naming the whole world.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import tempfile
from pathlib import Path

from assets.common.atomic_files import write_text_atomic
from assets.synthetic_market.generator import (
    SCENARIO_SIGN,
    generate_market,
    generate_markets,
    resolve_strength,
)
from assets.synthetic_market.landing_files import same_day_other_formats, write_landing
from assets.synthetic_market.underlyings import (
    BUILT_IN,
    points_scale,
    resolve_underlyings,
    steering_targets,
)

MANIFEST = "_source.json"
MANIFEST_MODE = 0o644


class LandingConflictError(RuntimeError):
    """Writing would overwrite landing files that differ from the generated ones."""


def world_scenarios(scenario: str, strength: float | None, underlyings: list[str],
                    steer: str | None) -> dict[str, tuple[str, float]]:
    """(scenario, strength in SPX points) per underlying. Without `steer`, `scenario` holds
    on every underlying; with it, the targets `steer` selects get `scenario`'s force
    (`steer` when `scenario` is `null`) and the others none."""
    if steer is None:
        value = resolve_strength(scenario, strength)
        return {u: (scenario, value) for u in underlyings}
    kind = "steer" if scenario == "null" else scenario
    value = resolve_strength(kind, strength)
    targets = set(steering_targets(steer, underlyings))
    return {u: (kind, value) if u in targets else ("null", 0.0) for u in underlyings}


def write_synthetic_landing(landing: Path, *, scenario: str, start, end, seed: int,
                            strength: float | None = None, fmt: str = "csv",
                            force: bool = False, placebo_days: bool = False,
                            placebo_effect: bool = False, underlyings: list[str] | None = None,
                            steer: str | None = None) -> list[Path]:
    """Generate into the landing zone. `underlyings` (default SPX alone) and `steer` (names
    or settlement types the force is planted on, e.g. `SPY` or `physical`) choose the
    world; SPX alone lands flat, anything else one folder per underlying. `placebo_days`
    (SPX alone) also writes every non-expiration session, with the next expiration's chain."""
    landing = Path(landing)
    names = [str(n).strip().upper() for n in (underlyings or ["SPX"])]
    resolve_underlyings(names)  # unknown or repeated names stop here
    plan_scen = world_scenarios(scenario, strength, names, steer)
    flat = names == ["SPX"]
    landing.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".synth-", dir=landing))
    try:
        if flat:
            scenario, strength = plan_scen["SPX"]
            days = generate_market(start, end, scenario=scenario, seed=seed, strength=strength,
                                   placebo_days=placebo_days, placebo_effect=placebo_effect)
            staged = write_landing(staging, days, fmt=fmt)
        else:
            if placebo_days:
                raise ValueError("placebo days are written for SPX alone (one underlying)")
            staged = _stage_world(staging, start, end, seed, plan_scen, fmt)
        plan, conflicts = [], []
        for src in staged:
            rel = src.relative_to(staging)
            dst = landing / rel
            siblings = same_day_other_formats(dst)
            if siblings:
                conflicts.append(f"{siblings[0]} (same day, other format)")
            if dst.exists():
                if filecmp.cmp(src, dst, shallow=False):
                    continue
                conflicts.append(str(dst))
            plan.append((src, dst))
        if conflicts and not force:
            shown = "\n  ".join(conflicts[:10])
            more = f"\n  … and {len(conflicts) - 10} more" if len(conflicts) > 10 else ""
            raise LandingConflictError(
                f"{len(conflicts)} landing file(s) already exist with different content; "
                f"nothing was written (use --force to replace them):\n  {shown}{more}")
        for src, dst in plan:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
        common = {"kind": "synthetic", "generator": generate_market.__module__,
                  "seed": int(seed), "start": str(start), "end": str(end), "format": fmt}
        if flat:
            _record(landing, {**common, "scenario": scenario,
                              "strength": resolve_strength(scenario, strength),
                              **({"placebo_days": True, "placebo_effect": bool(placebo_effect)}
                                 if placebo_days else {})})
        else:
            for name, (scen, value) in plan_scen.items():
                u = BUILT_IN[name]
                _record(landing / name, {
                    **common, "underlying": name, "scenario": scen, "strength": value,
                    "strength_unit": "SPX points per minute at the close, applied at "
                                     "points_scale", "points_scale": points_scale(u),
                    "settlement": u.settlement, "parent": u.parent, "world": names})
            _record(landing, {**common, "underlyings": names,
                              "scenario": ",".join(f"{n}:{s}" for n, (s, _) in
                                                   plan_scen.items()),
                              # per underlying: the variant registry names a dataset by
                              # scenario, seed and strength
                              "strength": {n: v for n, (_, v) in plan_scen.items()}})
        return [dst for _, dst in plan]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stage_world(staging: Path, start, end, seed: int,
                 plan: dict[str, tuple[str, float]], fmt: str) -> list[Path]:
    """Every underlying's days under `staging/<U>/`."""
    forces = {n: SCENARIO_SIGN[s] * v for n, (s, v) in plan.items() if v}
    staged: list[Path] = []
    for world in generate_markets(start, end, list(plan), forces, seed=seed):
        for name, day in world.items():
            staged += write_landing(staging / name, [day], fmt=fmt)
    return staged


def _record(landing: Path, generation: dict) -> None:
    path = landing / MANIFEST
    manifest = (json.loads(path.read_text()) if path.exists()
                else {"kind": "synthetic", "generations": []})
    if generation not in manifest["generations"]:
        manifest["generations"].append(generation)
    scenarios = {g["scenario"] for g in manifest["generations"]}
    manifest["scenario"] = scenarios.pop() if len(scenarios) == 1 else sorted(scenarios)
    write_text_atomic(path, json.dumps(manifest, indent=2, sort_keys=True), mode=MANIFEST_MODE)
