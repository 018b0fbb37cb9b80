"""The synthetic market as the landing zone's default source.

Generates into a staging folder first, then moves files in only when nothing already in
the landing zone would be lost: an identical file is left alone, a different file for the
same day (or the same day in another format) stops the write unless `force` is given.
A manifest (`landing/_source.json`) records every generation, so the evidence package can
name its data source, scenario and seed.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import tempfile
from pathlib import Path

from assets.common.atomic_files import write_text_atomic
from assets.synthetic_market.generator import generate_market, resolve_strength
from assets.synthetic_market.landing_files import same_day_other_formats, write_landing

MANIFEST = "_source.json"
MANIFEST_MODE = 0o644


class LandingConflictError(RuntimeError):
    """Writing would overwrite landing files that differ from the generated ones."""


def write_synthetic_landing(landing: Path, *, scenario: str, start, end, seed: int,
                            strength: float | None = None, fmt: str = "csv",
                            force: bool = False, placebo_days: bool = False,
                            placebo_effect: bool = False) -> list[Path]:
    landing = Path(landing)
    landing.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".synth-", dir=landing))
    try:
        days = generate_market(start, end, scenario=scenario, seed=seed, strength=strength,
                               placebo_days=placebo_days, placebo_effect=placebo_effect)
        staged = write_landing(staging, days, fmt=fmt)
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
        _record(landing, {"kind": "synthetic", "generator": generate_market.__module__,
                          "scenario": scenario, "seed": int(seed),
                          "strength": resolve_strength(scenario, strength),
                          "start": str(start), "end": str(end), "format": fmt,
                          **({"placebo_days": True, "placebo_effect": bool(placebo_effect)}
                             if placebo_days else {})})
        return [dst for _, dst in plan]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _record(landing: Path, generation: dict) -> None:
    path = landing / MANIFEST
    manifest = (json.loads(path.read_text()) if path.exists()
                else {"kind": "synthetic", "generations": []})
    if generation not in manifest["generations"]:
        manifest["generations"].append(generation)
    scenarios = {g["scenario"] for g in manifest["generations"]}
    manifest["scenario"] = scenarios.pop() if len(scenarios) == 1 else sorted(scenarios)
    write_text_atomic(path, json.dumps(manifest, indent=2, sort_keys=True), mode=MANIFEST_MODE)
