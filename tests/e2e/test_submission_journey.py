"""An author's first submission in a real browser: sign in, open "My submissions", fill the new-submission form
(the first author row is prefilled with the account), attach a PDF made here, submit, read the check's summary,
get the receipt over SMTP, and find the paper in the list as submitted."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from portal.db import db, utcnow
from portal.models import DateKind, ImportantDate, Submission, SubmissionState, Workshop
from tests.conftest import SMTPRecorder, mail_links
from tests.factories import PASSWORD, create_users
from tests.pdfs import make_pdf

AUTHOR = {"email": "ada.lovelace@example.org", "name": "Ada Lovelace", "affiliation": "Analytical Engines Ltd"}
TITLE = "Memory Layers for Ten-Million-Token Contexts"
ABSTRACT = "We add a memory layer to a transformer.\n\nIt reads ten million tokens on one GPU."


def open_submissions(app: Flask) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        ws.dates.append(
            ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=utcnow() + timedelta(days=3))
        )
        db.session.commit()


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def test_author_submits_a_paper_gets_the_receipt_and_sees_it_listed(
    app: Flask, page: Page, live_server: str, smtp: SMTPRecorder, content: dict[str, Any], tmp_path: Path
) -> None:
    create_users(app, AUTHOR)
    open_submissions(app)
    workshop = content["workshop"]
    topic = content["topics"][2]["title"]
    pdf = make_pdf(6, references_on=6, title="Memory layers")
    paper = tmp_path / "Lovelace - memory layers (final).pdf"
    paper.write_bytes(pdf)
    account_nav = page.get_by_role("navigation", name="Account")

    # Sign in through the form.
    page.goto("/auth/login")
    page.get_by_label("Email", exact=True).fill(AUTHOR["email"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/account/")

    # My submissions -> New submission.
    account_nav.get_by_role("link", name="My submissions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My submissions")
    expect(page.get_by_text("You have no submissions yet.")).to_be_visible()
    page.get_by_role("link", name="New submission").click()
    expect(page).to_have_url(f"{live_server}/submissions/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("New submission")

    # The first author row is the signed-in person.
    authors = page.locator("#authors")
    expect(authors.get_by_label("Name")).to_have_value(AUTHOR["name"])
    expect(authors.get_by_label("Email")).to_have_value(AUTHOR["email"])
    expect(authors.get_by_label("Affiliation")).to_have_value(AUTHOR["affiliation"])

    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Abstract").fill(ABSTRACT)
    page.get_by_label("Submission type").select_option(label="Full paper: 8 pages, plus unlimited references")
    page.get_by_label("Primary topic").select_option(label=topic)
    page.get_by_label("Paper (PDF)").set_input_files(paper)
    page.get_by_role("button", name="Submit the paper").click()

    # Saved: the detail page with the flash and what the check found.
    expect(page).to_have_url(f"{live_server}/submissions/1")
    expect(page.get_by_role("status")).to_have_text(f"Submission #1 is saved. A receipt is on its way to {AUTHOR['email']}.")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    report = page.get_by_role("region", name="Check of the current paper")
    expect(report.get_by_role("listitem")).to_have_text(
        ["6 pages; references start on page 6 (5 pages of main text)", "Page size: A4"]
    )
    expect(page.locator(".eyebrow")).to_have_text("Submission #1 · submitted")

    # The receipt arrived over SMTP and names the exact file.
    [receipt] = smtp.wait_for(1)
    assert receipt["To"] == AUTHOR["email"]
    assert receipt["Subject"] == f"[{workshop['short_name']} {workshop['edition']}] Submission #1 submitted: {TITLE}"
    body = body_of(receipt)
    assert body.startswith(f"Dear {AUTHOR['name']},\n")
    assert f"Title:    {TITLE}\n" in body
    assert f"  1. {AUTHOR['name']} ({AUTHOR['affiliation']}) <{AUTHOR['email']}>\n" in body
    assert f"Paper:    6 pages, {len(pdf)} bytes\n          SHA-256 {hashlib.sha256(pdf).hexdigest()}\n" in body
    assert mail_links(receipt) == ["/submissions/1"]

    # Back to My submissions: the row shows the title and the state.
    account_nav.get_by_role("link", name="My submissions").click()
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td, th")).to_have_text(["1", TITLE, "submitted", re.compile(r"\S")])
    expect(rows.get_by_role("link", name=TITLE)).to_have_attribute("href", "/submissions/1")

    with app.app_context():
        sub = db.session.scalar(sa.select(Submission))
        assert sub is not None
        assert (sub.title, sub.abstract, sub.state, sub.primary_topic.title) == (
            TITLE,
            ABSTRACT,
            SubmissionState.SUBMITTED,
            topic,
        )
        assert [(a.name, a.email, a.affiliation) for a in sub.authors] == [
            (AUTHOR["name"], AUTHOR["email"], AUTHOR["affiliation"])
        ]
        assert sub.paper is not None
        assert sub.paper.file.sha256 == hashlib.sha256(pdf).hexdigest()
        assert sub.paper.file.original_name == paper.name
