"""End to end: synthetic years through the CLI, as a user runs them, and the nightly increment.

    .venv/bin/python -m benchmarks.bench_e2e [--years 1 3 10] [--quick] [--set-env K=V ...]
        [--out F]

For each size N (years of the `null` scenario, seed 1, ending 2025-12-31; ten years start on
2016-01-04, the first SPXW Mon/Wed/Fri session of the default calendar) in a fresh
temporary `PRESSURE_LAB_HOME`, with the default config:
  1. `pressure-lab synth` over the N years plus the next expiration day (2026-01-02), whose
     two files are then held aside outside the landing zone;
  2. `pressure-lab run`: one Dagster run from the landing files to the evidence package;
  3. the nightly increment: the held-aside day is put back and
     `pressure-lab run --start 2026-01-02 --end 2026-01-02` runs its partition (its engine
     unit) plus the unpartitioned stages, which aggregate every day's stored unit (that is
     what a night costs).
Every command runs as a child process, so the wall time includes interpreter start-up and
imports, as a user sees it. Memory: `ru_maxrss` from `os.wait4` on the child (the largest
single process among it and the processes it waited for: the CLI, dbt) and, when psutil is
installed, the peak of the summed RSS of the whole process tree sampled every 0.2 s.
The time breakdown is read back from the run's own Dagster event log: run planning (the
ASSET_MATERIALIZATION_PLANNED events written before RUN_START), each step's duration, the
event counts, and dbt's own elapsed time from run_results.json.
`--quick` runs two months instead (a smoke test of the harness). `--set-env` passes extra
environment variables to the CLI (to measure a candidate speed-up without editing code).
Writes benchmarks/results/e2e.json (or --out).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("pressure-lab"))
END = dt.date(2025, 12, 31)
NEXT_DAY = dt.date(2026, 1, 2)  # the first expiration session after END
SEED = 1
SCENARIO = "null"
GOALS = {"ten_years_full_run_seconds": 120.0, "ten_years_peak_rss_mb": 1536.0,
         "ten_years_nightly_seconds": 15.0, "nightly_ten_over_one_year_ratio": 1.5}
RUN_SECONDS = re.compile(r"succeeded over (\d+) expiration days .* in ([0-9.]+)s")

try:
    import psutil
except ImportError:  # pragma: no cover - psutil ships with the env, but is optional here
    psutil = None


def _env(home: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DAGSTER_", "DBT_", "PRESSURE_LAB_"))}
    env.update(PRESSURE_LAB_HOME=str(home), GX_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    env.update(extra)
    return env


class _TreeSampler(threading.Thread):
    """Peak of the summed RSS of a process and all its descendants (dbt runs beside its
    parent, so the largest single process understates the footprint)."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self._halt = pid, every, 0, threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._halt.is_set():
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                break
            self.peak = max(self.peak, total)
            self._halt.wait(self.every)

    def stop(self) -> int:
        self._halt.set()
        self.join(timeout=2)
        return self.peak


def measure(argv: list[str], env: dict[str, str], log: Path) -> dict:
    """Run one CLI command as a child; wall time, CPU time and peak memory of its tree."""
    with open(log, "w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=env["PRESSURE_LAB_HOME"])
        sampler = _TreeSampler(proc.pid) if psutil else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text()
    result = {
        "argv": [Path(argv[0]).name, *argv[1:]],
        "returncode": proc.returncode,
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        # KiB on Linux; at least this harness's own RSS when the child was started.
        "max_single_process_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "peak_tree_rss_mb": round(sampler.stop() / 2**20, 1) if sampler else None,
    }
    found = RUN_SECONDS.search(text)
    if found:
        result["days"] = int(found.group(1))
        result["cli_reported_run_seconds"] = float(found.group(2))
        result["startup_and_planning_outside_run_call_seconds"] = round(
            wall - float(found.group(2)), 2)
    if proc.returncode != 0:
        result["output_tail"] = text[-3000:]
    return result


def run_breakdown(home: Path, dagster_home: str | None = None) -> dict:
    """Where the latest run's time went, from its Dagster event log and dbt's run_results."""
    from dagster import DagsterInstance

    instance = DagsterInstance.from_config(dagster_home or str(home / "dagster"))
    try:
        run = instance.get_runs(limit=1)[0]
        records = instance.all_logs(run.run_id)
        types = Counter(r.dagster_event.event_type_value if r.dagster_event else "log"
                        for r in records)
        start = next(r.timestamp for r in records if r.dagster_event
                     and r.dagster_event.event_type_value in ("PIPELINE_START", "RUN_START"))
        end = records[-1].timestamp
        steps = {s.step_key: round((s.end_time or s.start_time) - s.start_time, 2)
                 for s in instance.get_run_step_stats(run.run_id) if s.start_time}
        dbt = {}
        for results in (home / "dbt" / "target").glob(f"{run.run_id}-*/run_results.json"):
            data = json.loads(results.read_text())
            dbt = {"dbt_elapsed_seconds": round(data["elapsed_time"], 2),
                   "dbt_node_seconds_sum": round(sum(r["execution_time"]
                                                     for r in data["results"]), 2),
                   "dbt_nodes": len(data["results"])}
        return {
            "run_id": run.run_id,
            "planning_before_run_start_seconds": round(start - records[0].timestamp, 2),
            "run_start_to_end_seconds": round(end - start, 2),
            "steps_seconds": dict(sorted(steps.items(), key=lambda kv: -kv[1])),
            "events": dict(types.most_common()),
            "events_total": len(records),
            **dbt,
        }
    finally:
        instance.dispose()


def breakdown_in_child(home: Path, dagster_home: str | None) -> dict:
    """`run_breakdown` in a separate interpreter. Reading a long run's event log takes a lot
    of memory, and a child started later would inherit this process's high-water RSS in its
    own `ru_maxrss` (Linux counts the image replaced by exec), inflating the next
    measurement."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.bench_e2e", "--breakdown",
                           str(home), dagster_home or ""], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def phases(measured: dict) -> dict:
    """The wall time cut into consecutive phases: CLI start-up (interpreter, imports, day
    planning), Dagster's set-up before the run's first event (definitions, execution plan),
    writing the materialization-planned events, then the run's steps."""
    b = measured["breakdown"]
    inside = measured["cli_reported_run_seconds"]
    per_partition = (b["events"].get("ASSET_MATERIALIZATION_PLANNED", 0)
                     + b["events"].get("ASSET_MATERIALIZATION", 0))
    return {
        "cli_startup_and_day_planning": round(measured["wall_seconds"] - inside, 2),
        "dagster_setup_before_first_event": round(
            inside - b["planning_before_run_start_seconds"] - b["run_start_to_end_seconds"], 2),
        "materialization_planned_events": b["planning_before_run_start_seconds"],
        "run_steps": b["run_start_to_end_seconds"],
        "steps_sum": round(sum(b["steps_seconds"].values()), 2),
        "per_partition_events": per_partition,
    }


def one_size(label: str, start: dt.date, end: dt.date, work: Path, extra_env: dict) -> dict:
    home = work / label
    env = _env(home, extra_env)
    home.mkdir(parents=True)
    logs = home / "_bench_logs"
    logs.mkdir()
    out: dict = {"start": start.isoformat(), "end": end.isoformat(),
                 "increment_day": NEXT_DAY.isoformat()}
    print(f"[{label}] synth {start}..{NEXT_DAY}", flush=True)
    out["synth"] = measure([CLI, "synth", "--scenario", SCENARIO, "--seed", str(SEED),
                            "--start", start.isoformat(), "--end", NEXT_DAY.isoformat()],
                           env, logs / "synth.log")
    if out["synth"]["returncode"]:
        return out
    held = home / "held"
    held.mkdir()
    for kind in ("chains", "bars"):
        for f in (home / "landing" / kind).glob(f"*{NEXT_DAY.isoformat()}*"):
            (held / kind).mkdir(exist_ok=True)
            shutil.move(str(f), held / kind / f.name)
    print(f"[{label}] run {start}..{end}", flush=True)
    out["full_run"] = measure([CLI, "run"], env, logs / "run.log")
    if out["full_run"]["returncode"]:
        return out
    out["full_run"]["breakdown"] = breakdown_in_child(home, extra_env.get("DAGSTER_HOME"))
    out["full_run"]["phases_seconds"] = phases(out["full_run"])
    out["end_to_end_seconds"] = round(out["synth"]["wall_seconds"]
                                      + out["full_run"]["wall_seconds"], 2)
    for kind_dir in held.iterdir():
        for f in kind_dir.iterdir():
            shutil.move(str(f), home / "landing" / kind_dir.name / f.name)
    print(f"[{label}] nightly increment {NEXT_DAY}", flush=True)
    out["nightly_increment"] = measure(
        [CLI, "run", "--start", NEXT_DAY.isoformat(), "--end", NEXT_DAY.isoformat()],
        env, logs / "nightly.log")
    if out["nightly_increment"]["returncode"] == 0:
        out["nightly_increment"]["breakdown"] = breakdown_in_child(
            home, extra_env.get("DAGSTER_HOME"))
        out["nightly_increment"]["phases_seconds"] = phases(out["nightly_increment"])
    package = home / "evidence" / "evidence_package.json"
    if package.exists():
        pkg = json.loads(package.read_text())
        out["verdict"] = pkg.get("experimental_validity")
        out["out_of_sample_trades"] = pkg.get("performance_metrics", {}).get("total_sample_size")
    out["warehouse_mb"] = round((home / "warehouse.duckdb").stat().st_size / 2**20, 1)
    out["landing_mb"] = round(sum(f.stat().st_size for f in (home / "landing").rglob("*")
                                  if f.is_file()) / 2**20, 1)
    return out


def _versions() -> dict:
    from importlib.metadata import version

    names = ["dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "duckdb", "numpy", "pandas",
             "great-expectations", "pandas-market-calendars"]
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing package is just not reported
            found[name] = None
    return found


def machine() -> dict:
    import dagster

    pkg = Path(dagster.__file__).parent
    info = {"nproc": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "versions": _versions(),
            # Without cached bytecode every process compiles every module it imports.
            "python_bytecode": {
                "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
                "site_packages_has_pyc": any(pkg.glob("__pycache__/*.pyc")),
            }}
    if psutil:
        info["memory_total_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    return info


def extrapolate(sizes: dict[str, dict]) -> dict:
    """Least-squares line of the full run's wall and CPU time (and event count) against the
    number of days, over the measured sizes: the marginal cost of a day, hence of a year.
    CPU time is the steadier of the two on shared cores (wall time also waits for the disk
    and for other jobs)."""
    points = [(s["full_run"]["days"], s["full_run"]["wall_seconds"], s["full_run"]["cpu_seconds"],
               s["synth"]["wall_seconds"], s["full_run"]["breakdown"]["events_total"],
               s.get("nightly_increment", {}).get("wall_seconds"))
              for s in sizes.values() if "breakdown" in s.get("full_run", {})]
    if len(points) < 2:
        return {}
    import numpy as np

    from assets.common.calendar import expiration_days

    days, wall, cpu, synth, events, nightly = (np.array(c, dtype=float)
                                               for c in zip(*points, strict=True))
    wall_fit, cpu_fit, synth_fit, ev_fit = (np.polyfit(days, y, 1)
                                            for y in (wall, cpu, synth, events))
    ten = len(expiration_days(dt.date(END.year - 9, 1, 1), END, "spxw"))
    out = {
        "label": "EXTRAPOLATION (linear fit over the measured sizes, not a measurement)",
        "fit_points_days": days.astype(int).tolist(),
        "run_wall_seconds_per_day": round(wall_fit[0], 4),
        "run_wall_fixed_seconds": round(wall_fit[1], 2),
        "run_cpu_seconds_per_day": round(cpu_fit[0], 4),
        "run_cpu_fixed_seconds": round(cpu_fit[1], 2),
        "synth_seconds_per_day": round(synth_fit[0], 4),
        "events_per_day": round(ev_fit[0], 2),
        "run_wall_seconds_per_252_day_year": round(wall_fit[0] * 252, 1),
        "ten_years_days": ten,
        "ten_years_run_wall_seconds_estimate": round(float(np.polyval(wall_fit, ten)), 1),
        "ten_years_run_cpu_seconds_estimate": round(float(np.polyval(cpu_fit, ten)), 1),
        "ten_years_synth_seconds_estimate": round(float(np.polyval(synth_fit, ten)), 1),
    }
    if not np.isnan(nightly).any():
        nightly_fit = np.polyfit(days, nightly, 1)
        out["nightly_wall_seconds_per_added_year"] = round(nightly_fit[0] * 252, 1)
        out["ten_years_nightly_wall_seconds_estimate"] = round(
            float(np.polyval(nightly_fit, ten)), 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1, 3, 10])
    parser.add_argument("--quick", action="store_true", help="two months only (harness check)")
    parser.add_argument("--set-env", action="append", default=[], metavar="K=V")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "e2e.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary homes")
    parser.add_argument("--breakdown", nargs=2, metavar=("HOME", "DAGSTER_HOME"),
                        help=argparse.SUPPRESS)  # internal: see breakdown_in_child
    args = parser.parse_args()
    if args.breakdown:
        home, dagster_home = args.breakdown
        print(json.dumps(run_breakdown(Path(home), dagster_home or None)))
        return 0
    extra = dict(item.split("=", 1) for item in args.set_env)
    sizes = ({"2_months": (dt.date(2024, 11, 1), END)} if args.quick else
             {f"{n}_years": (max(dt.date(END.year - n + 1, 1, 1), dt.date(2016, 1, 4)), END)
              for n in args.years})
    work = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    load_before = os.getloadavg()
    results: dict = {}
    try:
        for label, (start, end) in sizes.items():
            t0 = time.perf_counter()
            results[label] = one_size(label, start, end, work, extra)
            walls = {k: v.get("wall_seconds") for k, v in results[label].items()
                     if isinstance(v, dict)}
            print(f"[{label}] done in {time.perf_counter() - t0:.0f}s: {json.dumps(walls)}",
                  flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    ten = results.get("10_years", {})
    night = {k: v.get("nightly_increment", {}).get("wall_seconds") for k, v in results.items()}
    report = {
        "stage": "e2e",
        "quick": args.quick,
        "scenario": SCENARIO, "seed": SEED, "end": END.isoformat(),
        "extra_env": extra,
        "sizes": results,
        "per_year_cost": extrapolate(results),
        "goals": {
            **GOALS,
            "ten_years_full_run_measured": ten.get("full_run", {}).get("wall_seconds"),
            "ten_years_peak_rss_measured": ten.get("full_run", {}).get("peak_tree_rss_mb"),
            "nightly_increment_measured": night,
            "nightly_ten_over_one_year_measured": (
                round(night["10_years"] / night["1_years"], 2)
                if night.get("10_years") and night.get("1_years") else None),
        },
        "load_average_before_after": [list(load_before), list(os.getloadavg())],
        "machine": machine(),
        "note": "2 shared cores: other jobs may run at the same time; see load_average.",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("goals", "per_year_cost")}, indent=2))
    failed = [label for label, r in results.items()
              if any(isinstance(v, dict) and v.get("returncode") for v in r.values())]
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
