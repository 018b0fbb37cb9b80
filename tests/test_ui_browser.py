"""The Dagster UI in a real browser (headless Debian Chromium): the lineage page draws the
lab's asset graph, the asset pages list their checks, and a materialization launched from an
asset page becomes a run that succeeds.

One throw-away data home: a small synthetic market, one `pressure-lab run`, then
`pressure-lab ui` (dagster dev on 127.0.0.1, instance under the home) on a free port. To
keep it quick the market is 9 expiration days and `pressure.calibration_days` is 5 (via the
home's config.json), so the scored stages still see days after calibration; the UI starts
while that run executes, and the run launched from the page executes while the other pages
are checked. Screenshots (the lineage page and the launched run always, the current page on
any failure) and setup timings go to the test's tmp dir.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.lab_env import child_environment
from tests.support.ui_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CLI,
    UiServer,
    dependency_edges,
    graphql,
    list_runs,
    rendered_edges,
    start_ui,
    wait_for_run,
    wait_until_ready,
)

pytestmark = [
    pytest.mark.ui,
    pytest.mark.timeout(600),  # the first test also pays for the module fixtures
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"{CHROMIUM} is missing (Debian's chromium package; .ci/run "
                              "installs it)"),
]

START, END = "2024-01-02", "2024-01-12"  # 9 SPXW expiration sessions
LAB_CONFIG = '{"pressure": {"calibration_days": 5}}\n'
READY_TIMEOUT = 120.0   # dagster dev: webserver, daemon and the code location loaded
RUN_TIMEOUT = 240.0     # the CLI's full-graph run over the 9 days
LAUNCHED_TIMEOUT = 180.0  # the run launched from the page (queued, started, done)
UI_TIMEOUT_MS = 30_000

# The chain the README draws, written out here as the oracle: (upstream, downstream) pairs
# that must be direct edges on the page, and pairs that must be joined by a drawn path (the
# dbt models in between may change without this test caring).
DIRECT = [
    ("staged_chains", "raw_chains"), ("staged_bars", "raw_bars"),
    ("oi_concentration", "pressure_series"),
    ("pressure_series", "pressure_alerts"),
    ("pressure_alerts", "simulated_trades"),
    ("validation_statistics", "evidence_package"),
    ("evidence_package", "reviewer_report"),
]
PATHS = [
    ("raw_chains", "oi_concentration"), ("raw_bars", "oi_concentration"),
    ("raw_bars", "pressure_series"), ("oi_concentration", "daily_outcomes"),
    ("daily_outcomes", "evidence_package"), ("simulated_trades", "evidence_package"),
    ("pressure_alerts", "evidence_package"),
]
# Short enough to be drawn in full on the zoomed-out graph (longer ones are middle-truncated).
SHOWN = ["raw_chains", "raw_bars", "oi_concentration", "daily_outcomes", "pressure_series",
         "pressure_alerts", "simulated_trades", "evidence_package", "reviewer_report"]
MATERIALIZED = ["pressure_alerts", "simulated_trades", "evidence_package"]
CHECKS = {"staged_bars": "bars_quality", "staged_chains": "chains_quality",
          "evidence_package": "evidence_package_schema"}


@dataclass
class Lab:
    home: Path
    user_home: Path
    server: UiServer
    artifacts: Path  # screenshots, timings.json

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Lab:
    root = tmp_path_factory.mktemp("ui")
    home, user_home, artifacts = root / "home", root / "user", root / "artifacts"
    for d in (home, user_home, artifacts):
        d.mkdir()
    (home / "config.json").write_text(LAB_CONFIG)
    env = child_environment(home, user_home)
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    synth = subprocess.run([CLI, "synth", "--scenario", "null", "--seed", "7",
                            "--start", START, "--end", END],
                           env=env, cwd=user_home, capture_output=True, text=True, timeout=120,
                           check=False)
    assert synth.returncode == 0, synth.stderr[-3000:]
    timings["synth_s"] = time.monotonic() - t0

    # The UI starts while the graph runs (the run executes in the CLI's own process).
    server = start_ui(home, user_home, root / "dagster-dev.log")
    try:
        run = subprocess.run([CLI, "run"], env=env, cwd=user_home, capture_output=True,
                             text=True, timeout=RUN_TIMEOUT, check=False)
        assert run.returncode == 0, f"pressure-lab run failed:\n{run.stderr[-3000:]}"
        timings["run_s"] = time.monotonic() - t0 - timings["synth_s"]
        wait_until_ready(server, READY_TIMEOUT)
        timings["ui_ready_after_start_s"] = time.monotonic() - t0 - timings["synth_s"]
        (artifacts / "timings.json").write_text(json.dumps(timings, indent=1))
        # What the first-visit "Join the Dagster community" dialog's Skip does; it is only
        # shown on 127.0.0.1/localhost and would cover the page.
        graphql(server.url, "mutation { setNuxSeen }")
        yield Lab(home, user_home, server, artifacts)
    finally:
        t_stop = time.monotonic()
        timings["shutdown_graceful"] = server.stop()
        timings["shutdown_s"] = time.monotonic() - t_stop
        (artifacts / "timings.json").write_text(json.dumps(timings, indent=1))


@pytest.fixture(scope="module")
def page(lab, tmp_path_factory):
    from playwright.sync_api import expect, sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    # Chromium writes dconf/fontconfig caches under $HOME/XDG dirs: keep them in the scratch home.
    env = child_environment(lab.home, lab.user_home) | {
        "XDG_CONFIG_HOME": str(lab.user_home / ".config"),
        "XDG_CACHE_HOME": str(lab.user_home / ".cache")}
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            env=env, viewport={"width": 1920, "height": 1080})
        try:
            context.set_default_timeout(UI_TIMEOUT_MS)
            context.set_default_navigation_timeout(60_000)
            pg = context.new_page()
            # Should the community dialog appear anyway, dismiss it as a user would.
            pg.add_locator_handler(pg.get_by_role("dialog").get_by_role("button", name="Skip"),
                                   lambda skip: skip.click())
            yield pg
        finally:
            context.close()


@contextlib.contextmanager
def screenshot_on_failure(page, artifacts: Path, name: str):
    try:
        yield
    except BaseException as exc:
        path = artifacts / f"FAILED-{name}.png"
        with contextlib.suppress(Exception):
            page.screenshot(path=str(path), full_page=True)
        exc.add_note(f"screenshot: {path} (page {page.url})")
        raise


def _reachable(edges: set[tuple[str, str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for a, b in edges:
            if a == node and b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


@dataclass
class Launch:
    known_runs: set[str]
    report_mtime_ns: int
    toast: str
    run_id: str


@pytest.fixture(scope="module")
def launched(lab, page) -> Launch:
    """Click "Materialize" on reviewer_report's page. Module-scoped and requested by the
    first test, so the launched run executes while the other pages are checked."""
    from playwright.sync_api import expect

    report = lab.home / "evidence" / "report.html"
    mtime = report.stat().st_mtime_ns
    known = {r["runId"] for r in list_runs(lab.url)}
    with screenshot_on_failure(page, lab.artifacts, "materialize"):
        page.goto(f"{lab.url}/assets/reviewer_report")
        expect(page.get_by_role("tab", name="Overview")).to_be_visible()
        # "Materialize" exactly: not "Materialize all…" nor the partitioned "Materialize…".
        page.get_by_role("button", name=re.compile(r"(^|\s)Materialize$")).click()
        toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
        expect(toast).to_be_visible()
        toast_text = toast.inner_text()
    deadline = time.monotonic() + 30
    new: list[dict] = []
    while not new and time.monotonic() < deadline:
        new = [r for r in list_runs(lab.url) if r["runId"] not in known]
        time.sleep(0.5)
    assert new, "the click created no run in the instance"
    return Launch(known, mtime, toast_text, new[0]["runId"])


def test_materialize_on_the_asset_page_launches_a_run(lab, launched):
    assert launched.known_runs, "the CLI's run should be in the instance the UI serves"
    # The toast names the run the instance recorded (its first 8 hex digits).
    assert launched.run_id.startswith(launched.toast.split()[-1]), launched.toast
    runs = {r["runId"]: r for r in list_runs(lab.url)}
    assert [a["path"] for a in runs[launched.run_id]["assetSelection"]] == [["reviewer_report"]]


def test_lineage_page_draws_the_lab_asset_graph(lab, page):
    from playwright.sync_api import expect

    with screenshot_on_failure(page, lab.artifacts, "lineage"):
        page.goto(f"{lab.url}/asset-groups")
        expect(page.get_by_text("Global asset lineage")).to_be_visible()
        # Five groups start collapsed; the graph settings menu expands them all.
        page.get_by_role("button", name="settings", exact=True).click()
        page.get_by_role("menuitem", name=re.compile("Expand all groups")).click()
        page.keyboard.press("Escape")
        graph = page.locator("svg foreignObject")
        for name in SHOWN:
            expect(graph.get_by_text(name, exact=True)).to_be_visible()
        # Once the asset statuses load, what the CLI's run materialized is drawn green (the
        # compact node's fill; Dagster 1.13 names it by this CSS variable).
        for name in MATERIALIZED:
            node = graph.filter(has=page.get_by_text(name, exact=True))
            expect(node.locator('[style*="--minimal-bg: var(--color-background-green)"]'),
                   f"{name} is not drawn as materialized").to_have_count(1)
        page.screenshot(path=str(lab.artifacts / "lineage.png"))

        declared = dependency_edges(lab.url)
        names = {n for pair in declared for n in pair}
        drawn, unattributed = rendered_edges(page, names)
        assert not unattributed, f"edges not joining two asset nodes: {unattributed[:5]}"
        missing = [e for e in DIRECT if e not in drawn]
        assert not missing, f"edges not drawn: {missing}"
        no_path = [(a, b) for a, b in PATHS if b not in _reachable(drawn, a)]
        assert not no_path, f"no drawn path for: {no_path}"
        # The page draws exactly the dependencies the code location declares.
        assert drawn == declared, (sorted(declared - drawn), sorted(drawn - declared))


@pytest.mark.parametrize("asset", sorted(CHECKS))
def test_asset_page_lists_its_checks(lab, page, asset):
    from playwright.sync_api import expect

    with screenshot_on_failure(page, lab.artifacts, f"checks-{asset}"):
        page.goto(f"{lab.url}/assets/{asset}")
        page.get_by_role("tab", name="Checks").click()
        expect(page).to_have_url(re.compile(r"view=checks"))
        check = CHECKS[asset]
        expect(page.get_by_text(check, exact=True).first).to_be_visible()
        # The check ran in the CLI's run: the page shows it passed, and that it blocks.
        expect(page.get_by_text("Succeeded").first).to_be_visible()
        expect(page.get_by_text("This is a blocking asset check.")).to_be_visible()


def test_the_launched_run_succeeds_and_rewrites_the_report(lab, page, launched):
    from playwright.sync_api import expect

    run = wait_for_run(lab.url, launched.run_id, LAUNCHED_TIMEOUT)
    assert run["status"] == "SUCCESS", run
    latest = graphql(lab.url, """{ assetOrError(assetKey: {path: ["reviewer_report"]}) {
        ... on Asset { assetMaterializations(limit: 1) { runId } } } }""")
    assert latest["assetOrError"]["assetMaterializations"][0]["runId"] == run["runId"]
    report = lab.home / "evidence" / "report.html"
    assert report.stat().st_mtime_ns > launched.report_mtime_ns, "report.html was not rewritten"
    with screenshot_on_failure(page, lab.artifacts, "launched-run"):
        page.goto(f"{lab.url}/runs/{run['runId']}")
        expect(page.get_by_text("Success").first).to_be_visible()
        page.screenshot(path=str(lab.artifacts / "launched-run.png"))
