"""Browser test: Debian's Chromium, driven by Playwright, fills in the intake form end to end.

It starts a real ``clearsight serve`` on a free loopback port, sends an incomplete form (the error summary),
then a complete one, and checks the reference page, that refreshing it shows the same reference and makes no
second report, and that the same works with JavaScript off. Screenshots go to a temporary folder (printed).

Skipped, with the reason, when Playwright (PyPI ``playwright``) or the browser (``/usr/bin/chromium``, or
``CLEARSIGHT_CHROMIUM``) is missing: nothing is downloaded. To run it::

    apt-get install -y chromium
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 .venv/bin/pip install playwright
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from test_service_support import two_areas

CHROMIUM = Path(os.environ.get("CLEARSIGHT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REFERENCE = re.compile(r"CS-[0-9A-Z]{4}-[0-9A-Z]{4}")

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: "
                               "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 pip install playwright")
if not CHROMIUM.is_file():
    pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set CLEARSIGHT_CHROMIUM)",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real ``clearsight serve`` on loopback, with its own SQLite database; stopped at the end."""
    workdir = tmp_path_factory.mktemp("browser-server")
    database = workdir / "service.db"
    port = _free_port()
    env = {**os.environ, "CLEARSIGHT_SECRET_KEY": "browser-test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "clearsight.cli", "serve", "--database-url", f"sqlite:///{database}",
         "--host", "127.0.0.1", "--port", str(port)], cwd=workdir, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
            if process.poll() is not None:
                raise AssertionError(f"clearsight serve exited: {process.stderr.read().decode()}")
            if time.monotonic() > deadline:
                raise AssertionError("clearsight serve did not start in 30 s")
        yield base, database
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots: {folder}")
    return folder


def _loopback_only(route: object) -> None:
    """Abort any request that would leave the machine (the pages load only their own assets)."""
    host = urlparse(route.request.url).hostname  # type: ignore[attr-defined]
    if host in ("127.0.0.1", "localhost"):
        route.continue_()  # type: ignore[attr-defined]
    else:
        route.abort()  # type: ignore[attr-defined]


def _reports(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM mandatory_reports").fetchone()[0]


def _fill_report(page: object, postcode: str) -> None:
    page.check("input[name=immediate_danger][value=no]")  # type: ignore[attr-defined]
    page.get_by_label("Your full name").fill("Alice Reporter")  # type: ignore[attr-defined]
    page.get_by_label("Your job or role").fill("Class teacher")  # type: ignore[attr-defined]
    page.get_by_label("Organisation you work or volunteer for").fill("Oakfield Primary")  # type: ignore[attr-defined]
    page.check("input[name=reporter_setting][value=school]")  # type: ignore[attr-defined]
    page.get_by_label("Child's full name").fill("Zoë Quintrell")  # type: ignore[attr-defined]
    for field, value in (("child_date_of_birth-day", "3"), ("child_date_of_birth-month", "4"),
                         ("child_date_of_birth-year", "2014"), ("became_known_on-day", "1"),
                         ("became_known_on-month", "3"), ("became_known_on-year", "2025")):
        page.fill(f"input[name='{field}']", value)  # type: ignore[attr-defined]
    page.get_by_label("Postcode where the child lives").fill(postcode)  # type: ignore[attr-defined]
    page.check("input[name=concern_type][value=disclosed]")  # type: ignore[attr-defined]
    page.get_by_label("What did you see, or what were you told?").fill(  # type: ignore[attr-defined]
        "The child told me about abuse by a coach.")
    page.check("input[name=perpetrator_known][value=yes]")  # type: ignore[attr-defined]
    page.get_by_label("Their job or relationship to the child (if known)").fill("Football coach")  # type: ignore[attr-defined]
    page.check("input[name=perpetrator_position_of_trust][value=yes]")  # type: ignore[attr-defined]
    page.check("input[name=perpetrator_works_with_children][value=yes]")  # type: ignore[attr-defined]


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_intake_form_end_to_end_in_chromium(server, browser, screenshots: Path, javascript: bool) -> None:  # noqa: ANN001
    base, database = server
    label = "js" if javascript else "nojs"
    context = browser.new_context(java_script_enabled=javascript)
    context.route("**/*", _loopback_only)
    page = context.new_page()
    try:
        page.goto(f"{base}/report")
        assert "Make a mandatory report" in page.title()
        page.get_by_role("button", name="Send report").click()  # nothing filled in: the error summary
        page.wait_for_load_state()
        assert page.locator(".govuk-error-summary").is_visible()
        assert "Enter the child" in page.locator(".govuk-error-summary").inner_text()
        page.screenshot(path=screenshots / f"{label}-1-errors.png", full_page=True)

        before = _reports(database)
        _fill_report(page, two_areas()[0][0])
        page.screenshot(path=screenshots / f"{label}-2-filled.png", full_page=True)
        page.get_by_role("button", name="Send report").click()
        page.wait_for_url(re.compile(r".*/report/made\?reference=CS-"))
        reference = page.locator("#reference").inner_text()
        assert REFERENCE.fullmatch(reference), reference
        body = page.locator("main").inner_text()
        assert "Report made" in body and "Without a reference number, a report has not been made" in body
        assert "Disclosure and Barring Service" in body
        page.screenshot(path=screenshots / f"{label}-3-reference.png", full_page=True)

        page.reload()  # POST/redirect/GET: a refresh re-reads, it does not re-send
        assert page.locator("#reference").inner_text() == reference
        assert _reports(database) == before + 1
    finally:
        context.close()
    assert sorted(path.name for path in screenshots.glob(f"{label}-*.png")) == [
        f"{label}-1-errors.png", f"{label}-2-filled.png", f"{label}-3-reference.png"]
