"""The program in real browsers (issue 24): a chair builds a session of two talks and a panel with the forms, moves
the panel with a button and a talk by dragging it, publishes the program; a visitor in New York finds it in the menu,
reads it in the workshop's time (Vienna) with their own beside it, opens the panel and downloads the program's
calendar, which parses back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from icalendar import Calendar
from playwright.sync_api import Browser, Page, expect

from portal.models import ItemKind
from portal.services import program
from tests.e2e.conftest import sign_in
from tests.views.test_program import world  # noqa: F401 - the fixture: three decided papers, a chair, Vienna's zone

DASH = "\u2013"  # the en dash between two clock times
CHAIR = {"email": "chair@example.org", "name": "Carla Chair"}


@pytest.fixture
def visitor(browser: Browser, live_server: str) -> Iterator[Page]:
    """A visitor in New York (clocks there changed two weeks before Vienna's), who may download files."""
    context = browser.new_context(base_url=live_server, locale="en-US", timezone_id="America/New_York", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(5_000)
    yield page
    context.close()


def test_a_chair_builds_a_session_of_two_talks_and_a_panel_and_a_visitor_downloads_its_calendar(
    app: Flask,
    world: dict[str, int],  # noqa: F811 - the fixture imported above
    page: Page,
    visitor: Page,
    live_server: str,
    tmp_path: Path,
) -> None:
    sign_in(page, live_server, CHAIR)
    page.goto("/chair/")
    page.get_by_role("navigation", name="Chair sections").get_by_role("link", name="Program").click()
    page.get_by_role("link", name="Add a session").click()
    page.get_by_label("Title", exact=True).fill("Sunday talks")
    page.get_by_label("Day", exact=True).fill("2027-03-28")
    page.get_by_label("Starts", exact=True).fill("09:00")
    page.get_by_label("Ends", exact=True).fill("11:00")
    page.get_by_label("Room or track (optional)").fill("Hall A")
    page.get_by_role("button", name="Add the session").click()
    expect(page.locator("body")).to_contain_text("The session “Sunday talks” is saved.")

    # Two talks: Ann's oral paper with Ben speaking, then Eve's.
    page.get_by_role("link", name="Contributed talk to “Sunday talks”").click()
    page.get_by_label("Paper and speaker").select_option(label="#1 Attention that remembers (talk): Ben Coauthor")
    page.get_by_label("Starts (optional)").fill("09:00")
    page.get_by_label("Ends (optional)").fill("09:20")
    page.get_by_role("button", name="Add the contributed talk").click()
    expect(page.locator("body")).to_contain_text("“Attention that remembers” is saved.")
    page.get_by_role("link", name="Contributed talk to “Sunday talks”").click()
    page.get_by_label("Paper and speaker").select_option(label="#4 Memory for long dialogues (talk): Eve Speaker")
    page.get_by_label("Starts (optional)").fill("09:20")
    page.get_by_label("Ends (optional)").fill("09:40")
    page.get_by_role("button", name="Add the contributed talk").click()

    # A panel: a speaker of the site, two names typed in, a moderator.
    page.get_by_role("link", name="Panel to “Sunday talks”").click()
    page.get_by_label("Title", exact=True).fill("Panel: evaluation")
    page.get_by_label("Yejin Choi (speaker)").check()
    page.get_by_label("Other panelists (optional)").fill("Ada Lovelace\nGrace Hopper")
    page.get_by_label("Or the moderator's name").fill("Mo Derator")
    page.get_by_label("Starts (optional)").fill("10:00")
    page.get_by_label("Ends (optional)").fill("11:00")
    page.get_by_role("button", name="Add the panel").click()
    expect(page.locator("body")).to_contain_text("“Panel: evaluation” is saved.")
    # Cid's paper is a poster in no poster session yet: the overview says so.
    expect(page.get_by_role("region", name="To look at (1)")).to_contain_text("is in no poster session")
    # The panel moves above Eve's talk (no dragging: a button).
    page.get_by_role("button", name="Move up “Panel: evaluation”").click()
    rows = page.locator("#session-1 tbody tr th")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("Panel: evaluation")
    # With JavaScript the rows can be dragged too: Eve's talk dropped on Ann's goes first, saved at once.
    page.locator("#session-1 tbody tr").nth(2).drag_to(page.locator("#session-1 tbody tr").nth(0))
    expect(page.locator("body")).to_contain_text("The new order is saved.")
    expect(rows.nth(0)).to_contain_text("Memory for long dialogues")
    expect(rows.nth(1)).to_contain_text("Attention that remembers")
    page.get_by_role("button", name="Publish the program").click()
    expect(page.locator("body")).to_contain_text("The program is on the public site.")

    # The visitor finds the program in the menu.
    visitor.goto("/")
    visitor.get_by_role("navigation", name="Main").get_by_role("link", name="Program").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Program")
    expect(visitor.get_by_role("heading", name="Sunday 28 March 2027")).to_be_visible()
    talk = visitor.locator(".program-item").nth(1)
    expect(talk).to_contain_text(f"09:00{DASH}09:20 CEST")
    expect(talk).to_contain_text("Attention that remembers")
    # Their own clock, beside the workshop's: 09:00 in Vienna is 03:00 in New York that day.
    expect(talk.locator(".local-time")).to_have_text(f" (your time: 03:00{DASH}03:20 EDT)")
    expect(visitor.locator("#program-zone")).to_contain_text("Your own time is shown in brackets (America/New_York).")
    items = visitor.locator(".program-item")
    expect(items).to_have_count(3)
    expect(items.nth(2)).to_contain_text("Panelists: Yejin Choi, Ada Lovelace, Grace Hopper; moderator: Mo Derator")
    items.nth(2).get_by_role("link", name="Panel: evaluation").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Panel: evaluation")
    visitor.get_by_role("link", name="Back to the program").click()

    with visitor.expect_download() as download:
        visitor.get_by_role("link", name="Add the whole program to your calendar (.ics)").click()
    assert download.value.suggested_filename == "LongLLM2024-program.ics"
    saved = tmp_path / "program.ics"
    download.value.save_as(saved)
    cal = Calendar.from_ical(saved.read_bytes())
    assert [(str(e["summary"]), e.decoded("dtstart")) for e in cal.walk("VEVENT")] == [
        ("Contributed talk: Memory for long dialogues (LongLLM 2024)", datetime(2027, 3, 28, 7, 20, tzinfo=UTC)),
        ("Contributed talk: Attention that remembers (LongLLM 2024)", datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),
        ("Panel: evaluation (LongLLM 2024)", datetime(2027, 3, 28, 8, 0, tzinfo=UTC)),
    ]
    assert all(str(e["location"]).startswith("Hall A") for e in cal.walk("VEVENT"))


def test_a_slot_past_the_visitors_midnight_names_the_day_it_ends(
    app: Flask,
    world: dict[str, int],  # noqa: F811 - the fixture imported above
    browser: Browser,
    live_server: str,
) -> None:
    """16:00-18:00 in Vienna is 23:00 on Sunday to 01:00 on Monday in Tokyo: the end says Monday (it read
    "23:00-01:00", as if the talk ended before it began); 09:00 in Vienna is 16:00 the same day there, no day named."""
    from datetime import time

    from tests.views.test_program import SUN, add_item, build, publish

    (session_id,) = build(app, ("Sunday", SUN, time(9), time(18), ""))
    add_item(
        app,
        session_id,
        program.ItemInput(ItemKind.KEYNOTE, title="Morning", speakers=[program.Named(name="A")], starts=time(9), ends=time(10)),
    )
    add_item(
        app,
        session_id,
        program.ItemInput(ItemKind.KEYNOTE, title="Late", speakers=[program.Named(name="B")], starts=time(16), ends=time(18)),
    )
    publish(app)
    context = browser.new_context(base_url=live_server, locale="en-US", timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto("/program")
        items = page.locator(".program-item")
        expect(items.nth(0).locator(".local-time")).to_have_text(f" (your time: 16:00{DASH}17:00 GMT+9)")
        expect(items.nth(1).locator(".local-time")).to_have_text(f" (your time: 23:00{DASH}Mon 01:00 GMT+9)")
    finally:
        context.close()
