"""The code location loads in a fresh process, with the whole graph, its checks, the job,
the schedule and the sensor, and the lineage the design card asks for."""

import json
import os
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import json
    from orchestration.definitions import defs
    defs = defs()
    graph = defs.resolve_asset_graph()
    keys = sorted(k.to_user_string() for k in graph.get_all_asset_keys())
    parents = {k.to_user_string(): sorted(p.to_user_string() for p in graph.get(k).parent_keys)
               for k in graph.get_all_asset_keys()}
    checks = sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys)
    blocking = sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys
                      if graph.get_check_spec(c).blocking)
    print(json.dumps({"keys": keys, "parents": parents, "checks": checks, "blocking": blocking,
                      "jobs": [j.name for j in defs.jobs],
                      "schedules": [s.name for s in defs.schedules],
                      "sensors": [s.name for s in defs.sensors]}))
""")


def _load(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DAGSTER_", "DBT_", "PRESSURE_LAB_"))}
    env["PRESSURE_LAB_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ancestors(parents, key):
    seen, todo = set(), [key]
    while todo:
        for p in parents.get(todo.pop(), []):
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def test_definitions_load_with_the_whole_lineage(tmp_path):
    info = _load(tmp_path)
    parents = info["parents"]
    upstream = _ancestors(parents, "evidence_package")
    for key in ("raw_chains", "raw_bars", "staged_chains", "staged_bars", "stg_raw__chains",
                "oi_concentration", "oi_concentration_daily", "daily_outcomes", "pressure_series",
                "pressure_alerts", "prediction_outcomes", "simulated_trades",
                "risk_management_report", "validation_statistics"):
        assert key in upstream, f"{key} is not upstream of the evidence package"
    assert "evidence_package" in parents["reviewer_report"]
    assert "raw_chains" in _ancestors(parents, "oi_concentration")
    assert info["jobs"] == ["full_graph", "full_graph_celery", "sweep", "sweep_celery"]
    assert info["schedules"] == ["nightly_expiration_run"]
    assert info["sensors"] == ["landing_zone_sensor"]
    for check in ("staged_chains:chains_quality", "staged_bars:bars_quality",
                  "pressure_alerts:pressure_alerts_valid",
                  "simulated_trades:simulated_trades_valid",
                  "evidence_package:evidence_package_schema"):
        assert check in info["blocking"]
    assert sum(c.startswith("oi_concentration:") for c in info["blocking"]) >= 5  # dbt tests


def test_loading_writes_only_under_the_data_home(tmp_path):
    _load(tmp_path)
    assert (tmp_path / "dagster" / "dagster.yaml").exists()
    assert "telemetry" in (tmp_path / "dagster" / "dagster.yaml").read_text()
