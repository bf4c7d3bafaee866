"""Accessibility: axe-core (through axe-playwright-python) on every HTML page of the site, as every role that can
see it, and on each form's error state. A page fails on any violation of impact "serious" or "critical".

One world holds data for every page at once: the paper deadline open (new submission, edit), the workshop in the
reviewing phase with bidding open, one paper accepted with its letter sent (camera-ready, the public accepted
papers), one rejected with its letter still a draft, reviews, a discussion, an assignment proposal, a failed job,
a pending invitation and a password-reset link. One browser context per role visits its pages in sequence.
The per-page table (role, page, violations by impact) is written to ``a11y-report.txt`` in the test's tmp dir
and printed (``pytest -s`` shows it)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from axe_playwright_python.base import AXE_SCRIPT
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from portal.db import db, utcnow
from portal.jobs import dispatch
from portal.jobs import start as start_job
from portal.models import (
    BidValue,
    DateKind,
    Decision,
    ImportantDate,
    Job,
    JobState,
    Letter,
    OutgoingEmail,
    Phase,
    Presentation,
    Workshop,
)
from portal.services import accounts, assignments, bidding, decisions, discussion, program, reviews
from portal.services import submissions as submissions_svc
from tests.factories import PASSWORD, make_user
from tests.pdfs import make_pdf

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CHAIR = {"email": "carla.chair@example.org", "name": "Carla Chair", "affiliation": "Chair Institute"}
REVIEWER = {"email": "rita.reviewer@example.org", "name": "Rita Reviewer", "affiliation": "Reviewer College A"}
REVIEWER_2 = {"email": "bob.blindfold@example.org", "name": "Bob Blindfold", "affiliation": "Reviewer College B"}
REVIEWER_3 = {"email": "una.unassigned@example.org", "name": "Una Unassigned", "affiliation": "Reviewer College C"}
AUTHOR = {"email": "ann.author@example.org", "name": "Ann Author", "affiliation": "Author University One"}
AUTHOR_2 = {"email": "al.writer@example.org", "name": "Al Writer", "affiliation": "Author University Two"}
TITLES = ["Sparse Attention over Million-Token Inputs", "Retrieval Versus Longer Windows"]
SERIOUS = ("serious", "critical")
IMPACTS = ("critical", "serious", "moderate", "minor")
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}
AXE_VERSION = re.search(r"axe v([\d.]+)", AXE_SCRIPT[:200]).group(1)  # type: ignore[union-attr]


@dataclass
class World:
    accepted: int  # Ann's paper: accepted, letter sent, camera-ready open; Rita and Bob reviewed it
    rejected: int  # Al's paper: rejected, letter a draft; Rita has not reviewed it yet
    draft_letter: int
    proposal: int
    job: int
    failed_job: int
    reset_path: str  # /auth/reset/<token> for Ann
    invitation_path: str  # /auth/invitations/<token>/accept for a new reviewer
    session: int = 0  # the published program's session: Ann's talk and a panel
    talk: int = 0  # Ann's talk
    panel: int = 0


def _link(app: Flask, kind: str, pattern: str) -> str:
    with app.app_context():
        body = db.session.scalars(sa.select(OutgoingEmail.body_text).where(OutgoingEmail.kind == kind)).first()
        assert body is not None, f"no {kind} mail in the outbox"
        match = re.search(pattern, body)
        assert match, body
        return match.group(0)


def build_world(app: Flask) -> World:
    """Every page's data at once (see the module docstring). Mail stays queued in the outbox."""
    with app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws is not None
        now = utcnow()
        chair = make_user(CHAIR["email"], name=CHAIR["name"], affiliation=CHAIR["affiliation"], roles=("chair",))
        reviewers = [
            make_user(p["email"], name=p["name"], affiliation=p["affiliation"], roles=("reviewer",))
            for p in (REVIEWER, REVIEWER_2, REVIEWER_3)
        ]
        rita, bob, _una = reviewers
        rita.topics = [ws.topics[0]]
        rita.expertise_statement = "I work on sparse attention for very long inputs."
        ws.dates.append(
            ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=now + timedelta(days=3))
        )
        ws.dates.append(ImportantDate(kind=DateKind.CAMERA_READY, label="Camera-ready deadline", at=now + timedelta(days=30)))
        db.session.flush()
        subs = []
        for i, (person, title) in enumerate(zip((AUTHOR, AUTHOR_2), TITLES, strict=True)):
            author = make_user(person["email"], name=person["name"], affiliation=person["affiliation"])
            rows = [submissions_svc.AuthorInput(author.name, author.email, author.affiliation)]
            details = submissions_svc.Details(
                title=title,
                abstract=f"We study {title.lower()}.\n\nExperiments cover several context lengths.",
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
        accepted, rejected = subs
        ws.phase = Phase.REVIEWING
        ws.bidding_deadline = now + timedelta(days=3)
        ws.review_deadline = now + timedelta(days=10)
        ws.reviews_per_paper = 3
        db.session.flush()
        bidding.place_bids(rita, ws, {rejected.id: BidValue.EAGER}, now)
        for sub in subs:
            for reviewer in (rita, bob):
                assignment = assignments.assign_reviewer(chair, ws, sub, reviewer)
                if sub is rejected and reviewer is rita:
                    continue  # Rita's review form of this paper starts empty
                reviews.save_review(
                    ws,
                    assignment,
                    {
                        "recommendation": 4 if sub is accepted else 2,
                        "confidence": 3,
                        "summary": f"Summary of {sub.title}.",
                        "strengths": "Clear writing.",
                        "weaknesses": "Few baselines.",
                        "comments_to_authors": "Please add the wall-clock time per token.",
                        "confidential_comments": "Nothing for the chairs.",
                    },
                    submit=True,
                    version=None,
                )
        discussion.post_comment(bob, ws, accepted, "Does the speed-up hold on eight devices?")
        decisions.record_decision(
            chair, accepted, decision=Decision.ACCEPTED, presentation=Presentation.ORAL, note="Congratulations.", version=None
        )
        decisions.record_decision(chair, rejected, decision=Decision.REJECTED, presentation=None, note="", version=None)
        decisions.save_letter_templates(chair, ws, decisions.DEFAULT_ACCEPT, decisions.DEFAULT_REJECT, with_reviews=True)
        letters = {x.submission_id: x for x in db.session.scalars(sa.select(Letter))}
        decisions.send_letters(chair, ws, only=[letters[accepted.id].id])
        decisions.set_published(chair, ws, True)
        day = (now + timedelta(days=60)).date()
        session = program.add_session(chair, ws, program.SessionInput("Morning talks", day, time(9), time(12), "Hall A"))
        talk = program.add_item(
            chair,
            session,
            program.ItemInput(
                program.ItemKind.TALK, submission_id=accepted.id, speaker_author_id=accepted.authors[0].id, starts=time(9)
            ),
        )
        panel = program.add_item(
            chair,
            session,
            program.ItemInput(
                program.ItemKind.PANEL,
                title="Panel: evaluation",
                abstract="How should long contexts be *measured*?",
                panelists=[program.Named(person_id=p.id) for p in ws.people[:2]] + [program.Named(name="Ada Lovelace")],
                moderator=program.Named(name="Mo Derator"),
                starts=time(10),
                ends=time(11),
            ),
        )
        program.set_published(chair, ws, True)
        accounts.invite_reviewers(chair, ws, accounts.parse_invitation_lines("Nora Newcomer <nora.new@example.org>"))
        accounts.request_password_reset(ws, AUTHOR["email"])
        failed = Job(
            kind="letters",
            args={"workshop_id": ws.id},
            state=JobState.FAILED,
            attempts=1,
            error="SMTPServerDisconnected: Connection unexpectedly closed",
            phase="Sending",
            done=1,
            total=2,
            created_by_id=chair.id,
            finished_at=now,
        )
        db.session.add(failed)
        job = start_job("assignment", chair, workshop_id=ws.id)
        db.session.commit()
        dispatch(job)
        proposal = job.result["url"].rsplit("/", 1)[1]
        world = World(
            accepted=accepted.id,
            rejected=rejected.id,
            draft_letter=letters[rejected.id].id,
            proposal=int(proposal),
            job=job.id,
            failed_job=failed.id,
            reset_path="",
            invitation_path="",
            session=session.id,
            talk=talk.id,
            panel=panel.id,
        )
    world.reset_path = _link(app, "password_reset", r"/auth/reset/[^\s]+")
    world.invitation_path = _link(app, "invitation", r"/auth/invitations/[^\s/]+/accept")
    _sponsor_and_photo(app)
    return world


def _sponsor_and_photo(app: Flask) -> None:
    """Issue 24: inquiry 1, a confirmed sponsor with its logo (the home and sponsors pages show it), and the first
    speaker's photo (person 1)."""
    from portal.models import Person, SponsorState, SponsorTier, User
    from portal.services import photos, sponsors
    from tests.unit.test_images import jpeg_with_location

    with app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        chair = db.session.scalar(sa.select(User).where(User.email == CHAIR["email"]))
        assert ws is not None and chair is not None
        inquiry, _ = sponsors.submit_inquiry(
            ws, name="Grace Hopper", organization="Compiler Labs", email="grace@example.org", interest="compute", message="GPUs?"
        )
        follow = sponsors.FollowUp(SponsorState.CONFIRMED, "", "Agreed by mail.", "", SponsorTier.GOLD, "https://example.org/")
        sponsors.follow_up(chair, inquiry, follow, logo=jpeg_with_location(600, 200))
        photos.set_photo(chair, db.session.get(Person, 1), jpeg_with_location())
        db.session.commit()
        assert inquiry.id == 1


# --- the sweep --------------------------------------------------------------------------------------------


@dataclass
class Visit:
    """One page to check. With ``submit``, its form (the one holding that button) is then posted with its text
    fields emptied, ``fill`` set, and checked again in its error state."""

    path: str
    label: str = ""
    submit: str | None = None  # the accessible name of the submit button
    fill: dict[str, str] = field(default_factory=dict)  # field label -> value set (a radio button: checked)
    keep: bool = False  # submit without emptying the fields
    errors: bool = True  # the post is refused with an error summary (False: it succeeds, like a preview)
    again: bool = False  # the page itself is checked by another visit: check only what the post brings

    @property
    def name(self) -> str:
        return self.label or self.path


@dataclass
class Result:
    role: str
    page: str
    counts: dict[str, int]  # nodes per impact
    serious: list[str]  # a line per serious or critical violation


def check(page: Page, axe: Axe, role: str, name: str) -> Result:
    """Run axe-core on the page as it is (its default rules, WCAG 2.0-2.2 A and AA and best practices, plus
    WCAG 2.2's target size, off by default); count the failing nodes by impact."""
    found = axe.run(page, options=AXE_OPTIONS).response["violations"]
    counts = dict.fromkeys(IMPACTS, 0)
    serious = []
    for v in found:
        counts[v["impact"]] = counts.get(v["impact"], 0) + len(v["nodes"])
        if v["impact"] in SERIOUS:
            targets = "; ".join(" ".join(n["target"]) for n in v["nodes"][:10])
            serious.append(f"{v['id']} ({v['impact']}) on {name} as {role}: {targets} — {v['help']}")
    return Result(role, name, counts, serious)


def submit(page: Page, visit: Visit) -> None:
    """Post the form the way a person who skipped its fields would (the browser's own checks off, as a
    screen reader user pressing Enter past them can): the server's error summary must come back, focused."""
    button = page.get_by_role("button", name=visit.submit, exact=True)
    form = button.locator("xpath=ancestor::form[1]")
    form.evaluate(
        """(f, [empty, fill]) => {
        f.noValidate = true;
        for (const el of f.querySelectorAll('input, textarea')) {
            if (empty && ['text', 'email', 'password', 'url', 'number', 'textarea'].includes(el.type)) el.value = '';
        }
        for (const [label, value] of Object.entries(fill)) {
            const el = [...f.querySelectorAll('label')].find(l => l.textContent.trim() === label).control;
            if (el.type === 'radio' || el.type === 'checkbox') el.checked = true;
            else el.value = value;  // not typed: a value longer than maxlength must reach the server
        }
    }""",
        [not visit.keep, visit.fill],
    )
    with page.expect_navigation():
        button.click()
    if not visit.errors:
        expect(page.locator("#error-summary")).to_have_count(0)
        return
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", level=2)).not_to_be_empty()


def sweep(page: Page, role: str, visits: list[Visit], axe: Axe) -> list[Result]:
    """Visit the pages in order in one browser context; check each (and each form's error state)."""
    results = []
    for visit in visits:
        response = page.goto(visit.path)
        assert response is not None and response.headers["content-type"].startswith("text/html"), visit.path
        if not visit.again:
            results.append(check(page, axe, role, visit.name))
        if visit.submit:
            submit(page, visit)
            results.append(check(page, axe, role, f"{visit.name} (errors)" if visit.errors and not visit.again else visit.name))
    return results


def table(results: list[Result]) -> str:
    width = max(len(r.page) for r in results)
    lines = [f"{'role':<9} {'page':<{width}} " + " ".join(f"{i:>8}" for i in IMPACTS)]
    lines += [f"{r.role:<9} {r.page:<{width}} " + " ".join(f"{r.counts.get(i, 0):>8}" for i in IMPACTS) for r in results]
    return "\n".join(lines)


@pytest.fixture
def context_for(browser: Browser, live_server: str) -> Iterator[Callable[[], BrowserContext]]:
    """Browser contexts (one per role), closed before the live server stops."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(
            base_url=live_server, viewport={"width": 1280, "height": 800}, locale="en-US", timezone_id="UTC"
        )
        context.set_default_timeout(5_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def signed_in(make: Callable[[], BrowserContext], live_server: str, person: dict[str, Any]) -> Page:
    page = make().new_page()
    page.goto("/auth/login")
    page.get_by_label("Email", exact=True).fill(person["email"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/auth/login"))  # (where the person's work is)
    return page


CONTENT_LISTS = (
    "topics",
    "questions",
    "dates",
    "sponsors",
    "people/speaker",
    "people/panelist",
    "people/organizer",
    "people/steering",
)


def pages(w: World) -> dict[str, list[Visit]]:
    """Every GET route that returns HTML, as each role that can open it (the route list: ``flask routes``)."""
    a, r = w.accepted, w.rejected
    return {
        "anonymous": [
            Visit("/"),
            Visit("/call-for-papers"),
            Visit("/speakers"),
            Visit("/organizers"),
            Visit("/accepted-papers"),
            Visit("/program"),
            Visit(f"/program/{w.talk}", "/program/<id> (talk)"),
            Visit(f"/program/{w.panel}", "/program/<id> (panel)"),
            Visit("/sponsors/", submit="Send to the organizers"),
            Visit("/sponsors/thanks"),
            Visit("/auth/login", submit="Sign in"),
            Visit(
                "/auth/login",
                "/auth/login (wrong password)",
                submit="Sign in",
                keep=True,
                again=True,
                fill={"Email": AUTHOR["email"], "Password": "not the password at all"},
            ),
            Visit("/auth/register", submit="Create the account"),
            Visit("/auth/check-inbox"),
            Visit(
                w.invitation_path.replace("/auth/invitations/", "/auth/register?invitation=").removesuffix("/accept"),
                "/auth/register?invitation=<token>",
            ),
            Visit("/auth/reset", submit="Send the link"),
            Visit(w.reset_path, "/auth/reset/<token>", submit="Save the new password"),
            Visit("/auth/reset/not-a-token", "/auth/reset/<bad token>"),
            Visit("/auth/confirm/not-a-token", "/auth/confirm/<bad token>"),
            Visit("/auth/confirm/resend", submit="Send a new link"),
            Visit(w.invitation_path, "/auth/invitations/<token>/accept"),
            Visit(w.invitation_path.replace("/accept", "/decline"), "/auth/invitations/<token>/decline"),
            Visit("/no-such-page", "404 page"),
        ],
        "author": [
            Visit("/account/"),
            Visit("/account/profile", submit="Save the profile"),
            Visit("/account/email", submit="Send the confirmation link"),
            Visit("/account/password", submit="Change the password"),
            Visit("/account/conflicts", submit="Save the conflicts", fill={"People": "not an address"}),
            Visit("/account/email/confirm/not-a-token", "/account/email/confirm/<bad token>"),
            Visit("/submissions/"),
            Visit("/submissions/new", submit="Submit the paper"),
            Visit(f"/submissions/{a}", "/submissions/<n> (accepted, reviews)"),
            Visit(f"/submissions/{a}/edit", "/submissions/<n>/edit", submit="Save the changes"),
            Visit(f"/submissions/{a}/withdraw", "/submissions/<n>/withdraw"),
            Visit(f"/submissions/{a}/camera-ready", "/submissions/<n>/camera-ready", submit="Upload the camera-ready version"),
            Visit(f"/submissions/{a}/materials", "/submissions/<n>/materials", submit="Save", fill={"Video link": "not a link"}),
            Visit("/chair/", "403 page (chair console)"),
            Visit(f"/submissions/{r}", "404 page (another's paper)"),
        ],
        "reviewer": [
            Visit("/review/"),
            Visit("/review/bids"),
            Visit(f"/review/papers/{a}", "/review/papers/<n> (reviews, discussion)"),
            Visit(f"/review/papers/{a}/review", "/review/papers/<n>/review (submitted)"),
            Visit(f"/review/papers/{r}", "/review/papers/<n> (not reviewed yet)"),
            Visit(f"/review/papers/{r}/review", "/review/papers/<n>/review", submit="Submit the review", keep=True),
            Visit("/account/expertise", submit="Save the expertise", fill={"Expertise statement": "x" * 3001}),
        ],
        "chair": [
            Visit("/chair/"),
            Visit("/chair/submissions"),
            Visit("/chair/submissions?q=retrieval&sort=title"),
            Visit(f"/chair/papers/{a}", "/chair/papers/<n>"),
            Visit(f"/review/papers/{a}", "/review/papers/<n> (chair)"),
            Visit(f"/submissions/{a}", "/submissions/<n> (chair)"),
            Visit("/submissions/all"),
            Visit("/chair/reviewing", submit="Save the reviewing settings"),
            Visit("/chair/conflicts", submit="Add the conflict"),
            Visit("/chair/assignments"),
            Visit(f"/chair/proposals/{w.proposal}", "/chair/proposals/<id>"),
            Visit("/chair/decisions"),
            Visit("/chair/letters"),
            Visit(f"/chair/letters/{w.draft_letter}", "/chair/letters/<id>"),
            Visit("/chair/mail", submit="Preview"),
            Visit(
                "/chair/mail",
                "/chair/mail (preview)",
                submit="Preview",
                keep=True,
                errors=False,
                again=True,
                fill={"All reviewers": "on"},
            ),
            Visit("/members/"),
            Visit("/members/invitations", submit="Send the invitations"),
            Visit("/settings/", submit="Save the settings"),
            Visit("/chair/content"),
            Visit("/chair/content/texts", submit="Save the texts"),
            *[Visit(f"/chair/content/{k}") for k in CONTENT_LISTS],
            Visit("/chair/content/topics/new", submit="Add the topic"),
            *[Visit(f"/chair/content/{k}/new") for k in ("questions", "dates", "sponsors", "people/speaker")],
            Visit("/chair/content/topics/1", "/chair/content/topics/<id>"),
            Visit("/chair/content/topics/1/remove", "/chair/content/topics/<id>/remove"),
            Visit("/chair/content/people/speaker/1/photo", "/chair/content/people/<role>/<id>/photo", submit="Upload the photo"),
            Visit("/chair/sponsors"),
            Visit("/chair/sponsors?q=compiler&state=confirmed", "/chair/sponsors (searched)"),
            Visit("/chair/sponsors/1", "/chair/sponsors/<id>", submit="Save", fill={"Link": "not a link"}),
            Visit("/chair/program"),
            Visit("/chair/program/sessions/new", submit="Add the session"),
            Visit(f"/chair/program/sessions/{w.session}", "/chair/program/sessions/<id>", submit="Save"),
            Visit(
                f"/chair/program/sessions/{w.session}/new/panel", "/chair/program/sessions/<id>/new/panel", submit="Add the panel"
            ),
            Visit(f"/chair/program/sessions/{w.session}/new/posters", "/chair/program/sessions/<id>/new/posters"),
            Visit(f"/chair/program/items/{w.talk}", "/chair/program/items/<id> (talk)"),
            Visit(f"/chair/program/items/{w.talk}/remove", "/chair/program/items/<id>/remove"),
            Visit(f"/chair/program/sessions/{w.session}/remove", "/chair/program/sessions/<id>/remove"),
            Visit("/chair/exports"),
            Visit("/chair/jobs"),
            Visit(f"/chair/jobs/{w.job}", "/chair/jobs/<id> (done)"),
            Visit(f"/chair/jobs/{w.failed_job}", "/chair/jobs/<id> (failed)"),
            Visit("/chair/audit"),
        ],
    }


def test_every_page_as_every_role_has_no_serious_axe_violation(
    app: Flask, context_for: Callable[[], BrowserContext], live_server: str, tmp_path: Path
) -> None:
    world = build_world(app)
    axe = Axe()
    people = {"author": AUTHOR, "reviewer": REVIEWER, "chair": CHAIR}
    results: list[Result] = []
    for role, visits in pages(world).items():
        page = signed_in(context_for, live_server, people[role]) if role in people else context_for().new_page()
        results += sweep(page, role, visits, axe)

    report = table(results)
    (tmp_path / "a11y-report.txt").write_text(report + "\n")
    print(f"\naxe-core {AXE_VERSION}: failing nodes by impact\n{report}")
    assert len(results) > 100
    problems = [line for result in results for line in result.serious]
    assert problems == [], "\n".join(problems)
