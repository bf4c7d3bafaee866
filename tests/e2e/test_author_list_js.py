"""With JavaScript on, the author list's buttons work in the page: no reload, names renumbered, order kept."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.test_submission_journey import AUTHOR, open_submissions
from tests.factories import PASSWORD, create_users


def open_new_submission(app: Flask, page: Page) -> None:
    """The author signs in and opens the new-submission form."""
    create_users(app, AUTHOR)
    open_submissions(app)
    page.goto("/auth/login")
    page.get_by_label("Email", exact=True).fill(AUTHOR["email"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/submissions/new")


def test_author_rows_are_added_moved_and_removed_in_the_page(app: Flask, page: Page, live_server: str) -> None:
    open_new_submission(app, page)
    page.get_by_label("Title").fill("Kept while the list changes")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.method) if r.method == "POST" else None)

    page.get_by_role("button", name="Add an author").click()
    rows = page.locator("li.author-row")
    expect(rows).to_have_count(2)
    page.locator("#authors-1-name").fill("Charles Babbage")
    page.locator("#authors-1-email").fill("charles@example.org")
    # Move the new author up: the rows swap and the field names follow the new order.
    rows.nth(1).get_by_role("button", name="Move up").click()
    expect(page.locator("#authors-0-name")).to_have_value("Charles Babbage")
    expect(page.locator("#authors-1-name")).to_have_value(AUTHOR["name"])
    expect(page.locator("li.author-row").nth(0).locator("input").first).to_have_attribute("name", "authors-0-name")
    # Remove the first row: one is left, and it cannot be removed.
    page.locator("li.author-row").nth(0).get_by_role("button", name="Remove").click()
    expect(page.locator("li.author-row")).to_have_count(1)
    expect(page.locator("#authors-0-email")).to_have_value(AUTHOR["email"])
    expect(page.locator("li.author-row").get_by_role("button", name="Remove")).to_be_hidden()
    # Nothing was posted, and what was typed elsewhere is still there.
    assert requests == []
    expect(page.get_by_label("Title")).to_have_value("Kept while the list changes")


def test_an_author_added_after_an_error_starts_clean_and_messages_follow_their_row(
    app: Flask, page: Page, live_server: str
) -> None:
    open_new_submission(app, page)
    page.locator("#authors-0-email").fill("not an address")
    page.get_by_role("button", name="Submit").click()
    bad = page.locator("#authors-0-email")
    expect(bad).to_have_attribute("aria-invalid", "true")
    messages_before = page.locator("li.author-row .error").count()
    assert messages_before >= 1

    page.get_by_role("button", name="Add an author").click()
    fresh = page.locator("li.author-row").nth(1)
    # The new row copies none of the first row's error: no message, no invalid mark for a screen reader.
    expect(fresh.locator(".error")).to_have_count(0)
    expect(fresh.locator("[aria-invalid]")).to_have_count(0)
    expect(fresh.locator("[aria-describedby]")).to_have_count(0)
    # Moved down, the faulty row's input is still described by its own message under its new number.
    page.locator("li.author-row").nth(0).get_by_role("button", name="Move down").click()
    moved = page.locator("#authors-1-email")
    expect(moved).to_have_value("not an address")
    described = (moved.get_attribute("aria-describedby") or "").split()
    assert described and all(page.locator(f"[id='{i}']").count() == 1 for i in described)
    assert any("authors-1-" in i for i in described)
    # The error summary's link follows the faulty row to its new number.
    summary_link = page.locator(".error-summary a[href^='#authors-']").first
    expect(summary_link).to_have_attribute("href", "#authors-1-email")
