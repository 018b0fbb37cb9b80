"""`pressure-lab run` on a home with several underlyings: one scoped run per underlying.

Each underlying (`landing/<U>/`) is planned on its own calendar and run as its own Dagster
run, in a child process under the scope `PRESSURE_LAB_UNDERLYING=U` (its warehouse,
instance and evidence folder; assets/common/settings.py). Before any run, each
underlying's points scale is measured against SPX's calibration window when SPX is in the
home and recorded (assets/ingestion/scale_source.py). Up to `jobs` underlyings run at once
(the 2-core default: 2). When all have succeeded, the pooled package is written by
`assets.validation.package.pooled.write_pooled_package` into `evidence/`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from assets.common.settings import UNDERLYING_ENV, LabPaths, lab_home


@dataclass
class UnderlyingRun:
    underlying: str
    returncode: int
    seconds: float
    log: Path


def record_scales(home: Path, underlyings: list[str]) -> dict[str, float]:
    """Measure and record k for every underlying but SPX, when SPX is in the home."""
    from assets.common.config import load_config_for
    from assets.common.underlying_scope import measured_scale, record_measured_scale
    from assets.ingestion.scale_source import measure_points_scale

    if "SPX" not in underlyings:
        return {}
    spx_cfg, found = load_config_for("SPX"), {}
    for u in underlyings:
        if u == "SPX":
            continue
        measured = measure_points_scale(home, u, load_config_for(u), spx_cfg)
        if measured is None:
            continue
        k, detail = measured
        if (measured_scale(home, u) or {}).get("points_scale") != k:
            record_measured_scale(home, u, k, detail)
        found[u] = k
    return found


def _child(underlying: str, argv: list[str], home: Path) -> UnderlyingRun:
    log = home / "logs" / f"run_{underlying}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, UNDERLYING_ENV: underlying}
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as sink:
        rc = subprocess.call([sys.executable, "-m", "orchestration.cli", "run", *argv],
                             env=env, stdout=sink, stderr=subprocess.STDOUT)
    return UnderlyingRun(underlying, rc, time.perf_counter() - started, log)


def run_underlyings(underlyings: list[str], argv: list[str], jobs: int = 2) -> int:
    home = lab_home()
    started = time.perf_counter()
    scales = record_scales(home, underlyings)
    print(f"running {len(underlyings)} underlyings ({', '.join(underlyings)}), {jobs} at a "
          "time, each its own Dagster run"
          + (f"; points scales vs SPX: {', '.join(f'{u} {k:.4g}' for u, k in scales.items())}"
             if scales else ""), flush=True)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(pool.map(lambda u: _child(u, argv, home), underlyings))
    failed = [r for r in runs if r.returncode]
    for r in runs:
        _print_line(home, r)
    if failed:
        for r in failed:
            print(f"error: {r.underlying} failed (exit {r.returncode}); its output: {r.log}",
                  file=sys.stderr)
            print("  " + "\n  ".join(r.log.read_text().strip().splitlines()[-8:]),
                  file=sys.stderr)
        return 1 if all(r.returncode == 1 for r in failed) else max(r.returncode for r in failed)
    pooled = write_pooled(home, underlyings)
    print(f"{len(underlyings)} underlyings in {time.perf_counter() - started:.1f}s"
          + (f"; pooled package: {pooled}" if pooled else ""))
    return 0


def _print_line(home: Path, r: UnderlyingRun) -> None:
    pkg_path = LabPaths(home, r.underlying).evidence / "evidence_package.json"
    verdict = edge = "n/a"
    if r.returncode == 0 and pkg_path.exists():
        pkg = json.loads(pkg_path.read_text())
        verdict = pkg.get("experimental_validity")
        edge = str(pkg.get("hypothesis_results", {}).get("edge_vs_random", "n/a")).split(" - ")[0]
    status = "ok" if r.returncode == 0 else f"FAILED (exit {r.returncode})"
    print(f"  {r.underlying}: {status} in {r.seconds:.1f}s; verdict {verdict}; "
          f"edge_vs_random {edge}; {pkg_path}")


def write_pooled(home: Path, underlyings: list[str]) -> Path | None:
    """The pooled package over the underlyings' packages, when its writer is installed."""
    try:
        from assets.validation.package.pooled import write_pooled_package
    except ImportError:
        print("(the pooled package writer is not installed: per-underlying packages only)")
        return None
    from assets.common.config import load_config

    path = write_pooled_package(LabPaths(home).evidence_root, underlyings, load_config())
    return Path(path) if path else LabPaths(home).evidence_root / "evidence_package.json"
