"""The public pages' wider layout in Chromium: on a 1366 px laptop the home page uses the width (the opening beside
its facts, two columns of text), on a 390 px phone one column that never scrolls sideways, by keyboard the first
stop in the page after the navigation is the call to action, and without JavaScript the same facts and actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from portal.db import db
from portal.models import DateKind, ImportantDate, Workshop

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def open_call(app: Flask) -> None:
    """Submissions open, the paper deadline ten days away, a venue and a conference."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        now = datetime.now(UTC)
        ws.dates += [
            ImportantDate(kind=DateKind.SUBMISSION_OPEN, label="Submissions open", at=now - timedelta(days=3)),
            ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=now + timedelta(days=10)),
            ImportantDate(kind=DateKind.WORKSHOP, label="Workshop day", at=now + timedelta(days=90)),
        ]
        ws.venue, ws.colocated_with = "Vienna, Austria", "ICML"
        db.session.commit()


def open_home(browser: Browser, live_server: str, contexts: list[BrowserContext], width: int, **options: object) -> Page:
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800}, locale="en-US", timezone_id="UTC", **options
    )
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(5_000)
    page.goto("/")
    return page


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


def test_a_laptop_gets_the_width_a_phone_one_column(
    open_call: None, browser: Browser, live_server: str, contexts: list[BrowserContext]
) -> None:
    laptop = open_home(browser, live_server, contexts, 1366)
    assert box(laptop, "main")["width"] > 1200  # not a 650 px column
    hero, facts = box(laptop, ".hero-text"), box(laptop, ".key-facts")
    assert facts["x"] > hero["x"] + hero["width"] - 1 and abs(facts["y"] - hero["y"]) < 40  # side by side
    about, why = box(laptop, "#about"), box(laptop, "#why")
    assert why["x"] > about["x"] + 300 and abs(why["y"] - about["y"]) < 5  # two columns of text
    # The first screen (768 px high minus the browser's) holds what, when, where and the call to action.
    for selector in ("#page-title", ".when-where", ".actions .button", ".key-facts"):
        assert box(laptop, selector)["y"] < 700, selector

    phone = open_home(browser, live_server, contexts, 390)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    hero, facts = box(phone, ".hero-text"), box(phone, ".key-facts")
    assert facts["y"] >= hero["y"] + hero["height"] - 1  # stacked
    assert box(phone, ".when-where")["y"] < 600  # the days and the venue in the phone's first screen


def test_by_keyboard_the_call_to_action_is_the_first_stop_in_the_page(
    open_call: None, browser: Browser, live_server: str, contexts: list[BrowserContext]
) -> None:
    page = open_home(browser, live_server, contexts, 1366)
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Submit a paper")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Read the call for papers")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/auth/login?next=%2Fsubmissions%2Fnew")


def test_without_javascript_the_opening_is_the_same(
    open_call: None, browser: Browser, live_server: str, contexts: list[BrowserContext]
) -> None:
    page = open_home(browser, live_server, contexts, 1366, java_script_enabled=False)
    expect(page.locator(".eyebrow")).to_have_text("LongLLM 2024 · co-located with ICML")
    expect(page.locator(".when-where")).to_contain_text("Vienna, Austria")
    expect(page.locator(".actions .button")).to_have_text(["Submit a paper", "Read the call for papers"])
    expect(page.locator(".deadline")).to_contain_text("Paper submission deadline:")
