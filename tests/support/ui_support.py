"""Helpers for the browser test: a Dagster UI served from a throw-away data home, its GraphQL
API, headless Debian Chromium, and the lineage graph read back from the rendered SVG.

Every wait here is bounded; the server runs in its own process group so teardown can stop
`dagster dev` and everything it spawned (webserver, daemon, code server, launched runs).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.lab_env import child_environment

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CLI = str(Path(sys.executable).with_name("pressure-lab"))
TERMINAL_RUN_STATUSES = {"SUCCESS", "FAILURE", "CANCELED"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class UiServer:
    """`pressure-lab ui` (which execs `dagster dev -h 127.0.0.1`) in its own session."""

    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, grace: float = 20.0) -> bool:
        """SIGTERM to `dagster dev` (it treats it as Ctrl-C and shuts its children down in
        order; signalling the children too makes it restart the code server), then SIGKILL
        to the whole process group for whatever is left after `grace`. True if no kill was
        needed."""
        pgid = self.proc.pid  # start_new_session: the group id is the leader's pid
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        if self._wait_group_gone(pgid, grace):
            return True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        self._wait_group_gone(pgid, 5.0)
        return False

    def _wait_group_gone(self, pgid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            self.proc.poll()  # reap the leader, or it lingers as a zombie in the group
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)


# Dagster maps SIGTERM to whatever SIGINT does, and a parent started in the background
# (`cmd &` in a script) hands SIGINT down as ignored, which would make the server ignore
# SIGTERM too: reset both to their defaults (and what Python itself ignores, as Popen's
# restore_signals does), then exec the CLI; exec keeps default dispositions.
_EXEC_WITH_DEFAULT_INTERRUPTS = (
    "import os, signal, sys\n"
    "for name in ('SIGINT', 'SIGTERM', 'SIGPIPE', 'SIGXFSZ'):\n"
    "    signal.signal(getattr(signal, name), signal.SIG_DFL)\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def start_ui(home: Path, user_home: Path, log: Path, port: int | None = None) -> UiServer:
    port = port or free_port()
    argv = [sys.executable, "-c", _EXEC_WITH_DEFAULT_INTERRUPTS, CLI, "ui", "--port", str(port)]
    with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(argv, env=child_environment(home, user_home), cwd=user_home,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    return UiServer(proc, port, log)


def graphql(url: str, query: str, variables: dict | None = None, timeout: float = 20.0) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"{url}/graphql", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        payload = json.loads(resp.read())
    if payload.get("errors"):
        raise RuntimeError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


_LOCATIONS = """{ workspaceOrError { __typename ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def wait_until_ready(server: UiServer, timeout: float) -> None:
    """Until /server_info answers and every code location has LOADED (a load error fails at
    once, with its message); the server dying or the deadline passing fails with its log."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"the UI exited with {server.proc.returncode}:\n{server.log_tail()}")
        try:
            urllib.request.urlopen(f"{server.url}/server_info", timeout=5).read()
            entries = graphql(server.url, _LOCATIONS, timeout=10)["workspaceOrError"]
            entries = entries.get("locationEntries") or []
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                errors = [e for e in entries
                          if e["locationOrLoadError"]["__typename"] == "PythonError"]
                if errors:
                    raise RuntimeError(f"code location failed to load: {errors}")
                return
            last = f"locations: {[(e['name'], e['loadStatus']) for e in entries]}"
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last = repr(exc)
        time.sleep(1.0)
    raise TimeoutError(f"the UI was not ready within {timeout:.0f}s ({last}):\n{server.log_tail()}")


_RUNS = """{ runsOrError(limit: 50) { __typename ... on Runs { results {
  runId status jobName assetSelection { path } } } } }"""


def list_runs(url: str) -> list[dict[str, Any]]:
    return graphql(url, _RUNS)["runsOrError"]["results"]


def wait_for_run(url: str, run_id: str, timeout: float) -> dict[str, Any]:
    """The run, once it has reached a terminal status."""
    deadline = time.monotonic() + timeout
    seen: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        seen = next((r for r in list_runs(url) if r["runId"] == run_id), None)
        if seen and seen["status"] in TERMINAL_RUN_STATUSES:
            return seen
        time.sleep(1.0)
    raise TimeoutError(f"run {run_id} did not finish within {timeout:.0f}s (last seen: {seen})")


_ASSETS = """{ assetNodes { assetKey { path } dependencyKeys { path } } }"""


def dependency_edges(url: str) -> set[tuple[str, str]]:
    """(upstream, downstream) for every dependency the code location declares."""
    edges = set()
    for node in graphql(url, _ASSETS)["assetNodes"]:
        child = "/".join(node["assetKey"]["path"])
        for dep in node["dependencyKeys"]:
            edges.add(("/".join(dep["path"]), child))
    return edges


# The asset graph is one SVG: every asset node is a <foreignObject> (graph coordinates) holding
# the asset's label; every edge is a <path d="Mx1,y1 C ... x2,y2"> from the right border of
# the upstream node to the left border of the downstream one (horizontal layout).
_READ_GRAPH_JS = """() => {
  const svg = [...document.querySelectorAll('svg')].find(s => s.querySelector('foreignObject'));
  if (!svg) return {nodes: [], edges: []};
  const num = (el, a) => parseFloat(el.getAttribute(a));
  const nodes = [...svg.querySelectorAll('foreignObject')]
    .filter(f => f.querySelector('[class*="assetName"]'))
    .map(f => ({label: f.querySelector('[class*="assetName"]').textContent.trim(),
                x: num(f, 'x'), y: num(f, 'y'), w: num(f, 'width'), h: num(f, 'height')}));
  const edges = [...svg.querySelectorAll('path[marker-end]')].map(p => p.getAttribute('d'));
  return {nodes, edges};
}"""
_NUMBER = r"-?\d+(?:\.\d+)?"


def resolve_label(label: str, names: set[str]) -> str | None:
    """A node label to its asset name; compact nodes middle-truncate long names
    ("valida…_statistics"), which must still match exactly one known name."""
    if label in names:
        return label
    if "…" in label:
        head, tail = label.split("…", 1)
        hits = [n for n in names if n.startswith(head) and n.endswith(tail)
                and len(n) >= len(head) + len(tail)]
        if len(hits) == 1:
            return hits[0]
    return None


def rendered_edges(page, names: set[str],
                   tolerance: float = 25.0) -> tuple[set[tuple[str, str]], list]:
    """The edges the page draws, as (upstream, downstream) names, plus any it could not
    attribute to two nodes (endpoints not on a node's border)."""
    graph = page.evaluate(_READ_GRAPH_JS)
    nodes = [dict(n, name=resolve_label(n["label"], names)) for n in graph["nodes"]]

    def node_at(x: float, y: float, side: str):
        for n in nodes:
            edge_x = n["x"] + n["w"] if side == "right" else n["x"]
            if abs(x - edge_x) <= tolerance and n["y"] <= y <= n["y"] + n["h"]:
                return n
        return None

    found, unattributed = set(), []
    for d in graph["edges"]:
        coords = [float(v) for v in re.findall(_NUMBER, d)]
        if len(coords) < 4:
            unattributed.append(d)
            continue
        src = node_at(coords[0], coords[1], "right")
        dst = node_at(coords[-2], coords[-1], "left")
        if src is None or dst is None or not src["name"] or not dst["name"]:
            unattributed.append(d)
            continue
        found.add((src["name"], dst["name"]))
    return found, unattributed
