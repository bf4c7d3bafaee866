"""The site by keyboard alone: no mouse, no ``click`` or ``fill`` — Tab to move, typing, Enter and Space and the
arrow keys to act. ``page.goto`` opens only the first page and a link that came by mail.

An author skips the header with the skip link, signs in, opens the new-submission form, sends it empty and
follows the error summary's first link back to the field, then fills the form, chooses the PDF from the file
input with Space and submits. A reviewer opens the link of the assignment mail, signs in, and writes and
submits a review (the recommendation and the confidence chosen with the arrow keys). Every control reached
shows a visible focus indicator."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from portal import work
from portal.db import db, utcnow
from portal.models import DateKind, ImportantDate, Phase, ReviewAssignment, ReviewState, Submission, Workshop
from portal.services import assignments
from portal.services import submissions as submissions_svc
from tests.conftest import SMTPRecorder, mail_links
from tests.factories import PASSWORD, make_user
from tests.pdfs import make_pdf

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

AUTHOR = {"email": "kay.keys@example.org", "name": "Kay Keys", "affiliation": "Keyboard University"}
OTHER = {"email": "al.writer@example.org", "name": "Al Writer", "affiliation": "Author University Two"}
REVIEWER = {"email": "rita.reviewer@example.org", "name": "Rita Reviewer", "affiliation": "Reviewer College"}
CHAIR = {"email": "carla.chair@example.org", "name": "Carla Chair", "affiliation": "Chair Institute"}
TITLE = "Tab Order as a Sequence Model"
ABSTRACT = "We read a web page the way a keyboard user does, one focus stop at a time."
REVIEWED = "Retrieval Versus Longer Windows"
SUMMARY = "A clear paper; the keyboard study is convincing."

#: What the focused element is, for the test to read: its accessible name (the label of a form control, else
#: aria-label or its text), and whether a focus indicator is drawn (an outline of 2px or more, or a box-shadow).
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
    return {
        tag: el.tagName.toLowerCase(), type: el.type || '', id: el.id,
        name: (label || el.getAttribute('aria-label') || el.innerText || el.value || '').trim().replace(/\\s+/g, ' '),
        indicator: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none',
    };
}"""


def set_up(app: Flask) -> None:
    """Submissions open for three more days and reviewing under way: Al's paper is assigned to Rita, whose
    assignment mail is delivered."""
    with app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        now = utcnow()
        chair = make_user(CHAIR["email"], name=CHAIR["name"], affiliation=CHAIR["affiliation"], roles=("chair",))
        rita = make_user(REVIEWER["email"], name=REVIEWER["name"], affiliation=REVIEWER["affiliation"], roles=("reviewer",))
        make_user(AUTHOR["email"], name=AUTHOR["name"], affiliation=AUTHOR["affiliation"])
        al = make_user(OTHER["email"], name=OTHER["name"], affiliation=OTHER["affiliation"])
        ws.dates.append(
            ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=now + timedelta(days=3))
        )
        db.session.flush()
        rows = [submissions_svc.AuthorInput(al.name, al.email, al.affiliation)]
        details = submissions_svc.Details(
            title=REVIEWED,
            abstract="We compare retrieval with longer windows.",
            type_id=ws.submission_types[0].id,
            primary_topic_id=ws.topics[1].id,
            secondary_topic_ids=[],
            keywords="",
            authors=rows,
            declared_conflicts="",
        )
        checked = submissions_svc.check_paper(ws, ws.submission_types[0], rows, make_pdf(4), "paper.pdf")
        sub = submissions_svc.create_submission(al, ws, details, paper=checked)
        ws.phase = Phase.REVIEWING
        ws.review_deadline = now + timedelta(days=10)
        db.session.flush()
        work.commit_and_deliver()  # Al's receipt
        assignments.assign_reviewer(chair, ws, sub, rita)
        work.commit_and_deliver()  # Rita's assignment mail


# True once the page has not scrolled for 150 ms (Playwright polls it until it is). Chromium drops the scroll
# that brings a newly focused control into view when it starts during a smooth scroll.
SCROLL_SETTLED = "() => new Promise(done => { const y = scrollY; setTimeout(() => done(scrollY === y), 150); })"


def focused(page: Page) -> dict[str, Any]:
    info = page.evaluate(FOCUSED)
    assert info is not None, "nothing has the focus"
    return info


def tab_to(page: Page, name: str, *, key: str = "Tab", limit: int = 60) -> dict[str, Any]:
    """Press Tab until the control named ``name`` has the focus; it must be scrolled into view (the page scrolls
    smoothly: the assertion waits) and show a focus indicator."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        info = focused(page)
        seen.append(info["name"])
        if info["name"] == name:
            expect(page.locator(":focus")).to_be_in_viewport()
            if not info["indicator"]:  # the page's stylesheet may still be on its way: give it a moment
                try:
                    page.wait_for_function(f"() => ({FOCUSED})().indicator", timeout=5000)
                except PlaywrightTimeoutError:
                    raise AssertionError(f"{name!r} has the focus but no visible focus indicator") from None
                info = focused(page)
            return info
    raise AssertionError(f"{name!r} was not reached with {key}; the focus went through {seen}")


def sign_in_by_keyboard(page: Page, person: dict[str, str]) -> None:
    """On the sign-in page: tab to each field, type, and press Enter."""
    tab_to(page, "Email")
    page.keyboard.type(person["email"])
    tab_to(page, "Password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def test_author_submits_and_reviewer_reviews_by_keyboard_only(
    app: Flask, page: Page, new_page: Any, live_server: str, smtp: SMTPRecorder, tmp_path: Path
) -> None:
    set_up(app)
    paper = tmp_path / "tab-order.pdf"
    paper.write_bytes(make_pdf(6, references_on=6, title="Tab order"))

    # The skip link is the first stop, shown when focused; following it, the next stop is inside the content.
    page.goto("/")
    skip = tab_to(page, "Skip to content", limit=1)
    assert skip["tag"] == "a"
    expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/#main")
    page.wait_for_function(SCROLL_SETTLED)  # the jump scrolls smoothly; a focus scroll started meanwhile is lost
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert focused(page)["indicator"]

    # Sign in: back to the header with Shift+Tab.
    tab_to(page, "Sign in", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/auth/login")
    sign_in_by_keyboard(page, AUTHOR)
    expect(page).to_have_url(f"{live_server}/account/")

    tab_to(page, "My submissions")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My submissions")
    tab_to(page, "New submission")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/submissions/new")

    # Sent empty, the form comes back with its error summary focused; its first link leads to the title.
    tab_to(page, "Submit the paper")
    page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Please correct these 4 problems; nothing was saved")
    tab_to(page, "Title: Give the title.", limit=1)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/submissions/new#title")
    page.wait_for_function(SCROLL_SETTLED)  # the jump scrolls smoothly; a focus scroll started meanwhile is lost
    title = focused(page)  # the browser moves the focus to the link's target
    assert (title["id"], title["indicator"]) == ("title", True)
    expect(page.get_by_label("Title", exact=True)).to_have_attribute("aria-invalid", "true")

    page.keyboard.type(TITLE)
    tab_to(page, "Abstract")
    page.keyboard.type(ABSTRACT)
    tab_to(page, "Submission type")
    page.keyboard.press("ArrowDown")  # the first type after "Choose…"
    tab_to(page, "Primary topic")
    page.keyboard.press("ArrowDown")
    file_input = tab_to(page, "Paper (PDF)")
    assert file_input["type"] == "file"
    # Space opens the file chooser. In the full suite's run (two cores, every worker busy) the chooser once never
    # came in 5 s, while alone it comes at once, even with the browser's CPU slowed eightfold: let the focus scroll
    # end first, give it 10 s, and if the key press was lost, press Space once more on the still focused input.
    page.wait_for_function(SCROLL_SETTLED)
    try:
        with page.expect_file_chooser(timeout=10_000) as chooser:
            page.keyboard.press("Space")
        file_chooser = chooser.value
    except PlaywrightTimeoutError:
        assert focused(page)["type"] == "file", "the focus left the file input"
        with page.expect_file_chooser(timeout=10_000) as chooser:
            page.keyboard.press("Space")
        file_chooser = chooser.value
    file_chooser.set_files(paper)
    tab_to(page, "Submit the paper")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"Submission #2 is saved. A receipt is on its way to {AUTHOR['email']}.")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)

    # The reviewer opens the link of the assignment mail and signs in on the way.
    [assignment_mail] = smtp.to(REVIEWER["email"])
    [link] = mail_links(assignment_mail)
    reviewer = new_page()
    reviewer.goto(link)
    expect(reviewer).to_have_url(f"{live_server}/auth/login?next=%2Freview%2F")
    sign_in_by_keyboard(reviewer, REVIEWER)
    expect(reviewer).to_have_url(f"{live_server}/review/")

    tab_to(reviewer, REVIEWED)
    reviewer.keyboard.press("Enter")
    expect(reviewer.get_by_role("heading", level=1)).to_have_text(REVIEWED)
    tab_to(reviewer, "Write your review")
    reviewer.keyboard.press("Enter")
    expect(reviewer.get_by_role("heading", level=1)).to_have_text(f"Review of “{REVIEWED}”")

    # Radio groups: Tab enters a group on its first option, the arrow keys move the choice.
    tab_to(reviewer, "1: Strong reject")
    for _ in range(3):
        reviewer.keyboard.press("ArrowDown")
    assert focused(reviewer)["name"] == "4: Weak accept"
    tab_to(reviewer, "1: Educated guess")
    for _ in range(2):
        reviewer.keyboard.press("ArrowDown")
    assert focused(reviewer)["name"] == "3: Fairly confident"
    tab_to(reviewer, "Summary of the paper")
    reviewer.keyboard.type(SUMMARY)
    tab_to(reviewer, "Submit the review")
    reviewer.keyboard.press("Enter")
    expect(reviewer.locator(".flash")).to_have_text("Your review is submitted. You can now read the other reviews of this paper.")
    expect(reviewer.locator("article.review")).to_contain_text(SUMMARY)
    expect(reviewer.locator("article.review")).to_contain_text("Weak accept (4/5) · confidence Fairly confident (3/5)")

    with app.app_context():
        sub = db.session.get(Submission, 2)
        assert sub is not None
        assert (sub.title, sub.abstract, sub.submitter.email, sub.paper is not None) == (
            TITLE,
            ABSTRACT,
            AUTHOR["email"],
            True,
        )
        review = db.session.scalar(sa.select(ReviewAssignment).where(ReviewAssignment.submission_id == 1)).review
        assert review is not None
        assert (review.state, review.recommendation, review.confidence, review.summary) == (
            ReviewState.SUBMITTED,
            4,
            3,
            SUMMARY,
        )
