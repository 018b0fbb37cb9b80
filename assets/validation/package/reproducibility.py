"""What a reviewer needs to rerun a package: data, config, code, seeds, libraries.

Only content goes in (file hashes, the canonical config), never wall-clock or host facts,
so the same inputs and config give a byte-identical protocol.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from assets.common.config import LabConfig
from assets.common.settings import REPO_ROOT

LIBRARIES = ("dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "duckdb", "numpy", "pandas",
             "scipy", "statsmodels", "arch", "great-expectations", "pandas-market-calendars",
             "jsonschema", "matplotlib")
SOURCE_MANIFEST = "_source.json"
# The specification's environmental controls, restated for the batch setting they are tested in.
ENVIRONMENTAL_CONTROLS = [
    "Market hours only (the exchange calendar's session; early closes honoured)",
    "Minimum $25K account for PDT compliance (starting equity from config)",
    "Batch replay on 1-minute bars: decisions at bar t use bars up to t and the OI known "
    "before the open (the specification's <500 ms real-time latency does not apply)",
    "Expiration days only (the configured expiration rule)",
]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_hashes(landing: Path, files: Iterable[Path]) -> dict[str, str]:
    return {str(Path(p).relative_to(landing)): file_sha256(Path(p)) for p in sorted(files)}


def data_source(landing: Path) -> dict[str, Any]:
    """The synthetic market's manifest when it wrote the landing zone, else vendor files."""
    manifest = landing / SOURCE_MANIFEST
    if manifest.exists():
        return json.loads(manifest.read_text())
    return {"kind": "landing files (vendor or canonical)", "adapters": "by file name"}


def code_version() -> str:
    """The git commit of the code (with `+dirty` when the work tree differs), or the
    installed package version outside a checkout."""
    try:
        head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "expiration-pressure-lab " + metadata.version("expiration-pressure-lab")


def library_versions() -> dict[str, str]:
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def reproducibility_protocol(cfg: LabConfig, landing: Path, files: Iterable[Path],
                             calibration: dict[str, Any], seeds: dict[str, int]) -> dict[str, Any]:
    return {
        "data_source": data_source(landing),
        "input_file_sha256": input_hashes(landing, files),
        "config": json.loads(cfg.canonical_json()),
        "config_sha256": cfg.digest(),
        "code_version": code_version(),
        "random_seeds": seeds,
        "library_versions": library_versions(),
        "calibration_split": calibration,
        "environmental_controls": ENVIRONMENTAL_CONTROLS,
        "environment_setup": "make demo (synthetic) or landing files + `pressure-lab run`",
        "calibration_requirements": f"first {cfg.pressure.calibration_days} expiration days "
                                    "calibrate thresholds and are never scored",
        "validation_schedule": "nightly Dagster schedule; every run rebuilds this package",
    }
