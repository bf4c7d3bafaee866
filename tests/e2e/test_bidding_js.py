"""The bid list in Chromium (issue 20, 4): with JavaScript each choice is saved as it is made, without leaving the
page, and the status line says so (or why not, putting the saved choice back); without JavaScript the page's button
saves the page's bids and comes back to the same page, filters and sort kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, Route, expect

from portal.db import db, utcnow
from portal.models import Workshop
from tests.e2e.conftest import sign_in
from tests.views.test_bids_paged import RITA, World, bids_of, build

PERSON = {"email": RITA, "name": "Rita Reviewer"}


@pytest.fixture
def world(app: Flask) -> World:
    return build(app, 120)  # three pages


@pytest.fixture
def no_script(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(5_000)
    yield page
    context.close()


def row(page: Page, number: int, title: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("group", name=f"#{number} {title}")


def test_a_bid_is_saved_as_it_is_chosen_without_leaving_the_page(page: Page, live_server: str, world: World) -> None:
    sign_in(page, live_server, PERSON)
    page.goto("/review/bids?sort=number&page=2")
    first, second = world.numbers[50], world.numbers[51]
    page.evaluate("window.stayed = true")  # gone if the page is left or reloaded
    expect(page.get_by_role("button", name="Save the bids on this page")).to_be_hidden()

    row(page, first, world.titles[first]).get_by_label("Eager", exact=True).check()
    expect(page.get_by_role("status").filter(has_text="Saved:")).to_have_text(f"Saved: #{first} Eager.")
    row(page, second, world.titles[second]).get_by_label("In a pinch", exact=True).check()
    expect(page.get_by_role("status").filter(has_text="Saved:")).to_have_text(f"Saved: #{second} In a pinch.")

    assert page.evaluate("window.stayed === true")
    assert page.url == f"{live_server}/review/bids?sort=number&page=2"
    assert bids_of(world.app) == {first: "eager", second: "in_a_pinch"}
    page.reload()
    expect(row(page, first, world.titles[first]).get_by_label("Eager", exact=True)).to_be_checked()
    expect(row(page, second, world.titles[second]).get_by_label("In a pinch", exact=True)).to_be_checked()
    expect(page.get_by_text("117 of 117 papers shown; you have bid on 2.")).to_be_visible()

    # Taking one back: only that one goes.
    row(page, first, world.titles[first]).get_by_label("No bid", exact=True).check()
    expect(page.get_by_role("status").filter(has_text="Saved:")).to_have_text(f"Saved: #{first} no bid.")
    assert bids_of(world.app) == {second: "in_a_pinch"}

    # Bidding closes while the page is open: the choice is refused, said so, and the saved one shows again.
    with world.app.app_context():
        db.session.scalar(sa.select(Workshop)).bidding_deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
    # click(), not check(): the refused choice goes back to the saved one, and when the answer comes fast it does so
    # before check() could see it checked ("Clicking the checkbox did not change its state", seen in CI).
    row(page, second, world.titles[second]).get_by_label("Eager", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Not saved")).to_have_text(
        "Not saved: Bidding is closed. Nothing was saved."
    )
    expect(row(page, second, world.titles[second]).get_by_label("In a pinch", exact=True)).to_be_checked()
    assert bids_of(world.app) == {second: "in_a_pinch"}


def test_a_choice_made_before_the_script_ran_is_saved_when_it_starts(page: Page, live_server: str, world: World) -> None:
    # A slow connection: the page shows its radios while bids.js is still on its way. The choice made then had no
    # script to save it (seen in CI: "Eager" checked, nothing saved); the script saves it when it starts.
    sign_in(page, live_server, PERSON)
    held: list[Route] = []
    page.route("**/js/bids.js*", lambda route: route.continue_() if held else held.append(route))  # the first load only
    page.goto("/review/bids?sort=number", wait_until="commit")
    chosen = world.numbers[3]
    row(page, chosen, world.titles[chosen]).get_by_label("Willing", exact=True).check()
    expect(page.get_by_role("button", name="Save the bids on this page")).to_be_visible()  # the script has not run
    assert held and bids_of(world.app) == {}
    held[0].continue_()
    expect(page.get_by_role("status").filter(has_text="Saved:")).to_have_text(f"Saved: #{chosen} Willing.")
    assert bids_of(world.app) == {chosen: "willing"}
    page.reload()
    expect(row(page, chosen, world.titles[chosen]).get_by_label("Willing", exact=True)).to_be_checked()
    expect(page.get_by_role("status")).to_have_text("")  # nothing left to save: the page says nothing


def test_without_javascript_the_button_saves_the_page_and_comes_back_to_it(
    no_script: Page, live_server: str, world: World
) -> None:
    page = no_script
    sign_in(page, live_server, PERSON)
    page.goto("/review/bids?sort=number")
    kept = world.numbers[0]
    row(page, kept, world.titles[kept]).get_by_label("Willing", exact=True).check()
    page.get_by_role("button", name="Save the bids on this page").click()
    expect(page.locator(".flash")).to_have_text("Your bids are saved (1 changed).")

    page.goto("/review/bids?show=none&sort=number&page=2")
    chosen = world.numbers[51]  # the second page of the papers without a bid: Rita's first bid is off the list
    row(page, chosen, world.titles[chosen]).get_by_label("Not willing", exact=True).check()
    page.get_by_role("button", name="Save the bids on this page").click()

    expect(page.locator(".flash")).to_have_text("Your bids are saved (1 changed).")
    assert page.url == f"{live_server}/review/bids?show=none&sort=number&page=2"
    assert bids_of(world.app) == {kept: "willing", chosen: "not_willing"}
