"""The whole workshop in Chromium, with CSRF on and every mail over real SMTP, on a controlled clock.

The chair signs in, sets the deadlines, invites a reviewer and an area chair, who accept from the mail, and adds a
field for the authors to the review form; an author registers, confirms from the mail and submits a PDF. The
portal's clock (``portal.db.CLOCK``) then moves past the paper deadline, the bidding deadline, the response's
opening and deadline and the review deadline in turn, so every step happens in its real phase: the reviewer bids,
the chair assigns automatically and chooses the paper's area chair, the reviewer reviews, the author reads the
review's fields for the authors and responds, the reviewer and the area chair read the response, the area chair
writes the meta-review, the chair sees its recommendation, accepts and sends the letters, the author reads the
decision with the meta-review, uploads the camera-ready PDF, and the public page lists the paper. At each step
the test checks what each person sees and does not: never an author's name for the reviewer or the area chair,
never a reviewer's or the area chair's name for the author, never a field meant for the chairs.
Only the chair's account is made in the database; everything else goes through pages, forms and mailed links.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from portal.db import CLOCK, db, utcnow
from portal.models import (
    Decision,
    FileKind,
    Phase,
    ReviewAssignment,
    ReviewState,
    Submission,
    SubmissionState,
    Workshop,
)
from tests.conftest import SMTPRecorder, mail_links
from tests.e2e.conftest import sign_in
from tests.e2e.test_decisions_journey import chair_section, row_of
from tests.e2e.test_reviewing_journey import body_of, open_paper_as_reviewer
from tests.factories import PASSWORD, create_users
from tests.pdfs import make_pdf

CHAIR = {"email": "carla.chair@example.org", "name": "Carla Chair", "affiliation": "Chair Institute"}
REVIEWER = {"email": "rita.reviewer@example.org", "name": "Rita Reviewer", "affiliation": "Reviewer College"}
AREA_CHAIR = {"email": "arjun.ac@example.org", "name": "Arjun Areachair", "affiliation": "Meta University"}
AUTHOR = {"email": "ada.lovelace@example.org", "name": "Ada Lovelace", "affiliation": "Analytical Engines Ltd"}
TITLE = "Memory Layers for Ten-Million-Token Contexts"
FINAL_TITLE = "Memory Layers for Ten-Million-Token Language Model Contexts"
ABSTRACT = "We add a memory layer to a transformer.\n\nIt reads ten million tokens on one GPU."
TO_AUTHORS = "The memory layer is simple and the ablations convince me."
CONFIDENTIAL = "Only for the chairs: a strong paper."
REPRODUCIBLE = ("Easily: code and data are given", "With effort", "Hardly")
RESPONSE = "Thank you. The memory layer's code is already public; we add the 128k-token ablation."
META = "The reviewers agree the memory layer is simple and convincing; the response settles the ablation."
META_CONFIDENTIAL = "For the chairs: I would accept without hesitation."

# Days after the start, each at base + 30 minutes: with the clock at a whole number of days after the start, a
# page says "N days, 0 hours left" for as long as the test takes less than 29 minutes.
OPENS, PAPER, BIDDING, REVIEWS, NOTIFICATION, CAMERA_READY = -1, 7, 10, 20, 22, 35
RESPONSE_OPENS, RESPONSE_DEADLINE = 12, 15


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"WTF_CSRF_ENABLED": True}  # as in production, whatever the test defaults become


@pytest.fixture
def clock(app: Flask) -> Iterator[Callable[[int], None]]:
    """Set the portal's clock to a number of days after the test's start; back to real time afterwards."""

    def move(days: int) -> None:
        CLOCK.offset = timedelta(days=days)
        cache = app.extensions.get("portal.pagecache")
        if cache is not None:  # a visitor's copy of a public page was rendered at the old time
            cache.clear()

    yield move
    CLOCK.reset()


def test_workshop_from_deadlines_to_the_accepted_papers_page(
    app: Flask,
    page: Page,
    new_page: Callable[[], Page],
    live_server: str,
    smtp: SMTPRecorder,
    content: dict[str, Any],
    clock: Callable[[int], None],
    tmp_path: Path,
) -> None:
    assert app.config["WTF_CSRF_ENABLED"] is True
    create_users(app, {**CHAIR, "roles": ("chair",)})
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        zone = ws.zone
    base = utcnow().replace(second=0, microsecond=0)
    prefix = f"[{content['workshop']['short_name']} {content['workshop']['edition']}]"

    def at(days: int) -> datetime:
        return base + timedelta(days=days, minutes=30)

    def local(days: int) -> str:
        return at(days).astimezone(zone).strftime("%Y-%m-%dT%H:%M")  # (a datetime-local input takes this form)

    def left(deadline: int, now: int) -> str:
        return f"{deadline - now} days, 0 hours left"

    # 1. The chair signs in and sets the deadlines on the settings page.
    chair = page
    chair_nav = chair.get_by_role("navigation", name="Account")
    sign_in(chair, live_server, CHAIR)
    chair_nav.get_by_role("link", name="Chair", exact=True).click()  # the header's one entry for the chair area
    chair_section(chair, "Submission settings")
    expect(chair.get_by_role("heading", level=1)).to_have_text("Submission settings")
    expect(chair.locator('form.form input[name="csrf_token"]')).to_have_value(re.compile(r"\S{20,}"))
    dates = {
        "Submissions open": OPENS,
        "Full-paper deadline": PAPER,
        "Author notification": NOTIFICATION,
        "Camera-ready deadline": CAMERA_READY,
    }
    for label, days in dates.items():
        chair.get_by_label(label, exact=True).fill(local(days))
    chair.get_by_role("button", name="Save the settings").click()
    expect(chair).to_have_url(f"{live_server}/settings/")
    expect(chair.locator(".flash")).to_have_text("The settings are saved.")
    for label, days in dates.items():
        expect(chair.get_by_label(label, exact=True)).to_have_value(local(days))

    # ... and invites a reviewer.
    chair_section(chair, "Invitations")
    chair.get_by_label("Reviewers to invite").fill(f"{REVIEWER['name']} <{REVIEWER['email']}>")
    chair.get_by_role("button", name="Send the invitations").click()
    expect(chair.locator(".flash")).to_have_text("1 invitation sent.")
    invited = row_of(chair, REVIEWER["name"])
    expect(invited.get_by_role("cell").nth(0)).to_have_text(REVIEWER["email"])
    expect(invited.get_by_role("cell").nth(1)).to_have_text("pending")

    # ... and an area chair.
    chair.get_by_label("Reviewers to invite").fill(f"{AREA_CHAIR['name']} <{AREA_CHAIR['email']}>")
    chair.get_by_label("Invite them as").select_option(label="Area chairs")
    chair.get_by_role("button", name="Send the invitations").click()
    expect(chair.locator(".flash")).to_have_text("1 invitation sent.")

    # The chair adds a field to the review form, for the authors to read.
    chair_section(chair, "Review form")
    add = chair.locator("form", has=chair.get_by_role("button", name="Add the field"))
    add.get_by_label("Label", exact=True).fill("Reproducibility")
    add.get_by_role("group", name="Kind").get_by_label("One choice").check()
    add.get_by_role("group", name="Who reads the answers").get_by_label(re.compile("^The authors")).check()
    add.get_by_label("Options (one choice, several choices)").fill("\n".join(REPRODUCIBLE))
    add.get_by_role("button", name="Add the field").click()
    expect(chair.locator(".flash")).to_contain_text("Reproducibility")

    # 2. The reviewer accepts from the mail and creates the account the invitation leads to.
    smtp.wait_for(2)
    [invitation] = smtp.to(REVIEWER["email"])
    assert (invitation["To"], invitation["Subject"]) == (REVIEWER["email"], f"{prefix} Invitation to review")
    accept, decline = mail_links(invitation)
    assert re.fullmatch(r"/auth/invitations/\S+/accept", accept) and decline.endswith("/decline")
    reviewer = new_page()
    reviewer.goto(live_server + accept)
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("Invitation to review")
    reviewer.get_by_role("button", name="Accept the invitation").click()
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("Create an account")
    expect(reviewer.get_by_label("Full name")).to_have_value(REVIEWER["name"])
    expect(reviewer.get_by_label("Email", exact=True)).to_have_value(REVIEWER["email"])
    reviewer.get_by_label("Affiliation").fill(REVIEWER["affiliation"])
    reviewer.get_by_label("Password", exact=True).fill(PASSWORD)
    reviewer.get_by_label("Repeat the password").fill(PASSWORD)
    reviewer.get_by_role("button", name="Create the account").click()
    expect(reviewer).to_have_url(f"{live_server}/account/")
    expect(reviewer.locator(".flash")).to_have_text("Welcome! Your account is ready and you are now a reviewer.")
    reviewer_nav = reviewer.get_by_role("navigation", name="Account")
    expect(reviewer_nav.get_by_role("link", name="Reviewing")).to_be_visible()

    # ... and so does the area chair.
    [ac_invitation] = smtp.to(AREA_CHAIR["email"])
    assert ac_invitation["Subject"] == f"{prefix} Invitation to be an area chair"
    area_chair = new_page()
    area_chair.goto(live_server + mail_links(ac_invitation)[0])
    area_chair.get_by_role("button", name="Accept the invitation").click()
    area_chair.get_by_label("Affiliation").fill(AREA_CHAIR["affiliation"])
    area_chair.get_by_label("Password", exact=True).fill(PASSWORD)
    area_chair.get_by_label("Repeat the password").fill(PASSWORD)
    area_chair.get_by_role("button", name="Create the account").click()
    expect(area_chair.locator(".flash")).to_have_text("Welcome! Your account is ready and you are now an area chair.")

    # 3. The author sees the deadline on the home page, registers and confirms from the mail ...
    author = new_page()
    author_nav = author.get_by_role("navigation", name="Account")
    author.goto("/")
    expect(author.locator(".hero .deadline")).to_contain_text(left(PAPER, 0))
    author_nav.get_by_role("link", name="Register").click()
    author.get_by_label("Full name").fill(AUTHOR["name"])
    author.get_by_label("Email", exact=True).fill(AUTHOR["email"])
    author.get_by_label("Affiliation").fill(AUTHOR["affiliation"])
    author.get_by_label("Password", exact=True).fill(PASSWORD)
    author.get_by_label("Repeat the password").fill(PASSWORD)
    author.get_by_role("button", name="Create the account").click()
    expect(author.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    smtp.wait_for(3)
    [confirm] = smtp.to(AUTHOR["email"])
    assert confirm["Subject"] == f"{prefix} Confirm your email address"
    [link] = mail_links(confirm)
    author.goto(live_server + link)
    author.get_by_label("The password you chose when registering").fill(PASSWORD)
    author.get_by_role("button", name="Confirm and sign in").click()
    expect(author.locator(".flash")).to_have_text("Your email address is confirmed and you are signed in.")

    # ... and submits a PDF; the page counts down to the deadline.
    paper = tmp_path / "memory-layers.pdf"
    paper.write_bytes(make_pdf(6, references_on=6, title="Memory layers"))
    author_nav.get_by_role("link", name="My submissions").click()
    author.get_by_role("link", name="New submission").click()
    author.get_by_label("Title").fill(TITLE)
    author.get_by_label("Abstract").fill(ABSTRACT)
    author.get_by_label("Submission type").select_option(label="Full paper: 8 pages, plus unlimited references")
    author.get_by_label("Primary topic").select_option(label=content["topics"][0]["title"])
    author.get_by_label("Paper (PDF)").set_input_files(paper)
    author.get_by_role("button", name="Submit the paper").click()
    expect(author).to_have_url(f"{live_server}/submissions/1")
    expect(author.get_by_role("status")).to_have_text(f"Submission #1 is saved. A receipt is on its way to {AUTHOR['email']}.")
    expect(author.get_by_text("Changes possible until")).to_contain_text(left(PAPER, 0))
    expect(author.get_by_role("link", name="Edit or upload a new version")).to_be_visible()
    smtp.wait_for(4)
    assert [m["Subject"] for m in smtp.to(AUTHOR["email"])][1:] == [f"{prefix} Submission #1 submitted: {TITLE}"]

    # 4. The paper deadline passes: the submission is closed for edits.
    clock(PAPER + 1)
    author.reload()
    expect(author.get_by_text("Changes possible until")).to_contain_text("— closed")
    expect(author.get_by_role("link", name="Edit or upload a new version")).to_have_count(0)

    # The chair opens bidding, one review per paper, with the bidding and review deadlines.
    chair_section(chair, "Reviewing settings")
    expect(chair.get_by_role("row", name=re.compile(REVIEWER["name"]))).to_be_visible()
    chair.get_by_label("Bidding: reviewers mark the papers they want").check()
    chair.get_by_label("Bidding deadline").fill(local(BIDDING))
    chair.get_by_label("Review deadline").fill(local(REVIEWS))
    chair.get_by_label("Reviews per paper").fill("1")
    chair.get_by_role("button", name="Save the reviewing settings").click()
    expect(chair.locator(".flash")).to_have_text("The reviewing settings are saved.")

    # 5. The reviewer bids.
    reviewer_nav.get_by_role("link", name="Reviewing").click()
    expect(reviewer.locator(".callout")).to_contain_text(f"Bidding is open until {_shown(at(BIDDING), zone)}")
    expect(reviewer.locator(".callout")).to_contain_text(left(BIDDING, PAPER + 1))
    reviewer.get_by_role("link", name="Bid on papers").click()
    reviewer.get_by_role("group", name=f"#1 {TITLE}").get_by_label("Eager", exact=True).check()  # saved as chosen
    expect(reviewer.get_by_role("status").filter(has_text="Saved:")).to_have_text("Saved: #1 Eager.")

    # 6. Bidding closes; the chair opens reviewing, runs the automatic assignment and applies it.
    clock(BIDDING + 1)
    reviewer_nav.get_by_role("link", name="Reviewing").click()
    expect(reviewer.get_by_role("link", name="Bid on papers")).to_have_count(0)
    chair.reload()
    chair.get_by_label("Reviewing: reviewers write their reviews").check()
    expect(chair.get_by_label("Review deadline")).to_have_value(local(REVIEWS))
    chair.get_by_role("button", name="Save the reviewing settings").click()
    expect(chair.locator(".flash")).to_have_text("The reviewing settings are saved.")
    chair_section(chair, "Assignments")
    expect(
        chair.get_by_text(
            "1 paper in reviewing (1 short of reviewers), 1 reviewer and their loads, 1 reviews per paper; phase: reviewing."
        )
    ).to_be_visible()
    chair.get_by_role("button", name="Run the automatic assignment").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Assignment proposal #\d+$"))
    expect(chair.locator("section#paper-1").get_by_role("listitem")).to_contain_text(
        re.compile(rf"^{REVIEWER['name']}\s+—\s+affinity [\d.]+: bid eager;")
    )
    chair.get_by_role("button", name="Apply and mail the reviewers").click()
    expect(chair.locator(".flash")).to_have_text("1 assignment applied; each reviewer got a mail listing their papers.")

    # ... and chooses the paper's area chair on its page.
    chair.goto(f"{live_server}/chair/papers/1")
    chair.get_by_role("link", name="Choose an area chair").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Area chair for #1")
    chair.get_by_role("button", name=f"Choose {AREA_CHAIR['name']} for #1").click()
    expect(chair.locator(".flash")).to_have_text(f"{AREA_CHAIR['name']} is the area chair of #1.")
    chair.goto(f"{live_server}/chair/papers/1")
    expect(chair.locator("#area-chair + p")).to_contain_text(f"{AREA_CHAIR['name']} {AREA_CHAIR['email']} oversees this paper.")

    # 7. The reviewer follows the mail's link, writes the review and submits it.
    smtp.wait_for(6)
    [_, assigned] = smtp.to(REVIEWER["email"])
    assert assigned["Subject"] == f"{prefix} 1 paper to review"
    assert f"  #1  {TITLE}\n" in body_of(assigned)
    assert f"Reviews are due by {at(REVIEWS).astimezone(zone):%a %d %b %Y, %H:%M} AoE.\n" in body_of(assigned)
    assert mail_links(assigned) == ["/review/"]
    reviewer.goto(live_server + "/review/")
    expect(reviewer.get_by_text("Reviews are due")).to_contain_text(left(REVIEWS, BIDDING + 1))
    open_paper_as_reviewer(reviewer, live_server, 1, TITLE)
    reviewer.get_by_role("link", name="Write your review").click()
    reviewer.get_by_role("group", name="Overall recommendation").get_by_label("4: Weak accept", exact=True).check()
    reviewer.get_by_role("group", name="Confidence").get_by_label("3: Fairly confident", exact=True).check()
    reviewer.get_by_label("Summary of the paper").fill("A memory layer for very long inputs.")
    reviewer.get_by_label("Comments to the authors").fill(TO_AUTHORS)
    reviewer.get_by_label("Confidential comments to the chairs").fill(CONFIDENTIAL)
    reviewer.get_by_role("group", name="Reproducibility").get_by_label(REPRODUCIBLE[0]).check()
    reviewer.get_by_role("button", name="Submit the review").click()
    expect(reviewer.locator(".flash")).to_have_text("Your review is submitted. You can now read the other reviews of this paper.")

    # The area chair got a mail and follows the paper: its reviewer by name, never its authors.
    [ac_mail] = smtp.to(AREA_CHAIR["email"])[1:]
    assert ac_mail["Subject"] == f"{prefix} You are the area chair of #1"
    assert mail_links(ac_mail) == ["/review/papers/1", "/review/area-chair"]  # (the paper's link stands on its own)
    area_chair.goto(live_server + mail_links(ac_mail)[0])
    expect(area_chair.get_by_text("You are this paper's area chair")).to_be_visible()
    expect(area_chair.get_by_text(f"Reviewer 1: {REVIEWER['name']} ({REVIEWER['email']})")).to_be_visible()
    for hidden in AUTHOR.values():
        expect(area_chair.get_by_text(hidden)).to_have_count(0)

    # 7b. The chair opens the author response: reviews released on day 12, responses until day 15.
    chair_section(chair, "Reviewing settings")
    chair.get_by_label("Author response: reviews released to the authors").fill(local(RESPONSE_OPENS))
    chair.get_by_label("Author response deadline").fill(local(RESPONSE_DEADLINE))
    chair.get_by_role("button", name="Save the reviewing settings").click()
    expect(chair.locator(".flash")).to_have_text("The reviewing settings are saved.")

    # The response opens: the author reads the review's fields for the authors, never the reviewer's name, the
    # confidential comments or the scores, and writes the response.
    clock(RESPONSE_OPENS + 1)
    author.goto(f"{live_server}/submissions/1")
    released = author.get_by_role("region", name="The reviews and your response")
    expect(released).to_contain_text(TO_AUTHORS)
    expect(released).to_contain_text(f"Reproducibility: {REPRODUCIBLE[0]}")
    for hidden in (REVIEWER["name"], CONFIDENTIAL, AREA_CHAIR["name"], "Weak accept", "Fairly confident"):
        expect(author.get_by_text(hidden)).to_have_count(0)
    author.get_by_label("Your response to the reviewers").fill(RESPONSE)
    author.get_by_role("button", name="Save the response").click()
    expect(author.locator(".flash")).to_contain_text("response")
    # Before the deadline the reviewer and the area chair do not read it.
    for person in (reviewer, area_chair):
        person.goto(f"{live_server}/review/papers/1")
        expect(person.get_by_text(RESPONSE)).to_have_count(0)

    # 7c. The response deadline passes: the reviewer and the area chair read it; the area chair writes the
    # meta-review and the chair reads its recommendation beside the scores.
    clock(RESPONSE_DEADLINE + 1)
    for person in (reviewer, area_chair):
        person.reload()
        expect(person.get_by_text(RESPONSE)).to_be_visible()
    area_chair.get_by_role("link", name="Write the meta-review").click()
    area_chair.get_by_role("group", name="Recommendation").get_by_label("2: Accept", exact=True).check()
    area_chair.get_by_label("Meta-review", exact=True).fill(META)
    area_chair.get_by_label("Confidential note to the chairs").fill(META_CONFIDENTIAL)
    area_chair.get_by_role("button", name="Submit the meta-review").click()
    expect(area_chair.locator(".flash")).to_contain_text("meta-review")
    chair.goto(f"{live_server}/chair/papers/1")
    expect(chair.get_by_text("The area chair recommends Accept.")).to_be_visible()
    expect(chair.get_by_text(META_CONFIDENTIAL)).to_be_visible()
    # The reviewer reads the fields for the reviewers and authors, not the area chair's note to the chairs.
    reviewer.reload()
    expect(reviewer.get_by_text(META)).to_be_visible()
    expect(reviewer.get_by_text(META_CONFIDENTIAL)).to_have_count(0)
    # The author reads no meta-review before the letter.
    author.reload()
    expect(author.get_by_text(META)).to_have_count(0)

    # 8. Reviewing closes; the chair accepts the paper and sends the letter.
    clock(REVIEWS + 1)
    reviewer_nav.get_by_role("link", name="Reviewing").click()
    expect(reviewer.get_by_text("Reviews are due")).to_contain_text("— closed")
    chair_section(chair, "Decisions")
    chair.get_by_label("Decision on #1", exact=True).select_option("accepted")
    chair.get_by_role("button", name="Save the decision on #1").click()
    expect(chair.locator(".flash")).to_have_text("#1: accepted.")
    chair_section(chair, "Letters")
    # The acceptance letter quotes the area chair's meta-review (its fields for the authors) before the reviews.
    accept_template = chair.locator("textarea#accept_letter")
    accept_template.fill(
        accept_template.input_value().replace(
            "{% if reviews %}",
            "{% if meta_review %}\nThe area chair's meta-review:\n\n{{ meta_review }}\n{% endif %}{% if reviews %}",
        )
    )
    chair.get_by_role("button", name="Save the templates and prepare the drafts").click()
    expect(chair.locator(".flash")).to_have_text("The templates are saved and 1 draft prepared.")
    chair.get_by_role("button", name="Send all drafts").click()
    chair.get_by_role("button", name="Yes, send 1 letter").click()
    expect(chair.locator(".flash")).to_have_text("1 letter sent to the authors.")

    # 9. The author reads the letter, then the decision on the submission's page ...
    smtp.wait_for(7)
    letter = smtp.to(AUTHOR["email"])[-1]
    assert letter["Subject"].strip() == f"{prefix} #1 accepted: {TITLE}"
    letter_body = body_of(letter)
    assert letter_body.startswith(
        f'Dear {AUTHOR["name"]},\n\nwe are happy to tell you that your submission #1, "{TITLE}", is accepted at {prefix[1:-1]}.\n'
    )
    assert f"The area chair's meta-review:\n\nMeta-review:\n{META}\n" in letter_body
    assert (
        f"The reviewers' comments:\n\nReviewer 1:\nComments to the authors:\n{TO_AUTHORS}\nReproducibility: {REPRODUCIBLE[0]}\n"
    ) in letter_body
    for hidden in (REVIEWER["name"], CONFIDENTIAL, AREA_CHAIR["name"], META_CONFIDENTIAL, "Recommendation"):
        assert hidden not in letter_body
    author_nav.get_by_role("link", name="My submissions").click()
    author.get_by_role("link", name=TITLE, exact=True).click()
    expect(author.locator(".eyebrow")).to_have_text("Submission #1 · accepted")
    decision = author.get_by_role("region", name="Decision: accepted", exact=True)
    expect(decision.get_by_role("heading", level=3)).to_have_text(["The area chair's meta-review", "The reviewers' comments"])
    expect(decision.get_by_role("paragraph")).to_have_text(
        [f"Meta-review:\n{META}", f"Reviewer 1:\nComments to the authors:\n{TO_AUTHORS}\nReproducibility: {REPRODUCIBLE[0]}"],
        use_inner_text=True,
    )
    expect(author.get_by_text(RESPONSE)).to_be_visible()  # their response stays with the reviews
    for hidden in (REVIEWER["name"], AREA_CHAIR["name"], CONFIDENTIAL, META_CONFIDENTIAL):
        expect(author.get_by_text(hidden)).to_have_count(0)

    # ... and uploads the camera-ready PDF before its deadline, with a corrected title.
    author.get_by_role("link", name="Upload the camera-ready version").click()
    expect(author.get_by_role("heading", level=1)).to_have_text("Camera-ready version of #1")
    expect(author.get_by_text("Congratulations!")).to_contain_text(left(CAMERA_READY, REVIEWS + 1))
    final = tmp_path / "memory-layers-final.pdf"
    final.write_bytes(make_pdf(6, references_on=6, title=FINAL_TITLE, author=AUTHOR["name"]))
    author.get_by_label("Title").fill(FINAL_TITLE)
    author.get_by_label("Final PDF (not anonymous)").set_input_files(final)
    author.get_by_role("button", name="Upload the camera-ready version").click()
    expect(author).to_have_url(f"{live_server}/submissions/1")
    expect(author.locator(".flash")).to_have_text("The camera-ready version of #1 is saved. A receipt is on its way.")
    expect(author.get_by_role("heading", level=1)).to_have_text(FINAL_TITLE)
    smtp.wait_for(8)
    assert smtp.to(AUTHOR["email"])[-1]["Subject"].strip() == (
        f"{prefix} Submission #1 camera-ready version received: {FINAL_TITLE}"
    )

    # 10. The chair publishes; a visitor's home page now leads with the accepted papers, the closed deadlines gone
    # from its opening (only the dates still ahead are at a glance), and finds the paper under its final title.
    chair_section(chair, "Decisions")
    chair.get_by_role("button", name="Publish the accepted papers").click()
    chair.get_by_role("button", name="Yes, publish them").click()
    expect(chair.locator(".flash")).to_have_text("The accepted papers are public.")
    visitor = new_page()
    visitor.goto("/")
    hero = visitor.locator(".hero")
    expect(hero.locator(".actions").get_by_role("link")).to_have_text(["See the accepted papers"])
    expect(hero.locator(".stage")).to_have_text("The papers are decided: see who presents what.")
    expect(hero.locator(".deadline")).to_have_count(0)
    glance = visitor.get_by_role("complementary", name="At a glance")
    # The papers are published: the notification is no longer to come, only the camera-ready deadline is.
    expect(glance.locator("dt")).to_have_text(["Camera-ready deadline"])
    visitor.get_by_role("navigation", name="Main").get_by_role("link", name="Accepted papers").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Accepted papers")
    expect(visitor.get_by_role("main").get_by_role("listitem")).to_have_text(
        [f"{FINAL_TITLE}\n{AUTHOR['name']} ({AUTHOR['affiliation']})\nPDF"], use_inner_text=True
    )
    expect(visitor.get_by_text(TITLE, exact=True)).to_have_count(0)

    # Every step left its trace at the time the clock showed then; each person got exactly their mail.
    with app.app_context():
        sub = db.session.scalar(sa.select(Submission))
        ws = db.session.scalar(sa.select(Workshop))
        assert sub is not None and ws is not None
        assert (sub.state, sub.decision, sub.title, ws.phase) == (
            SubmissionState.SUBMITTED,
            Decision.ACCEPTED,
            FINAL_TITLE,
            Phase.REVIEWING,
        )
        assert sub.submitted_at is not None and sub.submitted_at < at(PAPER)
        assert sub.decided_at is not None and at(REVIEWS) < sub.decided_at < at(NOTIFICATION)
        assert [r.kind for r in sub.revisions] == [FileKind.PAPER, FileKind.CAMERA_READY]
        [assignment] = db.session.scalars(sa.select(ReviewAssignment)).all()
        assert assignment.review is not None and assignment.review.state == ReviewState.SUBMITTED
        submitted_at = assignment.review.submitted_at
        assert submitted_at is not None and at(BIDDING) < submitted_at < at(REVIEWS)
    assert sorted((m["To"], m["Subject"].strip()) for m in smtp.messages) == sorted(
        [
            (REVIEWER["email"], f"{prefix} Invitation to review"),
            (AREA_CHAIR["email"], f"{prefix} Invitation to be an area chair"),
            (AREA_CHAIR["email"], f"{prefix} You are the area chair of #1"),
            (AUTHOR["email"], f"{prefix} Confirm your email address"),
            (AUTHOR["email"], f"{prefix} Submission #1 submitted: {TITLE}"),
            (REVIEWER["email"], f"{prefix} 1 paper to review"),
            (AUTHOR["email"], f"{prefix} #1 accepted: {TITLE}"),
            (AUTHOR["email"], f"{prefix} Submission #1 camera-ready version received: {FINAL_TITLE}"),
        ]
    )


def _shown(value: datetime, zone: ZoneInfo) -> str:
    """A time as the ``datetime`` filter shows it: ``Sat 14 Dec 2026, 23:59 AoE``."""
    local = value.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} AoE"
