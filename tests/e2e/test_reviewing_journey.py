"""Reviewing in real browsers, every form posted with its CSRF token: a reviewer bids, the chair opens reviewing,
runs the automatic assignment and applies it (the reviewers get their mail over SMTP), the reviewer saves a draft
and submits, and after a second reviewer submits, the first reads that review as "Reviewer N", never by name."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from portal.db import db, utcnow
from portal.models import (
    AssignmentProposal,
    Bid,
    BidValue,
    DateKind,
    ImportantDate,
    Phase,
    ProposalState,
    ReviewAssignment,
    ReviewState,
    Workshop,
)
from portal.services import submissions as submissions_svc
from tests.conftest import SMTPRecorder, mail_links
from tests.e2e.conftest import sign_in
from tests.factories import make_user
from tests.pdfs import make_pdf

CHAIR = {"email": "carla.chair@example.org", "name": "Carla Chair", "affiliation": "Chair Institute"}
REVIEWER_A = {"email": "rita.reviewer@example.org", "name": "Rita Reviewer", "affiliation": "Reviewer College A"}
REVIEWER_B = {"email": "bob.blindfold@example.org", "name": "Bob Blindfold", "affiliation": "Reviewer College B"}
AUTHORS = [
    {"email": "ann.author@example.org", "name": "Ann Author", "affiliation": "Author University One"},
    {"email": "al.writer@example.org", "name": "Al Writer", "affiliation": "Author University Two"},
]
TITLES = ["Sparse Attention over Million-Token Inputs", "Retrieval Versus Longer Windows"]

A_SUMMARY = "The paper sparsifies attention so that a million tokens fit on one GPU."
B_SENTENCE = "The ablation on chunk sizes is the most convincing part of this paper."
B_CONFIDENTIAL = "Only for the chairs: I suspect I know who wrote this."


@dataclass
class World:
    papers: list[int]  # submission numbers, in the order of TITLES
    reviewer_a: int
    reviewer_b: int
    zone: ZoneInfo


def set_up_bidding(app: Flask) -> World:
    """A chair, two reviewers with expertise, two authors with one paper each; the submission deadline
    passed, bidding open, two reviews per paper, reviews due in ten days."""
    with app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        topics = ws.topics
        now = utcnow()
        make_user(CHAIR["email"], name=CHAIR["name"], affiliation=CHAIR["affiliation"], roles=("chair",))
        reviewer_a = make_user(
            REVIEWER_A["email"], name=REVIEWER_A["name"], affiliation=REVIEWER_A["affiliation"], roles=("reviewer",)
        )
        reviewer_a.topics = [topics[0]]
        reviewer_a.expertise_statement = "I work on sparse attention for very long inputs."
        reviewer_b = make_user(
            REVIEWER_B["email"], name=REVIEWER_B["name"], affiliation=REVIEWER_B["affiliation"], roles=("reviewer",)
        )
        reviewer_b.topics = [topics[1]]
        reviewer_b.expertise_statement = "I work on retrieval augmentation and evaluation."

        deadline = ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=now + timedelta(days=3))
        ws.dates.append(deadline)
        db.session.flush()
        papers = []
        for i, (person, title) in enumerate(zip(AUTHORS, TITLES, strict=True)):
            author = make_user(person["email"], name=person["name"], affiliation=person["affiliation"])
            rows = [submissions_svc.AuthorInput(author.name, author.email, author.affiliation)]
            details = submissions_svc.Details(
                title=title,
                abstract=f"We study {title.lower()}.\n\nExperiments cover several context lengths.",
                type_id=ws.submission_types[0].id,
                primary_topic_id=topics[i].id,
                secondary_topic_ids=[],
                keywords="long context",
                authors=rows,
                declared_conflicts="",
            )
            pdf = make_pdf(4, references_on=4, title=title)
            checked = submissions_svc.check_paper(ws, ws.submission_types[0], rows, pdf, f"paper-{i + 1}.pdf")
            papers.append(submissions_svc.create_submission(author, ws, details, paper=checked).number)

        deadline.at = now - timedelta(hours=1)
        ws.phase = Phase.BIDDING
        ws.bidding_deadline = now + timedelta(days=3)
        ws.reviews_per_paper = 2
        ws.review_deadline = now + timedelta(days=10)
        db.session.commit()
        return World(papers=papers, reviewer_a=reviewer_a.id, reviewer_b=reviewer_b.id, zone=ws.zone)


def open_paper_as_reviewer(page: Page, live_server: str, number: int, title: str) -> None:
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Reviewing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your reviews")
    page.get_by_role("table").get_by_role("link", name=title).click()
    expect(page).to_have_url(f"{live_server}/review/papers/{number}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def test_bid_assign_review_and_read_the_other_review_anonymously(
    app: Flask,
    page: Page,
    new_page: Callable[[], Page],
    live_server: str,
    smtp: SMTPRecorder,
    content: dict[str, Any],
) -> None:
    world = set_up_bidding(app)
    first, second = world.papers
    prefix = f"[{content['workshop']['short_name']} {content['workshop']['edition']}]"
    reviewer_a = page
    account_nav = reviewer_a.get_by_role("navigation", name="Account")

    # 1. Reviewer A bids: Eager on paper 1, Willing on paper 2.
    sign_in(reviewer_a, live_server, REVIEWER_A)
    account_nav.get_by_role("link", name="Reviewing").click()
    expect(reviewer_a.get_by_role("heading", level=1)).to_have_text("Your reviews")
    expect(reviewer_a.get_by_text("No papers are assigned to you yet.")).to_be_visible()
    reviewer_a.get_by_role("link", name="Bid on papers").click()
    expect(reviewer_a).to_have_url(f"{live_server}/review/bids")
    expect(reviewer_a.get_by_role("heading", level=1)).to_have_text("Bid on papers")
    paper_1 = reviewer_a.get_by_role("group", name=f"#{first} {TITLES[0]}")
    paper_2 = reviewer_a.get_by_role("group", name=f"#{second} {TITLES[1]}")
    expect(paper_1.get_by_label("No bid", exact=True)).to_be_checked()
    saved = reviewer_a.get_by_role("status").filter(has_text="Saved:")
    paper_1.get_by_label("Eager", exact=True).check()  # saved as it is chosen (the page's script), no button
    expect(saved).to_have_text(f"Saved: #{first} Eager.")
    paper_2.get_by_label("Willing", exact=True).check()
    expect(saved).to_have_text(f"Saved: #{second} Willing.")
    reviewer_a.reload()

    expect(reviewer_a).to_have_url(f"{live_server}/review/bids")
    expect(paper_1.get_by_label("Eager", exact=True)).to_be_checked()
    expect(paper_2.get_by_label("Willing", exact=True)).to_be_checked()
    expect(reviewer_a.get_by_text("2 of 2 papers shown; you have bid on 2.")).to_be_visible()
    with app.app_context():
        bids = {(b.submission_id, b.value) for b in db.session.scalars(sa.select(Bid).where(Bid.reviewer_id == world.reviewer_a))}
        assert bids == {(first, BidValue.EAGER), (second, BidValue.WILLING)}

    # 2. The chair, at another computer, opens reviewing on the settings page ...
    chair = new_page()
    sign_in(chair, live_server, CHAIR)
    chair.get_by_role("navigation", name="Account").get_by_role("link", name="Chair", exact=True).click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Chair console")
    chair.get_by_role("navigation", name="Chair sections").get_by_role("link", name="Assignments").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Assignments")
    chair.get_by_role("navigation", name="Chair sections").get_by_role("link", name="Reviewing settings").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Reviewing settings")
    expect(chair.get_by_label("Bidding: reviewers mark the papers they want")).to_be_checked()
    due = (utcnow() + timedelta(days=10)).astimezone(world.zone).replace(second=0, microsecond=0)
    chair.get_by_label("Reviewing: reviewers write their reviews").check()
    chair.get_by_label("Review deadline").fill(due.strftime("%Y-%m-%dT%H:%M"))
    chair.get_by_role("button", name="Save the reviewing settings").click()

    expect(chair).to_have_url(f"{live_server}/chair/reviewing")
    expect(chair.locator(".flash")).to_have_text("The reviewing settings are saved.")
    expect(chair.get_by_label("Reviewing: reviewers write their reviews")).to_be_checked()
    expect(chair.get_by_label("Review deadline")).to_have_value(due.strftime("%Y-%m-%dT%H:%M"))
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        assert ws.phase == Phase.REVIEWING
        assert ws.review_deadline == due
        assert ws.reviews_per_paper == 2

    # ... runs the automatic assignment and reads the proposal with its reasons ...
    chair.get_by_role("navigation", name="Chair sections").get_by_role("link", name="Assignments").click()
    expect(
        chair.get_by_text(
            "2 papers in reviewing (2 short of reviewers), 2 reviewers and their loads, 2 reviews per paper; phase: reviewing."
        )
    ).to_be_visible()
    chair.get_by_role("button", name="Run the automatic assignment").click()
    expect(chair).to_have_url(re.compile(rf"^{re.escape(live_server)}/chair/proposals/\d+$"))
    expect(chair.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Assignment proposal #\d+$"))
    expect(chair.get_by_text(re.compile(r"^4 new assignments; total affinity"))).to_be_visible()
    expect(chair.get_by_text("Not every paper is covered")).to_have_count(0)

    def reason(name: str, bid: str, common: int) -> re.Pattern[str]:
        return re.compile(
            rf"{name}\s+—\s+affinity -?[\d.]+: bid {bid}; {common} of 1 topics in common; "
            r"text similarity [\d.]+"
        )

    expected = {
        first: [(REVIEWER_A["name"], "eager", 1), (REVIEWER_B["name"], "none", 0)],
        second: [(REVIEWER_A["name"], "willing", 0), (REVIEWER_B["name"], "none", 1)],
    }
    for (number, rows), title in zip(expected.items(), TITLES, strict=True):
        section = chair.locator(f"section#paper-{number}")
        expect(section.get_by_role("heading", level=3)).to_have_text(f"#{number} {title}")
        expect(section.get_by_role("listitem")).to_have_count(2)
        for name, bid, common in rows:
            expect(section.get_by_role("listitem").filter(has_text=name)).to_contain_text(reason(name, bid, common))
    assert smtp.messages == []  # nothing is mailed before the chair applies

    # ... and applies it: each reviewer gets one mail listing both papers.
    chair.get_by_role("button", name="Apply and mail the reviewers").click()
    expect(chair).to_have_url(f"{live_server}/chair/assignments")
    expect(chair.locator(".flash")).to_have_text("4 assignments applied; each reviewer got a mail listing their papers.")
    for number in (first, second):
        section = chair.locator(f"tr#paper-{number}")
        expect(section.get_by_role("cell").first).to_have_text("2/2")
        rows = sorted(
            (_ordinal(app, number, rid), person["name"])
            for rid, person in ((world.reviewer_a, REVIEWER_A), (world.reviewer_b, REVIEWER_B))
        )
        assert [n for n, _ in rows] == [1, 2]
        expect(section.get_by_role("listitem")).to_have_text(
            [re.compile(rf"^Reviewer {n}: {name} \(automatic\) — not started") for n, name in rows]
        )

    messages = smtp.wait_for(2)
    assert len(messages) == 2
    for person in (REVIEWER_A, REVIEWER_B):
        [mail] = smtp.to(person["email"])
        assert mail["To"] == person["email"]
        assert mail["Reply-To"] == content["workshop"]["contact_email"]
        assert mail["Subject"] == f"{prefix} 2 papers to review"
        body = body_of(mail)
        assert body.startswith(f"Dear {person['name']},\n")
        assert f"  #{first}  {TITLES[0]}\n  #{second}  {TITLES[1]}\n" in body
        assert "Reviews are due by " in body
        assert mail_links(mail) == ["/review/"]

    # 3. Reviewer A writes the review of paper 1: a draft first ...
    open_paper_as_reviewer(reviewer_a, live_server, first, TITLES[0])
    ordinal_a = _ordinal(app, first, world.reviewer_a)
    ordinal_b = _ordinal(app, first, world.reviewer_b)
    assert {ordinal_a, ordinal_b} == {1, 2}
    expect(reviewer_a.locator(".eyebrow")).to_have_text(f"Submission #{first} · you are Reviewer {ordinal_a}")
    expect(reviewer_a.get_by_text("The other reviews appear here once you have submitted yours.")).to_be_visible()
    reviewer_a.get_by_role("link", name="Write your review").click()
    expect(reviewer_a).to_have_url(f"{live_server}/review/papers/{first}/review")
    expect(reviewer_a.get_by_role("heading", level=1)).to_have_text(f"Review of “{TITLES[0]}”")
    reviewer_a.get_by_label("Summary of the paper").fill(A_SUMMARY)
    reviewer_a.get_by_role("button", name="Save a draft").click()

    expect(reviewer_a).to_have_url(f"{live_server}/review/papers/{first}")
    expect(reviewer_a.locator(".flash")).to_have_text("Your draft is saved. Submit it when it is ready.")
    expect(reviewer_a.get_by_text("A draft is saved.")).to_be_visible()
    expect(reviewer_a.get_by_text("The other reviews appear here once you have submitted yours.")).to_be_visible()

    # ... then the recommendation and the confidence, and submit.
    reviewer_a.get_by_role("link", name="Open your review").click()
    expect(reviewer_a.get_by_label("Summary of the paper")).to_have_value(A_SUMMARY)
    reviewer_a.get_by_role("group", name="Overall recommendation").get_by_label("4: Weak accept", exact=True).check()
    reviewer_a.get_by_role("group", name="Confidence").get_by_label("3: Fairly confident", exact=True).check()
    reviewer_a.get_by_role("button", name="Submit the review").click()

    expect(reviewer_a).to_have_url(f"{live_server}/review/papers/{first}")
    expect(reviewer_a.locator(".flash")).to_have_text(
        "Your review is submitted. You can now read the other reviews of this paper."
    )
    reviews = reviewer_a.locator("article.review")
    expect(reviews).to_have_count(1)
    expect(reviews.get_by_role("heading", level=3)).to_have_text(f"Reviewer {ordinal_a} (you)")
    expect(reviews).to_contain_text(A_SUMMARY)
    expect(reviews).to_contain_text("Weak accept (4/5) · confidence Fairly confident (3/5)")

    # Reviewer B, at a third computer, submits a review of paper 1 as well.
    reviewer_b = new_page()
    sign_in(reviewer_b, live_server, REVIEWER_B)
    open_paper_as_reviewer(reviewer_b, live_server, first, TITLES[0])
    reviewer_b.get_by_role("link", name="Write your review").click()
    reviewer_b.get_by_role("group", name="Overall recommendation").get_by_label("2: Weak reject", exact=True).check()
    reviewer_b.get_by_role("group", name="Confidence").get_by_label("4: Confident", exact=True).check()
    reviewer_b.get_by_label("Summary of the paper").fill("A sparse attention method, evaluated at length.")
    reviewer_b.get_by_label("Comments to the authors").fill(B_SENTENCE)
    reviewer_b.get_by_label("Confidential comments to the chairs").fill(B_CONFIDENTIAL)
    reviewer_b.get_by_role("button", name="Submit the review").click()
    expect(reviewer_b.locator(".flash")).to_have_text(
        "Your review is submitted. You can now read the other reviews of this paper."
    )

    # Reviewer A reloads paper 1: both reviews under "Reviewer N", B's sentence, never B's name.
    reviewer_a.reload()
    expect(reviewer_a.get_by_role("heading", level=1)).to_have_text(TITLES[0])
    headings = sorted([(ordinal_a, f"Reviewer {ordinal_a} (you)"), (ordinal_b, f"Reviewer {ordinal_b}")])
    expect(reviews.get_by_role("heading", level=3)).to_have_text([text for _, text in headings])
    other = reviewer_a.get_by_role("article", name=f"Reviewer {ordinal_b}", exact=True)
    expect(other).to_contain_text(B_SENTENCE)
    expect(other).to_contain_text("Weak reject (2/5) · confidence Confident (4/5)")
    html = reviewer_a.content()
    for secret in (REVIEWER_B["name"], REVIEWER_B["email"], "Blindfold", B_CONFIDENTIAL):
        assert secret not in html
    expect(reviewer_a.get_by_text(REVIEWER_B["name"])).to_have_count(0)

    with app.app_context():
        states = dict(
            db.session.execute(
                sa.select(ReviewAssignment.reviewer_id, ReviewAssignment.id).where(ReviewAssignment.submission_id == first)
            ).all()
        )
        assert set(states) == {world.reviewer_a, world.reviewer_b}
        for reviewer_id in states:
            assignment = db.session.get(ReviewAssignment, states[reviewer_id])
            assert assignment is not None and assignment.review is not None
            assert assignment.review.state == ReviewState.SUBMITTED
        assert [p.state for p in db.session.scalars(sa.select(AssignmentProposal))] == [ProposalState.APPLIED]
    assert len(smtp.messages) == 2  # drafts, reviews and sign-ins mail nobody


def _ordinal(app: Flask, number: int, reviewer_id: int) -> int:
    with app.app_context():
        ordinal = db.session.scalar(
            sa.select(ReviewAssignment.ordinal).where(
                ReviewAssignment.submission_id == number, ReviewAssignment.reviewer_id == reviewer_id
            )
        )
        assert ordinal is not None
        return ordinal
