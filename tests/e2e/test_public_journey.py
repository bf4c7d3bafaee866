"""A visitor's journey through the public site in a real browser: read the home page, write to the
organizers, see the people, move by keyboard, and get the deadlines in their own time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, expect

from portal.db import db
from portal.models import DateKind, ImportantDate, Workshop
from tests.conftest import SMTPRecorder

SENDER = {
    "name": "Ada Sponsor",
    "organization": "Acme Compute Labs",
    "email": "ada@example.org",
    "interest": "Compute credits for participants",
}
MESSAGE = "We would like to offer GPU credits to the authors.\nCould we talk next week?"


def fill_sponsor_form(page: Page, *, email: str) -> None:
    page.get_by_label("Your name").fill(SENDER["name"])
    page.get_by_label("Organization").fill(SENDER["organization"])
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Sponsorship interest").select_option(label=SENDER["interest"])
    page.get_by_label("Message").fill(MESSAGE)
    page.get_by_role("button", name="Send to the organizers").click()


def body_of(message: EmailMessage) -> str:
    """The plain-text body with the wire's CRLF line endings turned back into newlines."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def test_sponsor_inquiry_from_home_page_reaches_organizers_and_sender(
    page: Page, smtp: SMTPRecorder, content: dict[str, Any]
) -> None:
    workshop = content["workshop"]
    prefix = f"[{workshop['short_name']} {workshop['edition']}]"

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(workshop["name"])

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sponsors").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sponsor {workshop['short_name']} {workshop['edition']}")
    fill_sponsor_form(page, email=SENDER["email"])

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, your message is on its way")
    assert page.url.endswith("/sponsors/thanks")

    messages = smtp.wait_for(2)
    assert len(messages) == 2
    [to_organizers] = smtp.to(workshop["contact_email"])
    [acknowledgement] = smtp.to(SENDER["email"])

    assert to_organizers["To"] == workshop["contact_email"]
    assert to_organizers["Reply-To"] == SENDER["email"]
    assert to_organizers["Subject"] == f"{prefix} Sponsorship inquiry from {SENDER['organization']}"
    organizers_body = body_of(to_organizers)
    assert f"Message:\n\n{MESSAGE}\n" in organizers_body
    assert f"Organization: {SENDER['organization']}" in organizers_body
    assert f"Email:        {SENDER['email']}" in organizers_body
    assert f"Interest:     {SENDER['interest']}" in organizers_body

    assert acknowledgement["To"] == SENDER["email"]
    assert acknowledgement["Reply-To"] == workshop["contact_email"]
    assert acknowledgement["Subject"] == f"{prefix} We received your sponsorship inquiry"
    acknowledgement_body = body_of(acknowledgement)
    assert acknowledgement_body.startswith(f"Dear {SENDER['name']},\n")
    assert f"Interest:     {SENDER['interest']}\n\n{MESSAGE}\n" in acknowledgement_body


def test_sponsor_form_with_invalid_email_shows_errors_and_keeps_the_message(page: Page, smtp: SMTPRecorder) -> None:
    page.goto("/sponsors/")
    fill_sponsor_form(page, email="ada-at-example.org")

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("Please correct this problem")
    expect(summary.get_by_role("link")).to_have_text("Email: This does not look like an email address (name@example.org).")
    expect(page.locator("#email-error")).to_have_text("This does not look like an email address (name@example.org).")
    email_input = page.get_by_label("Email", exact=True)
    expect(email_input).to_have_attribute("aria-invalid", "true")
    expect(email_input).to_have_value("ada-at-example.org")
    expect(page.get_by_label("Message")).to_have_value(MESSAGE)
    expect(page).to_have_title(re.compile(r"^Error: Sponsors"))
    assert smtp.messages == []


PEOPLE_BOXES = """() => Array.from(document.querySelectorAll('.people')[0].querySelectorAll(':scope > li'))
    .map(li => { const r = li.getBoundingClientRect(); return [Math.round(r.x), Math.round(r.y)]; })"""


def test_organizers_show_in_two_columns_on_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/organizers")
    boxes = page.evaluate(PEOPLE_BOXES)
    assert len(boxes) == 5
    assert len({x for x, _ in boxes}) == 2
    assert len({y for _, y in boxes}) == 3


def test_organizers_show_on_one_row_on_a_desktop(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/organizers")
    boxes = page.evaluate(PEOPLE_BOXES)
    assert len(boxes) == 5
    assert len({x for x, _ in boxes}) == 5
    assert len({y for _, y in boxes}) == 1


def test_skip_link_is_first_on_tab_and_moves_to_main(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/#main$"))
    expect(page.locator("main#main")).to_be_focused()


CSP_RECORDER = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"""


def test_cfp_dates_show_local_time_without_console_errors_or_csp_violations(app: Flask, page: Page) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        ws.dates.append(
            ImportantDate(
                kind=DateKind.PAPER_DEADLINE,
                label="Paper submission deadline",
                at=datetime(2024, 2, 4, 11, 59, tzinfo=UTC),
            )
        )
        db.session.commit()

    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.add_init_script(CSP_RECORDER)

    page.goto("/call-for-papers")
    dates = page.locator("table.dates")
    expect(dates.get_by_role("rowheader")).to_have_text(["Paper submission deadline"])
    expect(dates.locator("time")).to_have_text("Sat 3 Feb 2024, 23:59 AoE")
    expect(dates.locator(".utc")).to_have_text("(Sun 4 Feb 2024, 11:59 UTC)")
    # localtime.js ran: the browser's zone (UTC in this context) is shown beside the deadline, in the same line.
    expect(dates.locator(".local-time")).to_have_text(re.compile(r"^your time: Sun, Feb 4, 2024, 11:59\sAM UTC$"))
    expect(dates.locator("td").first).to_have_text(
        re.compile(r"^Sat 3 Feb 2024, 23:59 AoE \(Sun 4 Feb 2024, 11:59 UTC\), your time: Sun, Feb 4, 2024, 11:59\sAM UTC")
    )
    assert dates.locator(".local-time").evaluate("e => getComputedStyle(e).display") == "inline"

    page.wait_for_load_state("load")
    assert page.evaluate("window.__cspViolations") == []
    assert errors == []
