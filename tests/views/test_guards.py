"""Tests that would notice (issue 17): each rule that guards the review, checked by what a person sees when it
holds and when it does not, so that a change to any clause of ``portal/permissions.py``, of the conflict rules or
of the reviewing pages' helpers fails a test. scripts/mutate.py makes those changes one at a time and runs these
tests with the others of its subset; each test here was written for a change no other test noticed.

The world is the one of tests/views/test_people.py: three papers in reviewing, four reviewers (Ada is also an
author), two chairs (Carla is a co-author of paper 3). Organisation domains are used on purpose (example.org is
webmail for the shared-domain rule)."""

from __future__ import annotations

import html as html_lib
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from portal.db import db, utcnow
from portal.models import (
    ConflictOverride,
    DateKind,
    Decision,
    ImportantDate,
    Phase,
    Submission,
    SubmissionAuthor,
    SubmissionConflict,
    SubmissionState,
    Topic,
    User,
    Workshop,
)
from portal.queries import assignment_of
from portal.services import assignments, discussion, reviews
from portal.services import submissions as subs
from tests.conftest import CSRF_INPUT_RE, CSRF_RE, SMTPRecorder, Worlds, sql_statements, text_of
from tests.factories import decide_and_notify, login, make_user
from tests.pdfs import make_pdf

# --- the world (as in tests/views/test_people.py) -----------------------------------------------------------

PEOPLE: dict[str, dict[str, Any]] = {
    "ada": {"email": "ada@alpha-institute.org", "name": "Ada Author", "affiliation": "Alpha Institute", "roles": ("reviewer",)},
    "cora": {"email": "cora@coauthor-lab.org", "name": "Cora Coauthor", "affiliation": "Coauthor Lab"},
    "otto": {"email": "otto@omega-college.org", "name": "Otto Other", "affiliation": "Omega College"},
    "rita": {
        "email": "rita@rita-research.org",
        "name": "Rita Reviewer",
        "affiliation": "Rita Research Centre",
        "roles": ("reviewer",),
    },
    "rex": {
        "email": "rex@reader-university.org",
        "name": "Rex Reader",
        "affiliation": "Reader University",
        "roles": ("reviewer",),
    },
    "una": {
        "email": "una@una-polytechnic.org",
        "name": "Una Unassigned",
        "affiliation": "Una Polytechnic",
        "roles": ("reviewer",),
    },
    "carla": {
        "email": "carla@chair-university.org",
        "name": "Carla Chair",
        "affiliation": "Chair University",
        "roles": ("chair",),
    },
    "chris": {
        "email": "chris@second-chair.org",
        "name": "Chris Cochair",
        "affiliation": "Second Chair Institute",
        "roles": ("chair",),
    },
}
PAPERS: dict[str, dict[str, Any]] = {
    "p1": {
        "title": "Ring Attention Beyond a Million Tokens",
        "submitter": "ada",
        "authors": ["ada", "cora"],
        "topic": "architecture",
        "abstract": "Sequence parallelism lets ring attention scale past a million tokens.",
        "pdf_author": "Ada Author",
    },
    "p2": {
        "title": "Memory Tokens for Endless Dialogue",
        "submitter": "otto",
        "authors": ["otto"],
        "topic": "augmentation",
        "abstract": "Memory tokens carry a dialogue over thousands of turns.",
        "pdf_author": "Otto Other",
    },
    "p3": {
        "title": "Positional Interpolation Revisited",
        "submitter": "otto",
        "authors": ["otto", "carla"],
        "topic": "embeddings",
        "abstract": "Rotary embeddings stretched by interpolation, without fine-tuning.",
        "pdf_author": "Otto Other",
    },
}
ASSIGNED = {"p1": ["rita", "rex"], "p2": ["rex", "una"], "p3": ["una", "rex"]}  # Reviewer 1, Reviewer 2
REX_P1 = "Rex on ring attention: the schedule overlaps communication with compute."
REX_P2 = "Rex on memory tokens: the dialogue benchmark is convincing."
UNA_P3 = "Una on interpolation: the factor is chosen on the test set."
REX_COMMENT = "Rex asks the discussion: does the speed-up hold on eight devices?"
RITA_DRAFT = "Rita's first thoughts on ring attention, not finished."

_checked: dict[str, subs.CheckedFile] = {}  # the PDF check runs in a child process: once per paper per run


def person(key: str) -> tuple[str, str, str]:
    p = PEOPLE[key]
    return p["name"], p["email"], p["affiliation"]


@dataclass
class World:
    app: Flask
    users: dict[str, int]
    papers: dict[str, int]
    emails: dict[str, str] = field(default_factory=dict)

    def n(self, paper: str) -> int:
        return self.papers[paper]

    def uid(self, key: str) -> int:
        return self.users[key]

    def title(self, paper: str) -> str:
        return PAPERS[paper]["title"]


def set_paper_deadline(ws: Workshop, at: datetime | None) -> None:
    existing = ws.date_of(DateKind.PAPER_DEADLINE)
    if at is None:
        if existing is not None:
            ws.dates.remove(existing)
    elif existing is not None:
        existing.at = at
    else:
        ws.dates.append(ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=at))


def build(app: Flask) -> World:
    """Reviewing under way, the submission deadline passed a day ago. Paper 1 (Ada, Cora): Rita (not started)
    and Rex (submitted, and a comment); paper 2 (Otto): Rex (submitted) and Una (not started); paper 3 (Otto,
    Carla): Una (submitted) and Rex (not started)."""
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        now = utcnow()
        set_paper_deadline(ws, now + timedelta(days=3))
        topics = {t.slug: t for t in db.session.scalars(sa.select(Topic).where(Topic.workshop_id == ws.id))}
        users = {key: make_user(**spec) for key, spec in PEOPLE.items()}
        papers: dict[str, int] = {}
        for key, spec in PAPERS.items():
            authors = [subs.AuthorInput(*person(a)) for a in spec["authors"]]
            sub_type = ws.submission_types[0]
            if key not in _checked:
                pdf = make_pdf(3, text=f"The paper {spec['title']}.", author=spec["pdf_author"], title=spec["title"])
                _checked[key] = subs.check_paper(ws, sub_type, authors, pdf, f"{key}.pdf")
            details = subs.Details(
                title=spec["title"],
                abstract=spec["abstract"],
                type_id=sub_type.id,
                primary_topic_id=topics[spec["topic"]].id,
                secondary_topic_ids=[],
                keywords="long context",
                authors=authors,
                declared_conflicts="",
            )
            papers[key] = subs.create_submission(users[spec["submitter"]], ws, details, paper=_checked[key]).id
        set_paper_deadline(ws, now - timedelta(days=1))
        ws.phase, ws.reviews_per_paper, ws.review_deadline = Phase.REVIEWING, 2, now + timedelta(days=10)
        db.session.flush()
        chris = users["chris"]
        for paper, reviewers in ASSIGNED.items():
            sub = db.session.get(Submission, papers[paper])
            for reviewer in reviewers:
                assignments.assign_reviewer(chris, ws, sub, users[reviewer])
        for (paper, reviewer), text in {("p1", "rex"): REX_P1, ("p2", "rex"): REX_P2, ("p3", "una"): UNA_P3}.items():
            assignment = assignment_of(papers[paper], users[reviewer].id)
            reviews.save_review(
                ws,
                assignment,
                {"summary": text, "comments_to_authors": text, "recommendation": 4, "confidence": 3},
                submit=True,
                version=None,
            )
        discussion.post_comment(users["rex"], ws, db.session.get(Submission, papers["p1"]), REX_COMMENT)
        db.session.commit()
        return World(app, {k: u.id for k, u in users.items()}, papers, {k: p["email"] for k, p in PEOPLE.items()})


@pytest.fixture
def world(app: Flask, worlds: Worlds) -> World:
    return worlds.get(app, build)


def change(world: World, **values: Any) -> None:
    """Set attributes of the workshop, as the chairs' settings pages do."""
    with world.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        for name, value in values.items():
            setattr(ws, name, value)
        db.session.commit()


def open_submissions(world: World, at: datetime | None = None) -> None:
    """A chair moved the submission deadline (by default three days into the future; None: no deadline)."""
    with world.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        set_paper_deadline(ws, at)
        db.session.commit()


# --- page helpers (as in tests/views/test_people.py) ------------------------------------------------------------

NOT_FOUND = "Error 404 Page not found There is nothing at this address."
FORBIDDEN = "Error 403 Not allowed"


def signed_in(world: World, key: str) -> FlaskClient:
    client = world.app.test_client()
    response = login(client, world.emails[key])
    assert response.status_code == 302, text_of(response)
    return client


def post(
    client: FlaskClient,
    path: str,
    data: dict[str, Any] | None = None,
    token_page: str = "/review/",  # noqa: S107
    **kwargs: Any,
) -> TestResponse:
    """Post with a valid CSRF token of this session, so a refusal comes from the rules, not from CSRF."""
    page = client.get(token_page).get_data(as_text=True)
    match = CSRF_RE.search(page) or CSRF_INPUT_RE.search(page)
    assert match, f"no CSRF token on {token_page}"
    return client.post(path, data={"csrf_token": match.group(1), **(data or {})}, **kwargs)


def follow(client: FlaskClient, response: TestResponse) -> TestResponse:
    assert response.status_code == 302, text_of(response)
    return client.get(response.headers["Location"])


def text_of_html(html: str) -> str:
    return text_of(Response(html))  # type: ignore[arg-type]


def flashes(response: TestResponse) -> list[str]:
    return [text_of_html(m) for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', response.get_data(as_text=True), re.S)]


def section(response: TestResponse, labelled_by: str) -> str:
    found = re.search(rf'(?s)<section aria-labelledby="{labelled_by}"[^>]*>(.*?)</section>', response.get_data(as_text=True))
    return found.group(1) if found else ""


def rows_of(html: str) -> list[list[str]]:
    body = re.search(r"(?s)<tbody>(.*?)</tbody>", html)
    if body is None:
        return []
    return [
        [text_of_html(c) for c in re.findall(r"(?s)<t[hd]\b[^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"(?s)<tr>(.*?)</tr>", body.group(1))
    ]


def suspended_rows(response: TestResponse) -> list[list[str]]:
    """The console's suspended assignments: [paper, reviewer, reason, actions] of each row (the date left out)."""
    return [[row[0], row[1], row[3], row[4]] for row in rows_of(section(response, "suspended"))]


def bid_titles(response: TestResponse) -> list[str]:
    return [text_of_html(m) for m in re.findall(r"<legend>(.*?)</legend>", response.get_data(as_text=True), re.S)]


def comments(response: TestResponse) -> list[tuple[str, str]]:
    """(who, text) of each discussion comment on a paper page."""
    html = response.get_data(as_text=True)
    return [
        (text_of_html(head).split(" · ")[0], text_of_html(body))
        for head, body in re.findall(r'<article class="comment"><p class="muted">(.*?)</p>(.*?)</article>', html, re.S)
    ]


def review_headings(response: TestResponse) -> list[str]:
    return [text_of_html(h) for h in re.findall(r'<h3 id="review-\d+">(.*?)</h3>', response.get_data(as_text=True))]


def sections(response: TestResponse) -> dict[int, list[str]]:
    """Paper number -> the text of each list item in its section (the assignments page)."""
    html = response.get_data(as_text=True)
    return {
        int(n): [text_of_html(li) for li in re.findall(r"<li>(.*?)</li>", inner, re.S)]
        for n, inner in re.findall(r'<(?:section|tr) id="paper-(\d+)"[^>]*>(.*?)</(?:section|tr)>', html, re.S)
    }


def my_submissions(client: FlaskClient) -> list[str]:
    page = client.get("/submissions/")
    assert page.status_code == 200, text_of(page)
    return [cells[1] for cells in rows_of(page.get_data(as_text=True))]


def review_list(client: FlaskClient) -> list[str]:
    page = client.get("/review/")
    assert page.status_code == 200, text_of(page)
    return [cells[1] for cells in rows_of(page.get_data(as_text=True))]


def nav(response: TestResponse) -> list[str]:
    """The links of the header's account menu."""
    found = re.search(r'(?s)<nav aria-label="Account" class="account-nav">(.*?)</nav>', response.get_data(as_text=True))
    assert found is not None
    return [text_of_html(a) for a in re.findall(r"(?s)<a\b[^>]*>(.*?)</a>", found.group(1))]


def actions(response: TestResponse) -> list[str]:
    """The buttons and links of a submission page's actions list."""
    found = re.search(r'(?s)<ul class="actions-list">(.*?)</ul>', response.get_data(as_text=True))
    assert found is not None
    return [text_of_html(li) for li in re.findall(r"(?s)<li>(.*?)</li>", found.group(1))]


def assert_no_leak(response: TestResponse, leaks: list[str]) -> None:
    seen = response.get_data() + "\n".join(f"{k}: {v}" for k, v in response.headers.items()).encode()
    assert [s for s in leaks if s.encode() in seen or html_lib.escape(s).encode() in seen] == []


def assert_not_found(response: TestResponse, leaks: list[str] | None = None) -> None:
    assert response.status_code == 404
    assert NOT_FOUND in text_of(response)
    assert_no_leak(response, leaks or [])


def assert_forbidden(response: TestResponse, leaks: list[str] | None = None) -> None:
    assert response.status_code == 403
    assert FORBIDDEN in text_of(response)
    assert_no_leak(response, leaks or [])


class _Forms(HTMLParser):
    """The forms of a page with the values a browser would send."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._textarea: list[str] | None = None
        self._select: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._fields = []
            self.forms.append(self._fields)
        elif self._fields is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type") or "text"
            if kind in ("submit", "button", "file", "image", "reset") or (kind in ("checkbox", "radio") and "checked" not in a):
                return
            self._fields.append((str(a["name"]), a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = [str(a["name"]), ""]
        elif tag == "select":
            self._select = {"name": a["name"], "first": None, "selected": None}
        elif tag == "option" and self._select is not None:
            if self._select["first"] is None:
                self._select["first"] = a.get("value") or ""
            if "selected" in a:
                self._select["selected"] = a.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "textarea" and self._textarea is not None and self._fields is not None:
            name, value = self._textarea
            self._fields.append((name, value[2:] if value.startswith("\r\n") else value.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._fields is not None:
            value = self._select["selected"] if self._select["selected"] is not None else self._select["first"]
            self._fields.append((str(self._select["name"]), value or ""))
            self._select = None


def form_with(response: TestResponse, name: str) -> dict[str, Any]:
    """What the page's form holding the field ``name`` would send as it stands."""
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    found = [fields for fields in parser.forms if any(n == name for n, _ in fields)]
    assert len(found) == 1, f"{len(found)} forms hold {name}"
    return dict(found[0])


def save_review(client: FlaskClient, number: int, *, submit: bool, **fields: Any) -> TestResponse:
    page = client.get(f"/review/papers/{number}/review")
    assert page.status_code == 200, text_of(page)
    data = form_with(page, "summary") | fields | {"action": "submit" if submit else "save"}
    return client.post(f"/review/papers/{number}/review", data=data)


def withdraw(world: World, key: str, paper: str) -> None:
    """``key`` withdraws the paper on its page, as an author does."""
    client = signed_in(world, key)
    number = world.n(paper)
    done = post(client, f"/submissions/{number}/withdraw", token_page=f"/submissions/{number}/withdraw")
    # (The page also repeats the anonymity check's warning about the PDF's author field.)
    assert f"Submission #{number} is withdrawn. You can restore it until the deadline." in flashes(follow(client, done))


def subject(message: EmailMessage) -> str:
    return str(message["Subject"]).strip()


def content(message: EmailMessage) -> str:
    return message.get_content().replace("\r\n", "\n")


# --- can_review: the assigned reviewer, while the paper is in reviewing and the reviewer a reviewer ------------


# Before: survives the mutant "can_review without sub.state == SUBMITTED" (the reviewers of a withdrawn paper
# kept its page and its PDF).
def test_reviewers_of_a_withdrawn_paper_lose_its_page_pdf_and_place_in_their_list(world: World) -> None:
    p1 = world.n("p1")
    leaks = [world.title("p1"), PAPERS["p1"]["abstract"], REX_P1, REX_COMMENT]

    withdraw(world, "ada", "p1")

    for key in ("rita", "rex"):
        client = signed_in(world, key)
        for path in (f"/review/papers/{p1}", f"/review/papers/{p1}/pdf", f"/review/papers/{p1}/review"):
            assert_not_found(client.get(path), leaks)
        assert world.title("p1") not in review_list(client)
    # The chairs still find it (a paper withdrawn by mistake is restored by them).
    assert world.title("p1") in text_of(signed_in(world, "chris").get(f"/review/papers/{p1}"))


# Before: survives "can_review without is_reviewer(user)" (a reviewer whose role was revoked kept their papers).
def test_reviewer_whose_role_is_revoked_loses_their_papers(world: World) -> None:
    p1 = world.n("p1")
    chair = signed_in(world, "chris")
    revoked = post(chair, f"/members/{world.uid('rita')}/role", {"role": "reviewer", "grant": "0"}, "/members/")
    assert flashes(follow(chair, revoked)) == ["Rita Reviewer is no longer a reviewer."]

    rita = signed_in(world, "rita")
    leaks = [world.title("p1"), PAPERS["p1"]["abstract"], REX_P1, REX_COMMENT]
    for path in (f"/review/papers/{p1}", f"/review/papers/{p1}/pdf", f"/review/papers/{p1}/review"):
        assert_not_found(rita.get(path), leaks)
    page = rita.get("/review/")
    assert "No papers are assigned to you yet." in text_of(page)
    assert_no_leak(page, leaks)
    assert_forbidden(rita.get("/review/bids"), leaks)
    assert "Reviewing" not in nav(rita.get("/account/"))


def test_suspended_reviewer_sees_nothing_of_the_paper(world: World) -> None:
    p1 = world.n("p1")
    with world.app.app_context():
        a = assignment_of(p1, world.uid("rita"))
        a.suspended_at, a.suspended_reason = utcnow(), "a conflict the chairs look into"
        db.session.commit()
    rita = signed_in(world, "rita")
    leaks = [world.title("p1"), PAPERS["p1"]["abstract"], REX_P1, REX_COMMENT]

    for path in (f"/review/papers/{p1}", f"/review/papers/{p1}/pdf", f"/review/papers/{p1}/review"):
        assert_not_found(rita.get(path), leaks)
    assert review_list(rita) == []
    assert [row[:3] for row in suspended_rows(signed_in(world, "carla").get("/chair/"))] == [
        [f"#{p1}", "Reviewer 1: Rita Reviewer", "a conflict the chairs look into"]
    ]


def test_reviewer_sees_exactly_the_papers_assigned_to_them(world: World) -> None:
    una = signed_in(world, "una")

    assert review_list(una) == [world.title("p2"), world.title("p3")]
    assert_not_found(una.get(f"/review/papers/{world.n('p1')}"), [world.title("p1"), REX_P1])
    page = una.get(f"/review/papers/{world.n('p2')}")
    assert f"Submission #{world.n('p2')} · you are Reviewer 2" in text_of(page)


# --- has_reviewed, can_see_reviews, can_discuss ---------------------------------------------------------------


# Before: survives "has_reviewed without review.state == SUBMITTED" (a reviewer with only a draft read the other
# reviews).
def test_reviewer_with_only_a_draft_reads_neither_the_other_reviews_nor_the_discussion(world: World) -> None:
    p1 = world.n("p1")
    rita = signed_in(world, "rita")
    saved = save_review(rita, p1, submit=False, summary=RITA_DRAFT)
    assert flashes(follow(rita, saved)) == ["Your draft is saved. Submit it when it is ready."]

    page = rita.get(f"/review/papers/{p1}")

    text = text_of(page)
    assert "Your review A draft is saved." in text
    assert "Reviews The other reviews appear here once you have submitted yours." in text
    assert "The discussion opens to you once you have submitted your review" in text
    assert review_headings(page) == [] and comments(page) == []
    assert_no_leak(page, [REX_P1, REX_COMMENT])
    assert_forbidden(post(rita, f"/review/papers/{p1}/discussion", {"body": "May I join?"}), [REX_COMMENT])


def test_reviewer_who_submits_reads_the_other_reviews_and_the_discussion(world: World) -> None:
    p1 = world.n("p1")
    rita = signed_in(world, "rita")
    submitted = save_review(rita, p1, submit=True, summary="Rita's review.", recommendation="3", confidence="2")
    assert flashes(follow(rita, submitted)) == ["Your review is submitted. You can now read the other reviews of this paper."]

    page = rita.get(f"/review/papers/{p1}")

    assert review_headings(page) == ["Reviewer 1 (you)", "Reviewer 2"]
    assert REX_P1 in text_of(page)
    assert comments(page) == [("Reviewer 2", REX_COMMENT)]


def test_discussion_opened_early_lets_an_assigned_reviewer_in_but_nobody_else(world: World, smtp: SMTPRecorder) -> None:
    p1, p2 = world.n("p1"), world.n("p2")
    change(world, discussion_before_review=True)
    rita = signed_in(world, "rita")

    page = rita.get(f"/review/papers/{p1}")
    assert comments(page) == [("Reviewer 2", REX_COMMENT)]
    assert "The other reviews appear here once you have submitted yours." in text_of(page)  # the reviews still wait
    assert_no_leak(page, [REX_P1])
    assert_not_found(post(rita, f"/review/papers/{p2}/discussion", {"body": "Not my paper."}), [REX_P2])
    ada = signed_in(world, "ada")  # an author who reviews, not of this paper's reviewers
    assert_not_found(ada.get(f"/review/papers/{p2}"), [REX_P2])
    # Rex, who has not written his review of paper 3 yet, asks its discussion: the mail goes to who may read it
    # (Una, who reviewed it, and Chris), never to Carla, a chair and one of its authors.
    smtp.clear()
    rex = signed_in(world, "rex")
    assert post(rex, f"/review/papers/{world.n('p3')}/discussion", {"body": "Early question."}).status_code == 302
    assert sorted(str(m["To"]) for m in smtp.wait_for(3, timeout=1.0)) == ["chris@second-chair.org", "una@una-polytechnic.org"]


# --- the chairs: can_chair_paper, manages, chair_conflicted_ids ---------------------------------------------


def test_chair_who_is_an_author_sees_nothing_of_their_papers_reviewing(world: World) -> None:
    p3 = world.n("p3")
    carla = signed_in(world, "carla")

    for path in (f"/review/papers/{p3}", f"/review/papers/{p3}/pdf", f"/chair/papers/{p3}"):
        assert_not_found(carla.get(path), [UNA_P3, PEOPLE["una"]["name"]])
    assert sorted(sections(carla.get("/chair/assignments"))) == [world.n("p1"), world.n("p2")]
    # Another chair handles it, with the reviewers' names.
    page = text_of(signed_in(world, "chris").get(f"/chair/papers/{p3}"))
    assert UNA_P3 in page and "Una Unassigned" in page


@pytest.mark.parametrize("how", ["account", "earlier-address", "chair-override"])
def test_chair_the_authors_or_a_chair_declared_conflicted_does_not_handle_the_paper(world: World, how: str) -> None:
    p2 = world.n("p2")
    with world.app.app_context():
        if how == "account":
            db.session.add(SubmissionConflict(submission_id=p2, user_id=world.uid("chris"), email=None))
        elif how == "earlier-address":  # an address Chris confirmed before the one he has now
            from portal.services import identities

            chris = db.session.get(User, world.uid("chris"))
            previous, chris.email = chris.email, "chris@third-place.org"
            identities.address_confirmed(chris, previous=previous)
            db.session.add(SubmissionConflict(submission_id=p2, user_id=None, email=previous))
        else:
            db.session.add(
                ConflictOverride(submission_id=p2, reviewer_id=world.uid("chris"), conflicted=True, note="a former student")
            )
        db.session.commit()
    if how == "earlier-address":
        world.emails["chris"] = "chris@third-place.org"
    chris = signed_in(world, "chris")

    assert_not_found(chris.get(f"/chair/papers/{p2}"), [REX_P2])
    assert_not_found(chris.get(f"/review/papers/{p2}"), [REX_P2])
    assert sorted(sections(chris.get("/chair/assignments"))) == [world.n("p1"), world.n("p3")]
    # Carla, whom nobody declared, still handles it.
    assert REX_P2 in text_of(signed_in(world, "carla").get(f"/chair/papers/{p2}"))


def test_a_lifted_conflict_of_another_pair_hides_nothing_from_the_chairs(world: World) -> None:
    p2 = world.n("p2")
    with world.app.app_context():  # a lifted conflict (not conflicted), and another person's added one
        db.session.add(ConflictOverride(submission_id=p2, reviewer_id=world.uid("chris"), conflicted=False, note=""))
        db.session.add(
            ConflictOverride(
                submission_id=world.n("p1"), reviewer_id=world.uid("una"), conflicted=True, note="a co-author of Ada"
            )
        )
        db.session.commit()
    chris = signed_in(world, "chris")

    assert REX_P2 in text_of(chris.get(f"/chair/papers/{p2}"))
    assert REX_P1 in text_of(chris.get(f"/chair/papers/{world.n('p1')}"))
    assert sorted(sections(chris.get("/chair/assignments"))) == [world.n("p1"), world.n("p2"), world.n("p3")]


def _name_manager(world: World, paper: str, key: str) -> None:
    """Chris names ``key`` the manager of the paper (both chairs are made conflicted with it first)."""
    with world.app.app_context():
        for chair in ("carla", "chris"):
            db.session.add(ConflictOverride(submission_id=world.n(paper), reviewer_id=world.uid(chair), conflicted=True, note=""))
        sub = db.session.get(Submission, world.n(paper))
        assignments.set_manager(db.session.get(User, world.uid("chris")), sub, db.session.get(User, world.uid(key)))
        db.session.commit()


def test_manager_handles_their_paper_alone_and_no_other(world: World) -> None:
    p2 = world.n("p2")
    _name_manager(world, "p2", "rita")
    rita = signed_in(world, "rita")

    page = rita.get(f"/review/papers/{p2}")
    assert "You manage this paper" in text_of(page)
    assert REX_P2 in text_of(page)
    assert "Reviewer 1: Rex Reader (rex@reader-university.org)" in text_of(page)
    # Her own paper 1, which she reviews and has not reviewed yet: no panel, no names, no other review.
    own = rita.get(f"/review/papers/{world.n('p1')}")
    assert "You manage this paper" not in text_of(own)
    assert_no_leak(own, [REX_P1, "Rex Reader"])
    # A chair sees paper 1's review page, but manages nothing there.
    chair_page = signed_in(world, "carla").get(f"/review/papers/{world.n('p1')}")
    assert chair_page.status_code == 200 and "You manage this paper" not in text_of(chair_page)
    # Una reviews paper 2 and has not submitted her review: the manager's paper is not hers to handle.
    una_page = signed_in(world, "una").get(f"/review/papers/{p2}")
    assert "The other reviews appear here once you have submitted yours." in text_of(una_page)
    assert_no_leak(una_page, [REX_P2, "Rex Reader", "You manage this paper"])
    assert_not_found(signed_in(world, "ada").get(f"/review/papers/{p2}"), [REX_P2])
    # The conflicted chairs do not see paper 2.
    assert_not_found(signed_in(world, "chris").get(f"/review/papers/{p2}"), [REX_P2])


def test_manager_the_authors_declare_a_conflict_with_later_handles_it_no_more(world: World) -> None:
    p2 = world.n("p2")
    _name_manager(world, "p2", "rita")
    with world.app.app_context():
        db.session.add(SubmissionConflict(submission_id=p2, user_id=world.uid("rita"), email=None))
        db.session.commit()

    assert_not_found(signed_in(world, "rita").get(f"/review/papers/{p2}"), [REX_P2, "Rex Reader"])


def test_manager_who_is_an_author_of_the_paper_handles_nothing(world: World) -> None:
    p1 = world.n("p1")
    with world.app.app_context():  # named before Ada's paper was hers: the rule still refuses her now
        db.session.execute(sa.update(Submission).where(Submission.id == p1).values(manager_id=world.uid("ada")))
        db.session.commit()
    ada = signed_in(world, "ada")

    assert_not_found(ada.get(f"/review/papers/{p1}"), [REX_P1, REX_COMMENT, "Rex Reader"])
    assert ada.get(f"/submissions/{p1}").status_code == 200  # her own paper, as its author
    with world.app.app_context():
        version = db.session.get(Submission, p1).version
    decided = post(ada, f"/review/papers/{p1}/manage/decide", {"decision": "accepted", "version": version}, "/account/")
    assert_not_found(decided)
    assigned = post(ada, f"/review/papers/{p1}/manage/assign", {"email": PEOPLE["una"]["email"]}, "/account/")
    assert_not_found(assigned)
    with world.app.app_context():
        assert db.session.get(Submission, p1).decision is None
        assert assignment_of(p1, world.uid("una")) is None


# --- what the reviewers' pages show: display_name, gets_reviewers_copy_only ----------------------------------


def test_discussion_names_each_participant_as_the_reader_may_know_them(world: World, smtp: SMTPRecorder) -> None:
    p1 = world.n("p1")
    chris = signed_in(world, "chris")
    assert post(chris, f"/review/papers/{p1}/discussion", {"body": "A chair asks: is the code public?"}).status_code == 302
    rex = signed_in(world, "rex")
    assert post(rex, f"/review/papers/{p1}/discussion", {"body": "Rex answers: it is."}).status_code == 302

    seen_by_rex = comments(rex.get(f"/review/papers/{p1}"))
    seen_by_chair = comments(chris.get(f"/review/papers/{p1}"))

    assert seen_by_rex == [("You", REX_COMMENT), ("A chair", "A chair asks: is the code public?"), ("You", "Rex answers: it is.")]
    assert seen_by_chair == [
        ("Rex Reader", REX_COMMENT),
        ("Chris Cochair", "A chair asks: is the code public?"),
        ("Rex Reader", "Rex answers: it is."),
    ]


def test_discussion_names_a_participant_who_is_no_reviewer_and_no_chair_a_participant(world: World) -> None:
    p1 = world.n("p1")
    with world.app.app_context():  # Una is not on paper 1 (a reviewer removed after commenting leaves such a comment)
        ws = db.session.scalars(sa.select(Workshop)).one()
        discussion.post_comment(db.session.get(User, world.uid("una")), ws, db.session.get(Submission, p1), "Una was here.")
        db.session.commit()

    assert comments(signed_in(world, "rex").get(f"/review/papers/{p1}")) == [
        ("You", REX_COMMENT),
        ("A participant", "Una was here."),
    ]


def test_single_blind_reviewer_downloads_the_authors_file(world: World) -> None:
    change(world, double_blind=False)
    rita = signed_in(world, "rita")

    pdf = rita.get(f"/review/papers/{world.n('p1')}/pdf")

    assert pdf.status_code == 200
    assert (PdfReader(io.BytesIO(pdf.get_data())).metadata or {}).get("/Author") == "Ada Author"


def test_double_blind_reviewer_downloads_the_copy_without_the_authors(world: World) -> None:
    rita = signed_in(world, "rita")

    pdf = rita.get(f"/review/papers/{world.n('p1')}/pdf")

    assert pdf.status_code == 200
    assert (PdfReader(io.BytesIO(pdf.get_data())).metadata or {}).get("/Author") is None
    chair_copy = signed_in(world, "chris").get(f"/review/papers/{world.n('p1')}/pdf").get_data()
    assert PdfReader(io.BytesIO(chair_copy)).metadata["/Author"] == "Ada Author"


# --- bidding: can_bid, biddable ---------------------------------------------------------------------------


def test_bidding_is_offered_to_reviewers_while_it_is_open(world: World) -> None:
    change(world, phase=Phase.BIDDING, bidding_deadline=utcnow() + timedelta(days=2))
    rita = signed_in(world, "rita")

    assert "Bidding is open" in text_of(rita.get("/review/"))
    cora = signed_in(world, "cora")  # no reviewer: her reviewing page (opened by its address) offers no bidding
    assert "Bidding is open" not in text_of(cora.get("/review/"))
    assert_forbidden(cora.get("/review/bids"))
    assert bid_titles(rita.get("/review/bids")) == [f"#{world.n(p)} {world.title(p)}" for p in ("p1", "p2", "p3")]
    # Ada reviews too, and is an author of paper 1: it is not hers to bid on.
    assert bid_titles(signed_in(world, "ada").get("/review/bids")) == [f"#{world.n(p)} {world.title(p)}" for p in ("p2", "p3")]
    change(world, bidding_deadline=utcnow() - timedelta(minutes=1))
    assert "Bidding is open" not in text_of(rita.get("/review/"))


# --- reminders and the unfinished reviews: unfinished_by_reviewer, suspended_assignments ----------------------


def unfinished(client: FlaskClient) -> dict[str, str]:
    """Reviewer -> the number of unfinished reviews, as the reviewer loads page shows it."""
    page = client.get("/chair/assignments/reviewers")
    html = page.get_data(as_text=True)
    at = html.find(">Reviewer loads</h1>")
    assert at >= 0, text_of(page)
    return {cells[0]: cells[4] for cells in rows_of(html[at:])}


def test_unfinished_reviews_are_the_active_ones_on_papers_in_review_that_the_chair_handles(world: World) -> None:
    rex = signed_in(world, "rex")
    saved = save_review(rex, world.n("p3"), submit=False, summary="Rex's draft on interpolation.")
    assert flashes(follow(rex, saved)) == ["Your draft is saved. Submit it when it is ready."]

    # Rita: paper 1 not started; Una: paper 2 not started; Rex: a draft of paper 3 (papers 1 and 2 submitted).
    assert unfinished(signed_in(world, "chris")) == {
        "Ada Author": "0",
        "Rita Reviewer": "1",
        "Rex Reader": "1",
        "Una Unassigned": "1",
    }
    # Carla is an author of paper 3: its review is none of her business (another chair reminds Rex).
    assert unfinished(signed_in(world, "carla")) == {
        "Ada Author": "0",
        "Rita Reviewer": "1",
        "Rex Reader": "0",
        "Una Unassigned": "1",
    }
    with world.app.app_context():  # asked for no chair in particular (the service's default): every paper
        everyone = {
            db.session.get(User, r).name: [a.submission_id for a in items]
            for r, items in reviews.unfinished_by_reviewer().items()
        }
    assert everyone == {"Rita Reviewer": [world.n("p1")], "Una Unassigned": [world.n("p2")], "Rex Reader": [world.n("p3")]}
    # A withdrawn paper's review is owed to nobody; a suspended assignment waits for the chairs.
    withdraw(world, "otto", "p2")
    with world.app.app_context():
        a = assignment_of(world.n("p1"), world.uid("rita"))
        a.suspended_at, a.suspended_reason = utcnow(), "a conflict the chairs look into"
        db.session.commit()
    chris = signed_in(world, "chris")
    assert unfinished(chris) == {"Ada Author": "0", "Rita Reviewer": "0", "Rex Reader": "1", "Una Unassigned": "0"}
    assert "Remind 1 reviewer with unfinished reviews" in text_of(chris.get("/chair/assignments"))


def test_reminder_goes_to_each_reviewer_with_unfinished_reviews_listing_theirs(world: World, smtp: SMTPRecorder) -> None:
    chris = signed_in(world, "chris")

    sent = post(chris, "/chair/assignments/remind", {"confirm": "1"}, token_page="/chair/assignments")

    assert flashes(follow(chris, sent)) == ["Reminders sent to 3 reviewers with unfinished reviews."]
    mails = {str(m["To"]): m for m in smtp.wait_for(3)}
    assert sorted(mails) == ["rex@reader-university.org", "rita@rita-research.org", "una@una-polytechnic.org"]
    lines = {to: [line.strip() for line in content(m).splitlines() if line.startswith("  #")] for to, m in mails.items()}
    assert lines == {
        "rita@rita-research.org": [f"#{world.n('p1')}  {world.title('p1')}  (not started)"],
        "una@una-polytechnic.org": [f"#{world.n('p2')}  {world.title('p2')}  (not started)"],
        "rex@reader-university.org": [f"#{world.n('p3')}  {world.title('p3')}  (not started)"],
    }


def test_a_chair_who_is_an_author_cannot_find_a_hidden_count_by_searching_the_audit_log(world: World) -> None:
    """Carla (an author of paper 3) reads another chair's reminders without their number; searching the log for
    that number must not find the entry either (the count of results would tell her)."""
    chris, carla = signed_in(world, "chris"), signed_in(world, "carla")
    post(chris, "/chair/assignments/remind", {"confirm": "1"}, token_page="/chair/assignments")

    def found(client: Any, q: str) -> str:
        return text_of(client.get(f"/chair/audit?q={q}"))

    assert "Sent reminders to 3 reviewer(s) with unfinished reviews" in found(chris, "3 reviewer")
    assert "Sent reminders to the reviewers with unfinished reviews" in found(carla, "reminders")
    assert "Sent reminders" not in found(carla, "3 reviewer")
    assert "Sent reminders" not in found(carla, "3")


def test_suspended_assignments_are_those_on_the_papers_the_chair_handles(world: World) -> None:
    with world.app.app_context():
        for paper, reviewer in (("p1", "rita"), ("p3", "una")):
            a = assignment_of(world.n(paper), world.uid(reviewer))
            a.suspended_at, a.suspended_reason = utcnow(), f"{reviewer} moved"
        db.session.commit()
        found = {
            chair: [
                (a.submission_id, a.reviewer.name, a.suspended_reason)
                for a in assignments.suspended_assignments(db.session.get(User, world.uid(chair)))
            ]
            for chair in ("chris", "carla")
        }

    p1, p3 = world.n("p1"), world.n("p3")
    assert found == {
        "chris": [(p1, "Rita Reviewer", "rita moved"), (p3, "Una Unassigned", "una moved")],
        "carla": [(p1, "Rita Reviewer", "rita moved")],
    }
    assert [row[:3] for row in suspended_rows(signed_in(world, "carla").get("/chair/"))] == [
        [f"#{p1}", "Reviewer 1: Rita Reviewer", "rita moved"]
    ]


# --- the authors' side: is_author, authored_ids and the submission page's actions ----------------------------


# Before: survives "is_author without user.id == sub.submitter_id" (a submitter missing from the author list lost
# the paper). The list always keeps them when edited on the site; rows written otherwise (an import, an operator
# fixing a typo in the database) may not, and the rule says the submitter is an author, listed or not.
def test_submitter_missing_from_the_author_list_keeps_the_paper(world: World) -> None:
    p1 = world.n("p1")
    with world.app.app_context():
        db.session.execute(
            sa.delete(SubmissionAuthor).where(
                SubmissionAuthor.submission_id == p1, SubmissionAuthor.email == PEOPLE["ada"]["email"]
            )
        )
        db.session.commit()
    ada = signed_in(world, "ada")

    assert my_submissions(ada) == [world.title("p1")]
    page = ada.get(f"/submissions/{p1}")
    assert page.status_code == 200 and world.title("p1") in text_of(page)
    assert actions(page) == ["Withdraw the submission"]
    # Still an author as a reviewer: not hers to bid on, review or see reviewed.
    change(world, phase=Phase.BIDDING, bidding_deadline=utcnow() + timedelta(days=2))
    assert bid_titles(ada.get("/review/bids")) == [f"#{world.n(p)} {world.title(p)}" for p in ("p2", "p3")]


def test_coauthor_who_changes_address_stays_an_author(world: World) -> None:
    p1 = world.n("p1")
    with world.app.app_context():
        from portal.services import identities

        cora = db.session.get(User, world.uid("cora"))
        previous, cora.email = cora.email, "cora@new-lab.org"
        identities.address_confirmed(cora, previous=previous)
        db.session.commit()
    world.emails["cora"] = "cora@new-lab.org"
    open_submissions(world, utcnow() + timedelta(days=3))
    cora = signed_in(world, "cora")

    assert my_submissions(cora) == [world.title("p1")]
    page = cora.get(f"/submissions/{p1}")
    assert actions(page) == ["Edit or upload a new version", "Withdraw the submission"]
    assert cora.get(f"/submissions/{p1}/edit").status_code == 200


def test_author_holding_an_address_an_earlier_account_confirmed_is_an_author(world: World) -> None:
    """The address on the author list was confirmed by Otto years ago (he moved on); Una holds it now."""
    p1 = world.n("p1")
    with world.app.app_context():
        from portal.services import identities

        otto, una = db.session.get(User, world.uid("otto")), db.session.get(User, world.uid("una"))
        previous, otto.email = otto.email, "otto@elsewhere.org"
        identities.address_confirmed(otto, previous=previous)
        db.session.flush()
        una.email = previous
        identities.address_confirmed(una, previous=PEOPLE["una"]["email"])
        db.session.commit()
    world.emails["una"], world.emails["otto"] = "otto@omega-college.org", "otto@elsewhere.org"
    open_submissions(world, utcnow() + timedelta(days=3))
    ada = signed_in(world, "ada")
    page = ada.get(f"/submissions/{p1}/edit")
    una_row = {
        "authors-2-name": "Una Unassigned",
        "authors-2-email": "otto@omega-college.org",
        "authors-2-affiliation": "Una Polytechnic",
    }
    data = form_with(page, "title") | {"action": "save"} | una_row
    saved = ada.post(f"/submissions/{p1}/edit", data=data, content_type="multipart/form-data")
    assert saved.status_code == 302, text_of(saved)
    una = signed_in(world, "una")

    # (She is also taken for an author of Otto's own papers, whose rows still carry the address: see the report of
    # issue 17 on addresses that change hands.)
    assert world.title("p1") in my_submissions(una)
    page = una.get(f"/submissions/{p1}")
    assert page.status_code == 200 and world.title("p1") in text_of(page)


def test_author_may_edit_only_while_the_submission_is_open(world: World) -> None:
    p1 = world.n("p1")
    ada = signed_in(world, "ada")
    assert actions(ada.get(f"/submissions/{p1}")) == ["Withdraw the submission"]  # the deadline passed yesterday
    refused = ada.get(f"/submissions/{p1}/edit")
    assert "This submission can no longer be changed." in flashes(follow(ada, refused))

    open_submissions(world, None)  # no deadline at all: nothing to edit against
    assert actions(ada.get(f"/submissions/{p1}")) == ["Withdraw the submission"]
    open_submissions(world, utcnow() + timedelta(days=3))
    assert actions(ada.get(f"/submissions/{p1}")) == ["Edit or upload a new version", "Withdraw the submission"]
    chris = signed_in(world, "chris")  # a chair sees the paper, and changes nothing of it
    assert actions(chris.get(f"/submissions/{p1}")) == []
    assert "Only the authors can change a submission." in flashes(follow(chris, chris.get(f"/submissions/{p1}/edit")))
    withdraw(world, "ada", "p1")
    assert actions(ada.get(f"/submissions/{p1}")) == ["Restore the submission"]
    assert actions(signed_in(world, "cora").get(f"/submissions/{p1}")) == []  # the submitter restores, not a co-author


def test_withdrawn_paper_is_restored_by_its_submitter_only_before_the_deadline(world: World) -> None:
    p1 = world.n("p1")
    open_submissions(world, utcnow() + timedelta(days=3))
    withdraw(world, "ada", "p1")
    open_submissions(world, utcnow() - timedelta(minutes=1))

    assert actions(signed_in(world, "ada").get(f"/submissions/{p1}")) == []
    open_submissions(world, None)
    assert actions(signed_in(world, "ada").get(f"/submissions/{p1}")) == []
    # A chair who handles the paper restores it at any time; one who is its author does not (Carla, paper 3).
    assert "Restore the submission" in actions(signed_in(world, "chris").get(f"/submissions/{p1}"))
    open_submissions(world, utcnow() + timedelta(days=3))
    withdraw(world, "otto", "p3")
    open_submissions(world, utcnow() - timedelta(minutes=1))
    assert actions(signed_in(world, "carla").get(f"/submissions/{world.n('p3')}")) == []


def test_decided_paper_is_not_withdrawn_and_its_decision_shows_once_the_letter_is_sent(world: World) -> None:
    p2 = world.n("p2")
    with world.app.app_context():
        sub = db.session.get(Submission, p2)
        from portal.services import decisions

        decisions.record_decision(
            db.session.get(User, world.uid("chris")),
            sub,
            decision=Decision.ACCEPTED,
            presentation=None,
            note="Well received.",
            version=None,
        )
        db.session.commit()
    otto = signed_in(world, "otto")

    page = otto.get(f"/submissions/{p2}")
    assert actions(page) == []
    assert "Decision:" not in text_of(page) and "Well received." not in text_of(page)
    refused = otto.get(f"/submissions/{p2}/withdraw")
    assert "This submission cannot be withdrawn now." in flashes(follow(otto, refused))
    chair_page = text_of(signed_in(world, "chris").get(f"/submissions/{p2}"))
    assert "Decision: accepted" in chair_page and "Well received." in chair_page
    assert "Decision:" not in text_of(signed_in(world, "carla").get(f"/submissions/{world.n('p3')}"))

    with world.app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        from portal.services import decisions

        decisions.prepare_letters(ws)
        decisions.send_letters(db.session.get(User, world.uid("chris")), ws)
        db.session.commit()
    page = text_of(otto.get(f"/submissions/{p2}"))
    assert "Decision: accepted" in page and "Well received." in page


def revision_id(world: World, paper: str) -> int:
    with world.app.app_context():
        return db.session.get(Submission, world.n(paper)).paper.id


def test_authors_and_the_chairs_download_the_papers_files_and_nobody_else(world: World) -> None:
    p1 = world.n("p1")
    path = f"/submissions/{p1}/files/{revision_id(world, 'p1')}"

    for key in ("ada", "cora", "chris"):
        response = signed_in(world, key).get(path)
        assert response.status_code == 200 and response.get_data().startswith(b"%PDF-"), key
    for key in ("rita", "otto"):  # its reviewer (who gets the reviewers' copy elsewhere), another author
        assert_not_found(signed_in(world, key).get(path), [world.title("p1")])


def test_chair_extends_the_deadline_of_a_paper_they_do_not_author(world: World) -> None:
    p1, p3 = world.n("p1"), world.n("p3")
    heading = "Chairs: deadline for this submission"

    chris_page = signed_in(world, "chris").get(f"/submissions/{p1}")
    assert heading in text_of(chris_page)
    assert actions(chris_page) == []  # a chair neither edits nor withdraws an author's paper
    assert heading not in text_of(signed_in(world, "ada").get(f"/submissions/{p1}"))
    carla = signed_in(world, "carla")
    assert heading in text_of(carla.get(f"/submissions/{p1}"))
    assert heading not in text_of(carla.get(f"/submissions/{p3}"))
    refused = post(carla, f"/submissions/{p3}/extension", {"until": "2099-01-01 12:00"}, "/account/profile")
    assert_forbidden(refused)


def test_camera_ready_is_for_the_authors_of_an_accepted_paper_once_they_know(world: World) -> None:
    p2 = world.n("p2")
    with world.app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        camera = ws.date_of(DateKind.CAMERA_READY)
        if camera is None:
            ws.dates.append(ImportantDate(kind=DateKind.CAMERA_READY, label="Camera-ready", at=utcnow() + timedelta(days=9)))
        else:
            camera.at = utcnow() + timedelta(days=9)
        from portal.services import decisions

        decisions.record_decision(
            db.session.get(User, world.uid("chris")),
            db.session.get(Submission, p2),
            decision=Decision.ACCEPTED,
            presentation=None,
            note="",
            version=None,
        )
        db.session.commit()
    otto = signed_in(world, "otto")
    assert actions(otto.get(f"/submissions/{p2}")) == []  # the letter is not sent yet
    assert_not_found(otto.get(f"/submissions/{p2}/camera-ready"))

    with world.app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        decide_and_notify(ws, db.session.get(Submission, p2), Decision.ACCEPTED, db.session.get(User, world.uid("chris")))
        db.session.commit()

    # Once they know, the authors also add a poster, slides or video (issue 24.6).
    assert actions(otto.get(f"/submissions/{p2}")) == ["Upload the camera-ready version", "Add a poster, slides or video"]
    assert otto.get(f"/submissions/{p2}/camera-ready").status_code == 200
    chris = signed_in(world, "chris")  # a chair sees the decision, and uploads nothing
    assert actions(chris.get(f"/submissions/{p2}")) == []
    assert chris.get(f"/submissions/{p2}/camera-ready").status_code == 403


# --- the header, the account pages and the sign-in guard -------------------------------------------------


def test_header_offers_each_person_the_areas_that_are_theirs(world: World) -> None:
    assert nav(signed_in(world, "cora").get("/account/")) == ["My submissions", "Cora Coauthor"]
    assert nav(signed_in(world, "rita").get("/account/")) == ["My submissions", "Reviewing", "Rita Reviewer"]
    # A chair's header has one entry for the chair area; its sections are in the area's own navigation.
    assert nav(signed_in(world, "chris").get("/account/")) == ["My submissions", "Chair", "Chris Cochair"]
    assert nav(world.app.test_client().get("/")) == ["Sign in", "Register"]


def test_expertise_statement_and_papers_are_asked_of_reviewers_and_chairs(world: World) -> None:
    for key, asked in (("cora", False), ("rita", True), ("chris", True)):
        page = text_of(signed_in(world, key).get("/account/expertise"))
        assert ("A few of your papers" in page) is asked, key
        assert ("Reviewers also describe their expertise" in page) is not asked, key


def test_a_form_posted_after_the_session_ended_comes_back_to_its_page_after_sign_in(world: World) -> None:
    p1 = world.n("p1")
    anonymous = world.app.test_client()

    def posted(referrer: str | None) -> TestResponse:
        headers = {"Referer": referrer} if referrer else {}
        return post(anonymous, f"/review/papers/{p1}/discussion", {"body": "Hello?"}, "/auth/login", headers=headers)

    same_site = posted(f"http://localhost/review/papers/{p1}?tab=1")
    assert same_site.status_code == 302
    assert same_site.headers["Location"] == f"/auth/login?next=/review/papers/{p1}"
    assert "Please sign in to see this page." in flashes(anonymous.get(same_site.headers["Location"]))
    assert posted("http://elsewhere.example/review/papers/1").headers["Location"] == "/auth/login"
    assert posted(None).headers["Location"] == "/auth/login"
    assert anonymous.get("/review/").headers["Location"] == "/auth/login?next=%2Freview%2F"


# --- _chair_conflicts: read once a request ------------------------------------------------------------------


def count_statements(world: World, client: FlaskClient, url: str) -> int:
    """How many SQL statements one request issues."""
    with sql_statements(world.app) as seen:
        response = client.get(url)
    assert response.status_code == 200, text_of(response)
    return len(seen)


def test_a_chairs_conflicts_are_read_once_a_request_however_many_papers(world: World) -> None:
    chris = signed_in(world, "chris")
    few = count_statements(world, chris, "/chair/assignments")
    with world.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        for i in range(3):
            db.session.add(
                Submission(
                    workshop_id=ws.id,
                    type_id=ws.submission_types[0].id,
                    primary_topic_id=ws.topics[0].id,
                    title=f"Another paper {i}",
                    abstract="More.",
                    state=SubmissionState.SUBMITTED,
                    submitted_at=utcnow(),
                    submitter_id=world.uid("otto"),
                    authors=[
                        SubmissionAuthor(
                            position=1,
                            name="Otto Other",
                            email=PEOPLE["otto"]["email"],
                            affiliation="Omega College",
                            user_id=world.uid("otto"),
                        )
                    ],
                )
            )
        db.session.commit()

    assert count_statements(world, chris, "/chair/assignments") == few


def _decide(world: World, paper: str, decision: Decision, chair: str = "carla") -> None:
    """The chair decides and the letter goes out."""
    with world.app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        decide_and_notify(ws, db.session.get(Submission, world.n(paper)), decision, db.session.get(User, world.uid(chair)))
        db.session.commit()


def _camera_ready_deadline(world: World, at: datetime) -> None:
    with world.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        camera = ws.date_of(DateKind.CAMERA_READY)
        if camera is None:
            ws.dates.append(ImportantDate(kind=DateKind.CAMERA_READY, label="Camera-ready", at=at))
        else:
            camera.at = at
        db.session.commit()


def test_camera_ready_is_not_asked_of_a_rejected_paper_nor_after_its_deadline(world: World) -> None:
    _camera_ready_deadline(world, utcnow() + timedelta(days=9))
    _decide(world, "p1", Decision.REJECTED)
    _decide(world, "p2", Decision.ACCEPTED)
    ada, otto = signed_in(world, "ada"), signed_in(world, "otto")
    assert "Decision: rejected" in text_of(ada.get(f"/submissions/{world.n('p1')}"))
    assert actions(ada.get(f"/submissions/{world.n('p1')}")) == []
    accepted = ["Upload the camera-ready version", "Add a poster, slides or video"]
    assert actions(otto.get(f"/submissions/{world.n('p2')}")) == accepted

    _camera_ready_deadline(world, utcnow() - timedelta(minutes=1))

    # The camera-ready is over; a poster, slides or video have no deadline (after the workshop too).
    assert actions(otto.get(f"/submissions/{world.n('p2')}")) == ["Add a poster, slides or video"]
    assert_not_found(otto.get(f"/submissions/{world.n('p2')}/camera-ready"))


def test_a_chair_the_authors_declared_a_conflict_with_sees_no_decision(world: World) -> None:
    p2 = world.n("p2")
    with world.app.app_context():
        db.session.add(SubmissionConflict(submission_id=p2, user_id=world.uid("chris"), email=None))
        db.session.commit()
    _decide(world, "p2", Decision.ACCEPTED)

    assert "Decision: accepted" in text_of(signed_in(world, "otto").get(f"/submissions/{p2}"))
    page = signed_in(world, "chris").get(f"/submissions/{p2}")  # every chair sees the submission, not its review
    assert page.status_code == 200 and world.title("p2") in text_of(page)
    assert "Decision:" not in text_of(page)
    assert_no_leak(page, [REX_P2])


def test_reviewer_whose_lifted_conflict_a_chair_restores_no_longer_sees_the_paper(world: World) -> None:
    p1 = world.n("p1")
    with world.app.app_context():  # Una joins Ada's institution: conflicted with paper 1
        from portal.services import identities

        identities.affiliation_given(db.session.get(User, world.uid("una")), "Alpha Institute")
        db.session.commit()
    chris = signed_in(world, "chris")
    lifted = post(chris, f"/chair/conflicts/{p1}/{world.uid('una')}/lift", token_page="/chair/conflicts")
    assert flashes(follow(chris, lifted)) == [f"The conflict of Una Unassigned with #{p1} is lifted."]
    added = post(chris, "/chair/assignments/add", {"number": p1, "reviewer": world.uid("una")}, "/chair/assignments")
    assert flashes(follow(chris, added)) == [f"Una Unassigned reviews #{p1} as Reviewer 3."]
    una = signed_in(world, "una")
    assert f"Submission #{p1} · you are Reviewer 3" in text_of(una.get(f"/review/papers/{p1}"))

    undone = post(chris, f"/chair/conflicts/{p1}/{world.uid('una')}/clear", token_page="/chair/conflicts")
    assert flashes(follow(chris, undone)) == [f"The chairs' change to Una Unassigned and #{p1} is undone."]

    for path in (f"/review/papers/{p1}", f"/review/papers/{p1}/pdf", f"/review/papers/{p1}/review"):
        assert_not_found(una.get(path), [world.title("p1"), REX_P1, REX_COMMENT])
    assert world.title("p1") not in review_list(una)
