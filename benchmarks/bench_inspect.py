"""`pressure-lab inspect` on the demo landing zone: a synthetic year (goal: under 5 s).

    .venv/bin/python -m benchmarks.bench_inspect

Writes the demo year (`pressure-lab synth --scenario null --start 2024-01-01 --end
2024-12-31 --seed 7`) under a scratch PRESSURE_LAB_HOME, then times
1. the whole command as a person runs it (a new process: interpreter start, imports,
   calendar, every file read through its adapter, the report printed), and
2. the report alone in this process (`inspect_landing`), serial and with the default pool.
Each timing is repeated; min and median are kept, with the CPU seconds used (on a shared,
loaded machine wall time overstates what an idle one takes; CPU time does not). Writes
benchmarks/results/inspect.json.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("pressure-lab")
GOAL_SECONDS = 5.0
REPEATS = 3


def _stats(samples: list[float]) -> dict[str, float]:
    return {"min_s": round(min(samples), 3), "median_s": round(statistics.median(samples), 3)}


def main() -> None:
    from assets.common.config import LabConfig
    from assets.ingestion.landing_report import inspect_landing
    from benchmarks.results_io import write_results

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PRESSURE_LAB_HOME": home}
        subprocess.run([str(CLI), "synth", "--scenario", "null", "--start", "2024-01-01",
                        "--end", "2024-12-31", "--seed", "7"], env=env, check=True,
                       capture_output=True)
        landing = Path(home) / "landing"
        files = sum(1 for _ in landing.glob("*/*"))
        command, command_cpu = [], []
        for _ in range(REPEATS):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run([str(CLI), "inspect"], env=env, capture_output=True, text=True)
            command.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            command_cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        summary = done.stdout.strip().splitlines()[-1]
        cfg = LabConfig()
        serial, serial_cpu, pooled = [], [], []
        for _ in range(REPEATS):
            start, cpu = time.perf_counter(), time.process_time()
            report = inspect_landing(landing, cfg, workers=1)
            serial.append(time.perf_counter() - start)
            serial_cpu.append(time.process_time() - cpu)
            start = time.perf_counter()
            inspect_landing(landing, cfg)
            pooled.append(time.perf_counter() - start)
    payload = {
        "what": "pressure-lab inspect on the demo landing zone (synthetic year 2024, seed 7)",
        "files": files, "days": len(report.days), "exit_code": done.returncode,
        "summary_line": summary,
        "command_wall": _stats(command), "command_cpu": _stats(command_cpu),
        "report_serial": _stats(serial), "report_serial_cpu": _stats(serial_cpu),
        "report_default_pool": _stats(pooled),
        "goal_s": GOAL_SECONDS, "meets_goal": min(command) < GOAL_SECONDS,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_1m": round(os.getloadavg()[0], 2)},
    }
    path = write_results("inspect", payload)
    print(f"inspect: command {payload['command_wall']} report serial {payload['report_serial']}"
          f" pooled {payload['report_default_pool']} -> {path}")


if __name__ == "__main__":
    main()
