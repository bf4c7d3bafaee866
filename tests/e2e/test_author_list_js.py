"""With JavaScript on, the author list's buttons work in the page: no reload, names renumbered, order kept."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.test_submission_journey import AUTHOR, open_submissions
from tests.factories import PASSWORD, create_users


def test_author_rows_are_added_moved_and_removed_in_the_page(app: Flask, page: Page, live_server: str) -> None:
    create_users(app, AUTHOR)
    open_submissions(app)
    page.goto("/auth/login")
    page.get_by_label("Email", exact=True).fill(AUTHOR["email"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/submissions/new")
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
