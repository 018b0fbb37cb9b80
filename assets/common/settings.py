"""One data home for everything the platform writes.

`PRESSURE_LAB_HOME` (default: `./data` beside the repo) holds the landing zone, the DuckDB
warehouse, the Dagster instance, dbt's run artefacts and the evidence packages. Every
writer asks this module for its path, so pointing the variable elsewhere moves all output.

Several underlyings in one home: `landing/<U>/chains|bars` per underlying. A process works
on one of them at a time, its *underlying scope* (`PRESSURE_LAB_UNDERLYING`, set by the CLI
for each underlying's run): its landing zone is `landing/<U>`, its evidence `evidence/<U>`,
and its warehouse, Dagster instance and dbt artefacts live under `underlyings/<U>/` (one
single-writer DuckDB file per underlying). Without a scope the paths are the flat
single-underlying layout of before.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EVIDENCE_PACKAGE_FILE = "evidence_package.json"
DAY_PAGES_DIR = "days"  # under the evidence folder: one page per expiration day


UNDERLYING_ENV = "PRESSURE_LAB_UNDERLYING"


def current_underlying() -> str | None:
    """The process's underlying scope, upper case, or None (the flat layout)."""
    value = os.environ.get(UNDERLYING_ENV, "").strip().upper()
    return value or None


@dataclass(frozen=True)
class LabPaths:
    home: Path
    underlying: str | None = None  # the scope: None = the flat single-underlying layout

    @property
    def landing_root(self) -> Path:
        return self.home / "landing"

    def _scoped(self, root: Path) -> Path:
        """`root/<underlying>` under a scope, `root` itself in the flat layout."""
        return root / self.underlying if self.underlying else root

    @property
    def landing(self) -> Path:
        return self._scoped(self.landing_root)

    @property
    def scoped_state(self) -> Path:
        """Where the scope's warehouse, instance and dbt artefacts live."""
        return self._scoped(self.home / "underlyings") if self.underlying else self.home

    @property
    def evidence_root(self) -> Path:
        return self.home / "evidence"

    @property
    def landing_chains(self) -> Path:
        return self.landing / "chains"

    @property
    def landing_bars(self) -> Path:
        return self.landing / "bars"

    @property
    def duckdb(self) -> Path:
        return self.scoped_state / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.scoped_state / "dagster"

    @property
    def dbt_runtime(self) -> Path:
        return self.scoped_state / "dbt"

    @property
    def evidence(self) -> Path:
        return self._scoped(self.evidence_root)

    @property
    def scale_file(self) -> Path:
        """The points scale fixed for the scope's run (assets/common/underlying_scope.py)."""
        return self.scoped_state / "scaling.json"

    def day_page(self, day) -> Path:
        """The page of one expiration day (a date)."""
        return self.evidence / DAY_PAGES_DIR / f"{day.isoformat()}.html"

    @property
    def cache(self) -> Path:
        return self.home / ".cache"

    def ensure(self) -> LabPaths:
        for d in (self.landing_chains, self.landing_bars, self.dagster_home,
                  self.dbt_runtime, self.evidence, self.cache):
            d.mkdir(parents=True, exist_ok=True)
        return self


def lab_home() -> Path:
    return Path(os.environ.get("PRESSURE_LAB_HOME", REPO_ROOT / "data")).expanduser().resolve()


def lab_paths() -> LabPaths:
    return LabPaths(lab_home(), current_underlying())


def configure_environment() -> LabPaths:
    """Point every tool that writes (Dagster, dbt, matplotlib, GX) inside the data home.

    Called by the CLI and the Dagster definitions before anything else runs; explicit
    variables set by the user win over these defaults.
    """
    paths = lab_paths().ensure()
    defaults = {
        "DAGSTER_HOME": str(paths.dagster_home),
        "PRESSURE_LAB_DUCKDB": str(paths.duckdb),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_LOG_PATH": str(paths.dbt_runtime / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "DAGSTER_DISABLE_TELEMETRY": "1",
        # One "planned" event per asset for a single-run backfill instead of one per asset
        # and day: over a year that is ~3,000 fewer events written before the run starts
        # (80 s on SQLite). Dagster's trade-off: a failed run does not mark each partition
        # of the range as failed in the UI (the run itself shows the failure).
        "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "1",
        # Hand a partition range's materializations to the event log as batches (one per
        # asset and step); the instance's storage writes each batch in one transaction
        # (orchestration/event_storage.py; Postgres does it natively).
        "DAGSTER_EVENT_BATCH_SIZE": "10000",
        "GX_ANALYTICS_ENABLED": "false",
        "MPLCONFIGDIR": str(paths.cache / "matplotlib"),
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    if paths.underlying:  # a scope's state is its own, whatever the parent process set
        os.environ.update(DAGSTER_HOME=str(paths.dagster_home),
                          PRESSURE_LAB_DUCKDB=str(paths.duckdb),
                          DBT_LOG_PATH=str(paths.dbt_runtime / "logs"))
    _write_dagster_yaml(Path(os.environ["DAGSTER_HOME"]))
    return paths


GENERATED_MARKER = "# Written by pressure-lab"


def _write_dagster_yaml(dagster_home: Path) -> None:
    """A default instance config: SQLite storage under the home, telemetry off.

    - The event log is Dagster's SQLite storage with batched writes of a range's
      materializations (orchestration/event_storage.py): same files, same schema. Its
      directory is an absolute path, so the file is rewritten whenever the home has moved.
    - One run at a time from the queue and one DuckDB writer at a time (pool `duckdb`):
      every run writes the single-writer warehouse, so parallel runs only interleave.
    - Run retries for transient failures only: a run whose worker crashed, timed out while
      starting, or failed outside any step is re-executed from the failure (at most twice);
      a failed asset or a failed blocking check is not retried (the data is wrong, retrying
      will not fix it). Retries and monitoring need the daemon (`dagster dev` runs it).
    - Run monitoring frees the pool slots of runs that ended and ends runs that never start
      or run past six hours, so a dead run cannot hold the queue or the pool forever.

    A file that starts with GENERATED_MARKER is the lab's and is kept current; any other
    file is the user's and is never rewritten (see docs/operations.md for the Postgres
    block), but one whose event log lives outside this home (a moved home) is refused with
    the fix, rather than silently splitting the run history from its events.
    """
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = dagster_home / "dagster.yaml"
    wanted = _default_dagster_yaml(dagster_home)
    if target.exists():
        text = target.read_text()
        if not text.startswith(GENERATED_MARKER):
            _check_event_log_home(text, dagster_home, target)
            return
        if text == wanted:
            return
    tmp = target.with_name(f".dagster.yaml.{os.getpid()}.tmp")
    tmp.write_text(wanted)
    os.replace(tmp, target)  # two processes writing the same content: either wins


def _default_dagster_yaml(dagster_home: Path) -> str:
    return (
        f"{GENERATED_MARKER} (assets/common/settings.py) and kept current by it.\n"
        "# Delete these two lines to make the file yours: it is then never rewritten.\n"
        "telemetry:\n  enabled: false\n"
        "event_log_storage:\n  module: orchestration.event_storage\n"
        "  class: BatchedSqliteEventLogStorage\n"
        f"  config:\n    base_dir: {json.dumps(str(dagster_home / 'history' / 'runs'))}\n"
        "concurrency:\n  runs:\n    max_concurrent_runs: 1\n"
        "  pools:\n    default_limit: 1\n"
        "run_retries:\n  enabled: true\n  max_retries: 2\n"
        "  retry_on_asset_or_op_failure: false\n"
        "run_monitoring:\n  enabled: true\n  start_timeout_seconds: 300\n"
        "  max_runtime_seconds: 21600\n  free_slots_after_run_end_seconds: 60\n"
    )


def _check_event_log_home(text: str, dagster_home: Path, target: Path) -> None:
    import yaml

    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return  # Dagster reports a broken file itself, with its position
    base_dir = ((config.get("event_log_storage") or {}).get("config") or {}).get("base_dir")
    if not isinstance(base_dir, str):
        return  # not a plain path (e.g. {env: ...}) or not configured: Dagster's defaults
    where = Path(base_dir).expanduser().resolve()
    home = dagster_home.resolve()
    if where != home and home not in where.parents:
        raise ValueError(
            f"{target}: event_log_storage.config.base_dir is {base_dir}, outside this Dagster "
            f"home {home} (was the home moved?). The run history lives here, so the events "
            f"must too: set it to {home / 'history' / 'runs'}, or delete the file to get the "
            "lab's default.")
