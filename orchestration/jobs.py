"""The jobs: the whole asset graph, and the parameter sweep on the executor of your choice.

`full_graph` covers one day (nightly), a range (backfill, `pressure-lab run`), and always
ends with the unpartitioned validation and evidence assets; `full_graph_celery` is the same
graph with every step on a Celery worker (`pressure-lab run --executor celery`), so the
runs of several underlyings share whatever workers the broker has. The sweep's assets (group
`experiments`) are not part of it: they run as `sweep` (in one process by default, or in
subprocesses: `execution: {config: {multiprocess: {}}}`) or as `sweep_celery` (steps on
Celery workers through a broker; see docs/operations.md).
"""

from dagster import AssetSelection, define_asset_job, multi_or_in_process_executor

EXPERIMENTS_GROUP = "experiments"
SWEEP_SELECTION = AssetSelection.assets("sweep_variant", "sweep_summary")

FULL_GRAPH_SELECTION = AssetSelection.all() - AssetSelection.groups(EXPERIMENTS_GROUP)
FULL_GRAPH_DESCRIPTION = ("Landing files -> checked raw tables -> dbt marts -> pressure -> "
                          "trades -> validation -> evidence package and reviewer report.")
# Run retries (instance `run_retries`, daemon) for transient failures only: a crashed or
# never-started run worker is retried, a failed asset or blocking check is not.
FULL_GRAPH_TAGS = {"dagster/retry_on_asset_or_op_failure": "false"}

full_graph = define_asset_job("full_graph", selection=FULL_GRAPH_SELECTION,
                              description=FULL_GRAPH_DESCRIPTION, tags=FULL_GRAPH_TAGS)

sweep = define_asset_job(
    "sweep", selection=SWEEP_SELECTION, executor_def=multi_or_in_process_executor,
    description="A parameter sweep: every variant (a dynamic partition of sweep_variant), "
                "then sweep_summary (PBO, SPA, DSR, walk-forward, registry).")


def _celery_sweep():
    from dagster_celery import celery_executor

    return define_asset_job(
        "sweep_celery", selection=SWEEP_SELECTION, executor_def=celery_executor,
        description="The sweep with every step on a Celery worker (broker in run config).")


def _celery_full_graph():
    from dagster_celery import celery_executor

    return define_asset_job(
        "full_graph_celery", selection=FULL_GRAPH_SELECTION, executor_def=celery_executor,
        description=FULL_GRAPH_DESCRIPTION + " Every step on a Celery worker (broker in run "
                    "config); the `duckdb` pool still lets one step at a time open the file.",
        tags=FULL_GRAPH_TAGS)


sweep_celery = _celery_sweep()
full_graph_celery = _celery_full_graph()
