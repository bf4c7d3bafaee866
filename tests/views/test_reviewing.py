"""Reviewing, as each person sees it: who may open which reviewer and chair page (with the data that could leak
present: the authors in the PDF metadata and on the author list, another reviewer's review and comment, bids),
double-blind pages and PDFs, the other reviews only after one's own, drafts, submission, edits and stale tabs,
bidding, the chair's automatic assignment with its preview and hand edits, conflicts, reminders, settings, the
discussion and its mail, and external reviewers invited for one paper. Mail arrives over real SMTP."""

from __future__ import annotations

import html as html_lib
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask, render_template
from flask.testing import FlaskClient
from jinja2 import ChoiceLoader, DictLoader
from pypdf import PdfReader
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from portal import work
from portal.assign import affinity
from portal.db import db, utcnow
from portal.domain import Conflicted
from portal.models import (
    AssignmentProposal,
    Bid,
    BidValue,
    DateKind,
    DiscussionComment,
    ImportantDate,
    Phase,
    ProposalState,
    ReviewAssignment,
    Submission,
    Topic,
    User,
    Workshop,
)
from portal.queries import assignment_of
from portal.services import assignments, discussion, reviews
from portal.services import submissions as subs
from portal.templating import format_datetime
from tests.conftest import CSRF_INPUT_RE, CSRF_RE, SMTPRecorder, Worlds, mail_links, text_of
from tests.factories import PASSWORD, login, make_user
from tests.pdfs import make_pdf

# --- the world: 3 papers, 4 reviewers, 1 chair ------------------------------------------------------------

PEOPLE: dict[str, dict[str, Any]] = {
    "ada": {"email": "ada@example.org", "name": "Ada Author", "affiliation": "Alpha Institute"},
    "cora": {"email": "cora@example.org", "name": "Cora Coauthor", "affiliation": "Coauthor Lab"},
    "otto": {"email": "otto@example.org", "name": "Otto Other", "affiliation": "Omega College"},
    "rita": {"email": "rita@example.org", "name": "Rita Reviewer", "affiliation": "Rita Research Centre", "roles": ("reviewer",)},
    "rex": {"email": "rex@example.org", "name": "Rex Reader", "affiliation": "Reader University", "roles": ("reviewer",)},
    "una": {"email": "una@example.org", "name": "Una Unassigned", "affiliation": "Una Polytechnic", "roles": ("reviewer",)},
    # Shares Ada's institution: conflicted with paper 1.
    "ivan": {"email": "ivan@example.org", "name": "Ivan Insider", "affiliation": "Alpha Institute", "roles": ("reviewer",)},
    "carla": {"email": "carla@example.org", "name": "Carla Chair", "affiliation": "Chair University", "roles": ("chair",)},
}
HUGO = ("Hugo Hidden", "hugo@hidden.example", "Hidden Hugo Lab")  # a co-author without an account


def person(key: str) -> tuple[str, str, str]:
    p = PEOPLE[key]
    return p["name"], p["email"], p["affiliation"]


PAPERS: dict[str, dict[str, Any]] = {
    "p1": {
        "title": "Ring Attention Beyond a Million Tokens",
        "submitter": "ada",
        "authors": [person("ada"), person("cora"), HUGO],
        "topic": "architecture",
        "abstract": "Sequence parallelism lets ring attention scale past a million tokens.",
        "conflicts": "",
        "pdf_author": "Ada Author",
    },
    # The authors declare a conflict with Una.
    "p2": {
        "title": "Memory Tokens for Endless Dialogue",
        "submitter": "otto",
        "authors": [person("otto")],
        "topic": "augmentation",
        "abstract": "Memory tokens carry a dialogue over thousands of turns.",
        "conflicts": "una@example.org",
        "pdf_author": "",
    },
    # The chair is an author of paper 3.
    "p3": {
        "title": "Positional Interpolation Revisited",
        "submitter": "carla",
        "authors": [person("carla"), person("otto")],
        "topic": "embeddings",
        "abstract": "Rotary embeddings stretched by interpolation, without fine-tuning.",
        "conflicts": "",
        "pdf_author": "",
    },
}
# The topic each reviewer knows (the automatic assignment counts the topics in common).
KNOWS = {"rita": "architecture", "rex": "augmentation", "una": "embeddings", "ivan": "augmentation"}

# What the reviewers wrote: each text is unique, so a page showing it is caught.
REX_REVIEW = {
    "summary": "Summary by the second reviewer: the ring schedule overlaps communication with compute.",
    "strengths": "Strength seen by the second reviewer: a clean complexity analysis.",
    "weaknesses": "Weakness seen by the second reviewer: no comparison with blockwise attention.",
    "comments_to_authors": "To the authors, from the second reviewer: please report the memory per device.",
    "confidential_comments": "Confidential, for the chairs only: I suspect a prior workshop version exists.",
}
REX_DRAFT_P2 = "An unfinished draft on memory tokens."
UNA_REVIEW_P3 = "A submitted review: the interpolation factor is chosen on the test set."
REX_COMMENT = "A question for the discussion: does the speed-up hold on eight devices?"

_checked: dict[str, subs.CheckedFile] = {}  # the PDF check runs in a child process: once per paper per run


@dataclass
class World:
    app: Flask
    users: dict[str, int]  # person key -> user id
    papers: dict[str, int]  # paper key -> number

    def n(self, paper: str) -> int:
        return self.papers[paper]

    def uid(self, key: str) -> int:
        return self.users[key]


def set_paper_deadline(ws: Workshop, at: datetime) -> None:
    existing = ws.date_of(DateKind.PAPER_DEADLINE)
    if existing is not None:
        existing.at = at
    else:
        ws.dates.append(ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=at))


def build(app: Flask, phase: Phase, *, assigned: bool) -> World:
    """People, three papers submitted before the deadline, then the phase. With ``assigned``: assignments,
    reviews, a comment and bids, as the chair and the reviewers would have left them."""
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        now = utcnow()
        set_paper_deadline(ws, now + timedelta(days=3))
        topics = {t.slug: t for t in db.session.scalars(sa.select(Topic).where(Topic.workshop_id == ws.id))}
        users = {key: make_user(**spec) for key, spec in PEOPLE.items()}
        for key, slug in KNOWS.items():
            users[key].topics = [topics[slug]]
        papers: dict[str, int] = {}
        for key, spec in PAPERS.items():
            authors = [subs.AuthorInput(*a) for a in spec["authors"]]
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
                declared_conflicts=spec["conflicts"],
            )
            papers[key] = subs.create_submission(users[spec["submitter"]], ws, details, paper=_checked[key]).id
        set_paper_deadline(ws, now - timedelta(days=1))
        ws.phase, ws.reviews_per_paper = phase, 2
        if phase == Phase.BIDDING:
            ws.bidding_deadline = now + timedelta(days=5)
        else:
            ws.review_deadline = now + timedelta(days=10)
        db.session.flush()
        world = World(app, {k: u.id for k, u in users.items()}, papers)
        if assigned:
            _assign_and_review(ws, users, papers)
        db.session.commit()
        return world


def _assign_and_review(ws: Workshop, users: dict[str, User], papers: dict[str, int]) -> None:
    carla = users["carla"]
    for paper, reviewers in (("p1", ["rita", "rex"]), ("p2", ["rex", "ivan"]), ("p3", ["una", "ivan"])):
        sub = db.session.get(Submission, papers[paper])
        assert sub is not None
        for reviewer in reviewers:
            assignments.assign_reviewer(carla, ws, sub, users[reviewer])

    def assignment(paper: str, reviewer: str) -> ReviewAssignment:
        found = assignment_of(papers[paper], users[reviewer].id)
        assert found is not None
        return found

    reviews.save_review(
        ws, assignment("p1", "rex"), {**REX_REVIEW, "recommendation": 4, "confidence": 3}, submit=True, version=None
    )
    reviews.save_review(ws, assignment("p2", "rex"), {"summary": REX_DRAFT_P2}, submit=False, version=None)
    reviews.save_review(
        ws, assignment("p3", "una"), {"summary": UNA_REVIEW_P3, "recommendation": 2, "confidence": 4}, submit=True, version=None
    )
    p1 = db.session.get(Submission, papers["p1"])
    assert p1 is not None
    discussion.post_comment(users["rex"], ws, p1, REX_COMMENT)
    db.session.add_all(
        [
            Bid(submission_id=papers["p1"], reviewer_id=users["rex"].id, value=BidValue.EAGER),
            Bid(submission_id=papers["p3"], reviewer_id=users["rex"].id, value=BidValue.NOT_WILLING),
        ]
    )
    db.session.flush()


def propose(world: World) -> int:
    """An assignment proposal, as the chair's button makes it (here: nothing to add, every paper is covered)."""
    with world.app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        chair = db.session.get(User, world.uid("carla"))
        assert chair is not None
        proposal = assignments.propose_assignment(chair, ws)
        db.session.commit()
        return proposal.id


@pytest.fixture
def world(app: Flask, worlds: Worlds) -> World:
    """The reviewing phase under way: paper 1 with Rita (not started) and Rex (submitted, and a comment), paper 2
    with Rex (draft) and Ivan, paper 3 with Una (submitted) and Ivan."""
    return worlds.get(app, build, Phase.REVIEWING, assigned=True)


@pytest.fixture
def fresh(app: Flask, worlds: Worlds) -> World:
    """The reviewing phase just opened: no bids, no assignments."""
    return worlds.get(app, build, Phase.REVIEWING, assigned=False)


@pytest.fixture
def bidding(app: Flask, worlds: Worlds) -> World:
    return worlds.get(app, build, Phase.BIDDING, assigned=False)


def update(app: Flask, **values: Any) -> None:
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        for name, value in values.items():
            setattr(ws, name, value)
        db.session.commit()


# --- page helpers -------------------------------------------------------------------------------------


def signed_in(world: World, key: str) -> FlaskClient:
    client = world.app.test_client()
    response = login(client, PEOPLE[key]["email"])
    assert response.status_code == 302, text_of(response)
    return client


def flashes(response: TestResponse) -> list[str]:
    html = response.get_data(as_text=True)
    return [text_of_html(m) for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', html, re.S)]


def text_of_html(html: str) -> str:
    """A piece of a page as text, the way ``text_of`` reads a whole page."""
    return text_of(Response(html))  # type: ignore[arg-type]


class _Forms(HTMLParser):
    """Each form of a page as a browser submits it: its action and the values of its fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action") or "", {}))
        elif not self.forms or not a.get("name") or "disabled" in a:
            return
        elif tag == "input" and a.get("type") in ("radio", "checkbox"):
            if "checked" in a:
                value = a.get("value")
                self.forms[-1][1][a["name"] or ""] = "on" if value is None else value
        elif tag == "input" and a.get("type") not in ("submit", "button", "file"):
            self.forms[-1][1][a["name"] or ""] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a["name"]
            self.forms[-1][1][self._textarea or ""] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.forms[-1][1][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            value = self.forms[-1][1][self._textarea]
            self.forms[-1][1][self._textarea] = value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
            self._textarea = None


def form_with(response: TestResponse, field: str) -> dict[str, str]:
    """The values the form holding ``field`` would post, as the page shows them."""
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    found = [values for _, values in parser.forms if field in values]
    assert len(found) == 1, f"{len(found)} forms hold {field}"
    return dict(found[0])


def checked_bids(response: TestResponse) -> dict[int, str]:
    """Submission number -> the bid checked on the bid list (empty: no bid)."""
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    values = {k: v for _, form in parser.forms for k, v in form.items()}
    return {int(k.removeprefix("bid-")): v for k, v in values.items() if k.startswith("bid-")}


def bid_titles(response: TestResponse) -> list[str]:
    html = response.get_data(as_text=True)
    return [text_of_html(m) for m in re.findall(r"<legend>(.*?)</legend>", html, re.S)]


def comments(response: TestResponse) -> list[tuple[str, str]]:
    """(who, text) of each discussion comment on a paper page."""
    html = response.get_data(as_text=True)
    found = []
    for head, body in re.findall(r'<article class="comment"><p class="muted">(.*?)</p>(.*?)</article>', html, re.S):
        found.append((text_of_html(head).split(" · ")[0], text_of_html(body)))
    return found


def review_headings(response: TestResponse) -> list[str]:
    return [text_of_html(h) for h in re.findall(r'<h3 id="review-\d+">(.*?)</h3>', response.get_data(as_text=True))]


def table_rows(response: TestResponse) -> list[str]:
    """The text of each row in the body of the page's first data table."""
    html = response.get_data(as_text=True)
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body is not None
    return [text_of_html(row) for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)]


def sections(response: TestResponse) -> dict[int, list[str]]:
    """Paper number -> the text of each list item in its section (the assignment and proposal pages)."""
    html = response.get_data(as_text=True)
    found: dict[int, list[str]] = {}
    for number, inner in re.findall(r'<(?:section|tr) id="paper-(\d+)"[^>]*>(.*?)</(?:section|tr)>', html, re.S):
        found[int(number)] = [text_of_html(li) for li in re.findall(r"<li>(.*?)</li>", inner, re.S)]
    return found


def post(
    client: FlaskClient,
    path: str,
    data: dict[str, Any] | None = None,
    token_page: str = "/review/",  # noqa: S107
    **kwargs: Any,
) -> TestResponse:
    """Post with a valid CSRF token of this session, so a refusal comes from the rules, not from CSRF."""
    page = client.get(token_page).get_data(as_text=True)
    match = CSRF_RE.search(page) or CSRF_INPUT_RE.search(page)  # a form's token, or the header's sign-out form's
    assert match, f"no CSRF token on {token_page}"
    return client.post(path, data={"csrf_token": match.group(1), **(data or {})}, **kwargs)


def follow(client: FlaskClient, response: TestResponse) -> TestResponse:
    assert response.status_code == 302, text_of(response)
    return client.get(response.headers["Location"])


def content(message: EmailMessage) -> str:
    return message.get_content().replace("\r\n", "\n")


def subject(message: EmailMessage) -> str:
    # A long subject is folded right after "Subject:"; the parser keeps the fold's space.
    return str(message["Subject"]).strip()


def body_lines(message: EmailMessage, prefix: str = "  #") -> list[str]:
    """The lines of a mail that list papers (``  #2  Title``), stripped."""
    return [line.strip() for line in content(message).splitlines() if line.startswith(prefix)]


def mails_by_recipient(smtp: SMTPRecorder, count: int) -> dict[str, EmailMessage]:
    messages = smtp.wait_for(count)
    assert len(messages) == count, [(m["To"], subject(m)) for m in messages]
    by_to = {str(m["To"]): m for m in messages}
    assert len(by_to) == count, "someone got two mails"
    return by_to


def identities(paper: str) -> list[str]:
    """The author names, emails and affiliations of a paper."""
    return [part for author in PAPERS[paper]["authors"] for part in author]


def review_texts() -> list[str]:
    return [*REX_REVIEW.values(), REX_DRAFT_P2, UNA_REVIEW_P3]


def assert_not_found(response: TestResponse) -> None:
    assert response.status_code == 404
    assert "Error 404 Page not found There is nothing at this address." in text_of(response)


def assigned_papers(world: World, who: str) -> list[int]:
    """The papers assigned to a person (a key of PEOPLE, or an email address)."""
    email = PEOPLE[who]["email"] if who in PEOPLE else who
    with world.app.app_context():
        return list(
            db.session.scalars(
                sa.select(ReviewAssignment.submission_id)
                .join(User, ReviewAssignment.reviewer)
                .where(User.email == email)
                .order_by(ReviewAssignment.submission_id)
            )
        )


def count_comments(world: World) -> int:
    with world.app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(DiscussionComment)) or 0


def assert_no_leak(response: TestResponse, leaks: list[str]) -> None:
    """Nothing of ``leaks`` in the body (a page or a PDF's bytes) or the headers."""
    seen = response.get_data() + "\n".join(f"{k}: {v}" for k, v in response.headers.items()).encode()
    assert [secret for secret in leaks if secret.encode() in seen or html_lib.escape(secret).encode() in seen] == []


# --- 1. who may open what -----------------------------------------------------------------------------

ROUTES = [
    ("GET", "/review/"),
    ("GET", "/review/bids"),
    ("GET", "/review/papers/{n}"),
    ("GET", "/review/papers/{n}/review"),
    ("GET", "/review/papers/{n}/pdf"),
    ("GET", "/chair/assignments"),
    ("GET", "/chair/conflicts"),
    ("GET", "/chair/reviewing"),
    ("GET", "/chair/papers/{n}"),
    ("GET", "/chair/proposals/{proposal}"),
    ("POST", "/review/papers/{n}/discussion"),
]
NOT_A_REVIEWER = ["200", "403", "404", "404", "404", "403", "403", "403", "403", "403", "404"]
NOT_ON_THE_PAPER = ["200", "200", "404", "404", "404", "403", "403", "403", "403", "403", "404"]
# role -> (person, paper, the outcome of each route in ROUTES)
MATRIX: dict[str, tuple[str | None, str, list[str]]] = {
    "anonymous": (None, "p1", ["sign-in"] * len(ROUTES)),
    "author": ("ada", "p1", NOT_A_REVIEWER),
    "co-author": ("cora", "p1", NOT_A_REVIEWER),
    "another-author": ("otto", "p1", NOT_A_REVIEWER),
    # Rita has not submitted her review: the discussion stays closed to her (she forms her own view first).
    "assigned-reviewer": ("rita", "p1", ["200", "200", "200", "200", "pdf", "403", "403", "403", "403", "403", "403"]),
    "unassigned-reviewer": ("una", "p1", NOT_ON_THE_PAPER),
    "conflicted-reviewer-institution": ("ivan", "p1", NOT_ON_THE_PAPER),
    "conflicted-reviewer-declared": ("una", "p2", NOT_ON_THE_PAPER),
    "chair": ("carla", "p1", ["200", "403", "200", "404", "pdf", "200", "200", "200", "200", "200", "posted"]),
    "chair-author": ("carla", "p3", ["200", "403", "404", "404", "404", "200", "200", "200", "404", "200", "404"]),
}


def leaks_for(role: str, paper: str) -> list[str]:
    """What this role must never see, on any page it opens."""
    if role == "chair":
        return []
    leaks = [PEOPLE["rex"]["name"], PEOPLE["rex"]["email"], *review_texts()]
    if role == "chair-author":  # who reviews their own paper, and what the reviewers wrote
        return [UNA_REVIEW_P3, REX_DRAFT_P2, *REX_REVIEW.values()]
    if role not in ("author", "co-author"):
        leaks += identities(paper)
    leaks.append(REX_COMMENT)  # the assigned reviewer too: before their own review, the discussion is closed
    if role in ("anonymous", "another-author", "conflicted-reviewer-institution", "conflicted-reviewer-declared"):
        leaks += [PAPERS[paper]["title"], PAPERS[paper]["abstract"]]
    return leaks


def outcome(response: TestResponse, method: str, path: str, number: int) -> str:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location == (
        f"/auth/login?next={quote(path, safe='')}" if method == "GET" else "/auth/login"
    ):
        return "sign-in"
    if response.status_code == 302 and location == f"/review/papers/{number}#discussion":
        return "posted"
    if response.status_code == 200 and response.headers["Content-Type"] == "application/pdf":
        return "pdf" if response.get_data().startswith(b"%PDF-") else "bad pdf"
    pages = {403: "Error 403 Not allowed", 404: "Error 404 Page not found", 200: ""}
    text = text_of(response) if response.status_code in pages else ""
    return str(response.status_code) if pages.get(response.status_code, "?") in text else f"{response.status_code}?"


@pytest.mark.parametrize("role", list(MATRIX))
def test_reviewing_pages_permission_matrix_with_data_that_could_leak(world: World, smtp: SMTPRecorder, role: str) -> None:
    key, paper, expected = MATRIX[role]
    number = world.n(paper)
    client = signed_in(world, key) if key else world.app.test_client()
    proposal = propose(world)
    comments_before = count_comments(world)

    outcomes, responses = [], []
    for method, template in ROUTES:
        path = template.format(n=number, proposal=proposal)
        if method == "GET":
            response = client.get(path)
        else:
            response = post(client, path, {"body": f"A comment by the {role}."}, "/review/" if key else "/auth/login")
        outcomes.append(outcome(response, method, path, number))
        responses.append(response)

    assert dict(zip([f"{m} {p}" for m, p in ROUTES], outcomes, strict=True)) == dict(
        zip([f"{m} {p}" for m, p in ROUTES], expected, strict=True)
    )
    for response in responses:
        assert_no_leak(response, leaks_for(role, paper))
    assert count_comments(world) - comments_before == (1 if expected[-1] == "posted" else 0)
    # A posted comment is mailed to the others who may read the discussion (not Rita, whose review is not in
    # yet); a refused one to nobody.
    mailed = {"chair": ["rex@example.org"]}.get(role, [])
    assert sorted(mails_by_recipient(smtp, len(mailed))) == mailed


@pytest.mark.parametrize(("reviewer", "paper"), [("ivan", "p1"), ("una", "p2")], ids=["institution", "declared"])
def test_conflicted_reviewer_has_no_paper_in_the_bid_list_and_cannot_be_assigned(
    world: World, smtp: SMTPRecorder, reviewer: str, paper: str
) -> None:
    client = signed_in(world, reviewer)

    bids = client.get("/review/bids?sort=number")

    assert bid_titles(bids) == [f"#{world.n(p)} {PAPERS[p]['title']}" for p in PAPERS if p != paper]
    assert_no_leak(bids, [PAPERS[paper]["title"], PAPERS[paper]["abstract"]])
    chair = signed_in(world, "carla")
    response = post(
        chair, "/chair/assignments/add", {"number": world.n(paper), "reviewer": world.uid(reviewer)}, "/chair/assignments"
    )
    reason = {
        "ivan": "shares the institution Alpha Institute with author Ada Author (Alpha Institute)",
        "una": "declared by the authors",
    }[reviewer]
    assert flashes(follow(chair, response)) == [f"{PEOPLE[reviewer]['name']} conflicts with #{world.n(paper)}: {reason}."]
    with world.app.test_request_context():
        assert assignment_of(world.n(paper), world.uid(reviewer)) is None
        ws = db.session.scalars(sa.select(Workshop)).one()
        sub, user = db.session.get(Submission, world.n(paper)), db.session.get(User, world.uid(reviewer))
        assert sub is not None and user is not None
        with pytest.raises(Conflicted):
            assignments.assign_reviewer(user, ws, sub, user)
    assert smtp.messages == []


def test_chair_sees_every_review_with_the_reviewers_names(world: World) -> None:
    chair = signed_in(world, "carla")
    n = world.n("p1")

    page = text_of(chair.get(f"/chair/papers/{n}"))

    assert "Ada Author (Alpha Institute); Cora Coauthor (Coauthor Lab); Hugo Hidden (Hidden Hugo Lab)" in page
    assert "Reviewer 1: Rita Reviewer rita@example.org · manual assignment Not started." in page
    assert re.search(
        r"Reviewer 2: Rex Reader rex@example.org · manual assignment submitted \w{3} \d+ \w{3} \d{4}, "
        r"\d\d:\d\d AoE · Weak accept \(4/5\) · confidence Fairly confident \(3/5\)",
        page,
    )
    assert [text for text in REX_REVIEW.values() if text not in page] == []  # the confidential comment too
    assert comments(chair.get(f"/chair/papers/{n}")) == [("Rex Reader", REX_COMMENT)]
    review_page = chair.get(f"/review/papers/{n}")
    assert comments(review_page) == [("Rex Reader", REX_COMMENT)]
    assert review_headings(review_page) == ["Reviewer 2"]
    assert sections(chair.get("/chair/assignments"))[n] == [
        "Reviewer 1: Rita Reviewer (manual) — not started Remove",
        "Reviewer 2: Rex Reader (manual) — submitted",
    ]


def test_chair_who_is_an_author_does_not_see_who_reviews_their_paper_in_a_proposal(world: World) -> None:
    chair = signed_in(world, "carla")
    proposal = propose(world)

    page = chair.get(f"/chair/proposals/{proposal}?show=all")

    assert sorted(sections(page)) == [world.n("p1"), world.n("p2")]  # as on the assignments page
    assert PAPERS["p3"]["title"] not in text_of(page)


def test_chair_who_is_an_author_cannot_pick_a_reviewer_for_their_paper_in_a_proposal(world: World) -> None:
    chair = signed_in(world, "carla")
    proposal = propose(world)
    p3 = world.n("p3")
    assert_not_found(post(chair, "/chair/assignments/add", {"number": p3, "reviewer": world.uid("rita")}, "/chair/assignments"))

    response = post(
        chair, f"/chair/proposals/{proposal}/add", {"number": p3, "reviewer": world.uid("rita")}, f"/chair/proposals/{proposal}"
    )

    assert_not_found(response)
    with world.app.app_context():
        pairs = db.session.scalar(sa.select(AssignmentProposal.result).where(AssignmentProposal.id == proposal))
    assert pairs is not None and [p3, world.uid("rita")] not in pairs["pairs"]


def test_chair_who_is_an_author_does_not_see_their_paper_among_the_assignments(world: World) -> None:
    chair = signed_in(world, "carla")

    page = chair.get("/chair/assignments")

    assert sorted(sections(page)) == [world.n("p1"), world.n("p2")]
    assert PAPERS["p3"]["title"] not in text_of(page)


# --- double blind -------------------------------------------------------------------------------------


def test_double_blind_reviewer_pages_and_pdf_show_no_author(world: World, smtp: SMTPRecorder) -> None:
    update(world.app, discussion_before_review=True)  # Rita may join the discussion before her review
    rita = signed_in(world, "rita")
    n = world.n("p1")
    every_author = [part for p in PAPERS for part in identities(p)]
    assert post(rita, f"/review/papers/{n}/discussion", {"body": "Is the code available?"}).status_code == 302

    pages = {path: rita.get(path) for path in ("/review/", "/review/bids", f"/review/papers/{n}", f"/review/papers/{n}/review")}
    pdf = rita.get(f"/review/papers/{n}/pdf")

    assert {path: r.status_code for path, r in pages.items()} == dict.fromkeys(pages, 200)
    assert PAPERS["p1"]["title"] in text_of(pages[f"/review/papers/{n}"])
    assert "Authors" not in text_of(pages[f"/review/papers/{n}"])
    for response in pages.values():
        assert_no_leak(response, every_author)
    assert "Authors are hidden: review is double-blind." in text_of(pages["/review/bids"])
    assert checked_bids(pages["/review/bids"]) == dict.fromkeys(world.papers.values(), "")  # none of Rex's bids
    assert pdf.headers["Content-Disposition"] == f"attachment; filename=longllm2024-{n}.pdf"
    data = pdf.get_data()
    reader = PdfReader(io.BytesIO(data))
    assert (reader.metadata or {}).get("/Author") is None
    assert len(reader.pages) == 3
    assert [secret for secret in every_author if secret.encode() in data] == []
    # The leak was there to be removed: the chair's copy is the authors' file, metadata and all.
    chair_copy = signed_in(world, "carla").get(f"/review/papers/{n}/pdf").get_data()
    assert PdfReader(io.BytesIO(chair_copy)).metadata["/Author"] == "Ada Author"
    # The discussion mail to Rex says "Reviewer 1", never a name.
    rex_mail = content(mails_by_recipient(smtp, 2)["rex@example.org"])
    assert rex_mail.startswith(f"Reviewer 1 wrote in the discussion of #{n}")
    assert [s for s in [*every_author, "Rita Reviewer", "rita@example.org"] if s in rex_mail] == []


def test_single_blind_reviewer_sees_the_authors(world: World) -> None:
    update(world.app, double_blind=False)
    rita = signed_in(world, "rita")

    page = text_of(rita.get(f"/review/papers/{world.n('p1')}"))

    assert "Authors Ada Author (Alpha Institute); Cora Coauthor (Coauthor Lab); Hugo Hidden (Hidden Hugo Lab)" in page


# --- 2. the other reviews, after one's own ------------------------------------------------------------


def test_reviewer_sees_the_other_reviews_only_after_submitting_their_own(world: World) -> None:
    rita = signed_in(world, "rita")
    n = world.n("p1")

    before = rita.get(f"/review/papers/{n}")
    assert "Reviews The other reviews appear here once you have submitted yours." in text_of(before)
    assert (
        "The discussion opens to you once you have submitted your review, so that you form your own view of the paper first."
    ) in text_of(before)
    assert review_headings(before) == []
    assert comments(before) == []
    assert_no_leak(before, [*REX_REVIEW.values(), "Rex Reader", "rex@example.org", REX_COMMENT])

    form = form_with(rita.get(f"/review/papers/{n}/review"), "version")
    data = form | {"action": "submit", "recommendation": "2", "confidence": "4", "summary": "Rita's own summary."}
    response = rita.post(f"/review/papers/{n}/review", data=data)
    after = follow(rita, response)

    assert flashes(after) == ["Your review is submitted. You can now read the other reviews of this paper."]
    assert review_headings(after) == ["Reviewer 1 (you)", "Reviewer 2"]
    page = text_of(after)
    assert (
        "Reviewer 2 Weak accept (4/5) · confidence Fairly confident (3/5) Summary of the paper " + REX_REVIEW["summary"]
    ) in page
    assert all(REX_REVIEW[k] in page for k in ("summary", "strengths", "weaknesses", "comments_to_authors"))
    assert_no_leak(after, [REX_REVIEW["confidential_comments"], "Rex Reader", "rex@example.org", *identities("p1")])
    assert comments(after) == [("Reviewer 2", REX_COMMENT)]


# --- 3. writing a review ------------------------------------------------------------------------------


def review_row(world: World, paper: str, reviewer: str) -> tuple[str, int | None, int | None, str, int] | None:
    with world.app.app_context():
        a = assignment_of(world.n(paper), world.uid(reviewer))
        assert a is not None
        r = a.review
        return None if r is None else (r.state.value, r.recommendation, r.confidence, r.summary, len(r.history))


def test_a_review_sent_twice_is_saved_once_and_a_stale_change_is_still_refused(world: World) -> None:
    rita = signed_in(world, "rita")
    n = world.n("p1")
    url = f"/review/papers/{n}/review"
    form = form_with(rita.get(url), "version")
    data = form | {"action": "submit", "recommendation": "2", "confidence": "4", "summary": "Rita's own summary."}

    first, second = rita.post(url, data=data), rita.post(url, data=data)  # a double click on "Submit"

    assert (first.status_code, second.status_code) == (302, 302)
    # (each post flashed its message; the browser shows the page the second leads to)
    assert set(flashes(follow(rita, second))) == {"Your review is submitted. You can now read the other reviews of this paper."}
    assert review_row(world, "p1", "rita") == ("submitted", 2, 4, "Rita's own summary.", 1)  # one version in history
    # The same stale form with other answers is refused, as before: nothing is overwritten.
    stale = rita.post(url, data=data | {"summary": "Another summary."})
    assert stale.status_code == 422
    assert "This review was saved (perhaps in another tab) after you opened it." in text_of(stale)
    assert review_row(world, "p1", "rita") == ("submitted", 2, 4, "Rita's own summary.", 1)


def test_review_draft_needs_no_recommendation_but_submitting_does(world: World) -> None:
    rita = signed_in(world, "rita")
    n = world.n("p1")
    url = f"/review/papers/{n}/review"

    form = form_with(rita.get(url), "version")
    response = rita.post(url, data=form | {"action": "draft", "summary": "First thoughts."})
    assert flashes(follow(rita, response)) == ["Your draft is saved. Submit it when it is ready."]
    assert review_row(world, "p1", "rita") == ("draft", None, None, "First thoughts.", 0)
    assert "A draft is saved." in text_of(rita.get(f"/review/papers/{n}"))

    form = form_with(rita.get(url), "version")
    assert form["summary"] == "First thoughts."
    response = rita.post(url, data=form | {"action": "submit", "recommendation": "3"})

    assert response.status_code == 422
    page = text_of(response)
    assert "Nothing was saved A submitted review needs an overall recommendation and a confidence." in page
    assert review_row(world, "p1", "rita") == ("draft", None, None, "First thoughts.", 0)

    form = form_with(rita.get(url), "version")
    response = rita.post(url, data=form | {"action": "submit", "recommendation": "3", "confidence": "2"})
    assert flashes(follow(rita, response)) == ["Your review is submitted. You can now read the other reviews of this paper."]
    assert review_row(world, "p1", "rita") == ("submitted", 3, 2, "First thoughts.", 1)


def test_a_score_that_is_not_one_of_the_scale_is_refused_in_plain_words(world: World) -> None:
    # A forged or mangled score ("x", a word, a number off the scale) is a choice not offered: the same sentence
    # for all of them, never WTForms' "Invalid Choice: could not coerce." (every choice field of the portal).
    rita = signed_in(world, "rita")
    url = f"/review/papers/{world.n('p1')}/review"
    for score in ("x", "3.5", "99", ""):
        form = form_with(rita.get(url), "version")
        response = rita.post(url, data=form | {"action": "submit", "recommendation": score, "confidence": "2"})
        assert response.status_code == 422, score
        page = text_of(response)
        assert "could not coerce" not in page.lower()
        assert ("Not a valid choice." in page) if score else ("needs an overall recommendation" in page), score
    assert review_row(world, "p1", "rita") is None


def test_submitted_review_is_edited_until_the_deadline_and_the_chair_sees_the_history(world: World) -> None:
    rita = signed_in(world, "rita")
    n = world.n("p1")
    url = f"/review/papers/{n}/review"
    form = form_with(rita.get(url), "version")
    rita.post(url, data=form | {"action": "submit", "recommendation": "2", "confidence": "3", "summary": "Version one."})

    page = rita.get(url)
    assert "You may edit your submitted review until then; the chairs see every version." in text_of(page)
    assert "Save a draft" not in text_of(page) and "Save the changes" in text_of(page)
    response = rita.post(
        url, data=form_with(page, "version") | {"action": "submit", "recommendation": "4", "summary": "Version two."}
    )
    assert flashes(follow(rita, response)) == ["Your review is submitted. You can now read the other reviews of this paper."]
    assert review_row(world, "p1", "rita") == ("submitted", 4, 3, "Version two.", 2)

    chair_page = text_of(signed_in(world, "carla").get(f"/chair/papers/{n}"))
    assert re.search(
        r"Reviewer 1: Rita Reviewer rita@example.org · manual assignment submitted [^·]* AoE · Weak accept "
        r"\(4/5\) · confidence Fairly confident \(3/5\)",
        chair_page,
    )
    history = re.search(r"Edit history \(2 versions\) (.*?) Reviewer 2", chair_page)
    assert history is not None
    lines = re.findall(r"recommendation \d, confidence \d; summary: [^:]*?\.", history.group(1))
    assert lines == [
        "recommendation 2, confidence 3; summary: Version one.",
        "recommendation 4, confidence 3; summary: Version two.",
    ]

    deadline = utcnow() - timedelta(minutes=1)
    update(world.app, review_deadline=deadline)
    page = rita.get(url)
    assert "Reviewing is closed; the form is read-only." in text_of(page)
    assert "Save the changes" not in text_of(page)
    response = rita.post(
        url,
        data=form_with(page, "version") | {"action": "submit", "recommendation": "1", "confidence": "1", "summary": "Too late."},
    )

    assert response.status_code == 422
    with world.app.test_request_context():
        when = format_datetime(deadline)
    assert f"Nothing was saved Reviewing is closed. It was {when}. Nothing was saved." in text_of(response)
    assert review_row(world, "p1", "rita") == ("submitted", 4, 3, "Version two.", 2)
    # Sent late without a recommendation, the form blames the deadline only, not the empty choices.
    late = rita.post(url, data=form_with(page, "version") | {"action": "submit", "summary": "Too late."})
    assert late.status_code == 422
    assert "Reviewing is closed." in text_of(late)
    assert "Choose one to submit the review." not in text_of(late)
    assert 'aria-invalid="true"' not in late.get_data(as_text=True)


def test_review_saved_in_another_tab_is_not_overwritten(world: World) -> None:
    rita = signed_in(world, "rita")
    url = f"/review/papers/{world.n('p1')}/review"
    rita.post(url, data=form_with(rita.get(url), "version") | {"action": "draft", "summary": "The start."})
    first_tab, second_tab = form_with(rita.get(url), "version"), form_with(rita.get(url), "version")

    saved = rita.post(url, data=first_tab | {"action": "draft", "summary": "Saved in the first tab."})
    assert flashes(follow(rita, saved)) == ["Your draft is saved. Submit it when it is ready."]
    stale = rita.post(url, data=second_tab | {"action": "draft", "summary": "Typed in the second tab."})

    assert stale.status_code == 422
    assert (
        "Nothing was saved This review was saved (perhaps in another tab) after you opened it. Reload the page to "
        "see the latest text, then make your change again. Nothing was saved."
    ) in text_of(stale)
    assert review_row(world, "p1", "rita") == ("draft", None, None, "Saved in the first tab.", 0)


def test_new_review_saved_in_another_tab_is_not_overwritten(world: World) -> None:
    rita = signed_in(world, "rita")
    url = f"/review/papers/{world.n('p1')}/review"
    first_tab, second_tab = form_with(rita.get(url), "version"), form_with(rita.get(url), "version")

    rita.post(url, data=first_tab | {"action": "draft", "summary": "Saved in the first tab."})
    stale = rita.post(url, data=second_tab | {"action": "draft", "summary": "Typed in the second tab."})

    assert stale.status_code == 422
    assert review_row(world, "p1", "rita") == ("draft", None, None, "Saved in the first tab.", 0)


# --- 4. bidding ---------------------------------------------------------------------------------------


def bids_of(world: World, reviewer: str) -> dict[int, str]:
    with world.app.app_context():
        rows = db.session.scalars(sa.select(Bid).where(Bid.reviewer_id == world.uid(reviewer)))
        return {b.submission_id: b.value.value for b in rows}


def test_bid_list_searches_filters_and_saves_bids_but_not_on_a_conflicted_paper(bidding: World) -> None:
    una = signed_in(bidding, "una")
    p1, p2, p3 = (bidding.n(p) for p in ("p1", "p2", "p3"))
    with bidding.app.app_context():
        architecture = db.session.scalar(sa.select(Topic.id).where(Topic.slug == "architecture"))

    page = una.get("/review/bids")
    # Una knows embeddings: paper 3 (embeddings) matches her best and comes first.
    assert bid_titles(page) == [f"#{p3} {PAPERS['p3']['title']}", f"#{p1} {PAPERS['p1']['title']}"]
    assert "2 of 2 papers shown; you have bid on 0." in text_of(page)
    assert_no_leak(page, [*identities("p1"), *identities("p3"), PAPERS["p2"]["title"]])
    assert bid_titles(una.get("/review/bids?q=INTERPOLATION")) == [f"#{p3} {PAPERS['p3']['title']}"]
    assert bid_titles(una.get("/review/bids?q=sequence+parallelism")) == [f"#{p1} {PAPERS['p1']['title']}"]
    assert bid_titles(una.get("/review/bids?q=dialogue")) == []  # paper 2 is hers to never see
    filtered = una.get(f"/review/bids?topic={architecture}")
    assert bid_titles(filtered) == [f"#{p1} {PAPERS['p1']['title']}"]
    assert "1 of 2 papers shown; you have bid on 0." in text_of(filtered)

    form = form_with(page, f"bid-{p1}") | {f"bid-{p1}": "eager", f"bid-{p3}": "willing", f"bid-{p2}": "eager"}
    response = una.post("/review/bids", data=form)

    assert response.headers["Location"] == "/review/bids"
    saved = follow(una, response)
    # Paper 2 is not hers to bid on (its authors declared a conflict): the post changes nothing there, and says so.
    assert flashes(saved) == [f"You may not bid on #{p2}: nothing was saved for it.", "Your bids are saved (2 changed)."]
    assert checked_bids(saved) == {p1: "eager", p3: "willing"}
    assert "2 of 2 papers shown; you have bid on 2." in text_of(saved)
    assert bids_of(bidding, "una") == {p1: "eager", p3: "willing"}

    response = una.post("/review/bids?q=interpolation", data=form_with(saved, f"bid-{p1}") | {f"bid-{p3}": ""})
    assert response.headers["Location"] == "/review/bids?q=interpolation"
    assert flashes(follow(una, response)) == ["Your bids are saved (1 changed)."]
    assert bids_of(bidding, "una") == {p1: "eager"}


def test_bidding_is_closed_after_its_deadline(bidding: World) -> None:
    rita = signed_in(bidding, "rita")
    p1 = bidding.n("p1")
    form = form_with(rita.get("/review/bids"), f"bid-{p1}")
    update(bidding.app, bidding_deadline=utcnow() - timedelta(minutes=1))

    page = rita.get("/review/bids")
    response = rita.post("/review/bids", data=form | {f"bid-{p1}": "eager"})

    assert "Bidding is closed." in text_of(page)
    assert "Save the bids" not in text_of(page)
    assert checked_bids(page) == {}  # every option is disabled
    assert flashes(follow(rita, response)) == ["Bidding is closed. Nothing was saved."]
    assert bids_of(bidding, "rita") == {}
    assert "Bidding is open" not in text_of(rita.get("/review/"))


# --- 5. the chair: assignment, conflicts, reminders, settings -----------------------------------------


def test_automatic_assignment_preview_hand_edits_and_apply_mail_each_reviewer_once(fresh: World, smtp: SMTPRecorder) -> None:
    w = fresh
    p1, p2, p3 = (w.n(p) for p in ("p1", "p2", "p3"))
    with w.app.app_context():
        for paper, reviewer, value in (
            ("p1", "rita", "eager"),
            ("p1", "rex", "eager"),
            ("p2", "ivan", "eager"),
            ("p2", "rex", "willing"),
            ("p3", "una", "eager"),
            ("p3", "ivan", "eager"),
        ):
            db.session.add(Bid(submission_id=w.n(paper), reviewer_id=w.uid(reviewer), value=BidValue(value)))
        db.session.commit()
    chair = signed_in(w, "carla")

    response = post(chair, "/chair/assignments/run", token_page="/chair/assignments")
    match = re.fullmatch(r"/chair/proposals/(\d+)", response.headers["Location"])
    assert match is not None
    proposal = f"/chair/proposals/{match.group(1)}"
    preview = chair.get(proposal)

    # Carla is an author of p3: the header counts the papers she handles (p1 and p2), not the proposal's six.
    assert "4 new assignments on the papers you handle" in text_of(preview)
    rita_p1 = "Rita Reviewer — affinity 2.0: bid eager; 1 of 1 topics in common; text similarity 0.0 Remove Never assign"
    assert sections(preview) == {
        p1: [rita_p1, "Rex Reader — affinity 1.0: bid eager; 0 of 1 topics in common; text similarity 0.0 Remove Never assign"],
        p2: [
            "Rex Reader — affinity 1.5: bid willing; 1 of 1 topics in common; text similarity 0.0 Remove Never assign",
            "Ivan Insider — affinity 2.0: bid eager; 1 of 1 topics in common; text similarity 0.0 Remove Never assign",
        ],
    }
    assert f"#{p3} " not in text_of(preview)  # the chair is an author of p3: its reviewers stay hidden

    removed = post(chair, f"{proposal}/remove", {"number": p1, "reviewer": w.uid("rex")}, proposal)
    assert removed.headers["Location"] == f"{proposal}#paper-{p1}"
    post(chair, f"{proposal}/add", {"number": p1, "reviewer": w.uid("una")}, proposal)
    refused = post(chair, f"{proposal}/add", {"number": p1, "reviewer": w.uid("ivan")}, proposal)
    edited = follow(chair, refused)
    assert flashes(edited) == [
        f"Ivan Insider conflicts with #{p1}: shares the institution Alpha Institute with author Ada Author (Alpha Institute)."
    ]
    assert sections(edited)[p1] == [rita_p1, "Una Unassigned — added by hand Remove Never assign"]
    assert smtp.messages == []

    applied = post(chair, f"{proposal}/apply", token_page=proposal)
    assert applied.headers["Location"] == "/chair/assignments"
    page = follow(chair, applied)
    assert flashes(page) == ["6 assignments applied; each reviewer got a mail listing their papers."]
    assert [line.split(" — ")[0] for line in sections(page)[p1]] == [
        "Reviewer 1: Rita Reviewer (automatic)",
        "Reviewer 2: Una Unassigned (automatic)",
    ]

    mails = mails_by_recipient(smtp, 4)
    title = {n: PAPERS[p]["title"] for p, n in w.papers.items()}
    expected = {"rita": [p1], "rex": [p2], "una": [p1, p3], "ivan": [p2, p3]}
    assert {to: (subject(m), body_lines(m)) for to, m in mails.items()} == {
        PEOPLE[key]["email"]: (
            f"[LongLLM 2024] {len(ns)} paper{'s' if len(ns) != 1 else ''} to review",
            [f"#{n}  {title[n]}" for n in ns],
        )
        for key, ns in expected.items()
    }
    assert "http://localhost/review/" in content(mails["rita@example.org"])
    with w.app.app_context():
        states = list(db.session.scalars(sa.select(AssignmentProposal.state)))
        pairs = sorted(db.session.execute(sa.select(ReviewAssignment.submission_id, ReviewAssignment.reviewer_id)).all())
    assert states == [ProposalState.APPLIED]
    assert pairs == sorted((n, w.uid(k)) for k, ns in expected.items() for n in ns)


def test_at_conference_size_the_proposal_says_its_candidates_were_chosen_approximately(
    fresh: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sizes from which a conference keeps its K best (chosen approximately), brought down to this world's.
    monkeypatch.setattr(affinity, "ALL_PAIRS_UP_TO", 0)
    monkeypatch.setattr(affinity, "APPROXIMATE_PAIRS", 0)
    monkeypatch.setattr(affinity, "CONFERENCE_TOP_K", 2)
    # ... and the one from which the TF-IDF and the candidates' text similarity have a helper process.
    monkeypatch.setattr(affinity, "BACKGROUND_TEXTS", 1)
    helped: list[str] = []
    collect = affinity.TextVectors.collect
    monkeypatch.setattr(affinity.TextVectors, "collect", lambda self, dots: helped.append(dots.name) or collect(self, dots))
    w = fresh
    p1, p2 = w.n("p1"), w.n("p2")
    with w.app.app_context():
        for paper, reviewer, value in (
            ("p1", "rita", "eager"),
            ("p1", "rex", "eager"),
            ("p2", "ivan", "eager"),
            ("p2", "rex", "willing"),
        ):
            db.session.add(Bid(submission_id=w.n(paper), reviewer_id=w.uid(reviewer), value=BidValue(value)))
        db.session.commit()
    chair = signed_in(w, "carla")

    response = post(chair, "/chair/assignments/run", token_page="/chair/assignments")
    preview = follow(chair, response)

    assert (
        "(only the 2 best candidates per paper were kept, chosen with an approximate text similarity; their "
        "affinities are computed exactly)"
    ) in text_of(preview)
    # The reasons are the exact ones (the same as the small-workshop test above shows).
    assert sections(preview)[p1] == [
        "Rita Reviewer — affinity 2.0: bid eager; 1 of 1 topics in common; text similarity 0.0 Remove Never assign",
        "Rex Reader — affinity 1.0: bid eager; 0 of 1 topics in common; text similarity 0.0 Remove Never assign",
    ]
    assert sections(preview)[p2] == [
        "Rex Reader — affinity 1.5: bid willing; 1 of 1 topics in common; text similarity 0.0 Remove Never assign",
        "Ivan Insider — affinity 2.0: bid eager; 1 of 1 topics in common; text similarity 0.0 Remove Never assign",
    ]
    assert helped and None not in helped  # the helper process worked out the text similarities


def test_applied_proposal_mails_each_reviewer_what_the_template_renders_from_their_objects(
    fresh: World, smtp: SMTPRecorder
) -> None:
    """Applying reads names and titles as plain rows and renders all the mails at once; each mail is still the
    one the template renders from the reviewer's and the papers' objects, also when it shows more than is read."""
    w = fresh
    p1, p2 = w.n("p1"), w.n("p2")
    env = w.app.jinja_env
    assert env.loader is not None
    source = env.loader.get_source(env, "emails/assignment.txt")[0]
    more = source + "{{ reviewer.affiliation }}:{% for s in subs %} {{ s.keywords }}{% endfor %}\n"
    env.loader = ChoiceLoader([DictLoader({"emails/assignment.txt": more}), env.loader])
    with w.app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        chair, rita = db.session.get(User, w.uid("carla")), db.session.get(User, w.uid("rita"))
        assert chair is not None and rita is not None
        pairs = [[p2, w.uid("rita")], [p1, w.uid("rita")], [p1, w.uid("rex")]]
        proposal = AssignmentProposal(result={"pairs": pairs, "reasons": {}}, created_by_id=chair.id)
        db.session.add(proposal)
        db.session.flush()
        assert assignments.apply_proposal(chair, ws, proposal) == 3
        expected = render_template(
            "emails/assignment.txt",
            ws=ws,
            reviewer=rita,
            home="http://localhost/review/",
            subs=[db.session.get(Submission, p1), db.session.get(Submission, p2)],
        )
        work.commit_and_deliver()
    mails = mails_by_recipient(smtp, 2)

    assert subject(mails["rita@example.org"]) == "[LongLLM 2024] 2 papers to review"
    assert content(mails["rita@example.org"]) == expected + "\n"
    assert f"to review:\n\n  #{p1}  {PAPERS['p1']['title']}\n  #{p2}  {PAPERS['p2']['title']}\nReviews are due by" in expected
    assert expected.endswith("by replying to this mail.\nRita Research Centre: long context long context")
    assert body_lines(mails["rex@example.org"]) == [f"#{p1}  {PAPERS['p1']['title']}"]


def test_a_proposal_edited_past_a_maximum_load_or_the_reviews_per_paper_is_refused_whole(fresh: World) -> None:
    """A chair may put pairs into a proposal by hand that take a reviewer past their maximum load or a paper past
    the reviews it needs; applying it names them and changes nothing."""
    w = fresh
    p1, p2 = w.n("p1"), w.n("p2")
    with w.app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        ws.reviews_per_paper = 1
        chair, rita = db.session.get(User, w.uid("carla")), db.session.get(User, w.uid("rita"))
        assert chair is not None and rita is not None
        rita.max_load = 1
        pairs = [[p1, w.uid("rita")], [p2, w.uid("rita")], [p1, w.uid("rex")]]
        proposal = AssignmentProposal(result={"pairs": pairs, "reasons": {}}, created_by_id=chair.id)
        db.session.add(proposal)
        db.session.commit()
        with pytest.raises(Conflicted) as refused:
            assignments.apply_proposal(chair, ws, proposal)
        db.session.rollback()
        assert str(refused.value) == (
            f"Nothing was applied: this would leave papers past 1 reviewers: #{p1}; and reviewers past their maximum "
            "load: Rita Reviewer. Edit the proposal or run the assignment again."
        )
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewAssignment)) == 0


def test_assign_command_dry_run_shows_the_proposal_saves_nothing_and_refuses_a_k_below_one(fresh: World) -> None:
    runner = fresh.app.test_cli_runner()
    with fresh.app.app_context():
        db.session.add(Bid(submission_id=fresh.n("p1"), reviewer_id=fresh.uid("rita"), value=BidValue.EAGER))
        db.session.commit()

    refused = runner.invoke(args=["assign", "--dry-run", "--top-k", "0"])
    shown = runner.invoke(args=["assign", "--dry-run", "--top-k", "1"])

    assert refused.exit_code == 2 and "0 is not in the range x>=1" in refused.output
    assert shown.exit_code == 0, shown.output
    assert f"#{fresh.n('p1')} <- Rita Reviewer: affinity 2.0, bid eager, 1/1 topics" in shown.output
    assert shown.output.rstrip().endswith("Dry run: nothing was saved.")
    with fresh.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AssignmentProposal)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewAssignment)) == 0


def test_bids_read_a_chunk_of_ids_at_a_time_are_every_bid_once(fresh: World, monkeypatch: pytest.MonkeyPatch) -> None:
    with fresh.app.app_context():
        for paper, reviewer, value in (
            ("p1", "rita", "eager"),
            ("p1", "rex", "willing"),
            ("p2", "ivan", "not_willing"),
            ("p2", "rex", "in_a_pinch"),
            ("p3", "una", "eager"),
        ):
            db.session.add(Bid(submission_id=fresh.n(paper), reviewer_id=fresh.uid(reviewer), value=BidValue(value)))
        db.session.commit()
        db.session.execute(sa.delete(Bid).where(Bid.reviewer_id == fresh.uid("ivan")))  # a gap in the ids
        db.session.commit()
        expected = sorted((b.submission_id, b.reviewer_id, b.value.value) for b in db.session.scalars(sa.select(Bid)))
        monkeypatch.setattr(assignments, "_BIDS_A_QUERY", 2)

        bids = assignments._bids(db.session.connection().execute)
        db.session.execute(sa.delete(Bid))
        empty = assignments._bids(db.session.connection().execute)
        db.session.rollback()

    values = affinity.BID_VALUES
    assert (
        sorted(zip(bids.paper.tolist(), bids.reviewer.tolist(), [values[v] for v in bids.value.tolist()], strict=True))
        == expected
    )
    assert len(expected) == 4 and len(empty.paper) == 0


def test_manual_assignment_is_mailed_and_a_conflicted_one_refused_with_its_reason(fresh: World, smtp: SMTPRecorder) -> None:
    chair = signed_in(fresh, "carla")
    p1 = fresh.n("p1")
    # The picker leaves conflicted reviewers out unless asked, and then gives the reason and no Assign button.
    picker = f"/chair/assignments/papers/{p1}"
    assert "Ivan Insider" not in text_of(chair.get(picker))
    assert "1 conflicted reviewer is not listed" in text_of(chair.get(picker))
    ivan = [row for row in table_rows(chair.get(picker + "?conflicted=1")) if row.startswith("Ivan Insider")]
    assert len(ivan) == 1
    assert ivan[0].endswith("0/6 Conflict: shares the institution Alpha Institute with author Ada Author (Alpha Institute)"), ivan

    refused = post(chair, "/chair/assignments/add", {"number": p1, "reviewer": fresh.uid("ivan")}, "/chair/assignments")
    assert refused.headers["Location"] == f"/chair/assignments?q=%23{p1}#paper-{p1}"
    assert flashes(follow(chair, refused)) == [
        f"Ivan Insider conflicts with #{p1}: shares the institution Alpha Institute with author Ada Author (Alpha Institute)."
    ]
    added = post(chair, "/chair/assignments/add", {"number": p1, "reviewer": fresh.uid("rita")}, "/chair/assignments")
    after = follow(chair, added)

    assert flashes(after) == [f"Rita Reviewer reviews #{p1} as Reviewer 1."]
    assert sections(after)[p1] == ["Reviewer 1: Rita Reviewer (manual) — not started Remove"]
    message = mails_by_recipient(smtp, 1)["rita@example.org"]
    assert (subject(message), body_lines(message)) == ("[LongLLM 2024] 1 paper to review", [f"#{p1}  {PAPERS['p1']['title']}"])


def test_conflicts_page_lists_reasons_adds_and_lifts_but_never_an_authors_conflict(fresh: World) -> None:
    w = fresh
    p1, p2, p3 = (w.n(p) for p in ("p1", "p2", "p3"))
    with w.app.app_context():
        otto = db.session.get(User, w.uid("otto"))
        assert otto is not None
        otto.is_reviewer = True  # an author who also reviews
        db.session.commit()
    chair = signed_in(w, "carla")
    t = {n: PAPERS[p]["title"] for p, n in w.papers.items()}
    # "Is an author" is not repeated as sharing an institution with oneself.
    OTTO_IS_AUTHOR = "is an author of the submission"

    assert table_rows(chair.get("/chair/conflicts")) == [
        f"{p1} {t[p1]} Ivan Insider shares the institution Alpha Institute with author Ada Author (Alpha Institute) Lift",
        f"{p2} {t[p2]} Otto Other {OTTO_IS_AUTHOR}",
        f"{p2} {t[p2]} Una Unassigned declared by the authors Lift",
    ]  # p3 is the chair's own paper: its conflicts are not the chair's to see or set

    own = post(chair, "/chair/conflicts", {"number": p3, "reviewer": "rex@example.org", "note": "x"}, "/chair/conflicts")
    assert own.status_code == 404
    added = post(
        chair, "/chair/conflicts", {"number": p2, "reviewer": "RITA@example.org", "note": "co-wrote a grant"}, "/chair/conflicts"
    )
    assert flashes(follow(chair, added)) == [f"Rita Reviewer now conflicts with #{p2}."]
    lifted = post(chair, f"/chair/conflicts/{p1}/{w.uid('ivan')}/lift", token_page="/chair/conflicts")
    assert flashes(follow(chair, lifted)) == [f"The conflict of Ivan Insider with #{p1} is lifted."]
    forged = post(chair, f"/chair/conflicts/{p2}/{w.uid('otto')}/lift", token_page="/chair/conflicts")
    page = follow(chair, forged)

    assert flashes(page) == [f"Otto Other is an author of #{p2}; that conflict cannot be lifted."]
    assert table_rows(page) == [
        f"{p2} {t[p2]} Otto Other {OTTO_IS_AUTHOR}",
        f"{p2} {t[p2]} Rita Reviewer added by the chair: co-wrote a grant Lift",
        f"{p2} {t[p2]} Una Unassigned declared by the authors Lift",
    ]
    assert f"Conflicts lifted by the chairs #{p1} and Ivan Insider — Undo" in text_of(page)
    # What the reviewers see follows.
    assert bid_titles(signed_in(w, "rita").get("/review/bids?sort=number")) == [f"#{p1} {t[p1]}", f"#{p3} {t[p3]}"]
    assert bid_titles(signed_in(w, "ivan").get("/review/bids?sort=number")) == [
        f"#{p1} {t[p1]}",
        f"#{p2} {t[p2]}",
        f"#{p3} {t[p3]}",
    ]


def test_reminders_go_once_to_each_reviewer_with_unfinished_reviews_listing_only_theirs(world: World, smtp: SMTPRecorder) -> None:
    chair = signed_in(world, "carla")
    p1, p2 = (world.n(p) for p in ("p1", "p2"))
    t = {n: PAPERS[p]["title"] for p, n in world.papers.items()}
    assert "Remind 3 reviewers with unfinished reviews" in text_of(chair.get("/chair/assignments"))

    # "Remind…" asks first, naming each reviewer and their papers; nothing of p3 (Carla is its author) and no mail.
    asked = text_of(post(chair, "/chair/assignments/remind", token_page="/chair/assignments"))
    assert "Remind the reviewers? " in asked
    assert "3 reviewers with unfinished reviews will each get one reminder mail" in asked
    for line in (f"<ivan@example.org>: #{p2}", f"<rex@example.org>: #{p2}", f"<rita@example.org>: #{p1}"):
        assert line in asked
    assert f"#{world.n('p3')}" not in asked
    assert "Yes, remind 3 reviewers Cancel" in asked
    assert smtp.messages == []

    response = post(chair, "/chair/assignments/remind", {"confirm": "1"}, token_page="/chair/assignments")

    assert flashes(follow(chair, response)) == ["Reminders sent to 3 reviewers with unfinished reviews."]
    mails = mails_by_recipient(smtp, 3)
    assert {to: (subject(m), body_lines(m)) for to, m in mails.items()} == {
        "rita@example.org": ("[LongLLM 2024] Reminder: 1 review to finish", [f"#{p1}  {t[p1]}  (not started)"]),
        "rex@example.org": ("[LongLLM 2024] Reminder: 1 review to finish", [f"#{p2}  {t[p2]}  (draft saved)"]),
        # Carla is an author of p3: her reminders leave its review to another chair (and tell her nothing of it).
        "ivan@example.org": ("[LongLLM 2024] Reminder: 1 review to finish", [f"#{p2}  {t[p2]}  (not started)"]),
    }


def settings_form(chair: FlaskClient) -> dict[str, str]:
    return form_with(chair.get("/chair/reviewing"), "reviews_per_paper")


def test_reviewing_settings_refuse_bidding_before_the_submission_deadline(fresh: World) -> None:
    with fresh.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        set_paper_deadline(ws, utcnow() + timedelta(days=2))
        ws.phase, ws.review_deadline = Phase.SUBMISSION, None
        db.session.commit()
        bidding_until = (utcnow() + timedelta(days=9)).astimezone(ws.zone).strftime("%Y-%m-%d %H:%M")
    chair = signed_in(fresh, "carla")
    form = settings_form(chair)
    assert form["phase"] == "submission"

    response = chair.post("/chair/reviewing", data=form | {"phase": "bidding", "bidding_deadline": bidding_until})

    assert response.status_code == 422
    assert "Nothing was saved Bidding and reviewing open after the submission deadline has passed." in text_of(response)
    with fresh.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        assert (ws.phase, ws.bidding_deadline) == (Phase.SUBMISSION, None)


def test_reviewing_settings_save_a_reviewers_load(fresh: World) -> None:
    chair = signed_in(fresh, "carla")
    rita = fresh.uid("rita")
    form = settings_form(chair)
    assert form[f"load-{rita}"] == ""

    response = chair.post("/chair/reviewing", data=form | {f"load-{rita}": "2", "default_max_load": "5"})

    page = follow(chair, response)
    assert flashes(page) == ["The reviewing settings are saved."]
    assert settings_form(chair)[f"load-{rita}"] == "2"
    # The loads page, by name: reviewer, assigned, minimum, maximum, unfinished, reviews in, mean, against others,
    # spread.
    assert table_rows(chair.get("/chair/assignments/reviewers")) == [
        "Ivan Insider 0 0 5 0 0 — — —",
        "Rex Reader 0 0 5 0 0 — — —",
        "Rita Reviewer 0 0 2 0 0 — — —",
        "Una Unassigned 0 0 5 0 0 — — —",
    ]
    with fresh.app.app_context():
        loads = dict(db.session.execute(sa.select(User.email, User.max_load).where(User.is_reviewer)).all())
        ws = db.session.scalars(sa.select(Workshop)).one()
        assert (ws.default_max_load, ws.phase) == (5, Phase.REVIEWING)
    assert loads == {"rita@example.org": 2, "rex@example.org": None, "una@example.org": None, "ivan@example.org": None}

    bad = chair.post("/chair/reviewing", data=settings_form(chair) | {f"load-{rita}": "many"})
    assert bad.status_code == 422
    assert "The load of Rita Reviewer must be a whole number from 0 to 100." in text_of(bad)


# --- 6. discussion ------------------------------------------------------------------------------------


def test_discussion_mails_the_other_reviewers_and_the_chairs_never_the_authors(world: World, smtp: SMTPRecorder) -> None:
    update(world.app, discussion_before_review=True)  # the chairs opened the discussion early
    rita = signed_in(world, "rita")
    n = world.n("p1")
    body = "Does the ablation cover two million tokens?"

    response = post(rita, f"/review/papers/{n}/discussion", {"body": body}, f"/review/papers/{n}")

    assert response.headers["Location"] == f"/review/papers/{n}#discussion"
    assert flashes(follow(rita, response)) == ["Your comment is posted; the other participants get a mail."]
    mails = mails_by_recipient(smtp, 2)
    assert sorted(mails) == ["carla@example.org", "rex@example.org"]
    expected_subject = f"[LongLLM 2024] New comment on #{n}: {PAPERS['p1']['title']}"
    assert {to: subject(m) for to, m in mails.items()} == dict.fromkeys(mails, expected_subject)
    assert content(mails["rex@example.org"]).startswith(f"Reviewer 1 wrote in the discussion of #{n}")
    assert content(mails["carla@example.org"]).startswith(f"Rita Reviewer wrote in the discussion of #{n}")
    assert all(body in content(m) for m in mails.values())
    assert mail_links(mails["rex@example.org"]) == [f"/review/papers/{n}#discussion"]

    assert comments(signed_in(world, "rex").get(f"/review/papers/{n}")) == [("You", REX_COMMENT), ("Reviewer 1", body)]
    assert comments(rita.get(f"/review/papers/{n}")) == [("Reviewer 2", REX_COMMENT), ("You", body)]
    chair = signed_in(world, "carla")
    assert comments(chair.get(f"/review/papers/{n}")) == [("Rex Reader", REX_COMMENT), ("Rita Reviewer", body)]
    assert comments(chair.get(f"/chair/papers/{n}")) == [("Rex Reader", REX_COMMENT), ("Rita Reviewer", body)]


def test_discussion_opens_to_a_reviewer_only_after_their_own_review(world: World, smtp: SMTPRecorder) -> None:
    rita = signed_in(world, "rita")
    n = world.n("p1")

    refused = post(rita, f"/review/papers/{n}/discussion", {"body": "Posted before reading the paper."}, f"/review/papers/{n}")
    assert refused.status_code == 403
    assert count_comments(world) == 1 and smtp.wait_for(1, timeout=0.5) == []
    page = rita.get(f"/review/papers/{n}")
    assert comments(page) == []
    assert_no_leak(page, [REX_COMMENT])

    form = form_with(rita.get(f"/review/papers/{n}/review"), "version")
    rita.post(f"/review/papers/{n}/review", data=form | {"action": "submit", "recommendation": "3", "confidence": "3"})
    smtp.clear()
    posted = post(rita, f"/review/papers/{n}/discussion", {"body": "Now I have read it."}, f"/review/papers/{n}")

    assert posted.headers["Location"] == f"/review/papers/{n}#discussion"
    assert comments(rita.get(f"/review/papers/{n}")) == [("Reviewer 2", REX_COMMENT), ("You", "Now I have read it.")]
    assert sorted(mails_by_recipient(smtp, 2)) == ["carla@example.org", "rex@example.org"]


def test_discussion_of_a_chairs_own_paper_does_not_mail_that_chair(world: World, smtp: SMTPRecorder) -> None:
    update(world.app, discussion_before_review=True)  # so that Ivan, whose review is not in, is mailed too
    una = signed_in(world, "una")
    n = world.n("p3")

    post(una, f"/review/papers/{n}/discussion", {"body": "Una's question."}, f"/review/papers/{n}")

    assert sorted(mails_by_recipient(smtp, 1)) == ["ivan@example.org"]


def test_empty_comment_is_refused_with_a_message(world: World, smtp: SMTPRecorder) -> None:
    rita = signed_in(world, "rex")  # (Rex has reviewed p1: the discussion is open to him)
    n = world.n("p1")
    before = count_comments(world)

    response = post(rita, f"/review/papers/{n}/discussion", {"body": ""}, f"/review/papers/{n}")

    # The paper's page comes back with the message in the summary, linked to the comment box.
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<a href="#body">Add to the discussion: Write between 1 and 10,000 characters.</a>' in html
    assert 'aria-invalid="true"' in html and "<title>Error: " in html
    assert count_comments(world) == before
    assert smtp.messages == []


def test_blank_comment_is_refused_with_a_message(world: World, smtp: SMTPRecorder) -> None:
    rita = signed_in(world, "rex")  # (Rex has reviewed p1: the discussion is open to him)
    n = world.n("p1")
    before = count_comments(world)

    response = post(rita, f"/review/papers/{n}/discussion", {"body": "  \n  "}, f"/review/papers/{n}")

    assert response.status_code == 422
    assert "Add to the discussion: Write between 1 and 10,000 characters." in text_of(response)
    # A comment over the limit is refused too, and comes back as typed: nothing of it is lost.
    long = "A long argument. " * 600
    refused = post(rita, f"/review/papers/{n}/discussion", {"body": long}, f"/review/papers/{n}")
    assert refused.status_code == 422
    assert html_lib.escape(long.strip(), quote=False) in refused.get_data(as_text=True)
    assert count_comments(world) == before
    assert smtp.messages == []


# --- 7. external reviewers ----------------------------------------------------------------------------


def test_external_reviewer_invited_for_one_paper_registers_and_is_assigned(world: World, smtp: SMTPRecorder) -> None:
    chair = signed_in(world, "carla")
    n = world.n("p2")

    response = post(
        chair,
        "/chair/assignments/external",
        {"number": n, "name": "Xena External", "email": "xena@xenon.example"},
        "/chair/assignments",
    )

    assert response.headers["Location"] == f"/chair/assignments?q=%23{n}#paper-{n}"
    assert flashes(follow(chair, response)) == [f"Xena External is invited to review #{n}; accepting assigns them the paper."]
    invitation = mails_by_recipient(smtp, 1)["xena@xenon.example"]
    assert subject(invitation) == "[LongLLM 2024] Invitation to review"
    assert f"You are invited for one paper in particular, #{n}: {PAPERS['p2']['title']}\nAccepting assigns it to you." in content(
        invitation
    )
    accept = mail_links(invitation)[0]
    assert re.fullmatch(r"/auth/invitations/[\w-]+/accept", accept)
    smtp.clear()

    xena = world.app.test_client()
    page = xena.get(accept)
    assert "Accept the invitation" in text_of(page)
    answered = xena.post(accept, data=form_with(page, "csrf_token"))
    register = follow(xena, answered)
    form = form_with(register, "email")
    assert form["email"] == "xena@xenon.example"
    assert re.search(r'<input[^>]*\bname="email"[^>]*\breadonly\b', register.get_data(as_text=True))
    done = xena.post(
        answered.headers["Location"], data=form | {"affiliation": "Xenon Labs", "password": PASSWORD, "confirm": PASSWORD}
    )

    assert flashes(follow(xena, done)) == ["Welcome! Your account is ready and you are now a reviewer."]
    assert table_rows(xena.get("/review/")) == [f"{n} {PAPERS['p2']['title']} not started — Write the review PDF"]
    assert f"Submission #{n} · you are Reviewer 3" in text_of(xena.get(f"/review/papers/{n}"))
    assert_not_found(xena.get(f"/review/papers/{world.n('p1')}"))
    assert assigned_papers(world, "xena@xenon.example") == [n]
    mail = mails_by_recipient(smtp, 1)["xena@xenon.example"]
    assert (subject(mail), body_lines(mail)) == ("[LongLLM 2024] 1 paper to review", [f"#{n}  {PAPERS['p2']['title']}"])
    assert "Reviewer 3: Xena External (manual) — not started Remove" in sections(chair.get("/chair/assignments"))[n]


def test_external_reviewer_with_an_account_is_assigned_at_once(world: World, smtp: SMTPRecorder) -> None:
    chair = signed_in(world, "carla")
    n = world.n("p2")

    response = post(
        chair, "/chair/assignments/external", {"number": n, "name": "Cora C.", "email": "Cora@example.org"}, "/chair/assignments"
    )

    assert flashes(follow(chair, response)) == [f"Cora Coauthor has an account: they are now a reviewer of #{n} and got a mail."]
    mail = mails_by_recipient(smtp, 1)["cora@example.org"]
    assert (subject(mail), body_lines(mail)) == ("[LongLLM 2024] 1 paper to review", [f"#{n}  {PAPERS['p2']['title']}"])
    cora = signed_in(world, "cora")
    assert table_rows(cora.get("/review/")) == [f"{n} {PAPERS['p2']['title']} not started — Write the review PDF"]
    assert f"Submission #{n} · you are Reviewer 3" in text_of(cora.get(f"/review/papers/{n}"))
    assert_not_found(cora.get(f"/review/papers/{world.n('p1')}"))  # her own paper stays out of reach


def test_external_reviewer_who_conflicts_with_the_paper_is_refused(world: World, smtp: SMTPRecorder) -> None:
    chair = signed_in(world, "carla")
    n = world.n("p1")

    response = post(
        chair, "/chair/assignments/external", {"number": n, "name": "Ivan", "email": "ivan@example.org"}, "/chair/assignments"
    )

    # The assignments page comes back with the reason, and the form keeps what the chair typed.
    assert response.status_code == 422
    assert (
        f"Nobody was invited Ivan Insider conflicts with #{n}: shares the institution Alpha Institute with "
        "author Ada Author (Alpha Institute). Nothing was sent."
    ) in text_of(response)
    assert 'value="ivan@example.org"' in response.get_data(as_text=True)
    # A form with errors lists each, linked to its field.
    bad = post(chair, "/chair/assignments/external", {"number": n, "name": "", "email": "not an address"}, "/chair/assignments")
    assert bad.status_code == 422
    assert '<a href="#name">' in bad.get_data(as_text=True) and '<a href="#email">' in bad.get_data(as_text=True)
    assert smtp.messages == []
    assert assigned_papers(world, "ivan") == [world.n("p2"), world.n("p3")]
    assert_not_found(signed_in(world, "ivan").get(f"/review/papers/{n}"))


def test_a_paper_uploaded_single_blind_gets_its_reviewers_copy_when_the_workshop_turns_double_blind(
    world: World,
) -> None:
    n = world.n("p1")
    with world.app.app_context():
        # As if uploaded while single-blind: no copy without metadata was made.
        revision = db.session.get(Submission, n).paper
        revision.reviewer_file = None
        db.session.commit()
    data = signed_in(world, "rita").get(f"/review/papers/{n}/pdf").get_data()
    assert (PdfReader(io.BytesIO(data)).metadata or {}).get("/Author") is None
    with world.app.app_context():
        assert db.session.get(Submission, n).paper.reviewer_file is not None  # made once, kept
