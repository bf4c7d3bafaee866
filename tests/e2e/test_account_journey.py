"""A newcomer's journey in a real browser: register, confirm the address from the mail that arrived over SMTP,
sign in, say what they know, and sign out again, every form posted with its CSRF token."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.conftest import SMTPRecorder, mail_links
from tests.factories import PASSWORD

PERSON = {
    "name": "Ada Lovelace",
    "email": "ada.lovelace@example.org",
    "affiliation": "Analytical Engines Ltd",
}


def test_register_confirm_sign_in_save_expertise_and_sign_out(
    page: Page, live_server: str, smtp: SMTPRecorder, content: dict[str, Any]
) -> None:
    workshop = content["workshop"]
    topics = [topic["title"] for topic in content["topics"]]
    chosen = [topics[0], topics[3]]
    account_nav = page.get_by_role("navigation", name="Account")

    # Register through the form.
    page.goto("/")
    account_nav.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    page.get_by_label("Full name").fill(PERSON["name"])
    page.get_by_label("Email", exact=True).fill(PERSON["email"])
    page.get_by_label("Affiliation").fill(PERSON["affiliation"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_role("status")).to_contain_text(f"We sent a message to {PERSON['email']}.")

    # The confirmation mail arrived at the SMTP server; open its link in the browser.
    [message] = smtp.wait_for(1)
    assert message["To"] == PERSON["email"]
    assert message["Subject"] == f"[{workshop['short_name']} {workshop['edition']}] Confirm your email address"
    [link] = mail_links(message)
    assert re.fullmatch(r"/auth/confirm/\S+", link)
    page.goto(live_server + link)

    # The link opens a page; its button, with the password chosen at registration, confirms and signs in.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    page.get_by_label("The password you chose when registering").fill(PASSWORD)
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page).to_have_url(f"{live_server}/account/")
    expect(page.locator(".flash")).to_have_text("Your email address is confirmed and you are signed in.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(account_nav.get_by_role("link", name=PERSON["name"])).to_be_visible()
    expect(account_nav.get_by_role("link", name="Members")).to_have_count(0)  # authors are no chairs

    # Account -> Expertise: tick two topics and save.
    account_nav.get_by_role("link", name=PERSON["name"]).click()
    page.get_by_role("navigation", name="Account sections").get_by_role("link", name="Expertise").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Expertise")
    for title in chosen:
        page.get_by_label(title, exact=True).check()
    page.get_by_role("button", name="Save the expertise").click()

    expect(page).to_have_url(f"{live_server}/account/")
    expect(page.locator(".flash")).to_have_text("Your expertise is saved.")
    summary = page.locator("dl.summary")
    expect(summary.locator("dt")).to_have_text(
        ["Name", "Email", "Affiliation", "ORCID iD", "Homepage", "Roles", "Expertise topics", "Conflicts declared"]
    )
    expect(summary.locator("dd")).to_have_text(
        [PERSON["name"], PERSON["email"], PERSON["affiliation"], "—", "—", "author", "; ".join(chosen), "0 — review them"]
    )

    # The ticks are remembered.
    page.get_by_role("navigation", name="Account sections").get_by_role("link", name="Expertise").click()
    for title in topics:
        expect(page.get_by_label(title, exact=True)).to_be_checked(checked=title in chosen)

    # Sign out with the header's button.
    account_nav.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator(".flash")).to_have_text("You are signed out.")
    expect(account_nav.get_by_role("link", name="Sign in")).to_be_visible()
    expect(account_nav.get_by_role("link", name=PERSON["name"])).to_have_count(0)

    # The account pages now ask to sign in again.
    page.goto("/account/")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/auth/login\?next="))
    expect(page.locator(".flash")).to_have_text("Please sign in to see this page.")
    assert len(smtp.messages) == 1  # nothing else was mailed on the way
