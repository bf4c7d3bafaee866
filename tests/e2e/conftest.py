"""Browser fixtures: Debian's Chromium driven by Playwright's sync API (one browser per session), the app
served on a free local port per test, and a fresh browser context per test.

Every test under tests/e2e is marked ``browser`` and skipped when /usr/bin/chromium is missing. Playwright's own
browser downloads are never used (``playwright install`` cannot download here).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from werkzeug.serving import make_server

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
E2E_DIR = Path(__file__).resolve().parent
SKIP_REASON = "Debian's Chromium is not installed at /usr/bin/chromium"


@pytest.hookimpl(tryfirst=True)  # before the mark plugin deselects, so `-m browser` / `-m "not browser"` work
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest hook sees every collected item of the session: touch only the ones in this directory.
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if not item.path.resolve().is_relative_to(E2E_DIR):
            continue
        item.add_marker(pytest.mark.browser)
        if not CHROMIUM.exists():
            item.add_marker(skip)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The ``app`` fixture served over HTTP in a daemon thread; yields the base URL (no trailing slash)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def contexts(browser: Browser, live_server: str) -> Iterator[list[BrowserContext]]:
    """Browser contexts a test makes itself (its own viewport, locale or time zone) and appends here: closed before
    the server stops."""
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh context (no cookies, 1280x800, en-US, UTC) whose relative URLs go to the live server.

    It depends on ``live_server`` so that the context closes before the server shuts down.
    """
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 800}, locale="en-US", timezone_id="UTC"
    )
    page = context.new_page()
    page.set_default_timeout(5_000)
    yield page
    context.close()


@pytest.fixture
def new_page(browser: Browser, live_server: str) -> Iterator[Callable[[], Page]]:
    """Pages in further fresh contexts (other people at other computers), closed before the server stops."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(
            base_url=live_server, viewport={"width": 1280, "height": 800}, locale="en-US", timezone_id="UTC"
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5_000)
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, live_server: str, person: dict[str, str]) -> None:
    """Sign in through the real form and land where the person's work is (tests/views/test_landing.py), the name in
    the menu."""
    page.goto("/auth/login")
    page.get_by_label("Email", exact=True).fill(person["email"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/auth/login"))
    expect(page.get_by_role("navigation", name="Account").get_by_role("link", name=person["name"])).to_be_visible()
