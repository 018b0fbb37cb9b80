"""Launch a run when a new landing day completes.

The cursor remembers every landing file by (size, mtime). A day whose chain and bar files are
both present and at least one of them is new or changed gets one run for that day's partition;
the run key carries the files' fingerprints, so a rewritten file triggers a re-run and a
sensor tick that sees nothing new launches nothing. Stopped by default (Dagster's convention).
"""

from __future__ import annotations

import hashlib
import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from assets.common.settings import lab_paths
from assets.dagster_common.partitions import expiration_partitions
from assets.ingestion.adapters import landing_days
from orchestration.jobs import full_graph
from orchestration.runner import underlying_tags


def _fingerprint(path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


@sensor(job=full_graph, minimum_interval_seconds=60, default_status=DefaultSensorStatus.STOPPED,
        name="landing_zone_sensor")
def landing_zone_sensor(context: SensorEvaluationContext):
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current: dict[str, str] = {}
    requests = []
    for day, files in sorted(landing_days(lab_paths().landing).items()):
        prints = {str(p): _fingerprint(p) for p in files}
        current.update(prints)
        if not {p.parent.name for p in files} >= {"chains", "bars"}:
            continue
        if all(seen.get(k) == v for k, v in prints.items()):
            continue
        key = day.isoformat()
        if not expiration_partitions().has_partition_key(key):
            first = expiration_partitions().get_first_partition_key()
            why = (f"before the first partition day {first} (reload the code location to "
                   "start the partitions at the earliest landing file)"
                   if first is not None and key < first else "not an expiration session")
            context.log.warning(f"landing files for {key} ignored: {why}")
            continue
        digest = hashlib.sha256(json.dumps(prints, sort_keys=True).encode()).hexdigest()[:16]
        requests.append(RunRequest(run_key=f"landing-{key}-{digest}", partition_key=key,
                                    tags=underlying_tags()))
    context.update_cursor(json.dumps(current, sort_keys=True))
    return requests or SkipReason("no new complete landing day")
