"""`pressure-lab run` on a home with several underlyings: one scoped run per underlying.

Each underlying (`landing/<U>/`) is planned on its own calendar and run as its own Dagster
run under the scope `PRESSURE_LAB_UNDERLYING=U` (its warehouse, instance and evidence
folder; assets/common/settings.py). Before any run, each underlying's points scale is
measured against SPX's calibration window when SPX is in the home and recorded
(assets/ingestion/scale_source.py). The underlyings are dealt to `jobs` worker processes
(the 2-core default: 2), and each worker runs its underlyings one after the other in one
interpreter: most of a night is fixed cost (start-up, imports, the code location), and a
worker pays it once for all of its underlyings. With `--executor celery` each worker only
orchestrates its run (`full_graph_celery`): the CLI gives one to every underlying, so all
runs are submitted at once and their steps share the broker's Celery workers. When all
have succeeded, the pooled package is written into `evidence/` (`pressure-lab pool`).
"""

from __future__ import annotations

import datetime as dt
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
    from assets.ingestion.scale_source import measure_points_scale, measurement_window

    if "SPX" not in underlyings:
        return {}
    spx_cfg, found = load_config_for("SPX"), {}
    for u in underlyings:
        if u == "SPX":
            continue
        cfg = load_config_for(u)
        window = [d.isoformat() for d in measurement_window(home, u, cfg)]
        kept = measured_scale(home, u) or {}
        if window and kept.get("window") == window:  # same days: k stays as measured
            found[u] = kept["points_scale"]
            continue
        measured = measure_points_scale(home, u, cfg, spx_cfg,
                                        [dt.date.fromisoformat(d) for d in window])
        if measured is None:
            continue
        k, detail = measured
        record_measured_scale(home, u, k, detail, window)
        found[u] = k
    return found


def _log(home: Path, underlying: str) -> Path:
    return home / "logs" / f"run_{underlying}.log"


def _status(home: Path, underlying: str) -> Path:
    return home / "logs" / f"run_{underlying}.status.json"


def _worker(underlyings: list[str], argv: list[str], home: Path) -> list[UnderlyingRun]:
    """One child process running `underlyings` one after the other (`python -m
    orchestration.multi_run U1 U2 -- ARGV`); each one's status from its status file."""
    (home / "logs").mkdir(parents=True, exist_ok=True)
    for u in underlyings:
        _status(home, u).unlink(missing_ok=True)
    worker_log = home / "logs" / f"run_worker_{'_'.join(underlyings)}.log"
    with open(worker_log, "w", encoding="utf-8") as sink:
        rc = subprocess.call([sys.executable, "-m", "orchestration.multi_run", *underlyings,
                              "--", *argv], stdout=sink, stderr=subprocess.STDOUT)
    runs = []
    for u in underlyings:
        path = _status(home, u)
        if path.exists():
            status = json.loads(path.read_text())
            runs.append(UnderlyingRun(u, status["returncode"], status["seconds"], _log(home, u)))
        else:  # the worker died before it: its own log says why
            runs.append(UnderlyingRun(u, rc or 1, 0.0, worker_log))
    return runs


def run_in_this_process(underlyings: list[str], argv: list[str]) -> int:
    """The worker: each underlying's `run` under its scope, output in its own log."""
    import contextlib
    import traceback

    from assets.dagster_common.partitions import expiration_partitions
    from orchestration.cli import build_parser

    home, worst = lab_home(), 0
    for u in underlyings:
        os.environ[UNDERLYING_ENV] = u
        expiration_partitions.cache_clear()  # the scope's own calendar and landing zone
        started = time.perf_counter()
        with open(_log(home, u), "w", encoding="utf-8") as sink, \
                contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            try:
                args = build_parser().parse_args(["run", *argv])
                rc = int(args.func(args) or 0)
            except Exception:  # noqa: BLE001 - reported in the underlying's log and status
                traceback.print_exc()
                rc = 1
        _status(home, u).write_text(json.dumps(
            {"returncode": rc, "seconds": round(time.perf_counter() - started, 2)}))
        worst = max(worst, rc)
    return worst


def run_underlyings(underlyings: list[str], argv: list[str], jobs: int = 2) -> int:
    home = lab_home()
    started = time.perf_counter()
    scales = record_scales(home, underlyings)
    where = " on Celery workers" if "celery" in argv else ""
    print(f"running {len(underlyings)} underlyings ({', '.join(underlyings)}), {jobs} at a "
          f"time, each its own Dagster run{where}"
          + (f"; points scales vs SPX: {', '.join(f'{u} {k:.4g}' for u, k in scales.items())}"
             if scales else ""), flush=True)
    jobs = max(1, min(jobs, len(underlyings)))
    shares = [underlyings[i::jobs] for i in range(jobs)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        dealt = list(pool.map(lambda share: _worker(share, argv, home), shares))
    order = {u: i for i, u in enumerate(underlyings)}
    runs = sorted((r for share in dealt for r in share), key=lambda r: order[r.underlying])
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
    rc = write_pooled(home, underlyings) if len(underlyings) > 1 else 0
    print(f"{len(underlyings)} underlyings in {time.perf_counter() - started:.1f}s")
    return rc


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


def write_pooled(home: Path, underlyings: list[str]) -> int:
    """The pooled package over the underlyings' packages (`pressure-lab pool`)."""
    import argparse

    from orchestration.cli import cmd_pool

    return cmd_pool(argparse.Namespace(underlyings=underlyings))

if __name__ == "__main__":
    cut = sys.argv.index("--") if "--" in sys.argv else len(sys.argv)
    sys.exit(run_in_this_process(sys.argv[1:cut], sys.argv[cut + 1:]))
