"""Decisions in real browsers, every form posted with its CSRF token and every letter mailed over SMTP: the chair
decides two papers (one on the decisions page with a presentation and a note, one with the bulk form of the
submissions table), previews and edits the letters and sends them; each author finds the decision on their
submission page with the reviews as "Reviewer N"; the accepted paper appears on the public page once published."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from portal.db import db, utcnow
from portal.models import DateKind, ImportantDate, Letter, Phase, Submission, Workshop
from portal.services import assignments, reviews
from portal.services import submissions as submissions_svc
from tests.conftest import SMTPRecorder
from tests.e2e.conftest import sign_in
from tests.factories import make_user
from tests.pdfs import make_pdf

WORKSHOP = "LongLLM 2024"
CONTACT = "longllm.workshop@gmail.com"
CHAIR = {"email": "carla.chair@example.org", "name": "Carla Chair", "affiliation": "Chair Institute"}
REVIEWERS = [
    {"email": "rita.reviewer@example.org", "name": "Rita Reviewer", "affiliation": "Reviewer College A"},
    {"email": "bob.blindfold@example.org", "name": "Bob Blindfold", "affiliation": "Reviewer College B"},
]
AUTHOR_A = {"email": "ann.author@example.org", "name": "Ann Author", "affiliation": "Author University One"}
AUTHOR_B = {"email": "al.writer@example.org", "name": "Al Writer", "affiliation": "Author University Two"}
TITLE_A = "Sparse Attention over Million-Token Inputs"
TITLE_B = "Retrieval Versus Longer Windows"

NOTE = "Please shorten the related work for the 15-minute talk."
SUBJECT_B = f"[{WORKSHOP}] Your submission: our decision"
# (recommendation, confidence, comments to the authors, confidential comments) by reviewer, in REVIEWERS order.
REVIEWS = {
    TITLE_A: [
        (5, 4, "A clear method; the memory figures convinced me.", "Chairs only: Rita thinks this is a best-paper."),
        (4, 3, "Please report the wall-clock time per token.", "Chairs only: Bob knows the group behind this."),
    ],
    TITLE_B: [
        (2, 4, "The retrieval baseline is too weak to support the claim.", "Chairs only: Rita found a preprint."),
        (1, 5, "The evaluation uses a single context length.", "Chairs only: Bob is sure it was rejected before."),
    ],
}
SECRETS = [
    *(r[key] for r in REVIEWERS for key in ("name", "email")),
    "Rita",
    "Blindfold",
    *(review[3] for reviews in REVIEWS.values() for review in reviews),
]


@dataclass
class World:
    a: int  # submission numbers
    b: int
    topic_a: str  # title of A's primary topic
    comments: dict[int, list[tuple[int, str]]]  # number -> [(ordinal, comments to the authors)], by ordinal


def set_up_reviewed(app: Flask) -> World:
    """A chair, two reviewers, two authors with one paper each (on different topics); the submission deadline
    passed, the workshop in the reviewing phase, both reviews of each paper submitted, camera-ready due in a month."""
    with app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        now = utcnow()
        chair = make_user(CHAIR["email"], name=CHAIR["name"], affiliation=CHAIR["affiliation"], roles=("chair",))
        reviewers = [make_user(r["email"], name=r["name"], affiliation=r["affiliation"], roles=("reviewer",)) for r in REVIEWERS]
        deadline = ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=now + timedelta(days=3))
        ws.dates.append(deadline)
        ws.dates.append(ImportantDate(kind=DateKind.CAMERA_READY, label="Camera-ready deadline", at=now + timedelta(days=30)))
        db.session.flush()
        subs = []
        for i, (person, title) in enumerate(((AUTHOR_A, TITLE_A), (AUTHOR_B, TITLE_B))):
            author = make_user(person["email"], name=person["name"], affiliation=person["affiliation"])
            rows = [submissions_svc.AuthorInput(author.name, author.email, author.affiliation)]
            details = submissions_svc.Details(
                title=title,
                abstract=f"We study {title.lower()}.",
                type_id=ws.submission_types[0].id,
                primary_topic_id=ws.topics[i].id,
                secondary_topic_ids=[],
                keywords="long context",
                authors=rows,
                declared_conflicts="",
            )
            pdf = make_pdf(4, references_on=4, title=title)
            checked = submissions_svc.check_paper(ws, ws.submission_types[0], rows, pdf, f"paper-{i + 1}.pdf")
            subs.append(submissions_svc.create_submission(author, ws, details, paper=checked))

        deadline.at = now - timedelta(hours=1)
        ws.phase = Phase.REVIEWING
        ws.reviews_per_paper = 2
        ws.review_deadline = now + timedelta(days=10)
        db.session.flush()
        comments: dict[int, list[tuple[int, str]]] = {}
        for sub in subs:
            for reviewer, (rec, conf, to_authors, confidential) in zip(reviewers, REVIEWS[sub.title], strict=True):
                assignment = assignments.assign_reviewer(chair, ws, sub, reviewer)
                reviews.save_review(
                    ws,
                    assignment,
                    {
                        "recommendation": rec,
                        "confidence": conf,
                        "summary": f"Summary of {sub.title}.",
                        "comments_to_authors": to_authors,
                        "confidential_comments": confidential,
                    },
                    submit=True,
                    version=None,
                )
                comments.setdefault(sub.id, []).append((assignment.ordinal, to_authors))
        topic_a = subs[0].primary_topic.title
        db.session.commit()  # the receipts and assignment mails stay queued: nothing here delivers them
        return World(a=subs[0].id, b=subs[1].id, topic_a=topic_a, comments=comments)


def chair_section(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Chair sections").get_by_role("link", name=name, exact=True).click()


def row_of(page: Page, title: str) -> Locator:
    """The table row whose row header is the paper's (or letter's) title."""
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=title, exact=True))


def cell_of(page: Page, title: str, column: str) -> Locator:
    """The cell of the paper's row under the column header named ``column`` (found by its place in the header row,
    so a column added to the table moves nothing here)."""
    header = page.get_by_role("columnheader", name=column, exact=True)
    index = header.evaluate("th => th.cellIndex")
    return row_of(page, title).locator(":scope > th, :scope > td").nth(index)


def reviews_text(comments: list[tuple[int, str]]) -> str:
    return "\n\n".join(f"Reviewer {ordinal}:\n{text}" for ordinal, text in comments)


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def assert_no_secrets(text: str) -> None:
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == []


def test_chair_decides_sends_letters_authors_read_them_and_the_accepted_paper_is_published(
    app: Flask, page: Page, new_page: Callable[[], Page], live_server: str, smtp: SMTPRecorder
) -> None:
    world = set_up_reviewed(app)
    a, b = world.a, world.b
    subject_a = f"[{WORKSHOP}] #{a} accepted: {TITLE_A}"
    subject_b = f"[{WORKSHOP}] #{b} decision: {TITLE_B}"
    chair = page

    # 1. The chair opens the submissions table: both papers with their two reviews and scores, undecided.
    sign_in(chair, live_server, CHAIR)
    chair.goto("/chair/submissions")
    expect(chair.get_by_role("heading", level=1)).to_have_text("Submissions")
    expect(chair.get_by_text("2 submissions.", exact=True)).to_be_visible()
    expected_cells = {  # the reviews were assigned in REVIEWERS order: Rita is Reviewer 1, Bob Reviewer 2
        a: (TITLE_A, AUTHOR_A, "R1: 5/4, R2: 4/3", "4.50", "4.57", "1"),
        b: (TITLE_B, AUTHOR_B, "R1: 2/4, R2: 1/5", "1.50", "1.44", "1"),
    }
    assert [o for o, _ in world.comments[a]] == [o for o, _ in world.comments[b]] == [1, 2]
    for number, (title, author, score, mean, weighted, spread) in expected_cells.items():
        cells = row_of(chair, title).get_by_role("cell")
        expect(cells.nth(1)).to_have_text(str(number))
        expect(cells.nth(3)).to_have_text(author["name"])
        expect(cells.nth(4)).to_have_text("2/2")
        expect(cells.nth(5)).to_have_text(score)
        expect(cells.nth(6)).to_have_text(mean)
        expect(cells.nth(7)).to_have_text(weighted)
        expect(cells.nth(8)).to_have_text(spread)
        expect(cells.nth(9)).to_have_text("—")

    # 2. Paper A on the decisions page, one by one: accepted, oral, with a note to the authors.
    chair_section(chair, "Decisions")
    expect(chair).to_have_url(f"{live_server}/chair/decisions")
    expect(chair.get_by_role("heading", level=1)).to_have_text("Decisions")
    row_a = row_of(chair, TITLE_A)
    # (cells: tick, number, topic, reviews, scores, mean, weighted, calibrated, spread, decision)
    expect(row_a.get_by_role("cell").nth(4)).to_have_text(", ".join(str(r[0]) for r in REVIEWS[TITLE_A]))
    chair.get_by_label(f"Decision on #{a}", exact=True).select_option("accepted")
    chair.get_by_label(f"Presentation of #{a}", exact=True).select_option("oral")
    chair.get_by_label(f"Note to the authors of #{a}", exact=True).fill(NOTE)
    row_a.get_by_role("button", name=f"Save the decision on #{a}").click()

    expect(chair).to_have_url(f"{live_server}/chair/decisions#paper-{a}")
    expect(chair.locator(".flash")).to_have_text(f"#{a}: accepted.")
    expect(chair.get_by_label(f"Decision on #{a}", exact=True)).to_have_value("accepted")
    expect(chair.get_by_label(f"Presentation of #{a}", exact=True)).to_have_value("oral")
    expect(chair.get_by_label(f"Note to the authors of #{a}", exact=True)).to_have_value(NOTE)
    expect(chair.get_by_label(f"Decision on #{b}", exact=True)).to_have_value("")

    # 3. Paper B with the bulk form of the submissions table: ticked, rejected.
    chair_section(chair, "Submissions")
    chair.get_by_label(f"Tick #{b}", exact=True).check()
    chair.get_by_label("Decide the ticked papers").select_option("rejected")
    chair.get_by_role("button", name="Apply to the ticked papers").click()

    expect(chair).to_have_url(re.compile(rf"^{re.escape(live_server)}/chair/submissions\??$"))
    expect(chair.locator(".flash")).to_have_text("1 paper marked rejected.")
    expect(row_of(chair, TITLE_A).get_by_role("cell").nth(9)).to_have_text("accepted (oral)")
    expect(row_of(chair, TITLE_B).get_by_role("cell").nth(9)).to_have_text("rejected")

    # 4. The letters: save the (default) templates with the reviews, which prepares one draft per paper.
    chair_section(chair, "Letters")
    expect(chair.get_by_role("heading", level=1)).to_have_text("Decision letters")
    expect(chair.get_by_text("No drafts yet: decide some papers, then prepare the drafts.")).to_be_visible()
    expect(chair.get_by_label("Include the reviewers' comments to the authors")).to_be_checked()
    chair.get_by_role("button", name="Save the templates and prepare the drafts").click()

    expect(chair).to_have_url(f"{live_server}/chair/letters")
    expect(chair.locator(".flash")).to_have_text("The templates are saved and 2 drafts prepared.")
    for subject in (subject_a, subject_b):
        expect(row_of(chair, subject).get_by_role("cell").nth(1)).to_have_text("draft")

    # The preview of A's letter: the title, the note and both reviewers' comments, under "Reviewer N" only.
    chair.get_by_role("link", name=subject_a, exact=True).click()
    expect(chair.get_by_role("heading", level=1)).to_have_text(f"Letter for #{a}")
    expect(chair.get_by_text(f"To: {AUTHOR_A['email']} · state: draft", exact=True)).to_be_visible()
    expect(chair.get_by_label("Subject", exact=True)).to_have_value(subject_a)
    body_a = (
        f"Dear {AUTHOR_A['name']},\n\n"
        f'we are happy to tell you that your submission #{a}, "{TITLE_A}", is accepted at {WORKSHOP} as oral.\n\n'
        f"A note from the chairs:\n{NOTE}\n\n"
        "Please upload the camera-ready version on the submission's page.\n\n"
        f"The reviewers' comments:\n\n{reviews_text(world.comments[a])}\n\n"
        f"The {WORKSHOP} chairs\n"
    )
    expect(chair.get_by_label("Letter", exact=True)).to_have_value(body_a)
    assert_no_secrets(chair.content())

    # B's letter gets a subject of the chair's own.
    chair.get_by_role("link", name="All letters").click()
    chair.get_by_role("link", name=subject_b, exact=True).click()
    expect(chair.get_by_role("heading", level=1)).to_have_text(f"Letter for #{b}")
    body_b = chair.get_by_label("Letter", exact=True).input_value()
    assert f'#{b}, "{TITLE_B}"' in body_b and reviews_text(world.comments[b]) in body_b
    chair.get_by_label("Subject", exact=True).fill(SUBJECT_B)
    chair.get_by_role("button", name="Save this letter").click()

    expect(chair).to_have_url(re.compile(rf"^{re.escape(live_server)}/chair/letters/\d+$"))
    expect(chair.locator(".flash")).to_have_text(
        "This letter is saved; preparing the drafts again will leave it as you wrote it."
    )
    expect(chair.get_by_label("Subject", exact=True)).to_have_value(SUBJECT_B)
    assert smtp.messages == []  # deciding, preparing and editing mail nobody

    # 5. Send: each letter is one mail to its paper's authors; the list shows both as sent.
    chair.get_by_role("link", name="All letters").click()
    expect(row_of(chair, f"{SUBJECT_B} (edited)").get_by_role("cell").nth(1)).to_have_text("draft")
    chair.get_by_role("button", name="Send all drafts").click()
    # It asks first, naming each letter and its recipients.
    expect(chair.get_by_role("heading", level=1)).to_have_text("Send the decision letters?")
    expect(chair.locator("ul.confirm-list li")).to_have_count(2)
    chair.get_by_role("button", name="Yes, send 2 letters").click()

    expect(chair).to_have_url(f"{live_server}/chair/letters")
    expect(chair.locator(".flash")).to_have_text("2 letters sent to the authors.")
    expect(row_of(chair, subject_a).get_by_role("cell")).to_have_text([str(a), "sent", ""])
    expect(row_of(chair, f"{SUBJECT_B} (edited)").get_by_role("cell")).to_have_text([str(b), "sent", ""])
    expect(chair.get_by_role("button", name="Resend")).to_have_count(0)

    messages = smtp.wait_for(2)
    assert len(messages) == 2
    assert sorted(rcpts for _, rcpts in smtp.envelopes) == sorted([[AUTHOR_A["email"]], [AUTHOR_B["email"]]])
    [mail_a] = smtp.to(AUTHOR_A["email"])
    [mail_b] = smtp.to(AUTHOR_B["email"])
    # Flask-Mail folds a long subject onto a continuation line, which the parser reads with a leading space.
    assert (mail_a["To"], mail_a["Reply-To"], mail_a["Subject"].strip()) == (AUTHOR_A["email"], CONTACT, subject_a)
    assert body_of(mail_a).strip() == body_a.strip()
    assert NOTE in body_of(mail_a)
    assert (mail_b["To"], mail_b["Reply-To"], mail_b["Subject"].strip()) == (AUTHOR_B["email"], CONTACT, SUBJECT_B)
    assert body_of(mail_b).strip() == body_b.replace("\r\n", "\n").strip()
    for mail in (mail_a, mail_b):
        assert_no_secrets(mail.as_string())
    with app.app_context():
        letters = db.session.scalars(sa.select(Letter).order_by(Letter.submission_id)).all()
        assert [(x.submission_id, x.state, x.edited) for x in letters] == [(a, "sent", False), (b, "sent", True)]

    # 6. Author A, at another computer, finds the acceptance with the note and the reviews, anonymously.
    author_a = new_page()
    sign_in(author_a, live_server, AUTHOR_A)
    author_a.get_by_role("navigation", name="Account").get_by_role("link", name="My submissions").click()
    author_a.get_by_role("link", name=TITLE_A, exact=True).click()
    expect(author_a).to_have_url(f"{live_server}/submissions/{a}")
    expect(author_a.get_by_role("heading", level=1)).to_have_text(TITLE_A)
    expect(author_a.locator(".eyebrow")).to_have_text(f"Submission #{a} · accepted")
    decision_a = author_a.get_by_role("region", name="Decision: accepted (oral)", exact=True)
    expect(decision_a.get_by_role("paragraph")).to_have_text(
        [NOTE, *(f"Reviewer {o}:\n{text}" for o, text in world.comments[a])], use_inner_text=True
    )
    expect(decision_a.get_by_role("heading", level=3)).to_have_text("The reviewers' comments")
    expect(author_a.get_by_role("link", name="Upload the camera-ready version")).to_be_visible()
    assert_no_secrets(author_a.content())

    # Author B finds the rejection, with B's reviews and no camera-ready upload.
    author_b = new_page()
    sign_in(author_b, live_server, AUTHOR_B)
    author_b.goto(f"/submissions/{b}")
    expect(author_b.locator(".eyebrow")).to_have_text(f"Submission #{b} · rejected")
    decision_b = author_b.get_by_role("region", name="Decision: rejected", exact=True)
    expect(decision_b.get_by_role("paragraph")).to_have_text(
        [f"Reviewer {o}:\n{text}" for o, text in world.comments[b]], use_inner_text=True
    )
    expect(author_b.get_by_role("link", name="Upload the camera-ready version")).to_have_count(0)
    assert_no_secrets(author_b.content())

    # 7. The public page lists nothing until the chair publishes, then A under its topic, never B.
    visitor = new_page()
    visitor.goto("/accepted-papers")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Accepted papers")
    expect(visitor.get_by_text("The accepted papers will be announced here after the notification.")).to_be_visible()
    expect(visitor.get_by_text(TITLE_A)).to_have_count(0)
    expect(visitor.get_by_role("navigation", name="Main").get_by_role("link", name="Accepted papers")).to_have_count(0)

    chair_section(chair, "Decisions")
    expect(cell_of(chair, TITLE_A, "Decision")).to_have_text("accepted (oral) — letter sent")
    expect(cell_of(chair, TITLE_B, "Decision")).to_have_text("rejected — letter sent")
    expect(chair.get_by_label(f"Tick #{a}", exact=True)).to_be_disabled()
    chair.get_by_role("button", name="Publish the accepted papers").click()
    # It asks first, naming the papers that become public; nothing is public until "Yes".
    expect(chair.get_by_role("heading", level=1)).to_have_text("Publish the accepted papers?")
    expect(chair.locator("ul.confirm-list li")).to_have_count(1)
    chair.get_by_role("button", name="Yes, publish them").click()
    expect(chair).to_have_url(f"{live_server}/chair/decisions")
    expect(chair.locator(".flash")).to_have_text("The accepted papers are public.")
    expect(chair.get_by_role("button", name="Unpublish the accepted papers")).to_be_visible()

    visitor.reload()
    expect(visitor.get_by_role("navigation", name="Main").get_by_role("link", name="Accepted papers")).to_be_visible()
    sections = visitor.get_by_role("main").get_by_role("region")
    expect(sections).to_have_count(1)
    topic = visitor.get_by_role("region", name=world.topic_a, exact=True)
    expect(topic.get_by_role("heading", level=2)).to_have_text(world.topic_a)
    expect(topic.get_by_role("listitem")).to_have_text(
        [f"{TITLE_A} oral\n{AUTHOR_A['name']} ({AUTHOR_A['affiliation']})"], use_inner_text=True
    )
    expect(visitor.get_by_text(TITLE_B)).to_have_count(0)
    expect(visitor.get_by_text(AUTHOR_B["name"])).to_have_count(0)
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None and ws.accepted_published
        assert [
            (s.id, s.decision and s.decision.value) for s in db.session.scalars(sa.select(Submission).order_by(Submission.id))
        ] == [(a, "accepted"), (b, "rejected")]
    assert len(smtp.messages) == 2  # publishing mails nobody
