"""Browser test of the tracker: Debian's Chromium, driven by Playwright, against a real ``clearsight serve``.

The public page (status overview with its chart, overdue items, by owner, by source, the register) read
anonymously, with JavaScript on and off; then an inquiry panel member signs in, records an independent
assessment on a recommendation through the form, and the public page of that recommendation shows it dated,
with the earlier status kept in the history. Skipped, with the reason, without Playwright or Chromium (see
``test_intake_browser.py`` for how to install them); nothing is downloaded.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_intake_browser import CHROMIUM, _free_port, _loopback_only, browser, screenshots  # noqa: F401

from test_service_support import PASSWORD

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if not CHROMIUM.is_file():
    pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set CLEARSIGHT_CHROMIUM)",
                allow_module_level=True)
PANEL = "panel@example.org"


@pytest.fixture(scope="module")
def tracker_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``clearsight serve`` on loopback over a database seeded by ``clearsight tracker seed``, with a panel member."""
    import httpx

    workdir = tmp_path_factory.mktemp("tracker-server")
    database = workdir / "service.db"
    url = f"sqlite:///{database}"
    import clearsight

    source = str(Path(clearsight.__file__).resolve().parents[1])  # this checkout's code, whatever the cwd
    env = {**os.environ, "CLEARSIGHT_SECRET_KEY": "browser-test", "CLEARSIGHT_NEW_PASSWORD": PASSWORD,
           "PYTHONPATH": os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))}
    cli = [sys.executable, "-m", "clearsight.cli"]
    subprocess.run([*cli, "tracker", "seed", "--database-url", url], cwd=workdir, env=env, check=True,
                   capture_output=True)
    subprocess.run([*cli, "users", "add", PANEL, "--role", "inquiry_panel", "--database-url", url], cwd=workdir,
                   env=env, check=True, capture_output=True)
    port = _free_port()
    process = subprocess.Popen([*cli, "serve", "--database-url", url, "--host", "127.0.0.1", "--port", str(port)],
                               cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise AssertionError(f"clearsight serve exited: {process.stderr.read().decode()}")
            import time

            time.sleep(0.1)
        else:
            raise AssertionError("clearsight serve did not start in 30 s")
        yield base, database
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_public_tracker_page(tracker_server, browser, screenshots: Path, javascript: bool) -> None:  # noqa: ANN001, F811
    base, _ = tracker_server
    context = browser.new_context(java_script_enabled=javascript)
    context.route("**/*", _loopback_only)
    page = context.new_page()
    try:
        page.goto(f"{base}/tracker")
        assert "Recommendations tracker" in page.title()
        main = page.locator("main")
        for heading in ("Status overview", "Overdue", "By owner", "By source", "The register"):
            assert page.get_by_role("heading", name=heading, exact=False).first.is_visible(), heading
        chart = page.locator("main svg[role=img]").first
        assert chart.is_visible() and "Recommendations by status" in (chart.locator("title").text_content() or "")
        assert "HMICFRS-GBCSE-1" in page.locator("#overdue ~ table").first.inner_text()
        assert "not a finding of non-compliance" in main.inner_text()
        page.screenshot(path=screenshots / f"tracker-public-{'js' if javascript else 'nojs'}.png", full_page=True)
        page.get_by_role("link", name="IICSA-CSE-2").first.click()
        page.wait_for_load_state()
        assert page.locator("#owner-status").inner_text().strip().startswith("no response found")
        assert page.get_by_role("button", name="Record status").count() == 0  # the public cannot write
    finally:
        context.close()


def test_panel_member_changes_a_status(tracker_server, browser, screenshots: Path) -> None:  # noqa: ANN001, F811
    base, database = tracker_server
    context = browser.new_context()
    context.route("**/*", _loopback_only)
    page = context.new_page()
    try:
        page.goto(f"{base}/login")
        page.get_by_label("Email address").fill(PANEL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        page.goto(f"{base}/tracker/workspace")
        page.get_by_role("link", name="IICSA-FR-13").first.click()
        page.wait_for_url("**/tracker/recommendations/IICSA-FR-13")
        page.check("input[name=kind][value=assessment]")
        page.select_option("#value", "in progress")
        page.get_by_label("As of (the date the status refers to)").fill("2025-09-01")
        page.get_by_label("Why, and on what evidence").fill("Duty to report is in a Bill before Parliament")
        page.screenshot(path=screenshots / "tracker-panel-filled.png", full_page=True)
        page.get_by_role("button", name="Record status").click()
        page.wait_for_url("**/tracker/recommendations/IICSA-FR-13")
        assessment = page.locator("#assessment").inner_text()
        assert "in progress" in assessment and "01 Sep 2025" in assessment
        history = page.locator("#history").inner_text()
        assert "Assessed as in progress" in history and "Owner reported accepted" in history  # both kept
        assert "Duty to report is in a Bill before Parliament" in history
        page.screenshot(path=screenshots / "tracker-panel-recorded.png", full_page=True)
    finally:
        context.close()
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT kind, value, recorded_by FROM tracker_status_events "
                                  "WHERE recommendation_id = (SELECT id FROM tracker_recommendations "
                                  "WHERE code = 'IICSA-FR-13') ORDER BY id").fetchall()
        audited = connection.execute("SELECT count(*) FROM audit_log WHERE action = 'tracker.assessment'").fetchone()
    assert rows[0][:2] == ("owner", "accepted") and rows[-1][:2] == ("assessment", "in progress")
    assert rows[-1][2].startswith("inquiry_panel:") and audited[0] == 1
