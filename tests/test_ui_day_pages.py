"""The day pages in a real browser (headless Debian Chromium): from the reviewer's report of
a real `pressure-lab run`, the link to the strongest-pressure day opens its page, whose
picture renders (decoded, non-zero natural size); a trade link lands on its row; a
calibration day's page says it is never scored.

One throw-away data home: 9 expiration days of a planted-steering market with
`pressure.calibration_days` = 5 (as the Dagster UI test does), then the pages are opened
from disk. Screenshots go to the test's tmp dir; their paths are printed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.lab_env import child_environment
from tests.support.ui_support import CHROMIUM, CHROMIUM_ARGS, CLI

pytestmark = [
    pytest.mark.ui,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"{CHROMIUM} is missing (Debian's chromium package)"),
]

START, END = "2024-01-02", "2024-01-12"  # 9 SPXW expiration sessions
RENDERED_JS = """() => [...document.images].map(i => ({complete: i.complete,
    width: i.naturalWidth, height: i.naturalHeight}))"""


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("day-pages-ui")
    home, user = root / "home", root / "user"
    home.mkdir()
    user.mkdir()
    (home / "config.json").write_text('{"pressure": {"calibration_days": 5}}\n')
    env = child_environment(home, user)
    for args in (["synth", "--scenario", "steer", "--strength", "3", "--seed", "11",
                  "--start", START, "--end", END], ["run"]):
        done = subprocess.run([CLI, *args], env=env, cwd=user, capture_output=True, text=True,
                              timeout=400, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
    return home


@pytest.fixture(scope="module")
def page(home, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1200, "height": 1000})
        try:
            context.set_default_timeout(30_000)
            yield context.new_page()
        finally:
            context.close()


def _rendered(page) -> list[dict]:
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    return page.evaluate(RENDERED_JS)


def _shot(page, path: Path, capsys) -> None:
    page.screenshot(path=str(path), full_page=True)
    with capsys.disabled():
        print(f"\nscreenshot: {path}")


def test_the_reports_link_opens_a_day_page_whose_picture_renders(home, page, tmp_path,
                                                                 capsys):
    from playwright.sync_api import expect

    page.goto((home / "evidence" / "report.html").as_uri())
    link = page.locator("#days-strongest a.day-link").first
    day = link.inner_text()
    link.click()
    expect(page).to_have_url(f"{(home / 'evidence' / 'days').as_uri()}/{day}.html")
    expect(page.locator("#scored-label")).to_be_visible()
    images = _rendered(page)
    assert len(images) == 1 and all(i["complete"] and i["width"] == 800 and i["height"] > 0
                                    for i in images), images
    expect(page.locator("#fig-day img")).to_be_visible()
    _shot(page, tmp_path / f"day-{day}.png", capsys)


def test_a_trade_link_lands_on_its_row(home, page, tmp_path, capsys):
    from playwright.sync_api import expect

    page.goto((home / "evidence" / "report.html").as_uri())
    links = page.locator("#days-wins a.day-link, #days-losses a.day-link")
    assert links.count() > 0
    href = links.first.get_attribute("href")
    links.first.click()
    anchor = href.split("#", 1)[1]
    row = page.locator(f'[id="{anchor}"]')
    expect(row).to_be_visible()
    expect(row).to_be_in_viewport()
    assert all(i["width"] > 0 for i in _rendered(page))
    _shot(page, tmp_path / "trade.png", capsys)


def test_a_calibration_day_page_says_it_is_never_scored(home, page, tmp_path, capsys):
    from playwright.sync_api import expect

    page.goto((home / "evidence" / "days" / f"{START}.html").as_uri())
    expect(page.locator("#calibration-label")).to_contain_text("never scored")
    assert all(i["complete"] and i["width"] > 0 for i in _rendered(page))
    _shot(page, tmp_path / "calibration-day.png", capsys)
