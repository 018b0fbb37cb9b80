"""Layers run one way: every module imports only its own layer or lower ones (the layers
of the README's architecture section), the stages under `assets/` never import
`orchestration/`, and importing any of them does no I/O of the lab's own and builds no
exchange calendar.

The import probe runs in fresh interpreters (a module imported once is never imported
again in a process), and each probe is shown to catch what it looks for: the AST walk
flags an in-function import, and the import probe sees the calendar and the manifest being
read when the code location is actually loaded.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "assets"
TOP = "orchestration"


def _called_name(call: ast.Call) -> str:
    return getattr(call.func, "attr", getattr(call.func, "id", ""))


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import in the source, at any depth (functions included),
    plus `importlib.import_module("...")` calls with a literal name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and _called_name(node) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


def imports_of_the_top(source: str) -> list[tuple[int, str]]:
    return [(line, name) for line, name in imported_modules(source)
            if name == TOP or name.startswith(TOP + ".")]


# The README's layers, lowest first. A stage's Dagster definitions (`assets.py`,
# `checks.py`, dbt's `dbt_assets.py`, the sweep's fan-out) sit above everything pure.
LAYERS = {"common": 0, "synthetic_market": 1, "ingestion": 1, "transform": 1, "pressure": 1,
          "trading": 1, "validation": 1, "report": 1, "engine": 2, "experiments": 3,
          "study": 3, "dagster_common": 4}
DEFINITIONS = 5
DEFINITION_MODULES = ("assets", "checks", "dbt_assets", "fan_out")


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] == TOP:
        return DEFINITIONS + 1
    if parts[0] != "assets":
        return None
    if len(parts) == 1 or parts[-1] in DEFINITION_MODULES:
        return DEFINITIONS
    return LAYERS[parts[1]] if parts[1] in LAYERS else None


def upward_imports(module: str, source: str) -> list[tuple[int, str]]:
    mine = layer_of(module)
    return [(line, name) for line, name in imported_modules(source)
            if (theirs := layer_of(name)) is not None and mine is not None and theirs > mine]


def test_the_layer_walk_sees_an_upward_import():
    source = "import numpy\ndef f():\n    from assets.engine.run import run_engine\n"
    assert upward_imports("assets.validation.statistics.metrics", source) == [
        (3, "assets.engine.run")]
    assert upward_imports("assets.engine.unit", source) == []
    assert upward_imports("assets.common.config", "from assets.dagster_common import pools") \
        == [(1, "assets.dagster_common")]


def test_every_module_imports_only_its_layer_or_lower():
    offenders = []
    for path in sorted(ASSETS.rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        assert layer_of(module) is not None, f"{module} has no layer: add it to LAYERS"
        offenders += [f"{module}:{line} imports {name}"
                      for line, name in upward_imports(module, path.read_text())]
    assert not offenders, "imports up the layers:\n" + "\n".join(offenders)


def _asset_modules() -> list[str]:
    return sorted(".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
                  for p in ASSETS.rglob("*.py"))


def test_the_walk_sees_imports_inside_functions():
    source = textwrap.dedent("""
        import os
        def build():
            from orchestration.partitions import expiration_partitions
            import orchestration
            return importlib.import_module("orchestration.resources")
    """)
    assert [name for _, name in imports_of_the_top(source)] == [
        "orchestration.partitions", "orchestration", "orchestration.resources"]
    assert imports_of_the_top("from orchestrations import x\nimport orchestration_x") == []


def test_no_module_under_assets_imports_orchestration():
    offenders = [f"{path.relative_to(REPO)}:{line} imports {name}"
                 for path in sorted(ASSETS.rglob("*.py"))
                 for line, name in imports_of_the_top(path.read_text())]
    assert not offenders, "assets/ must not import orchestration/:\n" + "\n".join(offenders)


# Runs in a fresh interpreter: records every exchange-calendar construction and schedule
# computation, and every file of the lab's own that is opened (its data home, and its
# repository except the virtualenv, the Python sources and the installed package's metadata
# that importlib.metadata scans), attributed to the module being imported.
PROBE = textwrap.dedent("""
    import importlib, json, os, sys
    from pathlib import Path

    repo, home = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    modules, then = json.loads(sys.argv[3]), sys.argv[4]
    current = {"module": None}
    events = []

    def own_file(path):
        try:
            p = Path(os.fsdecode(path)).resolve()
        except (TypeError, ValueError):
            return None
        if p.is_relative_to(home):
            return p
        if (p.is_relative_to(repo) and not p.is_relative_to(repo / ".venv")
                and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
                and not p.parent.name.endswith((".egg-info", ".dist-info"))):
            return p
        return None

    def hook(event, args):
        if event == "open" and args and args[0] is not None and not isinstance(args[0], int):
            p = own_file(args[0])
            if p is not None:
                events.append([current["module"], "open", str(p)])

    sys.addaudithook(hook)
    import pandas_market_calendars as mcal
    from pandas_market_calendars.market_calendar import MarketCalendar

    real_get, real_schedule = mcal.get_calendar, MarketCalendar.schedule

    def get_calendar(*a, **k):
        events.append([current["module"], "calendar", str(a[:1])])
        return real_get(*a, **k)

    def schedule(self, *a, **k):
        events.append([current["module"], "sessions", self.name])
        return real_schedule(self, *a, **k)

    mcal.get_calendar, MarketCalendar.schedule = get_calendar, schedule
    for name in modules:
        current["module"] = name
        importlib.import_module(name)
    if then == "load":
        current["module"] = "defs()"
        importlib.import_module("orchestration.definitions").defs()
    print(json.dumps(events))
""")


def _probe(tmp_path, modules: list[str], then: str = "") -> list[list[str]]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DAGSTER_", "DBT_", "PRESSURE_LAB_"))}
    env["PRESSURE_LAB_HOME"] = str(tmp_path / "home")
    out = subprocess.run([sys.executable, "-c", PROBE, str(REPO), str(tmp_path / "home"),
                          json.dumps(modules), then],
                         env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_importing_a_stage_builds_no_calendar_and_reads_nothing(tmp_path):
    modules = _asset_modules()
    assert {"assets.ingestion.assets", "assets.pressure.checks", "assets.transform.dbt_assets",
            "assets.dagster_common.partitions", "assets.dagster_common.resources"} <= set(modules)
    events = _probe(tmp_path, modules)
    assert events == [], "importing a stage module did work:\n" + "\n".join(map(str, events))


@pytest.mark.slow
def test_the_probe_sees_the_calendar_and_the_manifest_when_the_location_loads(tmp_path):
    events = _probe(tmp_path, ["assets.ingestion.assets"], then="load")
    kinds = {(module, kind) for module, kind, _ in events}
    assert ("defs()", "calendar") in kinds and ("defs()", "sessions") in kinds
    assert any(kind == "open" and path.endswith("manifest.json") for _, kind, path in events)
    assert all(module == "defs()" for module, _, _ in events)
