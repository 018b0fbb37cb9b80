"""The one job: the whole asset graph. A run covers one day (nightly), a range (backfill,
`pressure-lab run`), and always ends with the unpartitioned validation and evidence assets."""

from dagster import AssetSelection, define_asset_job

full_graph = define_asset_job(
    "full_graph",
    selection=AssetSelection.all(),
    description="Landing files -> checked raw tables -> dbt marts -> pressure -> trades -> "
                "validation -> evidence package and reviewer report.",
    # Run retries (instance `run_retries`, daemon) for transient failures only: a crashed or
    # never-started run worker is retried, a failed asset or blocking check is not.
    tags={"dagster/retry_on_asset_or_op_failure": "false"},
)
