"""Browser tests: the app served by werkzeug in a thread of the test process (same database), driven
by Debian's Chromium through Playwright.  Skipped, with the reason printed, only when Chromium is
absent (``make browser`` installs it; ``playwright install`` cannot download browsers here)."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from tests.web.conftest import open_case, web_rik  # noqa: F401 - shared fixtures and helpers

CHROMIUM = os.environ.get("TILBOLIG_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Where the browser tests put their screenshots: a folder git ignores, so a test run never rewrites a
#: tracked file. ``make screenshots`` runs the browser tests with this set to docs/screenshots.
SCREENSHOTS = Path(os.environ.get("TILBOLIG_SCREENSHOTS")
                   or Path(__file__).resolve().parents[2] / "instance" / "screenshots")


def _chromium_path() -> str | None:
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def live_server(app):
    """The app on 127.0.0.1:<free port>, in a thread, for the whole session."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chromium():
    path = _chromium_path()
    if path is None:
        message = f"Chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium)"
        print("SKIP:", message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright
    # expect() retries for as long as an action may wait (the context's default below), not its own 5 s:
    # CI runs two test processes on two cores, and a page can be slow to arrive there.
    expect.set_options(timeout=10_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def page(chromium, live_server, ctx, users):
    context = chromium.new_context(base_url=live_server, locale="nb-NO", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    # Every browser test also checks the Content-Security-Policy (#13): nothing on our pages, bpmn-js
    # included, may need inline script or style.
    blocked: list[str] = []
    pg.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    yield pg
    context.close()
    assert blocked == [], f"the page broke the CSP: {blocked[:3]}"


@pytest.fixture()
def tegnet(ctx, users):
    """The three-lane fixture process *with* a drawing (BPMN DI), so bpmn-js can show it.  The real
    process is used instead when ``processes/`` deploys."""
    from engine.processes import deployments
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    files = {"tre_baner_tegnet.bpmn": (Path(__file__).parent / "fixtures" / "tre_baner_tegnet.bpmn").read_bytes(),
             "enkel.schema.json": (fixtures / "enkel.schema.json").read_bytes()}
    return deployments.deploy(files, None).versions[0]


def login(page, username: str, password: str = "test-passord") -> None:
    """Log in through the login form, as a person would."""
    page.goto("/logg-inn")
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill(password)
    submit(page.get_by_role("button", name="Logg inn"))


def submit(control) -> None:
    """Click ``control`` — a submit button, or a link to another page — and wait until the page it
    leads to has loaded.

    ``click()`` returns once the navigation it started has *committed*, while the new document may still
    be arriving; ``count()``, ``inner_text()``, ``is_visible()``, ``input_value()`` and the like read the
    DOM once, without retrying.  A check made right after a bare click can thus read a half-built page
    (CI, #15: no inbox row on a page the server had sent with one), and a check that something is
    *absent* passes on it without meaning anything.  After this call the whole new page is there and its
    scripts have run.  A click that does not navigate (a script's button) returns as ``click()`` does:
    check what the script does with ``expect``, which retries."""
    control.click()
    control.page.wait_for_load_state()


def logout(page) -> None:
    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url("**/logg-inn")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


